// Pooling (VALID, floor) and global average pooling, on packed bits and on floats (src/cpu/pool.ts).

import { storePartial } from './util';

/** Max pooling on bits: bitwise AND of the window's words (max of +-1 is +1 unless all are -1). */
export function maxpoolBits(x: usize, h: i32, w: i32, words: i32, kh: i32, kw: i32, sy: i32, sx: i32, oh: i32, ow: i32, out: usize): void {
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      const dst = out + (<usize>((oy * ow + ox) * words) << 2);
      for (let c = 0; c < words; c++) {
        let v: u32 = 0xffffffff;
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            v &= load<u32>(x + (<usize>((((oy * sy + ky) * w) + ox * sx + kx) * words + c) << 2));
          }
        }
        store<u32>(dst + (<usize>c << 2), v);
      }
    }
  }
}

/**
 * Max (mode 0) or average (mode 1) pooling on floats, four channels a vector. f32x4.max, like Math.max,
 * propagates NaN and orders -0 below +0; the average sums in ky, kx order and divides once. Pointers are
 * stepped (the index arithmetic per load cost more than the adds).
 */
export function poolFloat(x: usize, h: i32, w: i32, c: i32, kh: i32, kw: i32, sy: i32, sx: i32, oh: i32, ow: i32, mode: i32, out: usize): void {
  const count = f32x4.splat(<f32>(kh * kw));
  const pixelBytes = <usize>c << 2;
  const rowBytes = <usize>w * pixelBytes;
  let dst = out;
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      const corner = x + <usize>(oy * sy) * rowBytes + <usize>(ox * sx) * pixelBytes;
      let cb: usize = 0;
      if (kh == 2 && kw == 2 && mode != 0) {
        // The 2x2 average of every ReActNet and Bi-Real block, unrolled (same adds, same order).
        for (; cb + 16 <= pixelBytes; cb += 16) {
          const e = corner + cb;
          let v = f32x4.add(f32x4.splat(0), v128.load(e));
          v = f32x4.add(v, v128.load(e + pixelBytes));
          v = f32x4.add(v, v128.load(e + rowBytes));
          v = f32x4.add(v, v128.load(e + rowBytes + pixelBytes));
          v128.store(dst + cb, f32x4.div(v, count));
        }
      }
      for (; cb < pixelBytes; cb += 16) {
        let v = mode == 0 ? f32x4.splat(-Infinity) : f32x4.splat(0);
        let row = corner + cb;
        for (let ky = 0; ky < kh; ky++) {
          let e = row;
          for (let kx = 0; kx < kw; kx++) {
            v = mode == 0 ? f32x4.max(v, v128.load(e)) : f32x4.add(v, v128.load(e));
            e += pixelBytes;
          }
          row += rowBytes;
        }
        if (mode != 0) v = f32x4.div(v, count);
        storePartial(dst + cb, v, c - <i32>(cb >> 2));
      }
      dst += pixelBytes;
    }
  }
}

/** Global average pooling on bits: (HW - 2 * ones) / HW per channel. counts: scratch of c i32. */
export function gapBits(x: usize, hw: i32, c: i32, out: usize, counts: usize): void {
  const words = (c + 31) >> 5;
  for (let ch = 0; ch < c; ch++) store<i32>(counts + (<usize>ch << 2), 0);
  for (let p = 0; p < hw; p++) {
    for (let wd = 0; wd < words; wd++) {
      let v = load<u32>(x + (<usize>(p * words + wd) << 2));
      while (v != 0) {
        const bit = <i32>ctz(v);
        const a = counts + (<usize>((wd << 5) + bit) << 2);
        store<i32>(a, load<i32>(a) + 1);
        v &= v - 1;
      }
    }
  }
  const n = <f32>hw;
  for (let ch = 0; ch < c; ch++) {
    const ones = load<i32>(counts + (<usize>ch << 2));
    store<f32>(out + (<usize>ch << 2), <f32>(hw - 2 * ones) / n);
  }
}

/**
 * Global average pooling on floats: sum over pixels in order, then one division. Four channel vectors at a
 * time, so four add chains run side by side (one chain at a time waited on each add's latency).
 */
export function gapFloat(x: usize, hw: i32, c: i32, out: usize): void {
  const n = f32x4.splat(<f32>hw);
  const pixelBytes = <usize>c << 2;
  let ch = 0;
  for (; ch + 16 <= c; ch += 16) {
    let s0 = f32x4.splat(0);
    let s1 = s0;
    let s2 = s0;
    let s3 = s0;
    let e = x + (<usize>ch << 2);
    for (let p = 0; p < hw; p++) {
      s0 = f32x4.add(s0, v128.load(e));
      s1 = f32x4.add(s1, v128.load(e, 16));
      s2 = f32x4.add(s2, v128.load(e, 32));
      s3 = f32x4.add(s3, v128.load(e, 48));
      e += pixelBytes;
    }
    const dst = out + (<usize>ch << 2);
    v128.store(dst, f32x4.div(s0, n));
    v128.store(dst, f32x4.div(s1, n), 16);
    v128.store(dst, f32x4.div(s2, n), 32);
    v128.store(dst, f32x4.div(s3, n), 48);
  }
  for (; ch < c; ch += 4) {
    let s = f32x4.splat(0);
    let e = x + (<usize>ch << 2);
    for (let p = 0; p < hw; p++) {
      s = f32x4.add(s, v128.load(e));
      e += pixelBytes;
    }
    storePartial(out + (<usize>ch << 2), f32x4.div(s, n), c - ch);
  }
}
