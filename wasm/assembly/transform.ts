// Output transforms (docs/layout.md, "Output transforms") over rows of accumulators, four channels a vector.
//
// A transform is described by a block of i32 words in memory (written once by the host, the residual slot
// rewritten before each call because the residual's storage depends on the clip):
//   0 kind: 0 threshold on i32, 1 threshold on f32, 2 affine on i32, 3 affine on f32
//   1 threshold ptr   2 flip mask ptr (i32 lanes 0 / -1)   3 mul ptr   4 add ptr   5 residual ptr (0 = none)
//   6 activation (0 none, 1 relu, 2 prelu, 3 rprelu)   7 slope ptr   8 shiftIn ptr   9 shiftOut ptr
// Every per-channel array is padded with zeros to a multiple of 8 channels, so whole vectors can be read.

export const T_KIND = 0;
export const T_THRESHOLD = 4;
export const T_FLIP = 8;
export const T_MUL = 12;
export const T_ADD = 16;
export const T_RESIDUAL = 20;
export const T_ACT = 24;
export const T_SLOPE = 28;
export const T_SHIFT_IN = 32;
export const T_SHIFT_OUT = 36;

function activate(y: v128, act: i32, c: usize, tp: usize): v128 {
  if (act == 1) return v128.and(y, f32x4.gt(y, f32x4.splat(0)));
  if (act == 2) {
    const slope = v128.load(load<usize>(tp, T_SLOPE) + (c << 2));
    return v128.bitselect(y, f32x4.mul(slope, y), f32x4.gt(y, f32x4.splat(0)));
  }
  if (act == 3) {
    const z = f32x4.sub(y, v128.load(load<usize>(tp, T_SHIFT_IN) + (c << 2)));
    const slope = v128.load(load<usize>(tp, T_SLOPE) + (c << 2));
    const r = v128.bitselect(z, f32x4.mul(slope, z), f32x4.gt(z, f32x4.splat(0)));
    return f32x4.add(r, v128.load(load<usize>(tp, T_SHIFT_OUT) + (c << 2)));
  }
  return y;
}

/**
 * Writes `pixels` output pixels of `channels` channels from accumulators at `acc` (row stride `accStride`
 * elements) through the transform at `tp`; output pixel `pixelBase + p`. Bits: words(channels) words a pixel;
 * floats: `channels` floats a pixel. Reads up to 3 lanes past a row's end (buffers carry 16 bytes of slack).
 */
export function emitRows(tp: usize, acc: usize, accStride: i32, pixels: i32, channels: i32, out: usize, pixelBase: i32): void {
  const kind = load<i32>(tp, T_KIND);
  const isFloat = (kind & 1) != 0;
  if (kind < 2) {
    const thr = load<usize>(tp, T_THRESHOLD);
    const flip = load<usize>(tp, T_FLIP);
    const words = (channels + 31) >> 5;
    const lastMask: u32 = (channels & 31) == 0 ? 0xffffffff : ((<u32>1 << (channels & 31)) - 1);
    for (let p = 0; p < pixels; p++) {
      const a = acc + (<usize>(p * accStride) << 2);
      const o = out + (<usize>((pixelBase + p) * words) << 2);
      for (let wd = 0; wd < words; wd++) {
        let bits: u32 = 0;
        const cEnd = min(channels - (wd << 5), 32);
        for (let j = 0; j < cEnd; j += 4) {
          const c = <usize>((wd << 5) + j) << 2;
          const v = v128.load(a + c);
          const t = v128.load(thr + c);
          const ge = isFloat ? f32x4.ge(v, t) : i32x4.ge_s(v, t);
          const le = isFloat ? f32x4.le(v, t) : i32x4.le_s(v, t);
          // +1 (bit 0) iff acc >= t, or acc <= t where the channel is flipped.
          const plus = v128.bitselect(le, ge, v128.load(flip + c));
          bits |= <u32>(i32x4.bitmask(v128.not(plus))) << j;
        }
        store<u32>(o + (<usize>wd << 2), wd == words - 1 ? bits & lastMask : bits);
      }
    }
    return;
  }
  const mul = load<usize>(tp, T_MUL);
  const add = load<usize>(tp, T_ADD);
  const residual = load<usize>(tp, T_RESIDUAL);
  const act = load<i32>(tp, T_ACT);
  for (let p = 0; p < pixels; p++) {
    const a = acc + (<usize>(p * accStride) << 2);
    const base = <usize>((pixelBase + p) * channels) << 2;
    for (let c = 0; c < channels; c += 4) {
      const cb = <usize>c << 2;
      let v = v128.load(a + cb);
      if (!isFloat) v = f32x4.convert_i32x4_s(v);
      let y = f32x4.add(f32x4.mul(v, v128.load(mul + cb)), v128.load(add + cb));
      if (residual != 0) y = f32x4.add(y, v128.load(residual + base + cb));
      y = activate(y, act, <usize>c, tp);
      const dst = out + base + cb;
      const left = channels - c;
      if (left >= 4) {
        v128.store(dst, y);
      } else {
        v128.store32_lane(dst, y, 0);
        if (left > 1) v128.store32_lane(dst, y, 1, 4);
        if (left > 2) v128.store32_lane(dst, y, 2, 8);
      }
    }
  }
}
