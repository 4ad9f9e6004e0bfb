// XNOR-popcount convolution on packed bits (docs/layout.md): dot = K - 2 * popcount(x ^ w), K = kh * kw * C;
// `same` pads with +1 (all-zero words). Output transform: I32 threshold -> packed bits, or affine -> floats.
// Invocation: 4 output pixels along x (one vec4) x 32 output channels (one output word). The window is walked
// as S = kh * kw * words(C) steps (ky, kx, input word), two steps per iteration: per channel the two
// mismatch words go through a carry-save adder (ones, x, y) -> (ones', carry), so one countOneBits serves
// two words (mismatches = 2 * popcount(carries) + popcount(ones)); countOneBits dominates on software adapters.
// Weights come repacked by bconvWeightsForGpu (src/gpu/kernels/conv.ts): [owords][S rounded up to even][32]
// u32, the 32 channels of a step contiguous (8 vec4 loads per step), zero past oc and in the padding step.
// y runs over output words, z over the active-clip list.
// beenet:append transform.wgsl  (the output transform: threshold or affine, see shaders/transform.wgsl)
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
  packOut: u32,     // affine only: also write the packed signs to `signBits` (chan: + pack t, flip)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> wt: array<vec4u>;
// threshold: t (i32) [O], flip [O]; affine: mul, add, slope, shiftIn, shiftOut (f32) [O] each
@group(0) @binding(3) var<storage, read> chan: array<u32>;
@group(0) @binding(4) var<storage, read> residual: array<f32>;
@group(0) @binding(5) var<storage, read> clips: array<u32>;
// packed words when mode is 0, f32 bit patterns when mode is 1
@group(0) @binding(6) var<storage, read_write> out: array<u32>;
// affine + packOut: the same floats in `out`, and their signs through the next layer's pack threshold as packed
// words [N, OH, OW, owords] in `signBits` (the pack dispatch fused away; 16-byte dummy otherwise)
@group(0) @binding(7) var<storage, read_write> signBits: array<u32>;

// cf() and affine() come from shaders/transform.wgsl, appended by src/gpu/shaders.ts.

// Input word cw of the 4 pixels' window tap (ky, kx); padded pixels read as all-zero words (+1).
fn tap(n: u32, oy: u32, oxs: vec4u, ky: u32, kx: u32, cw: u32) -> vec4u {
  let iy = i32(oy * p.sh + ky) - i32(p.padTop);
  let rowIn = iy >= 0 && iy < i32(p.h);
  let row = (n * p.h + u32(select(0, iy, rowIn))) * p.w;
  let ix = vec4i(oxs * p.sw + vec4u(kx)) - vec4i(i32(p.padLeft));
  let inside = (ix >= vec4i(0)) & (ix < vec4i(i32(p.w))) & vec4<bool>(rowIn);
  let b = (vec4u(row) + vec4u(select(vec4i(0), ix, inside))) * p.words + vec4u(cw);
  return select(vec4u(0u), vec4u(x[b.x], x[b.y], x[b.z], x[b.w]), inside);
}

// Carry-save step: ones + x + y = ones' + 2 * carry, bitwise; the carries are counted.
fn csa(ones: ptr<function, vec4u>, carries: ptr<function, vec4u>, a: vec4u, b: vec4u) {
  let u = *ones ^ a;
  *carries += countOneBits((*ones & a) | (u & b));
  *ones = u ^ b;
}

// Threshold bit j (0 = +1) of the 4 pixels for channel ch0 + j; zero past oc.
fn thresholdBit(m: vec4u, ch0: u32, j: u32) -> vec4u {
  let o = ch0 + j;
  let dot = vec4i(i32(p.k)) - 2 * vec4i(m);
  let t = vec4i(bitcast<i32>(chan[o]));
  let plus = select(dot >= t, dot <= t, chan[p.oc + o] != 0u);
  let past = o >= p.oc;
  return select(vec4u(1u << j), vec4u(0u), plus | vec4<bool>(past));
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
  let ch0 = og * 32u;
  let nj = min(32u, p.oc - ch0);
  let steps = p.kh * p.kw * p.words;
  let pairs = (steps + 1u) / 2u;
  // Per channel j: ones o_j and carry count c_j (named: dynamically indexed arrays are slow on software adapters).
  var o0 = vec4u(0u);
  var c0 = vec4u(0u);
  var o1 = vec4u(0u);
  var c1 = vec4u(0u);
  var o2 = vec4u(0u);
  var c2 = vec4u(0u);
  var o3 = vec4u(0u);
  var c3 = vec4u(0u);
  var o4 = vec4u(0u);
  var c4 = vec4u(0u);
  var o5 = vec4u(0u);
  var c5 = vec4u(0u);
  var o6 = vec4u(0u);
  var c6 = vec4u(0u);
  var o7 = vec4u(0u);
  var c7 = vec4u(0u);
  var o8 = vec4u(0u);
  var c8 = vec4u(0u);
  var o9 = vec4u(0u);
  var c9 = vec4u(0u);
  var o10 = vec4u(0u);
  var c10 = vec4u(0u);
  var o11 = vec4u(0u);
  var c11 = vec4u(0u);
  var o12 = vec4u(0u);
  var c12 = vec4u(0u);
  var o13 = vec4u(0u);
  var c13 = vec4u(0u);
  var o14 = vec4u(0u);
  var c14 = vec4u(0u);
  var o15 = vec4u(0u);
  var c15 = vec4u(0u);
  var o16 = vec4u(0u);
  var c16 = vec4u(0u);
  var o17 = vec4u(0u);
  var c17 = vec4u(0u);
  var o18 = vec4u(0u);
  var c18 = vec4u(0u);
  var o19 = vec4u(0u);
  var c19 = vec4u(0u);
  var o20 = vec4u(0u);
  var c20 = vec4u(0u);
  var o21 = vec4u(0u);
  var c21 = vec4u(0u);
  var o22 = vec4u(0u);
  var c22 = vec4u(0u);
  var o23 = vec4u(0u);
  var c23 = vec4u(0u);
  var o24 = vec4u(0u);
  var c24 = vec4u(0u);
  var o25 = vec4u(0u);
  var c25 = vec4u(0u);
  var o26 = vec4u(0u);
  var c26 = vec4u(0u);
  var o27 = vec4u(0u);
  var c27 = vec4u(0u);
  var o28 = vec4u(0u);
  var c28 = vec4u(0u);
  var o29 = vec4u(0u);
  var c29 = vec4u(0u);
  var o30 = vec4u(0u);
  var c30 = vec4u(0u);
  var o31 = vec4u(0u);
  var c31 = vec4u(0u);
  var ky = 0u;
  var kx = 0u;
  var cw = 0u;
  var q = og * pairs * 16u;
  for (var s = 0u; s < pairs; s++) {
    let a = tap(n, oy, oxs, ky, kx, cw);
    cw++;
    if (cw == p.words) { cw = 0u; kx++; if (kx == p.kw) { kx = 0u; ky++; } }
    var b = vec4u(0u);
    if (2u * s + 1u < steps) {
      b = tap(n, oy, oxs, ky, kx, cw);
      cw++;
      if (cw == p.words) { cw = 0u; kx++; if (kx == p.kw) { kx = 0u; ky++; } }
    }
    let w0 = wt[q + 0u];
    let w1 = wt[q + 1u];
    let w2 = wt[q + 2u];
    let w3 = wt[q + 3u];
    let w4 = wt[q + 4u];
    let w5 = wt[q + 5u];
    let w6 = wt[q + 6u];
    let w7 = wt[q + 7u];
    let w8 = wt[q + 8u];
    let w9 = wt[q + 9u];
    let w10 = wt[q + 10u];
    let w11 = wt[q + 11u];
    let w12 = wt[q + 12u];
    let w13 = wt[q + 13u];
    let w14 = wt[q + 14u];
    let w15 = wt[q + 15u];
    q += 16u;
    csa(&o0, &c0, a ^ vec4u(w0.x), b ^ vec4u(w8.x));
    csa(&o1, &c1, a ^ vec4u(w0.y), b ^ vec4u(w8.y));
    csa(&o2, &c2, a ^ vec4u(w0.z), b ^ vec4u(w8.z));
    csa(&o3, &c3, a ^ vec4u(w0.w), b ^ vec4u(w8.w));
    csa(&o4, &c4, a ^ vec4u(w1.x), b ^ vec4u(w9.x));
    csa(&o5, &c5, a ^ vec4u(w1.y), b ^ vec4u(w9.y));
    csa(&o6, &c6, a ^ vec4u(w1.z), b ^ vec4u(w9.z));
    csa(&o7, &c7, a ^ vec4u(w1.w), b ^ vec4u(w9.w));
    csa(&o8, &c8, a ^ vec4u(w2.x), b ^ vec4u(w10.x));
    csa(&o9, &c9, a ^ vec4u(w2.y), b ^ vec4u(w10.y));
    csa(&o10, &c10, a ^ vec4u(w2.z), b ^ vec4u(w10.z));
    csa(&o11, &c11, a ^ vec4u(w2.w), b ^ vec4u(w10.w));
    csa(&o12, &c12, a ^ vec4u(w3.x), b ^ vec4u(w11.x));
    csa(&o13, &c13, a ^ vec4u(w3.y), b ^ vec4u(w11.y));
    csa(&o14, &c14, a ^ vec4u(w3.z), b ^ vec4u(w11.z));
    csa(&o15, &c15, a ^ vec4u(w3.w), b ^ vec4u(w11.w));
    csa(&o16, &c16, a ^ vec4u(w4.x), b ^ vec4u(w12.x));
    csa(&o17, &c17, a ^ vec4u(w4.y), b ^ vec4u(w12.y));
    csa(&o18, &c18, a ^ vec4u(w4.z), b ^ vec4u(w12.z));
    csa(&o19, &c19, a ^ vec4u(w4.w), b ^ vec4u(w12.w));
    csa(&o20, &c20, a ^ vec4u(w5.x), b ^ vec4u(w13.x));
    csa(&o21, &c21, a ^ vec4u(w5.y), b ^ vec4u(w13.y));
    csa(&o22, &c22, a ^ vec4u(w5.z), b ^ vec4u(w13.z));
    csa(&o23, &c23, a ^ vec4u(w5.w), b ^ vec4u(w13.w));
    csa(&o24, &c24, a ^ vec4u(w6.x), b ^ vec4u(w14.x));
    csa(&o25, &c25, a ^ vec4u(w6.y), b ^ vec4u(w14.y));
    csa(&o26, &c26, a ^ vec4u(w6.z), b ^ vec4u(w14.z));
    csa(&o27, &c27, a ^ vec4u(w6.w), b ^ vec4u(w14.w));
    csa(&o28, &c28, a ^ vec4u(w7.x), b ^ vec4u(w15.x));
    csa(&o29, &c29, a ^ vec4u(w7.y), b ^ vec4u(w15.y));
    csa(&o30, &c30, a ^ vec4u(w7.z), b ^ vec4u(w15.z));
    csa(&o31, &c31, a ^ vec4u(w7.w), b ^ vec4u(w15.w));
  }
  let valid = oxs < vec4u(p.ow);
  let pix0 = (n * p.oh + oy) * p.ow + ox0;
  if (p.mode == 0u) {
    // Unrolled: the named accumulators are read with constant indices.
    var bits = thresholdBit(2u * c0 + countOneBits(o0), ch0, 0u);
    bits |= thresholdBit(2u * c1 + countOneBits(o1), ch0, 1u);
    bits |= thresholdBit(2u * c2 + countOneBits(o2), ch0, 2u);
    bits |= thresholdBit(2u * c3 + countOneBits(o3), ch0, 3u);
    bits |= thresholdBit(2u * c4 + countOneBits(o4), ch0, 4u);
    bits |= thresholdBit(2u * c5 + countOneBits(o5), ch0, 5u);
    bits |= thresholdBit(2u * c6 + countOneBits(o6), ch0, 6u);
    bits |= thresholdBit(2u * c7 + countOneBits(o7), ch0, 7u);
    bits |= thresholdBit(2u * c8 + countOneBits(o8), ch0, 8u);
    bits |= thresholdBit(2u * c9 + countOneBits(o9), ch0, 9u);
    bits |= thresholdBit(2u * c10 + countOneBits(o10), ch0, 10u);
    bits |= thresholdBit(2u * c11 + countOneBits(o11), ch0, 11u);
    bits |= thresholdBit(2u * c12 + countOneBits(o12), ch0, 12u);
    bits |= thresholdBit(2u * c13 + countOneBits(o13), ch0, 13u);
    bits |= thresholdBit(2u * c14 + countOneBits(o14), ch0, 14u);
    bits |= thresholdBit(2u * c15 + countOneBits(o15), ch0, 15u);
    bits |= thresholdBit(2u * c16 + countOneBits(o16), ch0, 16u);
    bits |= thresholdBit(2u * c17 + countOneBits(o17), ch0, 17u);
    bits |= thresholdBit(2u * c18 + countOneBits(o18), ch0, 18u);
    bits |= thresholdBit(2u * c19 + countOneBits(o19), ch0, 19u);
    bits |= thresholdBit(2u * c20 + countOneBits(o20), ch0, 20u);
    bits |= thresholdBit(2u * c21 + countOneBits(o21), ch0, 21u);
    bits |= thresholdBit(2u * c22 + countOneBits(o22), ch0, 22u);
    bits |= thresholdBit(2u * c23 + countOneBits(o23), ch0, 23u);
    bits |= thresholdBit(2u * c24 + countOneBits(o24), ch0, 24u);
    bits |= thresholdBit(2u * c25 + countOneBits(o25), ch0, 25u);
    bits |= thresholdBit(2u * c26 + countOneBits(o26), ch0, 26u);
    bits |= thresholdBit(2u * c27 + countOneBits(o27), ch0, 27u);
    bits |= thresholdBit(2u * c28 + countOneBits(o28), ch0, 28u);
    bits |= thresholdBit(2u * c29 + countOneBits(o29), ch0, 29u);
    bits |= thresholdBit(2u * c30 + countOneBits(o30), ch0, 30u);
    bits |= thresholdBit(2u * c31 + countOneBits(o31), ch0, 31u);
    for (var r = 0u; r < 4u; r++) {
      if (valid[r]) {
        out[(pix0 + r) * p.owords + og] = bits[r];
      }
    }
    return;
  }
  let acc = array<vec4u, 32>(2u * c0 + countOneBits(o0), 2u * c1 + countOneBits(o1), 2u * c2 + countOneBits(o2), 2u * c3 + countOneBits(o3), 2u * c4 + countOneBits(o4), 2u * c5 + countOneBits(o5), 2u * c6 + countOneBits(o6), 2u * c7 + countOneBits(o7), 2u * c8 + countOneBits(o8), 2u * c9 + countOneBits(o9), 2u * c10 + countOneBits(o10), 2u * c11 + countOneBits(o11), 2u * c12 + countOneBits(o12), 2u * c13 + countOneBits(o13), 2u * c14 + countOneBits(o14), 2u * c15 + countOneBits(o15), 2u * c16 + countOneBits(o16), 2u * c17 + countOneBits(o17), 2u * c18 + countOneBits(o18), 2u * c19 + countOneBits(o19), 2u * c20 + countOneBits(o20), 2u * c21 + countOneBits(o21), 2u * c22 + countOneBits(o22), 2u * c23 + countOneBits(o23), 2u * c24 + countOneBits(o24), 2u * c25 + countOneBits(o25), 2u * c26 + countOneBits(o26), 2u * c27 + countOneBits(o27), 2u * c28 + countOneBits(o28), 2u * c29 + countOneBits(o29), 2u * c30 + countOneBits(o30), 2u * c31 + countOneBits(o31));
  var signs = vec4u(0u);
  for (var j = 0u; j < nj; j++) {
    let o = ch0 + j;
    let dot = vec4i(i32(p.k)) - 2 * vec4i(acc[j]);
    for (var r = 0u; r < 4u; r++) {
      if (valid[r]) {
        let idx = (pix0 + r) * p.oc + o;
        let y = affine(f32(dot[r]), o, idx, p.oc);
        out[idx] = bitcast<u32>(y);
        if (p.packOut != 0u) {
          signs[r] |= packBit(y, o, p.oc) << j;
        }
      }
    }
  }
  if (p.packOut != 0u) {
    for (var r = 0u; r < 4u; r++) {
      if (valid[r]) {
        signBits[(pix0 + r) * p.owords + og] = signs[r];
      }
    }
  }
}
