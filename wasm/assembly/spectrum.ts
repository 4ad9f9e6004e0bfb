// The microfrontend's spectral stage for one frame: window, block shift, real FFT, rounding, power, filterbank.
// The kernel of src/audio/spectrum.ts (its twin, which documents the steps): the same f64 operations in the same
// order, so the same bits. One complex number is one f64x2 vector [re, im]; a product b * w is
// b * [wr, wr] + [bi, br] * [-wi, wi], the twin's (br * wr + bi * -wi, bi * wr + br * wi).
//
// A module of its own (the front end's, not a backend's: scripts/build-wasm.mjs), small enough for a synchronous
// compile on a browser's main thread. The host lays out a block of i32 words (src/audio/spectrum-wasm.ts):
//   0 n   1 fftSize   2 window (i32, Q12)   3 reverse (i32, M = fftSize / 2)   4 twiddles (M / 2 x [wr, wr][-wi, wi])
//   5 split twiddles (one per bin from binStart, same form)   6 binStart   7 accumulators   8 chanEnd (i32)
//   9 weights (i32)   10 unweights (i32)   11 z (M f64x2, 16-byte aligned)   12 frame (i32, n)

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
 * Returns the block shift; writes `accumulators` f64 to `work` and `accumulators - 1` channel amplitudes to
 * `amplitudes`. samples: f32, n of them from `samples`.
 */
export function spectrumFrame(cfg: usize, samples: usize, inputScale: f64, work: usize, amplitudes: usize): i32 {
  const n = load<i32>(cfg);
  const fftSize = load<i32>(cfg, 4);
  const win = load<usize>(cfg, 8);
  const rev = load<usize>(cfg, 12);
  const tw = load<usize>(cfg, 16);
  const st = load<usize>(cfg, 20);
  const binStart = load<i32>(cfg, 24);
  const accumulators = load<i32>(cfg, 28);
  const chanEnd = load<usize>(cfg, 32);
  const weights = load<usize>(cfg, 36);
  const unweights = load<usize>(cfg, 40);
  const z = load<usize>(cfg, 44);
  const frame = load<usize>(cfg, 48);

  // Two samples a vector, each lane the twin's scalar steps: promote, scale, floor plus (fraction >= 0.5), to i32
  // (saturating; NaN -> 0, as Math.imul's ToInt32), then the clamp to int16. The twin clamps before rounding;
  // rounding is monotone and the bounds are integers, so the order does not matter (infinities included).
  const sv = f64x2.splat(inputScale);
  const hi = i32x4.splat(32767);
  const lo = i32x4.splat(-32768);
  const half = f64x2.splat(0.5);
  const one = f64x2.splat(1.0);
  let acc = i32x4.splat(0);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const x = f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(samples + (<usize>i << 2))), sv);
    const f = f64x2.floor(x);
    const rounded = i32x4.trunc_sat_f64x2_s_zero(f64x2.add(f, v128.and(f64x2.ge(f64x2.sub(x, f), half), one)));
    const r = i32x4.max_s(i32x4.min_s(rounded, hi), lo);
    const v = i32x4.shr_s(i32x4.mul(r, v128.load64_zero(win + (<usize>i << 2))), 12);
    v128.store64_lane(frame + (<usize>i << 2), v, 0);
    acc = v128.or(acc, i32x4.abs(v));
  }
  let bits = i32x4.extract_lane(acc, 0) | i32x4.extract_lane(acc, 1);
  for (; i < n; i++) {
    let x = <f64>load<f32>(samples + (<usize>i << 2)) * inputScale;
    x = x > 32767 ? 32767 : x < -32768 ? -32768 : x;
    const f = Math.floor(x);
    const rounded = f + (x - f >= 0.5 ? 1.0 : 0.0);
    const r = rounded == rounded ? <i32>rounded : 0; // NaN -> 0, as Math.imul's ToInt32 (the rest is in int16 range)
    const v = (r * load<i32>(win + (<usize>i << 2))) >> 12;
    store<i32>(frame + (<usize>i << 2), v);
    const sign = v >> 31;
    bits |= (v ^ sign) - sign;
  }
  const shift = 15 - (bits == 0 ? 0 : 32 - clz(bits));
  if (shift < 0) {
    for (let i = 0; i < n; i++) store<i32>(frame + (<usize>i << 2), load<i32>(frame + (<usize>i << 2)) / 2);
  }
  const scale = (shift >= 0 ? <f64>(1 << shift) : 1.0) / <f64>fftSize;

  const m = fftSize >> 1;
  for (let i = 0; i < m; i++) {
    const lo = 2 * i < n ? <f64>load<i32>(frame + (<usize>(2 * i) << 2)) : 0.0;
    const hi = 2 * i + 1 < n ? <f64>load<i32>(frame + (<usize>(2 * i + 1) << 2)) : 0.0;
    v128.store(z + (<usize>load<i32>(rev + (<usize>i << 2)) << 4), f64x2.replace_lane(f64x2.splat(lo), 1, hi));
  }

  // The first two stages as one pass over groups of four, twiddles 1 and -i exact, as the twin.
  const negIm = f64x2.replace_lane(f64x2.splat(1.0), 1, -1.0);
  if (m >= 4) {
    for (let g = 0; g < m; g += 4) {
      const p = z + (<usize>g << 4);
      const x0 = v128.load(p);
      const x1 = v128.load(p, 16);
      const x2 = v128.load(p, 32);
      const x3 = v128.load(p, 48);
      const y0 = f64x2.add(x0, x1);
      const y1 = f64x2.sub(x0, x1);
      const y2 = f64x2.add(x2, x3);
      const y3 = f64x2.sub(x2, x3);
      const t = f64x2.mul(v128.shuffle<f64>(y3, y3, 1, 0), negIm); // -i y3 = (y3.im, -y3.re)
      v128.store(p, f64x2.add(y0, y2));
      v128.store(p, f64x2.add(y1, t), 16);
      v128.store(p, f64x2.sub(y0, y2), 32);
      v128.store(p, f64x2.sub(y1, t), 48);
    }
  }
  // Later stages two at a time (h and 2h over groups of 4h), as the twin: the same butterflies and twiddles,
  // the values kept in registers between the two stages. tw holds W_M^k as 32-byte [wr, wr][-wi, wi] pairs.
  // (With m = 2 no pass above ran: its single stage is the radix-2 one below, h = 1.)
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

  const oddScale = f64x2.replace_lane(f64x2.splat(0.5), 1, -0.5);
  const conj = f64x2.replace_lane(f64x2.splat(1.0), 1, -1.0);
  const sc = f64x2.splat(scale);
  let wAcc = 0.0;
  let uAcc = 0.0;
  let k = binStart;
  for (let c = 0; c < accumulators; c++) {
    const end = load<i32>(chanEnd + (<usize>c << 2));
    for (; k < end; k++) {
      const a = v128.load(z + (<usize>(k == m ? 0 : k) << 4));
      const b = f64x2.mul(v128.load(z + (<usize>(k == 0 ? 0 : m - k) << 4)), conj);
      const e2 = f64x2.mul(f64x2.add(a, b), half);
      const d = f64x2.sub(a, b);
      const o = f64x2.mul(v128.shuffle<f64>(d, d, 1, 0), oddScale);
      const x = f64x2.add(e2, cmul(o, st + (<usize>(k - binStart) << 5)));
      const y = f64x2.mul(x, sc);
      const fl = f64x2.floor(y);
      const r = f64x2.add(fl, v128.and(f64x2.ge(f64x2.sub(y, fl), half), one));
      const sq = f64x2.mul(r, r);
      const e = f64x2.extract_lane(sq, 0) + f64x2.extract_lane(sq, 1);
      const bi = <usize>(k - binStart) << 2;
      wAcc += <f64>load<i32>(weights + bi) * e;
      uAcc += <f64>load<i32>(unweights + bi) * e;
    }
    store<f64>(work + (<usize>c << 3), wAcc);
    wAcc = uAcc;
    uAcc = 0;
  }
  const up = shift >= 0 ? <f64>(1 << shift) : 0.5;
  for (let c = 0; c + 1 < accumulators; c++) {
    store<f64>(amplitudes + (<usize>c << 3), Math.floor(roundSqrt(load<f64>(work + (<usize>(c + 1) << 3))) / up));
  }
  return shift;
}

/** First free byte after the module's static data. */
export function heapBase(): usize {
  return __heap_base;
}
