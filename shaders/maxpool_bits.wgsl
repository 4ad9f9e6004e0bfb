// Max pooling on packed bits (VALID): the max of +-1 values is +1 unless all are -1, i.e. a bitwise AND.
// One invocation per (output pixel, word) of one clip; z runs over the active-clip list.
struct Params {
  batch: u32,
  h: u32,
  w: u32,
  words: u32,
  oh: u32,
  ow: u32,
  kh: u32,
  kw: u32,
  sh: u32,
  sw: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> clips: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  let n = clips[gid.z];
  if (i >= p.oh * p.ow * p.words || n >= p.batch) {
    return;
  }
  let wd = i % p.words;
  let pix = i / p.words;
  let oy = pix / p.ow;
  let ox = pix % p.ow;
  var v = 0xffffffffu;
  for (var ky = 0u; ky < p.kh; ky++) {
    let row = (n * p.h + oy * p.sh + ky) * p.w + ox * p.sw;
    for (var kx = 0u; kx < p.kw; kx++) {
      v &= x[(row + kx) * p.words + wd];
    }
  }
  out[(n * p.oh * p.ow + pix) * p.words + wd] = v;
}
