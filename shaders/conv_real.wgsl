// Float convolution (zero padding), OHWI weights, fused output transform (affine -> floats, or F32
// threshold -> packed bits). Each accumulator sums in kh, kw, ci order like src/cpu/conv-real.ts.
// Invocation: 4 output pixels along x x one output word (32 channels, done 4 at a time in registers);
// y runs over output words, z over the active-clip list.
// beenet:append transform.wgsl  (the output transform: threshold or affine, see shaders/transform.wgsl)
struct Params {
  batch: u32,
  h: u32,
  w: u32,
  c: u32,
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
  tilesX: u32,
  mode: u32,        // 0 threshold (F32), 1 affine
  act: u32,         // 0 none, 1 relu, 2 prelu, 3 rprelu
  hasResidual: u32,
  packOut: u32,     // affine only: also write the packed signs to `signBits` (chan: + pack t, flip)
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> wt: array<f32>;
// threshold: t (f32) [O], flip [O]; affine: mul, add, slope, shiftIn, shiftOut (f32) [O] each
@group(0) @binding(3) var<storage, read> chan: array<u32>;
@group(0) @binding(4) var<storage, read> residual: array<f32>;
@group(0) @binding(5) var<storage, read> clips: array<u32>;
// packed words when mode is 0, f32 bit patterns when mode is 1
@group(0) @binding(6) var<storage, read_write> out: array<u32>;
// affine + packOut: the same floats in `out`, and their signs through the next layer's pack threshold as packed
// words [N, OH, OW, owords] in `signBits` (the pack dispatch fused away; 16-byte dummy otherwise)
@group(0) @binding(7) var<storage, read_write> signBits: array<u32>;

// cf() and affine() come from shaders/transform.wgsl, appended by src/gpu/shaders.ts.

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
  let valid = oxs < vec4u(p.ow);
  let pix0 = (n * p.oh + oy) * p.ow + ox0;
  let wrow = p.kh * p.kw * p.c;
  var signs = vec4u(0u);
  for (var o = og * 32u; o < min(og * 32u + 32u, p.oc); o += 4u) {
    // Four output channels at once; channels past oc repeat the last one and are not written.
    let last = p.oc - 1u;
    let w0 = min(o, last) * wrow;
    let w1 = min(o + 1u, last) * wrow;
    let w2 = min(o + 2u, last) * wrow;
    let w3 = min(o + 3u, last) * wrow;
    var s0 = vec4f(0.0);
    var s1 = vec4f(0.0);
    var s2 = vec4f(0.0);
    var s3 = vec4f(0.0);
    for (var ky = 0u; ky < p.kh; ky++) {
      let iy = i32(oy * p.sh + ky) - i32(p.padTop);
      let rowIn = iy >= 0 && iy < i32(p.h);
      let row = (n * p.h + u32(select(0, iy, rowIn))) * p.w;
      for (var kx = 0u; kx < p.kw; kx++) {
        let ix = vec4i(oxs * p.sw + vec4u(kx)) - vec4i(i32(p.padLeft));
        let inside = (ix >= vec4i(0)) & (ix < vec4i(i32(p.w))) & vec4<bool>(rowIn);
        let b = (vec4u(row) + vec4u(select(vec4i(0), ix, inside))) * p.c;
        let kb = (ky * p.kw + kx) * p.c;
        for (var ci = 0u; ci < p.c; ci++) {
          let wv = vec4f(wt[w0 + kb + ci], wt[w1 + kb + ci], wt[w2 + kb + ci], wt[w3 + kb + ci]);
          let xv = select(vec4f(0.0), vec4f(x[b.x + ci], x[b.y + ci], x[b.z + ci], x[b.w + ci]), inside);
          s0 += xv.x * wv;
          s1 += xv.y * wv;
          s2 += xv.z * wv;
          s3 += xv.w * wv;
        }
      }
    }
    // Rows: pixels; columns: the four channels.
    let acc = mat4x4f(s0, s1, s2, s3);
    for (var j = 0u; j < 4u; j++) {
      let oj = o + j;
      if (oj >= p.oc) {
        break;
      }
      let a = vec4f(acc[0][j], acc[1][j], acc[2][j], acc[3][j]);
      if (p.mode == 0u) {
        let t = vec4f(cf(oj));
        let plus = select(a >= t, a <= t, chan[p.oc + oj] != 0u);
        signs |= select(vec4u(1u << (oj & 31u)), vec4u(0u), plus);
      } else {
        for (var q = 0u; q < 4u; q++) {
          if (valid[q]) {
            let idx = (pix0 + q) * p.oc + oj;
            let y = affine(a[q], oj, idx, p.oc);
            out[idx] = bitcast<u32>(y);
            if (p.packOut != 0u) {
              signs[q] |= packBit(y, oj, p.oc) << (oj & 31u);
            }
          }
        }
      }
    }
  }
  if (p.mode == 0u || p.packOut != 0u) {
    for (var q = 0u; q < 4u; q++) {
      if (valid[q]) {
        if (p.mode == 0u) {
          out[(pix0 + q) * p.owords + og] = signs[q];
        } else {
          signBits[(pix0 + q) * p.owords + og] = signs[q];
        }
      }
    }
  }
}
