// The microfrontend's spectral stage, one frame: int16 samples -> Q12 Hann window -> block-normalisation shift ->
// real FFT -> DFT / fftSize rounded to integers (as TFLM's fixed-point FFT scales it) -> power -> the Q12 mel
// filterbank's accumulators. This is the reference (the JS twin) of the WebAssembly kernel in
// wasm/assembly/spectrum.ts: both run the same floating-point operations in the same order, so they return the
// same bits (test/audio/spectrum.test.ts), and a Microfrontend can use either.
//
// The FFT: N real samples as N/2 complex ones z[m] = x[2m] + i x[2m+1], an iterative radix-2 decimation-in-time
// FFT of size M = N/2 (bit-reversed load; the first two stages as one pass with their exact twiddles 1 and -i;
// later stages two at a time; multiplies skipped where a twiddle is exactly 1), then the split
// X[k] = E[k] + W_N^k O[k] only for the bins the filterbank reads. A complex product b * w is computed as
// (br * wr + bi * (-wi), bi * wr + br * wi), the order the kernel's two-lane f64 vectors give.

/** Tables for one configuration, shared by the twin and (copied into its memory) the kernel. */
export interface SpectrumTables {
  /** Window samples. */
  n: number;
  fftSize: number;
  /** Q12 window coefficients, n of them. */
  window: Int32Array;
  /** Bit reversal of log2(M) bits, M = fftSize / 2 entries. */
  reverse: Int32Array;
  /** W_M^m = (cos, -sin)(2 pi m / M) for m < M / 2, as [wr, wi] pairs. */
  twiddles: Float64Array;
  /** W_N^k for the bins the filterbank reads, k in [binStart, chanEnd[accumulators - 1]), as [wr, wi] pairs. */
  splitTwiddles: Float64Array;
  binStart: number;
  /** Accumulator c takes bins up to chanEnd[c]. */
  chanEnd: Int32Array;
  /** Q12 weight and unweight of each bin, indexed by bin - binStart. */
  weights: Int32Array;
  unweights: Int32Array;
  inputScale: number;
}

/**
 * The microfrontend's log and pixel map as tables, for the kernel (which has no log instruction): for an integer
 * channel amplitude v, raw(v) = min(65535, floor(Math.log(v * correctionScale) * logScale + 0.5)) (0 where
 * v * correctionScale <= 1), and its pixel. Built with Math.log itself (src/audio/microfrontend.ts,
 * logPixelTable), so the kernel's pixels are the JS ones for every v below amplitudeCap.
 */
export interface LogPixelTable {
  /** raw(amplitudeCap - 1), the largest output the tables reach. */
  top: number;
  /** thresholds[j]: the smallest v with raw(v) >= j, for j in [0, top + 1] (Infinity past 65535). */
  thresholds: Float64Array;
  /** pixels[j]: raw j's pixel, the f32 the JS path stores, for j in [0, top + 1]. */
  pixels: Float32Array;
  /**
   * raw of the first integer in each bucket of [1, amplitudeCap): a bucket is the amplitudes of one exponent and
   * the same top `bucketBits` mantissa bits; raw takes at most two values (b, b + 1) in any bucket.
   */
  buckets: Uint16Array;
  bucketBits: number;
  /** A power of two: amplitudes from here on are left to the JS log. */
  amplitudeCap: number;
}

export function bitReverse(m: number): Int32Array {
  const bits = Math.round(Math.log2(m));
  const out = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    out[i] = r;
  }
  return out;
}

/** [cos, -sin](2 pi j / period) for j in [from, to), interleaved. */
export function twiddleTable(period: number, from: number, to: number): Float64Array {
  const out = new Float64Array(2 * Math.max(0, to - from));
  for (let j = from; j < to; j++) {
    out[2 * (j - from)] = Math.cos((2 * Math.PI * j) / period);
    out[2 * (j - from) + 1] = -Math.sin((2 * Math.PI * j) / period);
  }
  return out;
}

/** Scratch for the twin: the complex FFT buffer (M pairs) and the int16 frame. */
export interface SpectrumScratch {
  z: Float64Array;
  frame: Int32Array;
}

export function spectrumScratch(t: SpectrumTables): SpectrumScratch {
  return { z: new Float64Array(t.fftSize), frame: new Int32Array(t.n) };
}

/** Highest set bit, 1-based (0 for 0). */
function msb(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x);
}

/** round(sqrt(x)) for an exact integer x < 2^53, as the fixed-point square root with its rounding step. */
export function roundSqrt(x: number): number {
  let r = Math.floor(Math.sqrt(x));
  while (r * r > x) r--;
  while ((r + 1) * (r + 1) <= x) r++;
  return r + +(x - r * r > r); // branch-free: this comparison goes either way from channel to channel
}

/**
 * One frame from `samples[offset..offset + n)` (float, [-1, 1]): writes the filterbank accumulators to
 * `work[0..chanEnd.length)` (the power of the frame scaled by 2^shift, the block shift 15 - msb(peak)) and each
 * channel's amplitude, floor(roundSqrt(work[c + 1]) / 2^shift), to `amplitudes[0..chanEnd.length - 1)`; returns
 * the shift.
 */
export function spectrumFrame(
  t: SpectrumTables, s: SpectrumScratch, samples: Float32Array, offset: number, work: Float64Array, amplitudes: Float64Array,
): number {
  const { n, window, inputScale } = t;
  const { z, frame } = s;
  // int16 sample = clamp(Math.round(x * inputScale)), as floor plus (fraction >= 0.5); NaN becomes 0.
  let bits = 0;
  for (let i = 0; i < n; i++) {
    let x = samples[offset + i] * inputScale;
    x = x > 32767 ? 32767 : x < -32768 ? -32768 : x;
    const f = Math.floor(x);
    const v = Math.imul(f + +(x - f >= 0.5), window[i]) >> 12;
    frame[i] = v;
    const sign = v >> 31;
    bits |= (v ^ sign) - sign;
  }
  const shift = 15 - msb(bits);
  // A full-scale frame (shift -1) is halved toward zero before the FFT, as the fixed-point code does; otherwise
  // the FFT of v * 2^shift is exactly the FFT of v times 2^shift, which joins the 1 / fftSize below.
  if (shift < 0) for (let i = 0; i < n; i++) frame[i] = (frame[i] / 2) | 0;
  const scale = (shift >= 0 ? 2 ** shift : 1) / t.fftSize;

  // Bit-reversed load of z[m] = (x[2m], x[2m + 1]), zero past the window.
  const m = t.fftSize >> 1;
  const rev = t.reverse;
  for (let i = 0; i < m; i++) {
    const r = 2 * rev[i];
    z[r] = 2 * i < n ? frame[2 * i] : 0;
    z[r + 1] = 2 * i + 1 < n ? frame[2 * i + 1] : 0;
  }
  fftInPlace(z, m, t.twiddles);

  // Split, round, power, filterbank: weights into this accumulator, unweights into the next.
  const { chanEnd, weights, unweights, binStart, splitTwiddles: st } = t;
  const accumulators = chanEnd.length;
  let wAcc = 0;
  let uAcc = 0;
  let k = binStart;
  for (let c = 0; c < accumulators; c++) {
    const end = chanEnd[c];
    for (; k < end; k++) {
      // Z[M] is Z[0].
      const a = (k === m ? 0 : k) * 2;
      const b = (k === 0 ? 0 : m - k) * 2;
      const ar = z[a];
      const ai = z[a + 1];
      const br = z[b];
      const bi = -z[b + 1];
      // E = (A + B) / 2, O = -i (A - B) / 2 with B = conj(Z[M - k]); X = E + W_N^k O.
      const er = (ar + br) * 0.5;
      const ei = (ai + bi) * 0.5;
      const or = (ai - bi) * 0.5;
      const oi = (ar - br) * -0.5;
      const wr = st[2 * (k - binStart)];
      const wi = st[2 * (k - binStart) + 1];
      const xr = er + (or * wr + oi * -wi);
      const xi = ei + (oi * wr + or * wi);
      const yr = xr * scale;
      const fr = Math.floor(yr);
      const re = fr + +(yr - fr >= 0.5);
      const yi = xi * scale;
      const fi = Math.floor(yi);
      const im = fi + +(yi - fi >= 0.5);
      const e = re * re + im * im;
      wAcc += weights[k - binStart] * e;
      uAcc += unweights[k - binStart] * e;
    }
    work[c] = wAcc;
    wAcc = uAcc;
    uAcc = 0;
  }
  // Amplitude of each channel, the block normalisation undone (2^shift is exact; -1 gives 0.5).
  const up = 2 ** shift;
  for (let c = 0; c + 1 < accumulators; c++) amplitudes[c] = Math.floor(roundSqrt(work[c + 1]) / up);
  return shift;
}

/**
 * Iterative radix-2 DIT FFT of m complex values (bit-reversed already), twiddles W_m^j for j < m / 2. The first
 * two stages run as one pass over groups of four, with their twiddles 1 and -i exact (-i b = (bi, -br)).
 */
export function fftInPlace(z: Float64Array, m: number, tw: Float64Array): void {
  if (m >= 4) {
    for (let g = 0; g < 2 * m; g += 8) {
      // Stage 1: (0, 1) and (2, 3).
      const r0 = z[g] + z[g + 2];
      const i0 = z[g + 1] + z[g + 3];
      const r1 = z[g] - z[g + 2];
      const i1 = z[g + 1] - z[g + 3];
      const r2 = z[g + 4] + z[g + 6];
      const i2 = z[g + 5] + z[g + 7];
      const r3 = z[g + 4] - z[g + 6];
      const i3 = z[g + 5] - z[g + 7];
      // Stage 2: (0, 2) with twiddle 1, (1, 3) with -i.
      z[g] = r0 + r2;
      z[g + 1] = i0 + i2;
      z[g + 4] = r0 - r2;
      z[g + 5] = i0 - i2;
      const tr = i3;
      const ti = -r3;
      z[g + 2] = r1 + tr;
      z[g + 3] = i1 + ti;
      z[g + 6] = r1 - tr;
      z[g + 7] = i1 - ti;
    }
  }
  // Later stages two at a time (h and 2h over groups of 4h): the radix-2 butterflies of both stages, in the same
  // order with the same twiddles, with the values kept in registers in between (half the loads and stores).
  // (With m = 2 no pass above ran: its single stage is the radix-2 one below, h = 1.)
  let h = m >= 4 ? 4 : 1;
  for (; 4 * h <= m; h *= 4) {
    const s1 = m / (2 * h);
    const s2 = m / (4 * h);
    for (let g = 0; g < m; g += 4 * h) {
      for (let j = 0; j < h; j++) {
        const i0 = 2 * (g + j);
        const i1 = i0 + 2 * h;
        const i2 = i1 + 2 * h;
        const i3 = i2 + 2 * h;
        let x1r = z[i1];
        let x1i = z[i1 + 1];
        let x3r = z[i3];
        let x3i = z[i3 + 1];
        if (j > 0) {
          // Stage h's twiddle W_2h^j on x1 and x3.
          const wr = tw[2 * j * s1];
          const wi = tw[2 * j * s1 + 1];
          const t1r = x1r * wr + x1i * -wi;
          const t1i = x1i * wr + x1r * wi;
          const t3r = x3r * wr + x3i * -wi;
          const t3i = x3i * wr + x3r * wi;
          x1r = t1r;
          x1i = t1i;
          x3r = t3r;
          x3i = t3i;
        }
        const x0r = z[i0];
        const x0i = z[i0 + 1];
        const x2r = z[i2];
        const x2i = z[i2 + 1];
        const y0r = x0r + x1r;
        const y0i = x0i + x1i;
        const y1r = x0r - x1r;
        const y1i = x0i - x1i;
        let y2r = x2r + x3r;
        let y2i = x2i + x3i;
        const y3r = x2r - x3r;
        const y3i = x2i - x3i;
        if (j > 0) {
          // Stage 2h's twiddle W_4h^j on y2.
          const wr = tw[2 * j * s2];
          const wi = tw[2 * j * s2 + 1];
          const ur = y2r * wr + y2i * -wi;
          const ui = y2i * wr + y2r * wi;
          y2r = ur;
          y2i = ui;
        }
        // And W_4h^(j + h) on y3.
        const vr = tw[2 * (j + h) * s2];
        const vi = tw[2 * (j + h) * s2 + 1];
        const u3r = y3r * vr + y3i * -vi;
        const u3i = y3i * vr + y3r * vi;
        z[i0] = y0r + y2r;
        z[i0 + 1] = y0i + y2i;
        z[i2] = y0r - y2r;
        z[i2 + 1] = y0i - y2i;
        z[i1] = y1r + u3r;
        z[i1 + 1] = y1i + u3i;
        z[i3] = y1r - u3r;
        z[i3 + 1] = y1i - u3i;
      }
    }
  }
  // One radix-2 stage left when the stage count is odd.
  if (h < m) {
    const stride = m / (2 * h);
    for (let g = 0; g < m; g += 2 * h) {
      for (let j = 0; j < h; j++) {
        const a = 2 * (g + j);
        const b = a + 2 * h;
        let tr = z[b];
        let ti = z[b + 1];
        if (j > 0) {
          const wr = tw[2 * j * stride];
          const wi = tw[2 * j * stride + 1];
          const br = tr;
          tr = br * wr + ti * -wi;
          ti = ti * wr + br * wi;
        }
        const ar = z[a];
        const ai = z[a + 1];
        z[a] = ar + tr;
        z[a + 1] = ai + ti;
        z[b] = ar - tr;
        z[b + 1] = ai - ti;
      }
    }
  }
}
