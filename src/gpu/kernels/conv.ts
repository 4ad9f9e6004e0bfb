// Host side of shaders/conv_real.wgsl and shaders/bconv.wgsl: float and XNOR-popcount convolutions.
import { wordsFor } from '../../layout/bits';
import { convOutput, type ConvGeometry, type MapShape } from '../../layout/geometry';
import type { BufferPool } from '../buffers';
import type { BufferRange, KernelRegistry } from '../registry';
import type { ConvLayout } from '../conv-layout';

export { convLayoutFor, type ConvLayout } from '../conv-layout';
import {
  badInput,
  dummyOutput,
  dummyStorage,
  makeDispatch,
  MAX_GROUPS,
  positiveInts,
  transformCodes,
  transformWords,
  type Dispatch,
  type GpuTransform,
} from './common';

export interface ConvBuffers {
  /** conv_real: f32 [N, H, W, C]; bconv: u32 [N, H, W, words(C)] */
  x: BufferRange;
  /** conv_real: f32 OHWI [O, kh, kw, C]; bconv: bconvWeightsForGpu(OHWI u32 [O, kh, kw, words(C)]) */
  wt: BufferRange;
  /** transformData(...) for O channels */
  chan: BufferRange;
  /** f32 of the output's shape, when the affine transform has a residual */
  residual?: BufferRange;
  clips: BufferRange;
  /** threshold: u32 [N, OH, OW, words(O)]; affine: f32 [N, OH, OW, O] */
  out: BufferRange;
  /**
   * Affine only, optional: the pack after this layer fused in. u32 [N, OH, OW, words(O)], the signs of `out`
   * through the pack's threshold and flip, which then follow the transform's parameters in `chan`
   * (fusedPackData). Absent: a dummy is bound and nothing is packed.
   */
  signBits?: BufferRange;
}

/** Output pixels per invocation along x (the tiled conv kernels). */
export const CONV_TILE_X = 4;

/** Whether a convolution's output fits the lanes grid (x = pixel pairs, at most MAX_GROUPS of them). */
export function lanesFit(input: MapShape, g: ConvGeometry): boolean {
  const { shape } = convOutput(input, g);
  return Math.ceil((shape.h * shape.w) / 2) <= MAX_GROUPS;
}

async function convDispatch(
  requested: 'bconv' | 'bconv_lanes' | 'conv_real' | 'conv_real_lanes',
  reg: KernelRegistry,
  pool: BufferPool,
  input: MapShape,
  g: ConvGeometry,
  transform: GpuTransform,
  buffers: ConvBuffers,
  activeCount: number,
): Promise<Dispatch> {
  positiveInts(requested, {
    n: input.n, h: input.h, w: input.w, c: input.c, outChannels: g.outChannels,
    kh: g.kernel[0], kw: g.kernel[1], sh: g.stride[0], sw: g.stride[1],
  });
  const p = g.padding;
  if (typeof p === 'string' ? p !== 'same' && p !== 'valid' : ![p.top, p.bottom, p.left, p.right].every((x) => Number.isInteger(x) && x >= 0)) {
    badInput(requested, `padding must be 'same', 'valid' or whole numbers of zeros per side, got ${JSON.stringify(p)}`);
  }
  const { shape: os, padTop, padLeft } = convOutput(input, g);
  if (os.h < 1 || os.w < 1) badInput(requested, `output ${os.h}x${os.w} is empty (input ${input.h}x${input.w}, kernel ${g.kernel.join('x')}, padding ${JSON.stringify(g.padding)})`);
  const kernel = requested;
  const binary = kernel === 'bconv' || kernel === 'bconv_lanes';
  const lanes = kernel === 'bconv_lanes' || kernel === 'conv_real_lanes';
  if (lanes && !lanesFit(input, g)) {
    badInput(kernel, `output ${os.h}x${os.w} has more than ${2 * MAX_GROUPS} pixels, beyond one grid row of pixel pairs: use the tiled layout`);
  }
  const inPerPixel = binary ? wordsFor(input.c) : input.c;
  const owords = wordsFor(g.outChannels);
  const tilesX = Math.ceil(os.w / CONV_TILE_X);
  const [mode, act, hasResidual] = transformCodes(transform);
  if (hasResidual && !buffers.residual) badInput(kernel, 'the affine transform has a residual but no residual buffer was given');
  const packOut = buffers.signBits ? 1 : 0;
  if (packOut && mode === 0) badInput(kernel, 'signBits (a fused pack) needs the affine transform: a threshold output is packed already');
  const outPixels = os.n * os.h * os.w;
  const steps = g.kernel[0] * g.kernel[1] * inPerPixel;
  const shared = {
    batch: input.n, h: input.h, w: input.w, oh: os.h, ow: os.w, oc: os.c, owords,
    kh: g.kernel[0], kw: g.kernel[1], sh: g.stride[0], sw: g.stride[1], padTop, padLeft, mode, act, hasResidual, packOut,
  };
  const k = g.kernel[0] * g.kernel[1] * input.c;
  const entries = { ...buffers, residual: hasResidual ? buffers.residual! : dummyStorage(pool), signBits: buffers.signBits ?? dummyOutput(pool) };
  const required = {
    x: input.n * input.h * input.w * inPerPixel * 4,
    wt: (binary ? bconvGpuWeightWords(g, input.c) : g.outChannels * g.kernel[0] * g.kernel[1] * inPerPixel) * 4,
    chan: (transformWords(transform, g.outChannels) + (packOut ? 2 * g.outChannels : 0)) * 4,
    ...(hasResidual ? { residual: outPixels * os.c * 4 } : {}),
    ...(packOut ? { signBits: outPixels * owords * 4 } : {}),
    clips: activeCount * 4,
    out: (mode === 0 ? outPixels * owords : outPixels * os.c) * 4,
  };
  // lanes: a workgroup is 2 pixels x 32 channels; tiled: 64 invocations of 4 pixels x 32 channels.
  const workgroups: [number, number, number] = [lanes ? Math.ceil((os.h * os.w) / 2) : Math.ceil((os.h * tilesX) / 64), owords, activeCount];
  switch (kernel) {
    case 'bconv':
      return makeDispatch(reg, pool, kernel, { ...shared, words: inPerPixel, k, tilesX }, entries, required, workgroups);
    case 'bconv_lanes':
      return makeDispatch(reg, pool, kernel, { ...shared, words: inPerPixel, k, steps: steps + (steps & 1) }, entries, required, workgroups);
    default:
      return makeDispatch(reg, pool, kernel, { ...shared, c: input.c, tilesX }, entries, required, workgroups);
  }
}

/** u32 words of bconvWeightsForGpu's result: [words(O)][steps rounded up to even][32]. */
export function bconvGpuWeightWords(geometry: ConvGeometry, inChannels: number): number {
  const steps = geometry.kernel[0] * geometry.kernel[1] * wordsFor(inChannels);
  return wordsFor(geometry.outChannels) * (steps + (steps & 1)) * 32;
}

/**
 * Repacks OHWI bconv weights (u32 [O, kh, kw, words(I)]) for shaders/bconv.wgsl, once at model load:
 * [words(O)][step][32] with step = (ky * kw + kx) * words(I) + input word, so the 32 output channels of one
 * output word are contiguous per step (8 vec4 loads). The step count is rounded up to even (the kernel takes
 * two steps per iteration); channels past O and the padding step are zero.
 */
export function bconvWeightsForGpu(weights: Uint32Array, geometry: ConvGeometry, inChannels: number): Uint32Array {
  const o = geometry.outChannels;
  const steps = geometry.kernel[0] * geometry.kernel[1] * wordsFor(inChannels);
  if (weights.length !== o * steps) badInput('bconv', `weights have ${weights.length} words, expected ${o * steps} (OHWI [${o}, ${geometry.kernel.join(', ')}, ${wordsFor(inChannels)}])`);
  const padded = steps + (steps & 1);
  const out = new Uint32Array(bconvGpuWeightWords(geometry, inChannels));
  for (let c = 0; c < o; c++) {
    const base = (c >> 5) * padded * 32 + (c & 31);
    for (let s = 0; s < steps; s++) out[base + s * 32] = weights[c * steps + s];
  }
  return out;
}

/**
 * Transposes conv_real weights from OHWI to HWIO, once at model load, for shaders/conv_real_lanes.wgsl: there a
 * step's 32 lanes are 32 output channels, which then read adjacent floats.
 */
export function convRealWeightsForLanes(weights: Float32Array, geometry: ConvGeometry, inChannels: number): Float32Array {
  const o = geometry.outChannels;
  const taps = geometry.kernel[0] * geometry.kernel[1] * inChannels;
  if (weights.length !== o * taps) badInput('conv_real', `weights have ${weights.length} floats, expected ${o * taps} (OHWI [${o}, ${geometry.kernel.join(', ')}, ${inChannels}])`);
  const out = new Float32Array(weights.length);
  for (let c = 0; c < o; c++) for (let t = 0; t < taps; t++) out[t * o + c] = weights[c * taps + t];
  return out;
}

/**
 * XNOR-popcount convolution with one-padding (`same`) and a fused threshold or affine transform.
 * `buffers.wt` holds bconvWeightsForGpu(OHWI weights, geometry, input.c), whichever the layout.
 */
export async function bconvDispatch(
  reg: KernelRegistry,
  pool: BufferPool,
  input: MapShape,
  geometry: ConvGeometry,
  transform: GpuTransform,
  buffers: ConvBuffers,
  activeCount = input.n,
  layout: ConvLayout = 'tiled',
): Promise<Dispatch> {
  return convDispatch(layout === 'lanes' ? 'bconv_lanes' : 'bconv', reg, pool, input, geometry, transform, buffers, activeCount);
}

/**
 * Float convolution with zero padding (`same`) and a fused F32-threshold or affine transform. `buffers.wt`
 * holds OHWI weights for the tiled layout, convRealWeightsForLanes(OHWI weights, ...) for the lanes layout.
 */
export async function convRealDispatch(
  reg: KernelRegistry,
  pool: BufferPool,
  input: MapShape,
  geometry: ConvGeometry,
  transform: GpuTransform,
  buffers: ConvBuffers,
  activeCount = input.n,
  layout: ConvLayout = 'tiled',
): Promise<Dispatch> {
  return convDispatch(layout === 'lanes' ? 'conv_real_lanes' : 'conv_real', reg, pool, input, geometry, transform, buffers, activeCount);
}
