// Binary dense layer: acc = I - 2 * popcount(x ^ w) over packed inputs, then the output transform
// (threshold -> packed bits, one invocation per output word; affine -> floats). z runs over the active list.
// beenet:append transform.wgsl  (the output transform: threshold or affine, see shaders/transform.wgsl)
struct Params {
  batch: u32,
  inFeatures: u32,
  inWords: u32,
  outFeatures: u32,
  outWords: u32,
  mode: u32,        // 0 threshold, 1 affine
  act: u32,         // 0 none, 1 relu, 2 prelu, 3 rprelu
  hasResidual: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> wt: array<u32>;
// threshold: t (i32) [O], flip [O]; affine: mul, add, slope, shiftIn, shiftOut (f32) [O] each
@group(0) @binding(3) var<storage, read> chan: array<u32>;
@group(0) @binding(4) var<storage, read> residual: array<f32>;
@group(0) @binding(5) var<storage, read> clips: array<u32>;
// packed words when mode is 0, f32 bit patterns when mode is 1
@group(0) @binding(6) var<storage, read_write> out: array<u32>;

// cf() and affine() come from shaders/transform.wgsl, appended by src/gpu/shaders.ts.

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let og = gid.x;
  let n = clips[gid.z];
  if (og >= p.outWords || n >= p.batch) {
    return;
  }
  let o0 = og * 32u;
  let o1 = min(o0 + 32u, p.outFeatures);
  let xb = n * p.inWords;
  var bits = 0u;
  for (var o = o0; o < o1; o++) {
    var m = 0u;
    let wb = o * p.inWords;
    for (var c = 0u; c < p.inWords; c++) {
      m += countOneBits(x[xb + c] ^ wt[wb + c]);
    }
    let acc = i32(p.inFeatures) - 2 * i32(m);
    if (p.mode == 0u) {
      let t = bitcast<i32>(chan[o]);
      let plus = select(acc >= t, acc <= t, chan[p.outFeatures + o] != 0u);
      bits |= select(1u << (o - o0), 0u, plus);
    } else {
      let idx = n * p.outFeatures + o;
      out[idx] = bitcast<u32>(affine(f32(acc), o, idx, p.outFeatures));
    }
  }
  if (p.mode == 0u) {
    out[n * p.outWords + og] = bits;
  }
}
