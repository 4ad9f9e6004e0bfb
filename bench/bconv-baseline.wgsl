// XNOR-popcount convolution on packed bits (docs/layout.md): dot = K - 2 * popcount(x ^ w), K = kh * kw * C;
// `same` pads with +1 (all-zero words). Output transform: I32 threshold -> packed bits, or affine -> floats.
// Invocation: 4 output pixels along x x 32 output channels (one output word). Each activation word is loaded
// once and reused for all 32 channels; the 4 pixels ride in one vec4 so each weight word serves 4 pixels.
// y runs over output words, z over the active-clip list.
struct Params {
  batch: u32,
  h: u32,
  w: u32,
  words: u32,
  oh: u32,
  ow: u32,
  oc: u32,
  owords: u32,
  kh: u32,
  kw: u32,
  sh: u32,
  sw: u32,
  padTop: u32,
  padLeft: u32,
  k: u32,           // kh * kw * C
  tilesX: u32,      // ceil(ow / 4)
  mode: u32,        // 0 threshold (I32), 1 affine
  act: u32,         // 0 none, 1 relu, 2 prelu, 3 rprelu
  hasResidual: u32,
  _pad: u32,
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

fn cf(i: u32) -> f32 {
  return bitcast<f32>(chan[i]);
}

fn affine(acc: f32, o: u32, idx: u32) -> f32 {
  let C = p.oc;
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

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n = clips[gid.z];
  let og = gid.y;
  if (gid.x >= p.oh * p.tilesX || n >= p.batch) {
    return;
  }
  let oy = gid.x / p.tilesX;
  let ox0 = (gid.x % p.tilesX) * 4u;
  let oxs = vec4u(ox0, ox0 + 1u, ox0 + 2u, ox0 + 3u);
  let o0 = og * 32u;
  let nj = min(32u, p.oc - o0);
  let wrow = p.kh * p.kw * p.words;
  // 32 named accumulators: dynamically indexed arrays are slow on software adapters.
  var a0 = vec4u(0u);
  var a1 = vec4u(0u);
  var a2 = vec4u(0u);
  var a3 = vec4u(0u);
  var a4 = vec4u(0u);
  var a5 = vec4u(0u);
  var a6 = vec4u(0u);
  var a7 = vec4u(0u);
  var a8 = vec4u(0u);
  var a9 = vec4u(0u);
  var a10 = vec4u(0u);
  var a11 = vec4u(0u);
  var a12 = vec4u(0u);
  var a13 = vec4u(0u);
  var a14 = vec4u(0u);
  var a15 = vec4u(0u);
  var a16 = vec4u(0u);
  var a17 = vec4u(0u);
  var a18 = vec4u(0u);
  var a19 = vec4u(0u);
  var a20 = vec4u(0u);
  var a21 = vec4u(0u);
  var a22 = vec4u(0u);
  var a23 = vec4u(0u);
  var a24 = vec4u(0u);
  var a25 = vec4u(0u);
  var a26 = vec4u(0u);
  var a27 = vec4u(0u);
  var a28 = vec4u(0u);
  var a29 = vec4u(0u);
  var a30 = vec4u(0u);
  var a31 = vec4u(0u);
  for (var ky = 0u; ky < p.kh; ky++) {
    let iy = i32(oy * p.sh + ky) - i32(p.padTop);
    let rowIn = iy >= 0 && iy < i32(p.h);
    let row = (n * p.h + u32(select(0, iy, rowIn))) * p.w;
    for (var kx = 0u; kx < p.kw; kx++) {
      let ix = vec4i(oxs * p.sw + vec4u(kx)) - vec4i(i32(p.padLeft));
      let inside = (ix >= vec4i(0)) & (ix < vec4i(i32(p.w))) & vec4<bool>(rowIn);
      let b = (vec4u(row) + vec4u(select(vec4i(0), ix, inside))) * p.words;
      let wb = o0 * wrow + (ky * p.kw + kx) * p.words;
      for (var cw = 0u; cw < p.words; cw++) {
        // Padded pixels read as all-zero words (+1).
        let a = select(vec4u(0u), vec4u(x[b.x + cw], x[b.y + cw], x[b.z + cw], x[b.w + cw]), inside);
        // Rows past oc (last output word) read other weights or are clamped by robust access; never written.
        var q = wb + cw;
        a0 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a1 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a2 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a3 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a4 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a5 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a6 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a7 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a8 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a9 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a10 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a11 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a12 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a13 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a14 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a15 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a16 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a17 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a18 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a19 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a20 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a21 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a22 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a23 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a24 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a25 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a26 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a27 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a28 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a29 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a30 += countOneBits(a ^ vec4u(wt[q]));
        q += wrow;
        a31 += countOneBits(a ^ vec4u(wt[q]));
      }
    }
  }
  let acc = array<vec4u, 32>(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31);
  let valid = oxs < vec4u(p.ow);
  let pix0 = (n * p.oh + oy) * p.ow + ox0;
  var bits = vec4u(0u);
  for (var j = 0u; j < nj; j++) {
    let o = o0 + j;
    let dot = vec4i(i32(p.k)) - 2 * vec4i(acc[j]);
    if (p.mode == 0u) {
      let t = vec4i(bitcast<i32>(chan[o]));
      let plus = select(dot >= t, dot <= t, chan[p.oc + o] != 0u);
      bits |= select(vec4u(1u << j), vec4u(0u), plus);
    } else {
      for (var q = 0u; q < 4u; q++) {
        if (valid[q]) {
          let idx = (pix0 + q) * p.oc + o;
          out[idx] = bitcast<u32>(affine(f32(dot[q]), o, idx));
        }
      }
    }
  }
  if (p.mode == 0u) {
    for (var q = 0u; q < 4u; q++) {
      if (valid[q]) {
        out[(pix0 + q) * p.owords + og] = bits[q];
      }
    }
  }
}
