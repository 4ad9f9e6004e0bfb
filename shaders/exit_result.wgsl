// Exit head summary: logits [N, classes] -> records [logits..., entropy / ln(classes), max prob, argmax].
// Same formulas and order as src/cpu/exit-result.ts (softmax after subtracting the max; first max wins).
// One invocation per clip; z runs over the active-clip list.
struct Params {
  batch: u32,
  classes: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> clips: array<u32>;
@group(0) @binding(3) var<storage, read_write> records: array<f32>;

@compute @workgroup_size(1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n = clips[gid.z];
  if (n >= p.batch) {
    return;
  }
  let C = p.classes;
  let lb = n * C;
  let rb = n * (C + 3u);
  var am = 0u;
  for (var i = 1u; i < C; i++) {
    if (logits[lb + i] > logits[lb + am]) {
      am = i;
    }
  }
  let m = logits[lb + am];
  var sum = 0.0;
  for (var i = 0u; i < C; i++) {
    sum += exp(logits[lb + i] - m);
  }
  var h = 0.0;
  for (var i = 0u; i < C; i++) {
    let l = logits[lb + i];
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
