// Max or average pooling on floats (VALID), fused with the pack that follows it: the pooled floats (exactly
// shaders/pool_float.wgsl's) and their packed signs through the pack's per-channel threshold and flip (exactly
// shaders/pack.wgsl's test), in one dispatch instead of two. One invocation per (output pixel, output word) of
// one clip, its up to 32 channels in order; z runs over the active-clip list.
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
  mode: u32,  // 0 max, 1 average
  words: u32, // words(c)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
// the pack's threshold (f32 bits) [C], then flip [C]
@group(0) @binding(2) var<storage, read> chan: array<u32>;
@group(0) @binding(3) var<storage, read> clips: array<u32>;
// pooled floats [N, OH, OW, C]
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
// their signs, packed [N, OH, OW, words(C)]
@group(0) @binding(5) var<storage, read_write> signBits: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  let n = clips[gid.z];
  if (i >= p.oh * p.ow * p.words || n >= p.batch) {
    return;
  }
  let pix = i / p.words;
  let wd = i % p.words;
  let oy = pix / p.ow;
  let ox = pix % p.ow;
  let c0 = wd * 32u;
  let c1 = min(c0 + 32u, p.c);
  let opix = n * p.oh * p.ow + pix;
  var word = 0u;
  for (var c = c0; c < c1; c++) {
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
    let v = select(m, s / f32(p.kh * p.kw), p.mode == 1u);
    out[opix * p.c + c] = v;
    let t = bitcast<f32>(chan[c]);
    let plus = select(v >= t, v <= t, chan[p.c + c] != 0u);
    word |= select(1u << (c - c0), 0u, plus);
  }
  signBits[opix * p.words + wd] = word;
}
