// XNOR-popcount convolution on packed bits (docs/layout.md), one-padding for 'same'.
//
// Per output pixel the window's words are gathered into a patch of l = kh * kw * words words (out-of-map
// pixels are zero words, i.e. +1; the interior copies whole kernel rows). Weights were reorganised by the host
// to [l][opad]: for each patch word, the matching word of every output channel, channels innermost, padded
// with zero words to a multiple of 8 channels. The hot loop vectorises across output channels: one patch word
// is splatted and XORed with 4 weight vectors (16 channels), so each v128 popcount does useful work even at 32
// channels (no padding of K to whole vectors, no horizontal reduction: lane j of vector v is channel 4v + j).
// Popcounts accumulate in u8 lanes (at most 31 words, 8 each, before widening to i32).

import { emitRows } from './transform';

function widen(a: v128): v128 {
  return i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(a));
}

/** Gathers the window of output pixel (oy, ox) into `patch`; out-of-map pixels are +1 (zero words). */
function gather(
  x: usize, h: i32, w: i32, words: i32, kh: i32, kw: i32, iy0: i32, ix0: i32, patch: usize,
): void {
  const rowWords = kw * words;
  if (iy0 >= 0 && ix0 >= 0 && iy0 + kh <= h && ix0 + kw <= w) {
    // Interior: each kernel row is kw * words contiguous words of the input.
    for (let ky = 0; ky < kh; ky++) {
      const src = x + (<usize>(((iy0 + ky) * w + ix0) * words) << 2);
      const dst = patch + (<usize>(ky * rowWords) << 2);
      for (let i = 0; i < rowWords; i++) store<u32>(dst + (<usize>i << 2), load<u32>(src + (<usize>i << 2)));
    }
    return;
  }
  for (let ky = 0; ky < kh; ky++) {
    const iy = iy0 + ky;
    for (let kx = 0; kx < kw; kx++) {
      const ix = ix0 + kx;
      const dst = patch + (<usize>((ky * kw + kx) * words) << 2);
      if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
        const src = x + (<usize>((iy * w + ix) * words) << 2);
        for (let i = 0; i < words; i++) store<u32>(dst + (<usize>i << 2), load<u32>(src + (<usize>i << 2)));
      } else {
        for (let i = 0; i < words; i++) store<u32>(dst + (<usize>i << 2), 0);
      }
    }
  }
}

/** Dot products K - 2m of one patch of `l` words against output channels [0, opad) into `accRow`. */
function dotRow(patch: usize, wt: usize, opad: i32, l: i32, kReal: i32, accRow: usize): void {
  const rowBytes = <usize>opad << 2;
  const kv = i32x4.splat(kReal);
  let g = 0;
  // 16 output channels at a time: each splatted patch word meets 4 weight vectors.
  for (; g + 16 <= opad; g += 16) {
    const wg = wt + (<usize>g << 2);
    let s0 = i32x4.splat(0);
    let s1 = s0;
    let s2 = s0;
    let s3 = s0;
    let t = 0;
    while (t < l) {
      const end = min(t + 31, l);
      let a0 = i8x16.splat(0);
      let a1 = a0;
      let a2 = a0;
      let a3 = a0;
      for (; t < end; t++) {
        const p = v128.load32_splat(patch + (<usize>t << 2));
        const wp = wg + <usize>t * rowBytes;
        a0 = i8x16.add(a0, i8x16.popcnt(v128.xor(p, v128.load(wp))));
        a1 = i8x16.add(a1, i8x16.popcnt(v128.xor(p, v128.load(wp, 16))));
        a2 = i8x16.add(a2, i8x16.popcnt(v128.xor(p, v128.load(wp, 32))));
        a3 = i8x16.add(a3, i8x16.popcnt(v128.xor(p, v128.load(wp, 48))));
      }
      s0 = i32x4.add(s0, widen(a0));
      s1 = i32x4.add(s1, widen(a1));
      s2 = i32x4.add(s2, widen(a2));
      s3 = i32x4.add(s3, widen(a3));
    }
    const r = accRow + (<usize>g << 2);
    v128.store(r, i32x4.sub(kv, i32x4.shl(s0, 1)));
    v128.store(r, i32x4.sub(kv, i32x4.shl(s1, 1)), 16);
    v128.store(r, i32x4.sub(kv, i32x4.shl(s2, 1)), 32);
    v128.store(r, i32x4.sub(kv, i32x4.shl(s3, 1)), 48);
  }
  for (; g < opad; g += 4) {
    const wg = wt + (<usize>g << 2);
    let s0 = i32x4.splat(0);
    let t = 0;
    while (t < l) {
      const end = min(t + 31, l);
      let a0 = i8x16.splat(0);
      for (; t < end; t++) {
        const p = v128.load32_splat(patch + (<usize>t << 2));
        a0 = i8x16.add(a0, i8x16.popcnt(v128.xor(p, v128.load(wg + <usize>t * rowBytes))));
      }
      s0 = i32x4.add(s0, widen(a0));
    }
    v128.store(accRow + (<usize>g << 2), i32x4.sub(kv, i32x4.shl(s0, 1)));
  }
}

/**
 * Binary convolution. x: packed [h, w, words(c)]; wt: [l][opad] reorganised weights; output [oh, ow, o] through
 * the transform at `tp`. scratch: l words of patch (rounded up to 4), then ow * opad i32 accumulators.
 */
export function bconv(
  x: usize, h: i32, w: i32, c: i32,
  wt: usize, o: i32, opad: i32, kh: i32, kw: i32, sy: i32, sx: i32, padTop: i32, padLeft: i32,
  oh: i32, ow: i32, tp: usize, out: usize, scratch: usize,
): void {
  const words = (c + 31) >> 5;
  const l = kh * kw * words;
  const patch = scratch;
  const accRow = scratch + (<usize>((l + 3) & ~3) << 2);
  // Padded pixels are +1 and still count in K (docs/layout.md): dot = K - 2 * mismatches.
  const kReal = kh * kw * c;
  for (let oy = 0; oy < oh; oy++) {
    const iy0 = oy * sy - padTop;
    for (let ox = 0; ox < ow; ox++) {
      gather(x, h, w, words, kh, kw, iy0, ox * sx - padLeft, patch);
      dotRow(patch, wt, opad, l, kReal, accRow + (<usize>(ox * opad) << 2));
    }
    emitRows(tp, accRow, opad, ow, o, out, oy * ow);
  }
}
