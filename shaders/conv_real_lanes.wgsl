// Float convolution (zero padding), one output channel per invocation: the layout for hardware GPUs, as
// shaders/bconv_lanes.wgsl is for bconv.wgsl. A workgroup is 2 output pixels x the 32 channels of one output
// word. Weights come transposed to HWIO by convRealWeightsForLanes (src/gpu/kernels/conv.ts), so the 32 lanes
// of a step read 32 adjacent floats; each accumulator sums in kh, kw, ci order like src/cpu/conv-real.ts. Output transform:
// affine -> floats, or F32 threshold -> packed bits (each lane's bit OR-ed into its pixel's word in workgroup
// memory, then lane 0 writes it). Params as in conv_real.wgsl (tilesX unused).
// x runs over pixel pairs, y over output words, z over the active-clip list.
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
  // No early return: the threshold path below has a barrier, which every invocation must reach.
  let live = pix < p.oh * p.ow && n < p.batch;
  let mine = live && o < p.oc;
  var sum = 0.0;
  if (mine) {
    let oy = pix / p.ow;
    let ox = pix % p.ow;
    for (var ky = 0u; ky < p.kh; ky++) {
      let iy = i32(oy * p.sh + ky) - i32(p.padTop);
      for (var kx = 0u; kx < p.kw; kx++) {
        let ix = i32(ox * p.sw + kx) - i32(p.padLeft);
        // Zero padding: a tap outside the map adds nothing, as in the CPU twin.
        if (iy < 0 || iy >= i32(p.h) || ix < 0 || ix >= i32(p.w)) {
          continue;
        }
        let xb = ((n * p.h + u32(iy)) * p.w + u32(ix)) * p.c;
        var wi = (ky * p.kw + kx) * p.c * p.oc + o;
        for (var ci = 0u; ci < p.c; ci++) {
          sum += x[xb + ci] * wt[wi];
          wi += p.oc;
        }
      }
    }
  }
  let pixel = n * p.oh * p.ow + pix;
  if (p.mode == 0u) {
    if (mine) {
      let plus = select(sum >= cf(o), sum <= cf(o), chan[p.oc + o] != 0u);
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
  if (mine) {
    let idx = pixel * p.oc + o;
    y = affine(sum, o, idx, p.oc);
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
