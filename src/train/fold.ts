// Folding trained batch norm / scales into the runtime's output transforms, and packing binary weights.
// Pure functions (no tfjs), unit-tested in test/train/fold.test.ts.

/** Batch-norm parameters of C channels: y = (x - mean) / sqrt(var + eps) * gamma + beta. */
export interface BnParams {
  gamma: Float32Array;
  beta: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  epsilon: number;
}

export interface IntThreshold {
  threshold: Int32Array;
  flip: Uint32Array;
}

export interface FloatThreshold {
  threshold: Float32Array;
  flip: Uint32Array;
}

/** Largest finite f32 (thresholds must be finite in a `.bee` file). */
const F32_MAX = 3.4028234663852886e38;

/**
 * sign(BN(acc)) for an integer accumulator |acc| <= k, as `acc >= t` (flip 0) or `acc <= t` (flip 1).
 * With s = gamma / sqrt(var + eps): BN(acc) >= 0  <=>  s * (acc - mean) + beta >= 0.
 *   s > 0: acc >= mean - beta / s, so t = ceil(mean - beta / s);
 *   s < 0: the inequality flips: acc <= mean - beta / s, so t = floor(...), flip 1;
 *   s = 0: a constant: +1 iff beta >= 0 (t = -k - 1 always passes, t = k + 1 never does).
 */
export function foldBnSignInt(bn: BnParams, k: number): IntThreshold {
  const c = bn.gamma.length;
  const threshold = new Int32Array(c);
  const flip = new Uint32Array(c);
  for (let i = 0; i < c; i++) {
    const s = bn.gamma[i] / Math.sqrt(bn.variance[i] + bn.epsilon);
    if (s === 0 || !Number.isFinite(s)) {
      threshold[i] = bn.beta[i] >= 0 ? -k - 1 : k + 1;
      continue;
    }
    const v = bn.mean[i] - bn.beta[i] / s;
    // Beyond +-(k+1) every accumulator is on one side: clamp (also keeps the value an i32).
    const clamp = (t: number): number => Math.max(-k - 1, Math.min(k + 1, t));
    if (s > 0) threshold[i] = clamp(Math.ceil(v));
    else {
      threshold[i] = clamp(Math.floor(v));
      flip[i] = 1;
    }
  }
  return { threshold, flip };
}

/** sign(BN(x)) for a float x, as `x >= t` (flip 0) or `x <= t` (flip 1); constant channels use +-F32_MAX. */
export function foldBnSignFloat(bn: BnParams): FloatThreshold {
  const c = bn.gamma.length;
  const threshold = new Float32Array(c);
  const flip = new Uint32Array(c);
  for (let i = 0; i < c; i++) {
    const s = bn.gamma[i] / Math.sqrt(bn.variance[i] + bn.epsilon);
    if (s === 0 || !Number.isFinite(s)) {
      threshold[i] = bn.beta[i] >= 0 ? -F32_MAX : F32_MAX;
      continue;
    }
    threshold[i] = Math.max(-F32_MAX, Math.min(F32_MAX, bn.mean[i] - bn.beta[i] / s));
    flip[i] = s < 0 ? 1 : 0;
  }
  return { threshold, flip };
}

/** BN(acc * scale + bias) as acc * mul + add (scale, bias optional per-channel vectors). */
export function foldBnAffine(bn: BnParams, scale?: Float32Array, bias?: Float32Array): { mul: Float32Array; add: Float32Array } {
  const c = bn.gamma.length;
  const mul = new Float32Array(c);
  const add = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    const s = bn.gamma[i] / Math.sqrt(bn.variance[i] + bn.epsilon);
    const a = scale ? scale[i] : 1;
    const b = bias ? bias[i] : 0;
    mul[i] = s * a;
    add[i] = (b - bn.mean[i]) * s + bn.beta[i];
  }
  return { mul, add };
}

/**
 * Packs HWIO float weights [kh, kw, I, O] (tfjs layout) as sign bits in OHWI u32 words [O, kh, kw, ceil(I/32)]:
 * bit 0 = +1 (w >= 0), bit 1 = -1, channel i in word i >> 5, bit i & 31; unused bits stay 0.
 */
export function packWeightsHwio(w: Float32Array, kh: number, kw: number, inC: number, outC: number): Uint32Array {
  const words = Math.ceil(inC / 32);
  const out = new Uint32Array(outC * kh * kw * words);
  for (let o = 0; o < outC; o++) {
    for (let y = 0; y < kh; y++) {
      for (let x = 0; x < kw; x++) {
        for (let i = 0; i < inC; i++) {
          if (w[((y * kw + x) * inC + i) * outC + o] < 0) out[((o * kh + y) * kw + x) * words + (i >>> 5)] |= 1 << (i & 31);
        }
      }
    }
  }
  return out;
}

/** HWIO [kh, kw, I, O] floats to OHWI. */
export function hwioToOhwi(w: Float32Array, kh: number, kw: number, inC: number, outC: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let o = 0; o < outC; o++) {
    for (let y = 0; y < kh; y++) {
      for (let x = 0; x < kw; x++) {
        for (let i = 0; i < inC; i++) out[((o * kh + y) * kw + x) * inC + i] = w[((y * kw + x) * inC + i) * outC + o];
      }
    }
  }
  return out;
}

/** Dense [I, O] (tfjs matMul layout) to the runtime's [O, I]. */
export function transposeDense(w: Float32Array, inF: number, outF: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let i = 0; i < inF; i++) for (let o = 0; o < outF; o++) out[o * inF + i] = w[i * outF + o];
  return out;
}

/** XNOR-Net's per-output-channel alpha = mean |W| of HWIO weights. */
export function meanAbsPerOutput(w: Float32Array, outC: number): Float32Array {
  const sum = new Float64Array(outC);
  for (let j = 0; j < w.length; j++) sum[j % outC] += Math.abs(w[j]);
  const n = w.length / outC;
  return Float32Array.from(sum, (s) => s / n);
}

/** HWIO weights with each output channel's mean subtracted (f32, as tfjs computes w - mean(w)). */
export function centrePerOutput(w: Float32Array, outC: number): Float32Array {
  const sum = new Float32Array(outC);
  const f = Math.fround;
  for (let j = 0; j < w.length; j++) sum[j % outC] = f(sum[j % outC] + w[j]);
  const n = w.length / outC;
  return Float32Array.from(w, (v, j) => f(v - f(sum[j % outC] / n)));
}
