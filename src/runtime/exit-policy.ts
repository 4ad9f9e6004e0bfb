// The exit decision, shared by every mode and backend (the GPU gate kernel implements the same rule).
import { BeenetError } from '../errors';
import type { ExitCriterion, ExitPolicy } from '../model/graph';

export type ScheduleMode = 'readback' | 'gpu' | 'all-exits';

export interface ExitOptions {
  /** 'entropy' (the paper's): exit when normalised entropy < threshold. 'maxprob': exit when max p >= threshold. */
  criterion?: ExitCriterion;
  /** One threshold for every exit. */
  threshold?: number;
  /** One threshold per exit (the last exit always accepts). */
  thresholds?: readonly number[];
  /** How stages are scheduled; see README. Default 'readback'. */
  mode?: ScheduleMode;
  /** Also return each evaluated exit's raw logits (`ExitReport.logits`). Default false. */
  logits?: boolean;
  /** Aborts the call: a queued call never runs, a running one stops before its next stage; rejects ABORTED. */
  signal?: AbortSignal;
}

export interface ResolvedPolicy {
  criterion: ExitCriterion;
  thresholds: number[];
  mode: ScheduleMode;
  logits: boolean;
  signal: AbortSignal | null;
}

const MODES: readonly ScheduleMode[] = ['readback', 'gpu', 'all-exits'];

/** Merges per-call options over the model's defaults, validating them. */
export function resolvePolicy(defaults: ExitPolicy, exits: number, options: ExitOptions = {}): ResolvedPolicy {
  const criterion = options.criterion ?? defaults.criterion;
  if (criterion !== 'entropy' && criterion !== 'maxprob') {
    throw new BeenetError('BAD_INPUT', `criterion must be 'entropy' or 'maxprob', got ${JSON.stringify(criterion)}`);
  }
  const mode = options.mode ?? 'readback';
  if (!MODES.includes(mode)) throw new BeenetError('BAD_INPUT', `mode must be one of ${MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  if (options.threshold !== undefined && options.thresholds !== undefined) {
    throw new BeenetError('BAD_INPUT', 'give either threshold or thresholds, not both');
  }
  let thresholds: number[];
  if (options.thresholds !== undefined) {
    if (options.thresholds.length !== exits) {
      throw new BeenetError('BAD_INPUT', `thresholds has ${options.thresholds.length} values, the model has ${exits} exits`);
    }
    thresholds = [...options.thresholds];
  } else if (options.threshold !== undefined) {
    thresholds = new Array<number>(exits).fill(options.threshold);
  } else if (options.criterion === undefined || options.criterion === defaults.criterion) {
    thresholds = [...defaults.thresholds];
  } else {
    throw new BeenetError('BAD_INPUT', `the model's default thresholds are for '${defaults.criterion}': give thresholds for '${criterion}'`);
  }
  thresholds.forEach((t, i) => {
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) {
      throw new BeenetError('BAD_INPUT', `threshold ${i} must be a finite number >= 0, got ${String(t)}`);
    }
  });
  if (options.logits !== undefined && typeof options.logits !== 'boolean') {
    throw new BeenetError('BAD_INPUT', `logits must be true or false, got ${String(options.logits)}`);
  }
  const signal = options.signal ?? null;
  if (signal !== null && (typeof signal !== 'object' || typeof signal.aborted !== 'boolean')) {
    throw new BeenetError('BAD_INPUT', `signal must be an AbortSignal, got ${String(signal)}`);
  }
  return { criterion, thresholds, mode, logits: options.logits === true, signal };
}

/**
 * Threshold as the comparison uses it. Normalised entropy is at most 1 (exactly 1 only for a uniform softmax),
 * so an entropy threshold >= 1 means "always exit": mapped to 2 so that `entropy < t` holds for every clip.
 */
export function effectiveThreshold(criterion: ExitCriterion, t: number): number {
  return criterion === 'entropy' && t >= 1 ? 2 : t;
}

/**
 * The f32 threshold a device compares f32 records against so that its decisions equal the host's comparison of
 * the same records with the caller's (f64) threshold, for both criteria: the smallest f32 >= t. For an f32
 * record x and a t between two f32 values, x < t iff x < ceil32(t) and x >= t iff x >= ceil32(t); plain f32
 * rounding (to nearest) may round t down onto a record and flip that clip's decision.
 */
export function deviceThreshold(criterion: ExitCriterion, t: number): number {
  return f32Ceil(effectiveThreshold(criterion, t));
}

/** The smallest f32 value >= v (v finite). */
export function f32Ceil(v: number): number {
  const f = Math.fround(v);
  if (f >= v) return f;
  const bits = new Float32Array([f]);
  const u = new Uint32Array(bits.buffer);
  // One ulp towards +infinity: the bit pattern grows for positives and shrinks for negatives (-0 -> smallest +).
  if (f > 0) u[0]++;
  else if (f < 0) u[0]--;
  else u[0] = 1;
  return bits[0];
}

/** Does a clip with this exit record leave at this exit? The last exit always accepts. */
export function exitsHere(criterion: ExitCriterion, t: number, entropy: number, maxProb: number, isLast: boolean): boolean {
  if (isLast) return true;
  const e = effectiveThreshold(criterion, t);
  return criterion === 'entropy' ? entropy < e : maxProb >= e;
}
