// Float dense layer, f32x4 across output features (each feature's sum keeps the twin's order over inputs).
// Weights were transposed by the host to [in][opad] with opad a multiple of 16.

import { storePartial } from './util';

export function dense(x: usize, inF: i32, wt: usize, bias: usize, outF: i32, opad: i32, out: usize): void {
  const rowBytes = <usize>opad << 2;
  for (let g = 0; g < opad; g += 16) {
    let s0 = f32x4.splat(0);
    let s1 = s0;
    let s2 = s0;
    let s3 = s0;
    let wp = wt + (<usize>g << 2);
    for (let i = 0; i < inF; i++) {
      const xs = v128.load32_splat(x + (<usize>i << 2));
      s0 = f32x4.add(s0, f32x4.mul(xs, v128.load(wp)));
      s1 = f32x4.add(s1, f32x4.mul(xs, v128.load(wp, 16)));
      s2 = f32x4.add(s2, f32x4.mul(xs, v128.load(wp, 32)));
      s3 = f32x4.add(s3, f32x4.mul(xs, v128.load(wp, 48)));
      wp += rowBytes;
    }
    const b = bias + (<usize>g << 2);
    const dst = out + (<usize>g << 2);
    storePartial(dst, f32x4.add(s0, v128.load(b)), outF - g);
    if (outF - g > 4) storePartial(dst + 16, f32x4.add(s1, v128.load(b, 16)), outF - g - 4);
    if (outF - g > 8) storePartial(dst + 32, f32x4.add(s2, v128.load(b, 32)), outF - g - 8);
    if (outF - g > 12) storePartial(dst + 48, f32x4.add(s3, v128.load(b, 48)), outF - g - 12);
  }
}
