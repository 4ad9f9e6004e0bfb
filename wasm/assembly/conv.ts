// Real (float) convolution with zero padding, f32x4 across output channels.
//
// Vectorising across output channels keeps each channel's sum in the twin's order (ky, kx, ci, one rounding
// per multiply and per add), so results are bit-exact with src/cpu/conv-real.ts. Taps outside the map are
// skipped, not multiplied by zero, as the twin does (adding 0 * w could turn -0 into +0 or inf into NaN).
// Weights were reorganised by the host to [opad / 8][kh][kw][cin][8]: two vectors of 8 output channels per
// tap and input channel. Interior pixels run 4 at a time (8 accumulators) so each weight load is reused.

import { emitRows } from './transform';

function onePixel(
  x: usize, h: i32, w: i32, cin: i32, wt: usize, opad: i32, kh: i32, kw: i32, iy0: i32, ix0: i32, accRow: usize,
): void {
  const ky0 = max(0, -iy0);
  const ky1 = min(kh, h - iy0);
  const kx0 = max(0, -ix0);
  const kx1 = min(kw, w - ix0);
  const groupBytes = <usize>(kh * kw * cin) << 5;
  let g = 0;
  // 16 channels (two weight groups) at a time: four independent add chains hide the f32 add latency.
  for (; g + 16 <= opad; g += 16) {
    const wg = wt + <usize>(g >> 3) * groupBytes;
    let s0 = f32x4.splat(0);
    let s1 = s0;
    let s2 = s0;
    let s3 = s0;
    for (let ky = ky0; ky < ky1; ky++) {
      for (let kx = kx0; kx < kx1; kx++) {
        const xp = x + (<usize>(((iy0 + ky) * w + ix0 + kx) * cin) << 2);
        const wp = wg + (<usize>((ky * kw + kx) * cin) << 5);
        for (let ci = 0; ci < cin; ci++) {
          const xs = v128.load32_splat(xp + (<usize>ci << 2));
          const wo = wp + (<usize>ci << 5);
          s0 = f32x4.add(s0, f32x4.mul(xs, v128.load(wo)));
          s1 = f32x4.add(s1, f32x4.mul(xs, v128.load(wo, 16)));
          s2 = f32x4.add(s2, f32x4.mul(xs, v128.load(wo + groupBytes)));
          s3 = f32x4.add(s3, f32x4.mul(xs, v128.load(wo + groupBytes, 16)));
        }
      }
    }
    const r = accRow + (<usize>g << 2);
    v128.store(r, s0);
    v128.store(r, s1, 16);
    v128.store(r, s2, 32);
    v128.store(r, s3, 48);
  }
  for (; g < opad; g += 8) {
    const wg = wt + <usize>(g >> 3) * groupBytes;
    let s0 = f32x4.splat(0);
    let s1 = s0;
    for (let ky = ky0; ky < ky1; ky++) {
      for (let kx = kx0; kx < kx1; kx++) {
        const xp = x + (<usize>(((iy0 + ky) * w + ix0 + kx) * cin) << 2);
        const wp = wg + (<usize>((ky * kw + kx) * cin) << 5);
        for (let ci = 0; ci < cin; ci++) {
          const xs = v128.load32_splat(xp + (<usize>ci << 2));
          const wo = wp + (<usize>ci << 5);
          s0 = f32x4.add(s0, f32x4.mul(xs, v128.load(wo)));
          s1 = f32x4.add(s1, f32x4.mul(xs, v128.load(wo, 16)));
        }
      }
    }
    v128.store(accRow + (<usize>g << 2), s0);
    v128.store(accRow + (<usize>g << 2), s1, 16);
  }
}

/** Eight channels of four pixels (a: the first pixel, ..., d: the fourth) into rows `accStep` bytes apart. */
function storeFourPixels(r: usize, accStep: usize, a0: v128, a1: v128, b0: v128, b1: v128, c0: v128, c1: v128, d0: v128, d1: v128): void {
  v128.store(r, a0);
  v128.store(r, a1, 16);
  v128.store(r + accStep, b0);
  v128.store(r + accStep, b1, 16);
  v128.store(r + 2 * accStep, c0);
  v128.store(r + 2 * accStep, c1, 16);
  v128.store(r + 3 * accStep, d0);
  v128.store(r + 3 * accStep, d1, 16);
}

/** Four horizontally adjacent interior pixels (every tap inside the map). */
function fourPixels(
  x: usize, w: i32, cin: i32, wt: usize, opad: i32, kh: i32, kw: i32, sx: i32, iy0: i32, ix0: i32, accRow: usize,
): void {
  const groupBytes = <usize>(kh * kw * cin) << 5;
  const step = <usize>(sx * cin) << 2;
  const accStep = <usize>opad << 2;
  for (let g = 0; g < opad; g += 8) {
    const wg = wt + <usize>(g >> 3) * groupBytes;
    let a0 = f32x4.splat(0);
    let a1 = a0;
    let b0 = a0;
    let b1 = a0;
    let c0 = a0;
    let c1 = a0;
    let d0 = a0;
    let d1 = a0;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        const xp = x + (<usize>(((iy0 + ky) * w + ix0 + kx) * cin) << 2);
        const wp = wg + (<usize>((ky * kw + kx) * cin) << 5);
        for (let ci = 0; ci < cin; ci++) {
          const wo = wp + (<usize>ci << 5);
          const w0 = v128.load(wo);
          const w1 = v128.load(wo, 16);
          const xa = xp + (<usize>ci << 2);
          let xs = v128.load32_splat(xa);
          a0 = f32x4.add(a0, f32x4.mul(xs, w0));
          a1 = f32x4.add(a1, f32x4.mul(xs, w1));
          xs = v128.load32_splat(xa + step);
          b0 = f32x4.add(b0, f32x4.mul(xs, w0));
          b1 = f32x4.add(b1, f32x4.mul(xs, w1));
          xs = v128.load32_splat(xa + 2 * step);
          c0 = f32x4.add(c0, f32x4.mul(xs, w0));
          c1 = f32x4.add(c1, f32x4.mul(xs, w1));
          xs = v128.load32_splat(xa + 3 * step);
          d0 = f32x4.add(d0, f32x4.mul(xs, w0));
          d1 = f32x4.add(d1, f32x4.mul(xs, w1));
        }
      }
    }
    storeFourPixels(accRow + (<usize>g << 2), accStep, a0, a1, b0, b1, c0, c1, d0, d1);
  }
}

/**
 * fourPixels for one input channel (the stems): the same sums in the same order, without the channel loop and
 * with pointers stepped instead of recomputed per tap (the loop overhead was about a third of the work).
 */
function fourPixelsC1(
  x: usize, w: i32, wt: usize, opad: i32, kh: i32, kw: i32, sx: i32, iy0: i32, ix0: i32, accRow: usize,
): void {
  const groupBytes = <usize>(kh * kw) << 5;
  const step = <usize>sx << 2;
  const rowBytes = <usize>w << 2;
  const accStep = <usize>opad << 2;
  const x0 = x + (<usize>(iy0 * w + ix0) << 2);
  for (let g = 0; g < opad; g += 8) {
    let wp = wt + <usize>(g >> 3) * groupBytes;
    let a0 = f32x4.splat(0);
    let a1 = a0;
    let b0 = a0;
    let b1 = a0;
    let c0 = a0;
    let c1 = a0;
    let d0 = a0;
    let d1 = a0;
    let xr = x0;
    for (let ky = 0; ky < kh; ky++) {
      let xp = xr;
      for (let kx = 0; kx < kw; kx++) {
        const w0 = v128.load(wp);
        const w1 = v128.load(wp, 16);
        let xs = v128.load32_splat(xp);
        a0 = f32x4.add(a0, f32x4.mul(xs, w0));
        a1 = f32x4.add(a1, f32x4.mul(xs, w1));
        xs = v128.load32_splat(xp + step);
        b0 = f32x4.add(b0, f32x4.mul(xs, w0));
        b1 = f32x4.add(b1, f32x4.mul(xs, w1));
        xs = v128.load32_splat(xp + 2 * step);
        c0 = f32x4.add(c0, f32x4.mul(xs, w0));
        c1 = f32x4.add(c1, f32x4.mul(xs, w1));
        xs = v128.load32_splat(xp + 3 * step);
        d0 = f32x4.add(d0, f32x4.mul(xs, w0));
        d1 = f32x4.add(d1, f32x4.mul(xs, w1));
        wp += 32;
        xp += 4;
      }
      xr += rowBytes;
    }
    storeFourPixels(accRow + (<usize>g << 2), accStep, a0, a1, b0, b1, c0, c1, d0, d1);
  }
}

/**
 * One output row `oy` of the convolution into `accRow` (ow * opad f32 accumulators, before the transform).
 * Interior columns (every tap inside the map) run four at a time.
 */
export function convRow(
  x: usize, h: i32, w: i32, cin: i32,
  wt: usize, opad: i32, kh: i32, kw: i32, sy: i32, sx: i32, padTop: i32, padLeft: i32,
  ow: i32, oy: i32, accRow: usize,
): void {
  // Interior columns: ox * sx - padLeft >= 0 and ox * sx - padLeft + kw <= w.
  const oxLo = (padLeft + sx - 1) / sx;
  const oxHi = w - kw + padLeft >= 0 ? (w - kw + padLeft) / sx : -1;
  const iy0 = oy * sy - padTop;
  const rowInside = iy0 >= 0 && iy0 + kh <= h;
  let ox = 0;
  while (ox < ow) {
    // Four interior pixels at a time. With three left, the last group starts one early and recomputes a pixel
    // already done (the same sums, so the same values); one or two left cost less one at a time than a whole
    // group (the kws stem's rows have nine interior pixels: the overlapping group computed twelve).
    const left = oxHi - ox + 1;
    const start = left >= 4 ? ox : oxHi - 3;
    if (rowInside && ox >= oxLo && left >= 3 && start >= oxLo) {
      const at = accRow + (<usize>(start * opad) << 2);
      const ix0 = start * sx - padLeft;
      if (cin == 1) fourPixelsC1(x, w, wt, opad, kh, kw, sx, iy0, ix0, at);
      else fourPixels(x, w, cin, wt, opad, kh, kw, sx, iy0, ix0, at);
      ox = start + 4;
    } else {
      onePixel(x, h, w, cin, wt, opad, kh, kw, iy0, ox * sx - padLeft, accRow + (<usize>(ox * opad) << 2));
      ox += 1;
    }
  }
}

/**
 * Float convolution. x: [h, w, cin] f32; wt: reorganised weights (see above), opad a multiple of 8; output
 * [oh, ow, o] through the transform at `tp`. scratch: ow * opad f32 accumulators (16-byte aligned).
 */
export function convReal(
  x: usize, h: i32, w: i32, cin: i32,
  wt: usize, o: i32, opad: i32, kh: i32, kw: i32, sy: i32, sx: i32, padTop: i32, padLeft: i32,
  oh: i32, ow: i32, tp: usize, out: usize, scratch: usize,
): void {
  for (let oy = 0; oy < oh; oy++) {
    convRow(x, h, w, cin, wt, opad, kh, kw, sy, sx, padTop, padLeft, ow, oy, scratch);
    emitRows(tp, scratch, opad, ow, o, out, oy * ow);
  }
}
