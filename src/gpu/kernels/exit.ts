// Host side of shaders/exit_result.wgsl, shaders/exit_head.wgsl and shaders/exit_gate.wgsl: per-clip exit records and the
// GPU-resident exit decision.
import type { ExitCriterion } from '../../model/graph';
import type { BufferPool } from '../buffers';
import type { BufferRange, KernelRegistry } from '../registry';
import type { KernelParams } from '../contract';
import { badInput, makeDispatch, positiveInts, type Dispatch } from './common';

export interface ExitResultBuffers {
  /** f32 [N, classes] */
  logits: BufferRange;
  clips: BufferRange;
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
    { batch: n, classes },
    buffers,
    { logits: n * classes * 4, clips: activeCount * 4, records: n * (classes + 3) * 4 },
    [1, 1, activeCount],
  );
}

/** Marks the unused tail of an active list; every kernel returns at once for it (END >= batch). */
export const END_OF_LIST = 0xffffffff;

export interface ExitGateParams {
  /** Clips the record/decision buffers hold, and the entries of each active list. */
  n: number;
  classes: number;
  exitIndex: number;
  criterion: ExitCriterion;
  threshold: number;
  isLast: boolean;
  /** Entries of the active lists this run (default n, the capacity). */
  slots?: number;
}

export interface ExitGateBuffers {
  /** f32 [N, classes + 3] from exit_result */
  records: BufferRange;
  /** u32 [N] active list of this stage: live clips, then END_OF_LIST */
  activeIn: BufferRange;
  /** u32 [N] next active list, written in the same form (must not be activeIn) */
  activeOut: BufferRange;
  /** u32 [N]: the exit index of each clip that exits */
  decisions: BufferRange;
}

/**
 * The gate's uniform fields, checked. A gated run rewrites the whole uniform with them (criterion, threshold and
 * slot count change per call), encoded by the contract like any other.
 */
export function exitGateFields(q: ExitGateParams): KernelParams<'exit_gate'> {
  positiveInts('exit_gate', { n: q.n, classes: q.classes });
  if (q.criterion !== 'entropy' && q.criterion !== 'maxprob') badInput('exit_gate', `criterion must be 'entropy' or 'maxprob', got ${String(q.criterion)}`);
  if (!Number.isFinite(q.threshold)) badInput('exit_gate', `threshold must be a finite number, got ${q.threshold}`);
  if (!Number.isInteger(q.exitIndex) || q.exitIndex < 0) badInput('exit_gate', `exitIndex must be a non-negative integer, got ${q.exitIndex}`);
  const slots = q.slots ?? q.n;
  if (!Number.isInteger(slots) || slots < 0 || slots > q.n) badInput('exit_gate', `slots must be an integer in [0, ${q.n}], got ${slots}`);
  return { classes: q.classes, criterion: q.criterion === 'entropy' ? 0 : 1, threshold: q.threshold, isLast: q.isLast ? 1 : 0, exitIndex: q.exitIndex, slots };
}

/** The exit decision on the GPU: one workgroup of one invocation; dispatch (1, 1, 1). */
export async function exitGateDispatch(
  reg: KernelRegistry,
  pool: BufferPool,
  q: ExitGateParams,
  buffers: ExitGateBuffers,
): Promise<Dispatch> {
  return makeDispatch(
    reg,
    pool,
    'exit_gate',
    exitGateFields(q),
    buffers,
    {
      records: q.n * (q.classes + 3) * 4,
      activeIn: q.n * 4,
      activeOut: q.n * 4,
      decisions: q.n * 4,
    },
    [1, 1, 1],
  );
}

/** The largest exit head shaders/exit_head.wgsl takes (its workgroup arrays): pooled values, classes. */
export const EXIT_HEAD_MAX = { features: 1024, classes: 256 } as const;

export interface ExitHeadBuffers {
  /** The map the head pools: packed u32 [N, H, W, words(C)] or f32 [N, H, W, C] */
  x: BufferRange;
  /** dense weights f32 [classes, features], bias f32 [classes] */
  wt: BufferRange;
  bias: BufferRange;
  clips: BufferRange;
  /** f32 [N, classes + 3] */
  records: BufferRange;
}

/** An average over a grid of cells (window = stride, VALID) instead of the global average; floats only. */
export interface ExitHeadCells {
  /** A cell's rows and columns. */
  kernel: [number, number];
  /** Cells down and across (the average pooling's output map). */
  grid: [number, number];
}

/**
 * A gap -> dense (or cell average -> dense) exit head and its record in one dispatch (shaders/exit_head.wgsl): the
 * same records as gapDispatch (or poolFloatDispatch), denseDispatch and exitResultDispatch in turn, without the
 * pooled and logit buffers. One workgroup per clip.
 */
export async function exitHeadDispatch(
  reg: KernelRegistry,
  pool: BufferPool,
  input: { n: number; h: number; w: number; c: number },
  kind: 'bits' | 'float',
  classes: number,
  buffers: ExitHeadBuffers,
  activeCount = input.n,
  cells?: ExitHeadCells,
): Promise<Dispatch> {
  positiveInts('exit_head', { n: input.n, h: input.h, w: input.w, c: input.c, classes });
  if (kind !== 'bits' && kind !== 'float') badInput('exit_head', `kind must be 'bits' or 'float', got ${String(kind)}`);
  const [kh, kw] = cells?.kernel ?? [input.h, input.w];
  const [th, tw] = cells?.grid ?? [1, 1];
  if (cells) {
    positiveInts('exit_head', { kh, kw, th, tw });
    if (kind !== 'float') badInput('exit_head', 'cells need a float map');
    if (th * kh > input.h || tw * kw > input.w) badInput('exit_head', `${th} x ${tw} cells of ${kh} x ${kw} do not fit a ${input.h} x ${input.w} map`);
  }
  const features = th * tw * input.c;
  if (!exitHeadFits(features, classes)) {
    badInput('exit_head', `${features} pooled values and ${classes} classes: at most ${EXIT_HEAD_MAX.features} and ${EXIT_HEAD_MAX.classes}`);
  }
  const hw = input.h * input.w;
  const words = Math.ceil(input.c / 32);
  return makeDispatch(
    reg,
    pool,
    'exit_head',
    { batch: input.n, h: input.h, w: input.w, c: input.c, words, mode: kind === 'bits' ? 0 : 1, classes, kh, kw, th, tw, features },
    buffers,
    {
      x: input.n * hw * (kind === 'bits' ? words : input.c) * 4,
      wt: classes * features * 4,
      bias: classes * 4,
      clips: activeCount * 4,
      records: input.n * (classes + 3) * 4,
    },
    [1, 1, activeCount],
  );
}

/** Whether exit_head takes a head of `features` pooled values and `classes` outputs. */
export function exitHeadFits(features: number, classes: number): boolean {
  return features <= EXIT_HEAD_MAX.features && classes <= EXIT_HEAD_MAX.classes;
}
