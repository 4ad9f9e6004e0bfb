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
 * propagates NaN and orders -0 below +0; the average sums in ky, kx order and divides once.
 */
export function poolFloat(x: usize, h: i32, w: i32, c: i32, kh: i32, kw: i32, sy: i32, sx: i32, oh: i32, ow: i32, mode: i32, out: usize): void {
  const count = f32x4.splat(<f32>(kh * kw));
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      const dst = out + (<usize>((oy * ow + ox) * c) << 2);
      for (let ch = 0; ch < c; ch += 4) {
        let v = mode == 0 ? f32x4.splat(-Infinity) : f32x4.splat(0);
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            const e = v128.load(x + (<usize>((((oy * sy + ky) * w) + ox * sx + kx) * c + ch) << 2));
            v = mode == 0 ? f32x4.max(v, e) : f32x4.add(v, e);
          }
        }
        if (mode != 0) v = f32x4.div(v, count);
        storePartial(dst + (<usize>ch << 2), v, c - ch);
      }
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

/** Global average pooling on floats: sum over pixels in order, then one division. */
export function gapFloat(x: usize, hw: i32, c: i32, out: usize): void {
  const n = f32x4.splat(<f32>hw);
  for (let ch = 0; ch < c; ch += 4) {
    let s = f32x4.splat(0);
    for (let p = 0; p < hw; p++) s = f32x4.add(s, v128.load(x + (<usize>(p * c + ch) << 2)));
    storePartial(out + (<usize>ch << 2), f32x4.div(s, n), c - ch);
  }
}
