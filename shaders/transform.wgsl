// The affine output transform shared by bconv, conv_real and bdense; src/gpu/shaders.ts appends this file to
// them. It uses the kernel's `p` (act: 0 none, 1 relu, 2 prelu, 3 rprelu; hasResidual), `chan` (mul, add, slope,
// shiftIn, shiftOut as f32 bits, C values each) and `residual`.

fn cf(i: u32) -> f32 {
  return bitcast<f32>(chan[i]);
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
