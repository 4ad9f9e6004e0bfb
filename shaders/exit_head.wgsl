// A whole exit head in one dispatch: global average pooling (packed bits or floats, exactly shaders/gap.wgsl),
// the float dense layer (exactly shaders/dense.wgsl's sum, in input order, then + bias) and the exit record
// (exactly shaders/exit_result.wgsl) instead of three. One workgroup per clip: its 64 lanes pool the channels into
// workgroup memory, then compute the logits, then lane 0 writes the record. z runs over the active-clip list.
// Sizes: at most 1024 channels and 256 classes (the host function refuses more; the executor then runs the three
// kernels).
struct Params {
  batch: u32,
  hw: u32,       // pixels of the pooled map
  c: u32,        // its channels = the dense layer's inputs
  words: u32,    // words(c)
  mode: u32,     // 0 packed bits, 1 floats
  classes: u32,  // the dense layer's outputs
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
// Packed words, or f32 bit patterns when mode is 1: [N, hw, words or c]
@group(0) @binding(1) var<storage, read> x: array<u32>;
// dense weights [classes, c], bias [classes]
@group(0) @binding(2) var<storage, read> wt: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> clips: array<u32>;
// [N, classes + 3]: logits, entropy / ln(classes), max probability, argmax (docs/layout.md)
@group(0) @binding(5) var<storage, read_write> records: array<f32>;

const MAX_C = 1024u;
const MAX_CLASSES = 256u;
var<workgroup> pooled: array<f32, MAX_C>;
var<workgroup> logits: array<f32, MAX_CLASSES>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let n = clips[wg.z];
  // n is the same for the whole workgroup, so this return keeps the barriers below in uniform control flow.
  if (n >= p.batch) {
    return;
  }
  for (var c = li; c < p.c; c += 64u) {
    var r: f32;
    if (p.mode == 0u) {
      let wd = c >> 5u;
      let bit = c & 31u;
      var ones = 0u;
      for (var i = 0u; i < p.hw; i++) {
        ones += (x[(n * p.hw + i) * p.words + wd] >> bit) & 1u;
      }
      r = f32(i32(p.hw) - 2 * i32(ones)) / f32(p.hw);
    } else {
      var s = 0.0;
      for (var i = 0u; i < p.hw; i++) {
        s = s + bitcast<f32>(x[(n * p.hw + i) * p.c + c]);
      }
      r = s / f32(p.hw);
    }
    pooled[c] = r;
  }
  workgroupBarrier();
  for (var o = li; o < p.classes; o += 64u) {
    var s = 0.0;
    let wb = o * p.c;
    for (var i = 0u; i < p.c; i++) {
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
