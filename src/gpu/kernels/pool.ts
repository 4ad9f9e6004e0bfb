// Host side of shaders/maxpool_bits.wgsl, shaders/pool_float.wgsl and shaders/gap.wgsl.
import { wordsFor } from '../../layout/bits';
import { poolOutput, type MapShape, type Window2d } from '../../layout/geometry';
import type { BufferPool } from '../buffers';
import type { BufferRange, KernelRegistry } from '../registry';
import { badInput, grid, makeDispatch, positiveInts, type Dispatch } from './common';

export interface MapBuffers {
  x: BufferRange;
  clips: BufferRange;
  out: BufferRange;
}

function checkWindow(kernel: string, input: MapShape, win: Window2d): MapShape {
  positiveInts(kernel, {
    n: input.n, h: input.h, w: input.w, c: input.c,
    kh: win.kernel[0], kw: win.kernel[1], sh: win.stride[0], sw: win.stride[1],
  });
  const os = poolOutput(input, win);
  if (os.h < 1 || os.w < 1) badInput(kernel, `window ${win.kernel.join('x')} does not fit the ${input.h}x${input.w} input`);
  return os;
}

/** Max pooling on packed bits (AND of the window's words), VALID. */
export async function maxpoolBitsDispatch(
  reg: KernelRegistry,
  pool: BufferPool,
  input: MapShape,
  win: Window2d,
  buffers: MapBuffers,
  activeCount = input.n,
): Promise<Dispatch> {
  const os = checkWindow('maxpool_bits', input, win);
  const words = wordsFor(input.c);
  const [gx, gy] = grid(os.h * os.w * words);
  return makeDispatch(
    reg,
    pool,
    'maxpool_bits',
    { batch: input.n, h: input.h, w: input.w, words, oh: os.h, ow: os.w, kh: win.kernel[0], kw: win.kernel[1], sh: win.stride[0], sw: win.stride[1] },
    buffers,
    { x: input.n * input.h * input.w * words * 4, clips: activeCount * 4, out: input.n * os.h * os.w * words * 4 },
    [gx, gy, activeCount],
  );
}

/** Max or average pooling on floats, VALID. */
export async function poolFloatDispatch(
  reg: KernelRegistry,
  pool: BufferPool,
  input: MapShape,
  win: Window2d,
  mode: 'max' | 'avg',
  buffers: MapBuffers,
  activeCount = input.n,
): Promise<Dispatch> {
  const os = checkWindow('pool_float', input, win);
  if (mode !== 'max' && mode !== 'avg') badInput('pool_float', `mode must be 'max' or 'avg', got ${String(mode)}`);
  const [gx, gy] = grid(os.h * os.w * input.c);
  return makeDispatch(
    reg,
    pool,
    'pool_float',
    { batch: input.n, h: input.h, w: input.w, c: input.c, oh: os.h, ow: os.w, kh: win.kernel[0], kw: win.kernel[1], sh: win.stride[0], sw: win.stride[1], mode: mode === 'avg' ? 1 : 0 },
    buffers,
    { x: input.n * input.h * input.w * input.c * 4, clips: activeCount * 4, out: input.n * os.h * os.w * input.c * 4 },
    [gx, gy, activeCount],
  );
}

/** Global average pooling of packed bits or floats to f32 [N, C]. */
export async function gapDispatch(
  reg: KernelRegistry,
  pool: BufferPool,
  input: MapShape,
  kind: 'bits' | 'float',
  buffers: MapBuffers,
  activeCount = input.n,
): Promise<Dispatch> {
  positiveInts('gap', { n: input.n, h: input.h, w: input.w, c: input.c });
  if (kind !== 'bits' && kind !== 'float') badInput('gap', `kind must be 'bits' or 'float', got ${String(kind)}`);
  const words = wordsFor(input.c);
  const perPixel = kind === 'bits' ? words : input.c;
  return makeDispatch(
    reg,
    pool,
    'gap',
    { batch: input.n, hw: input.h * input.w, c: input.c, words, mode: kind === 'bits' ? 0 : 1 },
    buffers,
    { x: input.n * input.h * input.w * perPixel * 4, clips: activeCount * 4, out: input.n * input.c * 4 },
    [Math.ceil(input.c / 64), 1, activeCount],
  );
}

export interface PoolPackBuffers {
  /** f32 [N, H, W, C] */
  x: BufferRange;
  /** the following pack's transformData({ kind: 'threshold', threshold: F32 [C], flip }) */
  chan: BufferRange;
  clips: BufferRange;
  /** pooled f32 [N, OH, OW, C] */
  out: BufferRange;
  /** their packed signs, u32 [N, OH, OW, words(C)] */
  signBits: BufferRange;
}

/**
 * Float pooling fused with the pack after it (shaders/pool_float_pack.wgsl): the floats of poolFloatDispatch and
 * the words packDispatch would make of them, in one dispatch. One invocation per (output pixel, word).
 */
export async function poolFloatPackDispatch(
  reg: KernelRegistry,
  pool: BufferPool,
  input: MapShape,
  win: Window2d,
  mode: 'max' | 'avg',
  buffers: PoolPackBuffers,
  activeCount = input.n,
): Promise<Dispatch> {
  const os = checkWindow('pool_float_pack', input, win);
  if (mode !== 'max' && mode !== 'avg') badInput('pool_float_pack', `mode must be 'max' or 'avg', got ${String(mode)}`);
  const words = wordsFor(input.c);
  const [gx, gy] = grid(os.h * os.w * words);
  return makeDispatch(
    reg,
    pool,
    'pool_float_pack',
    { batch: input.n, h: input.h, w: input.w, c: input.c, oh: os.h, ow: os.w, kh: win.kernel[0], kw: win.kernel[1], sh: win.stride[0], sw: win.stride[1], mode: mode === 'avg' ? 1 : 0, words },
    buffers,
    {
      x: input.n * input.h * input.w * input.c * 4,
      chan: 2 * input.c * 4,
      clips: activeCount * 4,
      out: input.n * os.h * os.w * input.c * 4,
      signBits: input.n * os.h * os.w * words * 4,
    },
    [gx, gy, activeCount],
  );
}
