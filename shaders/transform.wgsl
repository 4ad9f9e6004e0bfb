// The affine output transform shared by bconv, conv_real and bdense; src/gpu/shaders.ts appends this file to
// them. It uses the kernel's `p` (act: 0 none, 1 relu, 2 prelu, 3 rprelu; hasResidual), `chan` (mul, add, slope,
// shiftIn, shiftOut as f32 bits, C values each; a fused pack's threshold and flip after them) and `residual`.

fn cf(i: u32) -> f32 {
  return bitcast<f32>(chan[i]);
}

// The fused pack (p.packOut = 1, affine only): the bit of the next layer's sign for value y of channel o, 1 (-1)
// unless y passes the pack's f32 threshold chan[5C + o] (flip chan[6C + o]); the same test as shaders/pack.wgsl.
fn packBit(y: f32, o: u32, C: u32) -> u32 {
  let t = cf(5u * C + o);
  let plus = select(y >= t, y <= t, chan[6u * C + o] != 0u);
  return select(1u, 0u, plus);
}

// y = acc * mul + add, + residual, then the activation (docs/layout.md, "Output transforms").
fn affine(acc: f32, o: u32, idx: u32, C: u32) -> f32 {
  var y = acc * cf(o) + cf(C + o);
  if (p.hasResidual != 0u) {
    y = y + residual[idx];
  }
  if (p.act == 1u) {
    y = select(0.0, y, y > 0.0);
  } else if (p.act == 2u) {
    y = select(cf(2u * C + o) * y, y, y > 0.0);
  } else if (p.act == 3u) {
    let z = y - cf(3u * C + o);
    y = select(cf(2u * C + o) * z, z, z > 0.0) + cf(4u * C + o);
  }
  return y;
}
