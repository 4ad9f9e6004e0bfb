// Host side of shaders/exit_result.wgsl and shaders/exit_gate.wgsl: per-clip exit records and the
// GPU-resident exit decision.
import type { ExitCriterion } from '../../model/graph';
import type { BufferPool } from '../buffers';
import type { BufferRange, KernelRegistry } from '../registry';
import { badInput, f32Bits, makeDispatch, positiveInts, type Dispatch } from './common';

export interface ExitResultBuffers {
  /** f32 [N, classes] */
  logits: BufferRange;
  active: BufferRange;
  /** f32 [N, classes + 3] */
  records: BufferRange;
}

/** Logits -> records (logits, normalised entropy, max probability, argmax). */
export async function exitResultDispatch(
  reg: KernelRegistry,
  pool: BufferPool,
  n: number,
  classes: number,
  buffers: ExitResultBuffers,
  activeCount = n,
): Promise<Dispatch> {
  positiveInts('exit_result', { n, classes });
  return makeDispatch(
    reg,
    pool,
    'exit_result',
    [n, classes, 0, 0],
    { logits: buffers.logits, clips: buffers.active, records: buffers.records },
    { logits: n * classes * 4, clips: activeCount * 4, records: n * (classes + 3) * 4 },
    [1, 1, activeCount],
  );
}

export interface ExitGateParams {
  /** Clips the record/decision buffers hold. */
  n: number;
  classes: number;
  exitIndex: number;
  criterion: ExitCriterion;
  threshold: number;
  isLast: boolean;
  /** u32 index into `args` of this stage's clip count (the z slot of its indirect entry). */
  countSlot: number;
  /** Next stage's indirect entries [first, first + count) (3 u32 each) to receive the new count in z. */
  first: number;
  count: number;
}

export interface ExitGateBuffers {
  /** f32 [N, classes + 3] from exit_result */
  records: BufferRange;
  /** u32 active list of this stage (its length is read on the GPU from args[countSlot]) */
  activeIn: BufferRange;
  /** u32 [N] next active list (must not be activeIn) */
  activeOut: BufferRange;
  /** u32 [N]: the exit index of each clip that exits */
  decisions: BufferRange;
  /** u32 indirect dispatch args: needs INDIRECT | STORAGE usage */
  args: BufferRange;
}

/** The exit decision on the GPU: one workgroup of one invocation; dispatch (1, 1, 1). */
export async function exitGateDispatch(
  reg: KernelRegistry,
  pool: BufferPool,
  q: ExitGateParams,
  buffers: ExitGateBuffers,
): Promise<Dispatch> {
  positiveInts('exit_gate', { n: q.n, classes: q.classes });
  if (q.criterion !== 'entropy' && q.criterion !== 'maxprob') badInput('exit_gate', `criterion must be 'entropy' or 'maxprob', got ${String(q.criterion)}`);
  if (!Number.isFinite(q.threshold)) badInput('exit_gate', `threshold must be a finite number, got ${q.threshold}`);
  for (const [k, v] of Object.entries({ exitIndex: q.exitIndex, countSlot: q.countSlot, first: q.first, count: q.count })) {
    if (!Number.isInteger(v) || v < 0) badInput('exit_gate', `${k} must be a non-negative integer, got ${v}`);
  }
  const args = 'buffer' in buffers.args && !('mapState' in buffers.args) ? buffers.args.buffer : (buffers.args as GPUBuffer);
  if ((args.usage & GPUBufferUsage.INDIRECT) === 0) badInput('exit_gate', 'the args buffer needs INDIRECT | STORAGE usage');
  return makeDispatch(
    reg,
    pool,
    'exit_gate',
    [q.classes, q.criterion === 'entropy' ? 0 : 1, f32Bits(q.threshold), q.isLast ? 1 : 0, q.exitIndex, q.countSlot, q.first, q.count],
    buffers as unknown as Record<string, BufferRange>,
    {
      records: q.n * (q.classes + 3) * 4,
      activeOut: q.n * 4,
      decisions: q.n * 4,
      args: Math.max((q.countSlot + 1) * 4, (q.first + q.count) * 12),
    },
    [1, 1, 1],
  );
}
