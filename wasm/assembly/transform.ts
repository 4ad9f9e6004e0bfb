// Output transforms (docs/layout.md, "Output transforms") over rows of accumulators, four channels a vector.
//
// A transform is described by a block of i32 words in memory (written once by the host, the residual slot
// rewritten before each call because the residual's storage depends on the clip):
//   0 kind: 0 threshold on i32, 1 threshold on f32, 2 affine on i32, 3 affine on f32
//   1 threshold ptr   2 flip mask ptr (i32 lanes 0 / -1; 0 = no channel flipped)   3 mul ptr   4 add ptr   5 residual ptr (0 = none)
//   6 activation (0 none, 1 relu, 2 prelu, 3 rprelu)   7 slope ptr   8 shiftIn ptr   9 shiftOut ptr
// Every per-channel array is padded with zeros to a multiple of 8 channels, so whole vectors can be read.

import { storePartial } from './util';

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

/**
 * Lane masks of the channels at byte offset c that are +1: acc >= t, or acc <= t where the channel is flipped
 * (flip = 0: the host found no flipped channel, so no second comparison).
 */
function plus(a: usize, thr: usize, flip: usize, c: usize, isFloat: bool): v128 {
  const v = v128.load(a + c);
  const t = v128.load(thr + c);
  const ge = isFloat ? f32x4.ge(v, t) : i32x4.ge_s(v, t);
  if (flip == 0) return ge;
  const le = isFloat ? f32x4.le(v, t) : i32x4.le_s(v, t);
  return v128.bitselect(le, ge, v128.load(flip + c));
}

// Affine variants with loops of their own in emitRows.
const GENERAL = 0;
const RESIDUAL_RPRELU = 1;
const RESIDUAL = 2;
const PLAIN = 3;

function activate(y: v128, act: i32, cb: usize, slope: usize, shiftIn: usize, shiftOut: usize): v128 {
  if (act == 1) return v128.and(y, f32x4.gt(y, f32x4.splat(0)));
  if (act == 2) return v128.bitselect(y, f32x4.mul(v128.load(slope + cb), y), f32x4.gt(y, f32x4.splat(0)));
  if (act == 3) return rprelu(y, cb, slope, shiftIn, shiftOut);
  return y;
}

function rprelu(y: v128, cb: usize, slope: usize, shiftIn: usize, shiftOut: usize): v128 {
  const z = f32x4.sub(y, v128.load(shiftIn + cb));
  return f32x4.add(v128.bitselect(z, f32x4.mul(v128.load(slope + cb), z), f32x4.gt(z, f32x4.splat(0))), v128.load(shiftOut + cb));
}

function scaled(a: usize, cb: usize, isFloat: bool, mul: usize, add: usize): v128 {
  let v = v128.load(a + cb);
  if (!isFloat) v = f32x4.convert_i32x4_s(v);
  return f32x4.add(f32x4.mul(v, v128.load(mul + cb)), v128.load(add + cb));
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
        const cEnd = min(channels - (wd << 5), 32);
        const c0 = <usize>(wd << 7);
        let plusBits: u32 = 0;
        if (cEnd == 32) {
          // A whole word: the eight lane masks narrowed to bytes, two bitmasks (a quarter of the per-vector work).
          const lo = i8x16.narrow_i16x8_s(
            i16x8.narrow_i32x4_s(plus(a, thr, flip, c0, isFloat), plus(a, thr, flip, c0 + 16, isFloat)),
            i16x8.narrow_i32x4_s(plus(a, thr, flip, c0 + 32, isFloat), plus(a, thr, flip, c0 + 48, isFloat)),
          );
          const hi = i8x16.narrow_i16x8_s(
            i16x8.narrow_i32x4_s(plus(a, thr, flip, c0 + 64, isFloat), plus(a, thr, flip, c0 + 80, isFloat)),
            i16x8.narrow_i32x4_s(plus(a, thr, flip, c0 + 96, isFloat), plus(a, thr, flip, c0 + 112, isFloat)),
          );
          plusBits = <u32>i8x16.bitmask(lo) | (<u32>i8x16.bitmask(hi) << 16);
        } else {
          for (let j = 0; j < cEnd; j += 4) plusBits |= <u32>i32x4.bitmask(plus(a, thr, flip, c0 + (<usize>j << 2), isFloat)) << j;
        }
        // Bit 1 is -1: the channels that are not +1.
        store<u32>(o + (<usize>wd << 2), ~plusBits & (wd == words - 1 ? lastMask : 0xffffffff));
      }
    }
    return;
  }
  const mul = load<usize>(tp, T_MUL);
  const add = load<usize>(tp, T_ADD);
  const residual = load<usize>(tp, T_RESIDUAL);
  const act = load<i32>(tp, T_ACT);
  const slope = load<usize>(tp, T_SLOPE);
  const shiftIn = load<usize>(tp, T_SHIFT_IN);
  const shiftOut = load<usize>(tp, T_SHIFT_OUT);
  const rowBytes = <usize>channels << 2;
  // The row's whole vectors; the last 1-3 channels go through the general loop, which stores lane by lane.
  const whole = <usize>(channels & ~3) << 2;
  const first = <usize>(pixelBase * channels) << 2;
  // The variants the shipped models use run loops that test nothing per vector (the tests cost 7-12 % of a small
  // binary convolution): residual + RPReLU (every ReActNet binary conv), residual alone (Bi-Real's) and neither
  // (the shortcuts, stems and XNOR-Net's binary convs). Other activations take the general loop.
  const variant = act == 3 ? (residual != 0 ? RESIDUAL_RPRELU : GENERAL) : act == 0 ? (residual != 0 ? RESIDUAL : PLAIN) : GENERAL;
  let dst = out + first;
  let res = residual + first; // read only where residual != 0
  for (let p = 0; p < pixels; p++) {
    const a = acc + (<usize>(p * accStride) << 2);
    let cb: usize = 0;
    if (variant == RESIDUAL_RPRELU) {
      for (; cb < whole; cb += 16) {
        const y = f32x4.add(scaled(a, cb, isFloat, mul, add), v128.load(res + cb));
        v128.store(dst + cb, rprelu(y, cb, slope, shiftIn, shiftOut));
      }
    } else if (variant == RESIDUAL) {
      for (; cb < whole; cb += 16) v128.store(dst + cb, f32x4.add(scaled(a, cb, isFloat, mul, add), v128.load(res + cb)));
    } else if (variant == PLAIN) {
      for (; cb < whole; cb += 16) v128.store(dst + cb, scaled(a, cb, isFloat, mul, add));
    }
    for (; cb < rowBytes; cb += 16) {
      let y = scaled(a, cb, isFloat, mul, add);
      if (residual != 0) y = f32x4.add(y, v128.load(res + cb));
      storePartial(dst + cb, activate(y, act, cb, slope, shiftIn, shiftOut), <i32>((rowBytes - cb) >> 2));
    }
    dst += rowBytes;
    res += rowBytes;
  }
}
