// CPU twin of shaders/pack.wgsl: float NHWC -> packed bits through per-channel thresholds.
import type { MapShape } from '../layout/geometry';
import type { ThresholdParams } from '../layout/transform';
import { emitPixel } from './transform';

export function packCpu(x: Float32Array, shape: MapShape, t: ThresholdParams<Float32Array>): Uint32Array {
  const pixels = shape.n * shape.h * shape.w;
  const out = new Uint32Array(pixels * ((shape.c + 31) >>> 5));
  for (let p = 0; p < pixels; p++) {
    emitPixel(x.subarray(p * shape.c, (p + 1) * shape.c), shape.c, p, t, out, null);
  }
  return out;
}
