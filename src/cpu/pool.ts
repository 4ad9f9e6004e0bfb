// CPU twins of shaders/maxpool_bits.wgsl, shaders/pool_float.wgsl and shaders/gap.wgsl.
import { wordsFor } from '../layout/bits';
import { poolOutput, type MapShape, type Window2d } from '../layout/geometry';

const f = Math.fround;

/** Max pooling on packed bits: the max of +-1 values is +1 unless all are -1, so a bitwise AND of the words. */
export function maxpoolBitsCpu(x: Uint32Array, shape: MapShape, win: Window2d): { out: Uint32Array; shape: MapShape } {
  const os = poolOutput(shape, win);
  const words = wordsFor(shape.c);
  const out = new Uint32Array(os.n * os.h * os.w * words);
  for (let n = 0; n < os.n; n++) {
    for (let oy = 0; oy < os.h; oy++) {
      for (let ox = 0; ox < os.w; ox++) {
        for (let c = 0; c < words; c++) {
          let v = 0xffffffff;
          for (let ky = 0; ky < win.kernel[0]; ky++) {
            for (let kx = 0; kx < win.kernel[1]; kx++) {
              const iy = oy * win.stride[0] + ky;
              const ix = ox * win.stride[1] + kx;
              v &= x[((n * shape.h + iy) * shape.w + ix) * words + c];
            }
          }
          out[((n * os.h + oy) * os.w + ox) * words + c] = v >>> 0;
        }
      }
    }
  }
  return { out, shape: os };
}

/** Max or average pooling on floats (average: window sum in ky, kx order, then one division). */
export function poolFloatCpu(
  x: Float32Array,
  shape: MapShape,
  win: Window2d,
  mode: 'max' | 'avg',
): { out: Float32Array; shape: MapShape } {
  const os = poolOutput(shape, win);
  const out = new Float32Array(os.n * os.h * os.w * os.c);
  const count = win.kernel[0] * win.kernel[1];
  for (let n = 0; n < os.n; n++) {
    for (let oy = 0; oy < os.h; oy++) {
      for (let ox = 0; ox < os.w; ox++) {
        for (let c = 0; c < os.c; c++) {
          let v = mode === 'max' ? -Infinity : 0;
          for (let ky = 0; ky < win.kernel[0]; ky++) {
            for (let kx = 0; kx < win.kernel[1]; kx++) {
              const iy = oy * win.stride[0] + ky;
              const ix = ox * win.stride[1] + kx;
              const e = x[((n * shape.h + iy) * shape.w + ix) * shape.c + c];
              v = mode === 'max' ? Math.max(v, e) : f(v + e);
            }
          }
          out[((n * os.h + oy) * os.w + ox) * os.c + c] = mode === 'max' ? v : f(v / count);
        }
      }
    }
  }
  return { out, shape: os };
}

/** Global average pooling to [n, c]: on bits the mean of +-1 values, (HW - 2 * ones) / HW. */
export function gapBitsCpu(x: Uint32Array, shape: MapShape): Float32Array {
  const words = wordsFor(shape.c);
  const hw = shape.h * shape.w;
  const out = new Float32Array(shape.n * shape.c);
  for (let n = 0; n < shape.n; n++) {
    for (let c = 0; c < shape.c; c++) {
      let ones = 0;
      for (let p = 0; p < hw; p++) ones += (x[(n * hw + p) * words + (c >>> 5)] >>> (c & 31)) & 1;
      out[n * shape.c + c] = f((hw - 2 * ones) / hw);
    }
  }
  return out;
}

/** Global average pooling on floats: sum over pixels in order, then one division. */
export function gapFloatCpu(x: Float32Array, shape: MapShape): Float32Array {
  const hw = shape.h * shape.w;
  const out = new Float32Array(shape.n * shape.c);
  for (let n = 0; n < shape.n; n++) {
    for (let c = 0; c < shape.c; c++) {
      let s = 0;
      for (let p = 0; p < hw; p++) s = f(s + x[(n * hw + p) * shape.c + c]);
      out[n * shape.c + c] = f(s / hw);
    }
  }
  return out;
}


