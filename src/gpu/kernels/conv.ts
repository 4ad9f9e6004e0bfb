// Host side of shaders/conv_real.wgsl and shaders/bconv.wgsl: float and XNOR-popcount convolutions.
import { wordsFor } from '../../layout/bits';
import { convOutput, type ConvGeometry, type MapShape } from '../../layout/geometry';
import type { BufferPool } from '../buffers';
import type { BufferRange, KernelRegistry } from '../registry';
import {
  badInput,
  dummyStorage,
  makeDispatch,
  positiveInts,
  transformCodes,
  transformWords,
  type Dispatch,
  type GpuTransform,
} from './common';

export interface ConvBuffers {
  /** conv_real: f32 [N, H, W, C]; bconv: u32 [N, H, W, words(C)] */
  input: BufferRange;
  /** conv_real: f32 OHWI [O, kh, kw, C]; bconv: bconvWeightsForGpu(OHWI u32 [O, kh, kw, words(C)]) */
  weights: BufferRange;
  /** transformData(...) for O channels */
  params: BufferRange;
  /** f32 of the output's shape, when the affine transform has a residual */
  residual?: BufferRange;
  active: BufferRange;
  /** threshold: u32 [N, OH, OW, words(O)]; affine: f32 [N, OH, OW, O] */
  output: BufferRange;
}

/** Output pixels per invocation along x (both conv kernels). */
export const CONV_TILE_X = 4;

async function convDispatch(
  kernel: 'bconv' | 'conv_real',
  reg: KernelRegistry,
  pool: BufferPool,
  input: MapShape,
  g: ConvGeometry,
  transform: GpuTransform,
  buffers: ConvBuffers,
  activeCount: number,
): Promise<Dispatch> {
  positiveInts(kernel, {
    n: input.n, h: input.h, w: input.w, c: input.c, outChannels: g.outChannels,
    kh: g.kernel[0], kw: g.kernel[1], sh: g.stride[0], sw: g.stride[1],
  });
  if (g.padding !== 'same' && g.padding !== 'valid') badInput(kernel, `padding must be 'same' or 'valid', got ${String(g.padding)}`);
  const { shape: os, padTop, padLeft } = convOutput(input, g);
  if (os.h < 1 || os.w < 1) badInput(kernel, `output ${os.h}x${os.w} is empty (input ${input.h}x${input.w}, kernel ${g.kernel.join('x')}, ${g.padding})`);
  const binary = kernel === 'bconv';
  const inPerPixel = binary ? wordsFor(input.c) : input.c;
  const owords = wordsFor(g.outChannels);
  const tilesX = Math.ceil(os.w / CONV_TILE_X);
  const [mode, act, hasResidual] = transformCodes(transform);
  if (hasResidual && !buffers.residual) badInput(kernel, 'the affine transform has a residual but no residual buffer was given');
  const outPixels = os.n * os.h * os.w;
  const uniform = binary
    ? [input.n, input.h, input.w, inPerPixel, os.h, os.w, os.c, owords, g.kernel[0], g.kernel[1], g.stride[0], g.stride[1],
      padTop, padLeft, g.kernel[0] * g.kernel[1] * input.c, tilesX, mode, act, hasResidual, 0]
    : [input.n, input.h, input.w, input.c, os.h, os.w, os.c, owords, g.kernel[0], g.kernel[1], g.stride[0], g.stride[1],
      padTop, padLeft, tilesX, mode, act, hasResidual, 0, 0];
  return makeDispatch(
    reg,
    pool,
    kernel,
    uniform,
    {
      x: buffers.input,
      wt: buffers.weights,
      chan: buffers.params,
      residual: hasResidual ? buffers.residual : dummyStorage(pool),
      clips: buffers.active,
      out: buffers.output,
    },
    {
      x: input.n * input.h * input.w * inPerPixel * 4,
      wt: (binary ? bconvGpuWeightWords(g, input.c) : g.outChannels * g.kernel[0] * g.kernel[1] * inPerPixel) * 4,
      chan: transformWords(transform, g.outChannels) * 4,
      ...(hasResidual ? { residual: outPixels * os.c * 4 } : {}),
      clips: activeCount * 4,
      out: (mode === 0 ? outPixels * owords : outPixels * os.c) * 4,
    },
    [Math.ceil((os.h * tilesX) / 64), owords, activeCount],
  );
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
 * XNOR-popcount convolution with one-padding (`same`) and a fused threshold or affine transform.
 * `buffers.weights` holds bconvWeightsForGpu(OHWI weights, geometry, input.c).
 */
export async function bconvDispatch(
  reg: KernelRegistry,
  pool: BufferPool,
  input: MapShape,
  geometry: ConvGeometry,
  transform: GpuTransform,
  buffers: ConvBuffers,
  activeCount = input.n,
): Promise<Dispatch> {
  return convDispatch('bconv', reg, pool, input, geometry, transform, buffers, activeCount);
}

/** Float convolution with zero padding (`same`) and a fused F32-threshold or affine transform. */
export async function convRealDispatch(
  reg: KernelRegistry,
  pool: BufferPool,
  input: MapShape,
  geometry: ConvGeometry,
  transform: GpuTransform,
  buffers: ConvBuffers,
  activeCount = input.n,
): Promise<Dispatch> {
  return convDispatch('conv_real', reg, pool, input, geometry, transform, buffers, activeCount);
}
