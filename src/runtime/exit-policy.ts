// A call's exit options, resolved over the model's defaults and validated. The rule itself: src/plan/exit-rule.ts.
import { BeenetError } from '../errors';
import type { ExitCriterion, ExitPolicy } from '../model/graph';

export { deviceThreshold, effectiveThreshold, exitsHere, f32Ceil } from '../plan/exit-rule';

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
