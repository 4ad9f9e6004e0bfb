// Global average pooling to [N, C] floats. Bits: (HW - 2 * ones) / HW (exact integers, one rounding);
// floats: sum over pixels in order, then one division. One invocation per (channel, clip).
struct Params {
  batch: u32,
  hw: u32,
  c: u32,
  words: u32,
  mode: u32, // 0 packed bits, 1 floats
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
// Packed words, or f32 bit patterns when mode is 1.
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> clips: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  let n = clips[gid.z];
  if (c >= p.c || n >= p.batch) {
    return;
  }
  var r: f32;
  if (p.mode == 0u) {
    let wd = c >> 5u;
    let bit = c & 31u;
    var ones = 0u;
    for (var i = 0u; i < p.hw; i++) {
      ones += (x[(n * p.hw + i) * p.words + wd] >> bit) & 1u;
    }
    r = f32(i32(p.hw) - 2 * i32(ones)) / f32(p.hw);
  } else {
    var s = 0.0;
    for (var i = 0u; i < p.hw; i++) {
      s = s + bitcast<f32>(x[(n * p.hw + i) * p.c + c]);
    }
    r = s / f32(p.hw);
  }
  out[n * p.c + c] = r;
}
