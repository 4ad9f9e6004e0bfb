// Float dense layer: y[n, o] = (sum over i in order of x[n, i] * W[o, i]) + bias[o].
// One invocation per (output feature, clip); z runs over the active-clip list.
struct Params {
  batch: u32,
  inFeatures: u32,
  outFeatures: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> wt: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> clips: array<u32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = gid.x + gid.y * nwg.x * 64u;
  let n = clips[gid.z];
  if (o >= p.outFeatures || n >= p.batch) {
    return;
  }
  var s = 0.0;
  let xb = n * p.inFeatures;
  let wb = o * p.inFeatures;
  for (var i = 0u; i < p.inFeatures; i++) {
    s = s + x[xb + i] * wt[wb + i];
  }
  out[n * p.outFeatures + o] = s + bias[o];
}
