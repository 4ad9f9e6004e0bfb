// CPU twins of shaders/dense.wgsl (float) and shaders/bdense.wgsl (binary).
import { popcount32, wordsFor } from '../layout/bits';
import type { OutputTransform } from '../layout/transform';
import { allocateOutput, emitPixel } from './transform';

const f = Math.fround;

/** y[n, o] = sum_i x[n, i] * W[o, i] (in i order) + bias[o]. */
export function denseCpu(x: Float32Array, n: number, inFeatures: number, weights: Float32Array, bias: Float32Array): Float32Array {
  const outFeatures = bias.length;
  const out = new Float32Array(n * outFeatures);
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < outFeatures; o++) {
      let s = 0;
      for (let i = 0; i < inFeatures; i++) s = f(s + f(x[b * inFeatures + i] * weights[o * inFeatures + i]));
      out[b * outFeatures + o] = f(s + bias[o]);
    }
  }
  return out;
}

/** Binary dense: acc = I - 2 * popcount(x ^ w) over packed inputs, then the output transform. */
export function bdenseCpu(
  x: Uint32Array,
  n: number,
  inFeatures: number,
  weights: Uint32Array,
  outFeatures: number,
  t: OutputTransform,
): Float32Array | Uint32Array {
  const words = wordsFor(inFeatures);
  const out = allocateOutput(t, n, outFeatures);
  const acc = new Int32Array(outFeatures);
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < outFeatures; o++) {
      let m = 0;
      for (let c = 0; c < words; c++) m += popcount32(x[b * words + c] ^ weights[o * words + c]);
      acc[o] = inFeatures - 2 * m;
    }
    emitPixel(acc, outFeatures, b, t, out instanceof Uint32Array ? out : null, out instanceof Float32Array ? out : null);
  }
  return out;
}
