// Parameter layouts: beenet's tensors (OHWI, packed sign bits, NHWC-flattened dense inputs) rearranged into
// ONNX's (OIHW, +-1 values, NCHW-flattened inputs). Pure array code, no ONNX types.
import { wordsFor } from '../../layout/bits';

/** The +-1 sign of packed bit `c` of a pixel at word offset `base` (bit 0 = +1, bit 1 = -1). */
function signAt(bits: Uint32Array, base: number, c: number): number {
  return (bits[base + (c >>> 5)] >>> (c & 31)) & 1 ? -1 : 1;
}

/** Float OHWI [O, kh, kw, I] -> OIHW, each output channel's filter multiplied by `scale[o]` (exact for +-1). */
export function ohwiToOihw(w: Float32Array, o: number, kh: number, kw: number, i: number, scale?: ArrayLike<number>): Float32Array {
  const out = new Float32Array(o * i * kh * kw);
  for (let a = 0; a < o; a++) {
    const s = scale ? scale[a] : 1;
    for (let y = 0; y < kh; y++) {
      for (let x = 0; x < kw; x++) {
        for (let c = 0; c < i; c++) out[((a * i + c) * kh + y) * kw + x] = w[((a * kh + y) * kw + x) * i + c] * s;
      }
    }
  }
  return out;
}

/** Packed U32 OHWI [O, kh, kw, words(I)] -> +-1 OIHW, each filter multiplied by `scale[o]` (+-1). */
export function unpackOihw(bits: Uint32Array, o: number, kh: number, kw: number, i: number, scale?: ArrayLike<number>): Int8Array {
  const words = wordsFor(i);
  const out = new Int8Array(o * i * kh * kw);
  for (let a = 0; a < o; a++) {
    const s = scale ? scale[a] : 1;
    for (let y = 0; y < kh; y++) {
      for (let x = 0; x < kw; x++) {
        const base = ((a * kh + y) * kw + x) * words;
        for (let c = 0; c < i; c++) out[((a * i + c) * kh + y) * kw + x] = signAt(bits, base, c) * s;
      }
    }
  }
  return out;
}

/** Packed U32 [O, words(I)] -> +-1 [O, I] (row-major), each row multiplied by `scale[o]` (+-1). */
export function unpackRows(bits: Uint32Array, o: number, i: number, scale?: ArrayLike<number>): Int8Array {
  const words = wordsFor(i);
  const out = new Int8Array(o * i);
  for (let a = 0; a < o; a++) {
    const s = scale ? scale[a] : 1;
    for (let c = 0; c < i; c++) out[a * i + c] = signAt(bits, a * words, c) * s;
  }
  return out;
}

/** [rows, cols] -> [cols, rows]. */
export function transpose<T extends Int8Array | Float32Array>(m: T, rows: number, cols: number): T {
  const out = new (m.constructor as new (n: number) => T)(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c];
  return out;
}

/**
 * Dense weights [O, H*W*C] over an NHWC-flattened input -> [O, C*H*W] over the NCHW-flattened input ONNX's
 * Flatten produces (the same dot products, the terms in another order).
 */
export function denseNhwcToNchw(w: Float32Array, o: number, h: number, wd: number, c: number): Float32Array {
  const n = h * wd * c;
  const out = new Float32Array(o * n);
  for (let a = 0; a < o; a++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < wd; x++) {
        for (let k = 0; k < c; k++) out[a * n + (k * h + y) * wd + x] = w[a * n + (y * wd + x) * c + k];
      }
    }
  }
  return out;
}

/** +1 for flip 0, -1 for flip 1: the sign that turns "acc <= t" into "sign * acc >= sign * t". */
export function flipSigns(flip: Uint32Array): Int8Array {
  return Int8Array.from(flip, (f) => (f ? -1 : 1));
}
