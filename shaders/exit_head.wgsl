// A whole exit head in one dispatch: the pooling (global average on packed bits or floats, exactly shaders/gap.wgsl;
// or an average over a grid of th x tw cells of kh x kw pixels on floats, exactly shaders/pool_float.wgsl's average
// with window = stride), the float dense layer on the NHWC-flattened pooled values (exactly shaders/dense.wgsl's sum,
// in input order, then + bias) and the exit record (exactly shaders/exit_result.wgsl) instead of three. One
// workgroup per clip: its 64 lanes pool into workgroup memory, then compute the logits, then lane 0 writes the
// record. z runs over the active-clip list. Sizes: at most 1024 pooled values and 256 classes (the host function
// refuses more; the executor then runs the three kernels).
struct Params {
  batch: u32,
  h: u32,        // the map's rows
  w: u32,        // and columns
  c: u32,        // its channels
  words: u32,    // words(c)
  mode: u32,     // 0 packed bits (global average), 1 floats
  classes: u32,  // the dense layer's outputs
  kh: u32,       // a cell's rows and columns (the whole map for a global average)
  kw: u32,
  th: u32,       // cells down and across (1 x 1 for a global average)
  tw: u32,
  features: u32, // th * tw * c = the dense layer's inputs
}

@group(0) @binding(0) var<uniform> p: Params;
// Packed words, or f32 bit patterns when mode is 1: [N, h, w, words or c]
@group(0) @binding(1) var<storage, read> x: array<u32>;
// dense weights [classes, features], bias [classes]
@group(0) @binding(2) var<storage, read> wt: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> clips: array<u32>;
// [N, classes + 3]: logits, entropy / ln(classes), max probability, argmax (docs/layout.md)
@group(0) @binding(5) var<storage, read_write> records: array<f32>;

const MAX_FEATURES = 1024u;
const MAX_CLASSES = 256u;
var<workgroup> pooled: array<f32, MAX_FEATURES>;
var<workgroup> logits: array<f32, MAX_CLASSES>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let n = clips[wg.z];
  // n is the same for the whole workgroup, so this return keeps the barriers below in uniform control flow.
  if (n >= p.batch) {
    return;
  }
  for (var f = li; f < p.features; f += 64u) {
    var r: f32;
    if (p.mode == 0u) {
      let hw = p.h * p.w;
      let wd = f >> 5u;
      let bit = f & 31u;
      var ones = 0u;
      for (var i = 0u; i < hw; i++) {
        ones += (x[(n * hw + i) * p.words + wd] >> bit) & 1u;
      }
      r = f32(i32(hw) - 2 * i32(ones)) / f32(hw);
    } else {
      // Pooled value f is channel f % c of cell f / c (row-major cells: NHWC).
      let c = f % p.c;
      let cell = f / p.c;
      let y0 = (cell / p.tw) * p.kh;
      let x0 = (cell % p.tw) * p.kw;
      var s = 0.0;
      for (var ky = 0u; ky < p.kh; ky++) {
        let row = (n * p.h + y0 + ky) * p.w + x0;
        for (var kx = 0u; kx < p.kw; kx++) {
          s = s + bitcast<f32>(x[(row + kx) * p.c + c]);
        }
      }
      r = s / f32(p.kh * p.kw);
    }
    pooled[f] = r;
  }
  workgroupBarrier();
  for (var o = li; o < p.classes; o += 64u) {
    var s = 0.0;
    let wb = o * p.features;
    for (var i = 0u; i < p.features; i++) {
      s = s + pooled[i] * wt[wb + i];
    }
    logits[o] = s + bias[o];
  }
  workgroupBarrier();
  if (li != 0u) {
    return;
  }
  let C = p.classes;
  let rb = n * (C + 3u);
  var am = 0u;
  for (var i = 1u; i < C; i++) {
    if (logits[i] > logits[am]) {
      am = i;
    }
  }
  let m = logits[am];
  var sum = 0.0;
  for (var i = 0u; i < C; i++) {
    sum += exp(logits[i] - m);
  }
  var h = 0.0;
  for (var i = 0u; i < C; i++) {
    let l = logits[i];
    records[rb + i] = l;
    let q = exp(l - m) / sum;
    if (q > 0.0) {
      h -= q * log(q);
    }
  }
  var e = 0.0;
  if (C > 1u) {
    e = clamp(h / log(f32(C)), 0.0, 1.0);
  }
  records[rb + C] = e;
  records[rb + C + 1u] = 1.0 / sum;
  records[rb + C + 2u] = f32(am);
}
