// The microfrontend's spectral stage for one frame: window, block shift, real FFT, rounding, power, filterbank,
// channel amplitudes and, where the host gives it the tables, the log and the pixel map.
// The kernel of src/audio/spectrum.ts (its twin, which documents the steps): the same f64 operations in the same
// order, so the same bits. One complex number is one f64x2 vector [re, im]; a product b * w is
// b * [wr, wr] + [bi, br] * [-wi, wi], the twin's (br * wr + bi * -wi, bi * wr + br * wi).
//
// A module of its own (the front end's, not a backend's: scripts/build-wasm.mjs), small enough for a synchronous
// compile on a browser's main thread. The host lays out a block (src/audio/spectrum-wasm.ts), byte offsets:
//   0 n   4 fftSize   8 window (f64 Q12 / 4096, fftSize of them: zero past n)   12 reverse (i32, M = fftSize / 2)
//   16 twiddles (M / 2 x [wr, wr][-wi, wi])   20 split twiddles (one per bin from binStart, same form)
//   24 binStart   28 accumulators   32 chanEnd (i32)   36 weights ([weight, unweight] f64 per bin)
//   40 z (M + 1 f64x2, 16-byte aligned)   44 frame (i32 scratch, n)   48 work (f64)   52 amplitudes (f64)
//   56 flags (1: inputScale is a power of two >= 1)   60 log table's top output (-1: no log here)
//   64 thresholds (f64, top + 2)   68 pixel table (f32, top + 2)   72 pixels out (f32)   76 log status out
//   80 inputScale (f64)   88 amplitude cap (f64)   96 bucketBits   100 buckets (u16)
//   108 window (i32 Q12, n: the general path's)

function cmul(b: v128, w: usize): v128 {
  const bs = v128.shuffle<f64>(b, b, 1, 0);
  return f64x2.add(f64x2.mul(b, v128.load(w)), f64x2.mul(bs, v128.load(w, 16)));
}

/** The twin's roundSqrt: round(sqrt(x)) for an exact integer x < 2^53. */
function roundSqrt(x: f64): f64 {
  let r = Math.floor(Math.sqrt(x));
  while (r * r > x) r -= 1;
  while ((r + 1) * (r + 1) <= x) r += 1;
  return r + (x - r * r > r ? 1.0 : 0.0);
}

/**
 * Four f32 samples times a power-of-two inputScale >= 1, rounded half up (floor plus fraction >= 0.5) and clamped
 * to int16, in f32: the f32 product is the twin's f64 one exactly (or infinite where that is past int16 anyway),
 * and every step after it is exact. The twin clamps before rounding; rounding is monotone and the bounds are
 * integers, so the order does not matter (infinities included). NaN becomes 0, as Math.imul's ToInt32 makes it.
 */
function roundSamples(x: v128, scale: v128): v128 {
  const y = f32x4.mul(x, scale);
  const f = f32x4.floor(y);
  const r = f32x4.add(f, v128.and(f32x4.ge(f32x4.sub(y, f), f32x4.splat(0.5)), f32x4.splat(1.0)));
  const c = f32x4.pmax(f32x4.pmin(r, f32x4.splat(32767.0)), f32x4.splat(-32768.0));
  return v128.and(c, f32x4.eq(c, c));
}

/**
 * A windowed sample pair as the twin's (r * w) >> 12, in f64: r * (w / 4096) is the exact product scaled by a
 * power of two, and floor is the arithmetic shift; halved, the twin's (v / 2) | 0 (trunc of the exact v / 2).
 * The + 0 turns a -0 (a negative r times a zero w, or -1 halved) into the twin's 0.
 */
function windowPair(r: v128, w: usize, halve: bool): v128 {
  let v = f64x2.floor(f64x2.mul(f64x2.promote_low_f32x4(r), v128.load(w)));
  if (halve) v = f64x2.trunc(f64x2.mul(v, f64x2.splat(0.5)));
  return f64x2.add(v, f64x2.splat(0.0));
}

/** The first two FFT stages on one group of four, twiddles 1 and -i exact, as the twin; stores them at p. */
function firstStagesAt(p: usize, x0: v128, x1: v128, x2: v128, x3: v128): void {
  const y0 = f64x2.add(x0, x1);
  const y1 = f64x2.sub(x0, x1);
  const y2 = f64x2.add(x2, x3);
  const y3 = f64x2.sub(x2, x3);
  const t = f64x2.mul(v128.shuffle<f64>(y3, y3, 1, 0), f64x2.replace_lane(f64x2.splat(1.0), 1, -1.0)); // -i y3 = (y3.im, -y3.re)
  v128.store(p, f64x2.add(y0, y2));
  v128.store(p, f64x2.add(y1, t), 16);
  v128.store(p, f64x2.sub(y0, y2), 32);
  v128.store(p, f64x2.sub(y1, t), 48);
}

/** Where pair `rev[p]` (two samples, or two window coefficients of `bytes` each) starts. */
function pairAt(base: usize, rev: usize, p: i32, bytes: i32): usize {
  return base + <usize>(load<i32>(rev + (<usize>p << 2)) * (2 * bytes));
}

/**
 * The common case (inputScale a power of two >= 1, M >= 4) in one pass: per group of four FFT points, gathers
 * their samples (bit-reversed order), rounds and windows them, and runs the first two stages, with no frame
 * buffer in between. The window (f64, / 4096) is zero past n, so the points past the frame come out zero
 * whatever the samples there hold. Returns the block peak max |v| (its highest bit is that of the twin's OR).
 * `halve`: the frame halved toward zero first, as the twin does for a full-scale frame (shift -1).
 */
function windowAndFirstStages(cfg: usize, samples: usize, halve: bool): f64 {
  const m = load<i32>(cfg, 4) >> 1;
  const win = load<usize>(cfg, 8);
  const rev = load<usize>(cfg, 12);
  const z = load<usize>(cfg, 40);
  const scale = f32x4.splat(<f32>load<f64>(cfg, 80));
  let peak = f64x2.splat(0.0);
  for (let p = 0; p < m; p += 4) {
    const a = roundSamples(v128.load64_lane(pairAt(samples, rev, p + 1, 4), v128.load64_zero(pairAt(samples, rev, p, 4)), 1), scale);
    const b = roundSamples(v128.load64_lane(pairAt(samples, rev, p + 3, 4), v128.load64_zero(pairAt(samples, rev, p + 2, 4)), 1), scale);
    const x0 = windowPair(a, pairAt(win, rev, p, 8), halve);
    const x1 = windowPair(v128.shuffle<i32>(a, a, 2, 3, 0, 1), pairAt(win, rev, p + 1, 8), halve);
    const x2 = windowPair(b, pairAt(win, rev, p + 2, 8), halve);
    const x3 = windowPair(v128.shuffle<i32>(b, b, 2, 3, 0, 1), pairAt(win, rev, p + 3, 8), halve);
    peak = f64x2.pmax(peak, f64x2.pmax(f64x2.pmax(f64x2.abs(x0), f64x2.abs(x1)), f64x2.pmax(f64x2.abs(x2), f64x2.abs(x3))));
    firstStagesAt(z + (<usize>p << 4), x0, x1, x2, x3);
  }
  return Math.max(f64x2.extract_lane(peak, 0), f64x2.extract_lane(peak, 1));
}

/**
 * The general case, step by step as the twin: the windowed int16 frame into the frame buffer (halved toward zero
 * when the shift is negative: a full-scale frame), the bit-reversed load, then the first two stages. Runs where
 * the one pass cannot (M < 4, or an inputScale that is not a power of two >= 1). Returns the block shift.
 */
function windowThenLoad(cfg: usize, samples: usize): i32 {
  const n = load<i32>(cfg);
  const m = load<i32>(cfg, 4) >> 1;
  const rev = load<usize>(cfg, 12);
  const z = load<usize>(cfg, 40);
  const frame = load<usize>(cfg, 44);
  const wq = load<usize>(cfg, 108);
  const inputScale = load<f64>(cfg, 80);
  let bits = 0;
  for (let i = 0; i < n; i++) {
    let x = <f64>load<f32>(samples + (<usize>i << 2)) * inputScale;
    x = x > 32767 ? 32767 : x < -32768 ? -32768 : x;
    const f = Math.floor(x);
    const rounded = f + (x - f >= 0.5 ? 1.0 : 0.0);
    const r = rounded == rounded ? <i32>rounded : 0; // NaN -> 0, as Math.imul's ToInt32 (the rest is in int16 range)
    const v = (r * load<i32>(wq + (<usize>i << 2))) >> 12;
    store<i32>(frame + (<usize>i << 2), v);
    const sign = v >> 31;
    bits |= (v ^ sign) - sign;
  }
  const shift = 15 - (bits == 0 ? 0 : 32 - clz(bits));
  if (shift < 0) {
    for (let i = 0; i < n; i++) store<i32>(frame + (<usize>i << 2), load<i32>(frame + (<usize>i << 2)) / 2);
  }
  for (let i = 0; i < m; i++) {
    const lo = 2 * i < n ? <f64>load<i32>(frame + (<usize>(2 * i) << 2)) : 0.0;
    const hi = 2 * i + 1 < n ? <f64>load<i32>(frame + (<usize>(2 * i + 1) << 2)) : 0.0;
    v128.store(z + (<usize>load<i32>(rev + (<usize>i << 2)) << 4), f64x2.replace_lane(f64x2.splat(lo), 1, hi));
  }
  if (m >= 4) {
    for (let g = 0; g < m; g += 4) {
      const p = z + (<usize>g << 4);
      firstStagesAt(p, v128.load(p), v128.load(p, 16), v128.load(p, 32), v128.load(p, 48));
    }
  }
  return shift;
}

/**
 * The FFT's later stages, two at a time (h and 2h over groups of 4h), as the twin: the same butterflies and
 * twiddles, the values kept in registers between the two stages. tw holds W_M^k as 32-byte [wr, wr][-wi, wi]
 * pairs. (With m = 2 no first pass ran: its single stage is the radix-2 one at the end, h = 1.)
 */
function laterStages(z: usize, m: i32, tw: usize): void {
  let h = m >= 4 ? 4 : 1;
  for (; 4 * h <= m; h *= 4) {
    const s1 = <usize>(m / (2 * h)) << 5;
    const s2 = <usize>(m / (4 * h)) << 5;
    const span = <usize>h << 4;
    for (let g = 0; g < m; g += 4 * h) {
      const base = z + (<usize>g << 4);
      for (let j = 0; j < h; j++) {
        const p0 = base + (<usize>j << 4);
        let x1 = v128.load(p0 + span);
        let x3 = v128.load(p0 + 3 * span);
        if (j > 0) {
          const w = tw + <usize>j * s1;
          x1 = cmul(x1, w);
          x3 = cmul(x3, w);
        }
        const x0 = v128.load(p0);
        const x2 = v128.load(p0 + 2 * span);
        const y0 = f64x2.add(x0, x1);
        const y1 = f64x2.sub(x0, x1);
        let y2 = f64x2.add(x2, x3);
        const y3 = cmul(f64x2.sub(x2, x3), tw + <usize>(j + h) * s2);
        if (j > 0) y2 = cmul(y2, tw + <usize>j * s2);
        v128.store(p0, f64x2.add(y0, y2));
        v128.store(p0 + 2 * span, f64x2.sub(y0, y2));
        v128.store(p0 + span, f64x2.add(y1, y3));
        v128.store(p0 + 3 * span, f64x2.sub(y1, y3));
      }
    }
  }
  // One radix-2 stage left when the stage count is odd.
  if (h < m) {
    const stride = <usize>(m / (2 * h)) << 5;
    const span = <usize>h << 4;
    for (let g = 0; g < m; g += 2 * h) {
      const pa = z + (<usize>g << 4);
      const a0 = v128.load(pa);
      const t0 = v128.load(pa + span);
      v128.store(pa, f64x2.add(a0, t0));
      v128.store(pa + span, f64x2.sub(a0, t0));
      let wp = tw + stride;
      for (let j = 1; j < h; j++) {
        const p = pa + (<usize>j << 4);
        const a = v128.load(p);
        const t = cmul(v128.load(p + span), wp);
        v128.store(p, f64x2.add(a, t));
        v128.store(p + span, f64x2.sub(a, t));
        wp += stride;
      }
    }
  }
}

/**
 * Split, round, power, filterbank, as the twin: each bin's energy times [weight, unweight] into one vector of
 * [this accumulator, the next] (lane by lane the twin's two scalar multiply-adds). Z[M] is Z[0]: it is copied
 * there first, so bin k reads Z[k] and Z[M - k] (k >= 1: the filterbank skips DC) with no special case.
 */
function filterbank(cfg: usize, scale: f64): void {
  const m = load<i32>(cfg, 4) >> 1;
  const st = load<usize>(cfg, 20);
  const binStart = load<i32>(cfg, 24);
  const accumulators = load<i32>(cfg, 28);
  const chanEnd = load<usize>(cfg, 32);
  const weights = load<usize>(cfg, 36);
  const z = load<usize>(cfg, 40);
  const work = load<usize>(cfg, 48);
  v128.store(z + (<usize>m << 4), v128.load(z));
  const half = f64x2.splat(0.5);
  const one = f64x2.splat(1.0);
  const oddScale = f64x2.replace_lane(f64x2.splat(0.5), 1, -0.5);
  const conj = f64x2.replace_lane(f64x2.splat(1.0), 1, -1.0);
  const sc = f64x2.splat(scale);
  let acc = f64x2.splat(0.0);
  let k = binStart;
  for (let c = 0; c < accumulators; c++) {
    const end = load<i32>(chanEnd + (<usize>c << 2));
    for (; k < end; k++) {
      const i = <usize>(k - binStart);
      const a = v128.load(z + (<usize>k << 4));
      const b = f64x2.mul(v128.load(z + (<usize>(m - k) << 4)), conj);
      const e2 = f64x2.mul(f64x2.add(a, b), half);
      const d = f64x2.sub(a, b);
      const o = f64x2.mul(v128.shuffle<f64>(d, d, 1, 0), oddScale);
      const y = f64x2.mul(f64x2.add(e2, cmul(o, st + (i << 5))), sc);
      const fl = f64x2.floor(y);
      const r = f64x2.add(fl, v128.and(f64x2.ge(f64x2.sub(y, fl), half), one));
      const sq = f64x2.mul(r, r);
      const e = f64x2.extract_lane(sq, 0) + f64x2.extract_lane(sq, 1);
      acc = f64x2.add(acc, f64x2.mul(v128.load(weights + (i << 4)), f64x2.splat(e)));
    }
    store<f64>(work + (<usize>c << 3), f64x2.extract_lane(acc, 0));
    acc = f64x2.replace_lane(f64x2.splat(0.0), 0, f64x2.extract_lane(acc, 1));
  }
}

/**
 * The microfrontend's log and pixel map of `count` channel amplitudes (integers >= 0) into f32 pixels, exact by
 * construction from the host's tables (src/audio/microfrontend.ts, logPixelTable), built with Math.log itself:
 * the thresholds T[j] are the smallest amplitudes whose log output reaches j; the buckets split [1, cap) at the
 * top `bucketBits` mantissa bits, and an amplitude's output is its bucket's first output B or B + 1 (the host
 * checked that no bucket spans more), so T[B + 1] decides it. The pixel table holds each output's pixel.
 * Returns 1 when an amplitude is at or past the cap (then the host computes the frame's log itself), else 0.
 */
export function logPixels(cfg: usize, amplitudes: usize, count: i32, out: usize): i32 {
  const t = load<usize>(cfg, 64);
  const px = load<usize>(cfg, 68);
  const cap = load<f64>(cfg, 88);
  const bucketBits = load<i32>(cfg, 96);
  const buckets = load<usize>(cfg, 100);
  const shift = <i64>(52 - bucketBits);
  const first = <i64>1023 << <i64>bucketBits;
  let past = 0;
  for (let c = 0; c < count; c++) {
    const v = load<f64>(amplitudes + (<usize>c << 3));
    past |= v >= cap ? 1 : 0;
    // 0 (and anything past the cap) looks up 1's bucket, then 0 gives output 0.
    const u = v >= 1.0 && v < cap ? v : 1.0;
    const b = <usize>((reinterpret<i64>(u) >> shift) - first);
    const jb = <i32>load<u16>(buckets + (b << 1));
    const j = v >= 1.0 ? jb + (load<f64>(t + (<usize>(jb + 1) << 3)) <= u ? 1 : 0) : 0;
    store<f32>(out + (<usize>c << 2), load<f32>(px + (<usize>j << 2)));
  }
  return past;
}

/**
 * One frame from the f32 samples at `samples` (fftSize readable floats: those past n are multiplied by a zero
 * window): writes `accumulators` f64 to work, `accumulators - 1` channel amplitudes and, where the host gave a log
 * table, their pixels with the log status. Returns the block shift.
 */
export function spectrumFrame(cfg: usize, samples: usize): i32 {
  const fftSize = load<i32>(cfg, 4);
  const m = fftSize >> 1;
  const onePass = m >= 4 && (load<i32>(cfg, 56) & 1) != 0;
  let shift = onePass ? 15 : windowThenLoad(cfg, samples);
  if (onePass) {
    const peak = <i32>windowAndFirstStages(cfg, samples, false);
    shift -= peak == 0 ? 0 : 32 - clz(peak);
    if (shift < 0) windowAndFirstStages(cfg, samples, true);
  }
  laterStages(load<usize>(cfg, 40), m, load<usize>(cfg, 16));
  filterbank(cfg, (shift >= 0 ? <f64>(1 << shift) : 1.0) / <f64>fftSize);

  const accumulators = load<i32>(cfg, 28);
  const work = load<usize>(cfg, 48);
  const amplitudes = load<usize>(cfg, 52);
  const up = shift >= 0 ? <f64>(1 << shift) : 0.5;
  for (let c = 0; c + 1 < accumulators; c++) {
    store<f64>(amplitudes + (<usize>c << 3), Math.floor(roundSqrt(load<f64>(work + (<usize>(c + 1) << 3))) / up));
  }
  if (load<i32>(cfg, 60) >= 0) store<i32>(cfg, logPixels(cfg, amplitudes, accumulators - 1, load<usize>(cfg, 72)), 76);
  return shift;
}

/** First free byte after the module's static data. */
export function heapBase(): usize {
  return __heap_base;
}
