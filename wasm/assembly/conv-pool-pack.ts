// A float convolution, the pooling after it and the sign packing after that, one pooled row at a time: the
// convolution's output lives only in a band of scratch (a few KB, in L1), never as a whole map; the pool's
// output too, unless another layer reads it (a ReactNet shortcut), when it is also written out as floats.
//
// Each step is the unfused kernel's own code on that band (convRow + emitRows, poolFloat, emitRows with the
// pack's threshold), in the same order, so every value and every bit equals the three separate layers.

import { convRow } from './conv';
import { poolFloat } from './pool';
import { emitRows } from './transform';

/**
 * x: [h, w, cin] f32. Convolution as convReal (weights wt, transform tpConv to floats of o channels, output
 * [oh, ow, o]); then pooling (VALID, window pkh x pkw, stride psy x psx, mode as poolFloat) to [ph, pw, o];
 * then the pack transform tpPack to bits. pooledOut: where the pooled floats [ph, pw, o] go as well (0: nowhere,
 * they stay in scratch). scratch: ow * opad f32 accumulators, then a band of pkh rows of
 * ow * o floats, then one pooled row of pw * o floats (each part 16-byte aligned, 16 bytes of slack).
 */
export function convPoolPack(
  x: usize, h: i32, w: i32, cin: i32,
  wt: usize, o: i32, opad: i32, kh: i32, kw: i32, sy: i32, sx: i32, padTop: i32, padLeft: i32, ow: i32,
  tpConv: usize, pkh: i32, pkw: i32, psy: i32, psx: i32, ph: i32, pw: i32, mode: i32, tpPack: usize,
  out: usize, pooledOut: usize, scratch: usize,
): void {
  const acc = scratch;
  const band = acc + withSlack(<usize>(ow * opad) << 2);
  const pooled = band + withSlack(<usize>(pkh * ow * o) << 2);
  for (let py = 0; py < ph; py++) {
    // The pkh convolution rows this pooled row reads, transformed as the convolution layer writes them.
    for (let r = 0; r < pkh; r++) {
      convRow(x, h, w, cin, wt, opad, kh, kw, sy, sx, padTop, padLeft, ow, py * psy + r, acc);
      emitRows(tpConv, acc, opad, ow, o, band, r * ow);
    }
    const row = pooledOut != 0 ? pooledOut + (<usize>(py * pw * o) << 2) : pooled;
    poolFloat(band, pkh, ow, o, pkh, pkw, psy, psx, 1, pw, mode, row);
    emitRows(tpPack, row, o, pw, o, out, py * pw);
  }
}

/** n bytes plus 16 of slack, rounded up to 16. */
function withSlack(n: usize): usize {
  return (n + 31) & ~15;
}
