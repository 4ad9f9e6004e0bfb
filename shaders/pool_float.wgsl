// Max or average pooling on floats (VALID). Average: window sum in ky, kx order, then one division.
// One invocation per output element of one clip; z runs over the active-clip list.
struct Params {
  batch: u32,
  h: u32,
  w: u32,
  c: u32,
  oh: u32,
  ow: u32,
  kh: u32,
  kw: u32,
  sh: u32,
  sw: u32,
  mode: u32, // 0 max, 1 average
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> clips: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  let n = clips[gid.z];
  if (i >= p.oh * p.ow * p.c || n >= p.batch) {
    return;
  }
  let c = i % p.c;
  let pix = i / p.c;
  let oy = pix / p.ow;
  let ox = pix % p.ow;
  // Start from the first element: the same result as starting from -infinity.
  var m = x[((n * p.h + oy * p.sh) * p.w + ox * p.sw) * p.c + c];
  var s = 0.0;
  for (var ky = 0u; ky < p.kh; ky++) {
    let row = (n * p.h + oy * p.sh + ky) * p.w + ox * p.sw;
    for (var kx = 0u; kx < p.kw; kx++) {
      let e = x[(row + kx) * p.c + c];
      m = max(m, e);
      s = s + e;
    }
  }
  out[(n * p.oh * p.ow + pix) * p.c + c] = select(m, s / f32(p.kh * p.kw), p.mode == 1u);
}
