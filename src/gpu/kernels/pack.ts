// Host side of shaders/pack.wgsl: float NHWC -> packed bits through per-channel threshold + flip.
import { wordsFor } from '../../layout/bits';
import type { MapShape } from '../../layout/geometry';
import type { BufferPool } from '../buffers';
import type { BufferRange, KernelRegistry } from '../registry';
import { grid, makeDispatch, positiveInts, type Dispatch } from './common';

export interface PackBuffers {
  /** f32 [N, H, W, C] */
  x: BufferRange;
  /** transformData({ kind: 'threshold', threshold: F32 [C], flip }) */
  chan: BufferRange;
  /** u32 clip indices */
  clips: BufferRange;
  /** u32 [N, H, W, words(C)] */
  out: BufferRange;
}

/** `shape.n` is the batch the buffers hold; `activeCount` (default n) the number of clips in `active`. */
export async function packDispatch(
  reg: KernelRegistry,
  pool: BufferPool,
  shape: MapShape,
  buffers: PackBuffers,
  activeCount = shape.n,
): Promise<Dispatch> {
  positiveInts('pack', { n: shape.n, h: shape.h, w: shape.w, c: shape.c });
  const pixels = shape.h * shape.w;
  const words = wordsFor(shape.c);
  const [gx, gy] = grid(pixels * words);
  return makeDispatch(
    reg,
    pool,
    'pack',
    { batch: shape.n, pixels, channels: shape.c, words },
    buffers,
    { x: shape.n * pixels * shape.c * 4, chan: 2 * shape.c * 4, clips: activeCount * 4, out: shape.n * pixels * words * 4 },
    [gx, gy, activeCount],
  );
}
