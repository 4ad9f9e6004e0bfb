// XNOR-popcount convolution, one output channel per invocation: the layout for hardware GPUs. shaders/bconv.wgsl
// gives each invocation 4 pixels x 32 channels, which suits software adapters (few, wide threads) but leaves a
// real GPU almost idle at audio sizes: a 6x5x128 map is 48 invocations, each walking its window serially. Here a
// workgroup is 2 output pixels x the 32 channels of one output word, so that map is 3,840 invocations a clip.
// dot = K - 2 * popcount(x ^ w), K = kh * kw * C; `same` pads with +1 (all-zero words), as in bconv.wgsl.
// Weights: the same buffer as bconv.wgsl (bconvWeightsForGpu: [owords][steps rounded up to even][32] u32, step =
// (ky * kw + kx) * words(C) + input word), so a step's 32 lanes read 32 adjacent words and share one input word.
// Threshold output: each lane's bit is OR-ed into its pixel's word in workgroup memory, then lane 0 writes it.
// x runs over pixel pairs, y over output words, z over the active-clip list.
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
  steps: u32,       // weight steps per output channel in the buffer (kh * kw * words, rounded up to even)
  mode: u32,        // 0 threshold (I32), 1 affine
  act: u32,         // 0 none, 1 relu, 2 prelu, 3 rprelu
  hasResidual: u32,
  packOut: u32,     // affine only: also write the packed signs to `signBits` (chan: + pack t, flip)
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
// affine + packOut: the same floats in `out`, and their signs through the next layer's pack threshold as packed
// words [N, OH, OW, owords] in `signBits` (the pack dispatch fused away; 16-byte dummy otherwise)
@group(0) @binding(7) var<storage, read_write> signBits: array<u32>;

// One packed output word per pixel of the workgroup (zero-initialised, as all workgroup memory).
var<workgroup> packed: array<atomic<u32>, 2>;

// cf() and affine() come from shaders/transform.wgsl, appended by src/gpu/shaders.ts.

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let lane = li % 32u;
  let slot = li / 32u;
  let n = clips[wg.z];
  let og = wg.y;
  let o = og * 32u + lane;
  let pix = wg.x * 2u + slot;
  // No early return: the threshold path below has barriers, which every invocation must reach.
  let live = pix < p.oh * p.ow && n < p.batch;
  var mismatches = 0u;
  if (live && o < p.oc) {
    let oy = pix / p.ow;
    let ox = pix % p.ow;
    var q = og * p.steps * 32u + lane;
    for (var ky = 0u; ky < p.kh; ky++) {
      let iy = i32(oy * p.sh + ky) - i32(p.padTop);
      for (var kx = 0u; kx < p.kw; kx++) {
        let ix = i32(ox * p.sw + kx) - i32(p.padLeft);
        let inside = iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w);
        let base = ((n * p.h + u32(max(iy, 0))) * p.w + u32(max(ix, 0))) * p.words;
        for (var cw = 0u; cw < p.words; cw++) {
          // A padded pixel is all +1 (zero bits): its mismatches are the weight's set bits.
          let xw = select(0u, x[base + cw], inside);
          mismatches += countOneBits(xw ^ wt[q]);
          q += 32u;
        }
      }
    }
  }
  let dot = i32(p.k) - 2 * i32(mismatches);
  let pixel = n * p.oh * p.ow + pix;
  if (p.mode == 0u) {
    if (live && o < p.oc) {
      let t = bitcast<i32>(chan[o]);
      let plus = select(dot >= t, dot <= t, chan[p.oc + o] != 0u);
      if (!plus) {
        atomicOr(&packed[slot], 1u << lane);
      }
    }
    workgroupBarrier();
    if (live && lane == 0u) {
      out[pixel * p.owords + og] = atomicLoad(&packed[slot]);
    }
    return;
  }
  var y = 0.0;
  let mine = live && o < p.oc;
  if (mine) {
    let idx = pixel * p.oc + o;
    y = affine(f32(dot), o, idx, p.oc);
    out[idx] = bitcast<u32>(y);
  }
  // The fused pack: the lanes' sign bits OR-ed into the pixel's word, as the threshold path does (p is uniform).
  if (p.packOut != 0u) {
    if (mine && packBit(y, o, p.oc) != 0u) {
      atomicOr(&packed[slot], 1u << lane);
    }
    workgroupBarrier();
    if (live && lane == 0u) {
      signBits[pixel * p.owords + og] = atomicLoad(&packed[slot]);
    }
  }
}
