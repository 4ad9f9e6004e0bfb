// The output transforms, one element at a time, in f32 arithmetic (Math.fround after every operation, as a
// GPU without fused multiply-add computes it).
import type { AffineParams, ThresholdParams } from '../layout/transform';

const f = Math.fround;

/** The packed bit (0 = +1, 1 = -1) for accumulator `acc` of channel `c`. */
export function thresholdBit(acc: number, c: number, t: ThresholdParams): number {
  const plus = t.flip[c] ? acc <= t.threshold[c] : acc >= t.threshold[c];
  return plus ? 0 : 1;
}

/** The float output for accumulator `acc` of channel `c`; `index` is the element's offset in the output. */
export function affineValue(acc: number, c: number, index: number, t: AffineParams): number {
  let y = f(f(f(acc) * t.mul[c]) + t.add[c]);
  if (t.residual) y = f(y + t.residual[index]);
  const a = t.activation;
  switch (a.kind) {
    case 'none':
      return y;
    case 'relu':
      return y > 0 ? y : 0;
    case 'prelu':
      return y > 0 ? y : f(a.slope[c] * y);
    case 'rprelu': {
      const z = f(y - a.shiftIn[c]);
      return f((z > 0 ? z : f(a.slope[c] * z)) + a.shiftOut[c]);
    }
  }
}

/**
 * Writes channel accumulators of one output pixel through the transform: bits into `bitsOut` at word offset
 * `pixel * words`, or floats into `floatOut` at `pixel * channels`.
 */
export function emitPixel(
  acc: ArrayLike<number>,
  channels: number,
  pixel: number,
  t: ThresholdParams | AffineParams,
  bitsOut: Uint32Array | null,
  floatOut: Float32Array | null,
): void {
  if (t.kind === 'threshold') {
    const words = (channels + 31) >>> 5;
    for (let c = 0; c < channels; c++) {
      if (thresholdBit(acc[c], c, t)) bitsOut![pixel * words + (c >>> 5)] |= 1 << (c & 31);
    }
  } else {
    for (let c = 0; c < channels; c++) {
      floatOut![pixel * channels + c] = affineValue(acc[c], c, pixel * channels + c, t);
    }
  }
}

/** Allocates the output of a transform over `pixels` pixels of `channels` channels. */
export function allocateOutput(t: ThresholdParams | AffineParams, pixels: number, channels: number): Float32Array | Uint32Array {
  return t.kind === 'threshold' ? new Uint32Array(pixels * ((channels + 31) >>> 5)) : new Float32Array(pixels * channels);
}
