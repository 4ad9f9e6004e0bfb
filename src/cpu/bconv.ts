// CPU twin of shaders/bconv.wgsl: XNOR-popcount convolution on packed bits with one-padding.
import { popcount32, wordsFor } from '../layout/bits';
import { convOutput, type ConvGeometry, type MapShape } from '../layout/geometry';
import type { OutputTransform } from '../layout/transform';
import { allocateOutput, emitPixel } from './transform';

export function bconvCpu(
  x: Uint32Array,
  shape: MapShape,
  weights: Uint32Array,
  g: ConvGeometry,
  t: OutputTransform,
): { out: Float32Array | Uint32Array; shape: MapShape } {
  const { shape: os, padTop, padLeft } = convOutput(shape, g);
  const [kh, kw] = g.kernel;
  const words = wordsFor(shape.c);
  // Padded pixels are +1 (all-zero words), so they still count in K: dot = K - 2 * mismatches.
  const k = kh * kw * shape.c;
  const out = allocateOutput(t, os.n * os.h * os.w, os.c);
  const acc = new Int32Array(os.c);
  for (let n = 0; n < os.n; n++) {
    for (let oy = 0; oy < os.h; oy++) {
      for (let ox = 0; ox < os.w; ox++) {
        for (let o = 0; o < os.c; o++) {
          let mismatches = 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * g.stride[0] + ky - padTop;
            const rowInside = iy >= 0 && iy < shape.h;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * g.stride[1] + kx - padLeft;
              const inside = rowInside && ix >= 0 && ix < shape.w;
              const xi = ((n * shape.h + iy) * shape.w + ix) * words;
              const wi = ((o * kh + ky) * kw + kx) * words;
              for (let c = 0; c < words; c++) mismatches += popcount32((inside ? x[xi + c] : 0) ^ weights[wi + c]);
            }
          }
          acc[o] = k - 2 * mismatches;
        }
        const pixel = (n * os.h + oy) * os.w + ox;
        emitPixel(acc, os.c, pixel, t, out instanceof Uint32Array ? out : null, out instanceof Float32Array ? out : null);
      }
    }
  }
  return { out, shape: os };
}
