// Float NHWC -> packed bits through per-channel threshold and flip (docs/layout.md "threshold").
// One invocation per (pixel, output word) of one clip; z runs over the active-clip list.
struct Params {
  batch: u32,
  pixels: u32,   // H * W of one clip
  channels: u32,
  words: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
// threshold (f32 bits) [C], then flip [C]
@group(0) @binding(2) var<storage, read> chan: array<u32>;
@group(0) @binding(3) var<storage, read> clips: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  let n = clips[gid.z];
  if (i >= p.pixels * p.words || n >= p.batch) {
    return;
  }
  let px = n * p.pixels + i / p.words;
  let wd = i % p.words;
  let c0 = wd * 32u;
  let c1 = min(c0 + 32u, p.channels);
  var bits = 0u;
  for (var c = c0; c < c1; c++) {
    let v = x[px * p.channels + c];
    let t = bitcast<f32>(chan[c]);
    let plus = select(v >= t, v <= t, chan[p.channels + c] != 0u);
    bits |= select(1u << (c - c0), 0u, plus);
  }
  out[px * p.words + wd] = bits;
}
