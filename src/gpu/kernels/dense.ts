// Host side of shaders/dense.wgsl (float) and shaders/bdense.wgsl (binary).
import { wordsFor } from '../../layout/bits';
import type { BufferPool } from '../buffers';
import type { BufferRange, KernelRegistry } from '../registry';
import {
  badInput,
  dummyStorage,
  grid,
  makeDispatch,
  positiveInts,
  transformCodes,
  transformWords,
  type Dispatch,
  type GpuTransform,
} from './common';

export interface DenseShape {
  /** Clips the buffers hold. */
  n: number;
  inFeatures: number;
  outFeatures: number;
}

export interface DenseBuffers {
  /** f32 [N, I] */
  x: BufferRange;
  /** f32 [O, I] */
  wt: BufferRange;
  /** f32 [O] */
  bias: BufferRange;
  clips: BufferRange;
  /** f32 [N, O] */
  out: BufferRange;
}

/** Float dense layer: ordered sum over inputs, then + bias. */
export async function denseDispatch(
  reg: KernelRegistry,
  pool: BufferPool,
  s: DenseShape,
  buffers: DenseBuffers,
  activeCount = s.n,
): Promise<Dispatch> {
  positiveInts('dense', { n: s.n, inFeatures: s.inFeatures, outFeatures: s.outFeatures });
  const [gx, gy] = grid(s.outFeatures);
  return makeDispatch(
    reg,
    pool,
    'dense',
    { batch: s.n, inFeatures: s.inFeatures, outFeatures: s.outFeatures },
    buffers,
    { x: s.n * s.inFeatures * 4, wt: s.outFeatures * s.inFeatures * 4, bias: s.outFeatures * 4, clips: activeCount * 4, out: s.n * s.outFeatures * 4 },
    [gx, gy, activeCount],
  );
}

export interface BdenseBuffers {
  /** u32 [N, words(I)] */
  x: BufferRange;
  /** u32 [O, words(I)] */
  wt: BufferRange;
  /** transformData(...) for O outputs */
  chan: BufferRange;
  /** f32 [N, O] when the affine transform has a residual */
  residual?: BufferRange;
  clips: BufferRange;
  /** threshold: u32 [N, words(O)]; affine: f32 [N, O] */
  out: BufferRange;
}

/** Binary dense layer with a fused I32-threshold or affine transform. */
export async function bdenseDispatch(
  reg: KernelRegistry,
  pool: BufferPool,
  s: DenseShape,
  transform: GpuTransform,
  buffers: BdenseBuffers,
  activeCount = s.n,
): Promise<Dispatch> {
  positiveInts('bdense', { n: s.n, inFeatures: s.inFeatures, outFeatures: s.outFeatures });
  const inWords = wordsFor(s.inFeatures);
  const outWords = wordsFor(s.outFeatures);
  const [mode, act, hasResidual] = transformCodes(transform);
  if (hasResidual && !buffers.residual) badInput('bdense', 'the affine transform has a residual but no residual buffer was given');
  return makeDispatch(
    reg,
    pool,
    'bdense',
    { batch: s.n, inFeatures: s.inFeatures, inWords, outFeatures: s.outFeatures, outWords, mode, act, hasResidual },
    { ...buffers, residual: hasResidual ? buffers.residual! : dummyStorage(pool) },
    {
      x: s.n * inWords * 4,
      wt: s.outFeatures * inWords * 4,
      chan: transformWords(transform, s.outFeatures) * 4,
      ...(hasResidual ? { residual: s.n * s.outFeatures * 4 } : {}),
      clips: activeCount * 4,
      out: s.n * (mode === 0 ? outWords : s.outFeatures) * 4,
    },
    [Math.ceil(outWords / 64), 1, activeCount],
  );
}
