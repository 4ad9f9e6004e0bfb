// CPU twin of shaders/conv_real.wgsl: float convolution (zero padding), OHWI weights, fused output transform.
import { convOutput, type ConvGeometry, type MapShape } from '../layout/geometry';
import type { OutputTransform } from '../layout/transform';
import { allocateOutput, emitPixel } from './transform';

const f = Math.fround;

export function convRealCpu(
  x: Float32Array,
  shape: MapShape,
  weights: Float32Array,
  g: ConvGeometry,
  t: OutputTransform,
): { out: Float32Array | Uint32Array; shape: MapShape } {
  const { shape: os, padTop, padLeft } = convOutput(shape, g);
  const [kh, kw] = g.kernel;
  const out = allocateOutput(t, os.n * os.h * os.w, os.c);
  const acc = new Float32Array(os.c);
  for (let n = 0; n < os.n; n++) {
    for (let oy = 0; oy < os.h; oy++) {
      for (let ox = 0; ox < os.w; ox++) {
        for (let o = 0; o < os.c; o++) {
          let sum = 0;
          // Summation order kh, kw, ci: every backend follows it (docs/layout.md, "Float exactness").
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * g.stride[0] + ky - padTop;
            if (iy < 0 || iy >= shape.h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * g.stride[1] + kx - padLeft;
              if (ix < 0 || ix >= shape.w) continue;
              const xi = ((n * shape.h + iy) * shape.w + ix) * shape.c;
              const wi = ((o * kh + ky) * kw + kx) * shape.c;
              for (let c = 0; c < shape.c; c++) sum = f(sum + f(x[xi + c] * weights[wi + c]));
            }
          }
          acc[o] = sum;
        }
        const pixel = (n * os.h + oy) * os.w + ox;
        emitPixel(acc, os.c, pixel, t, out instanceof Uint32Array ? out : null, out instanceof Float32Array ? out : null);
      }
    }
  }
  return { out, shape: os };
}
