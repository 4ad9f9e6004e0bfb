// The early-exit scheduler: one stage at a time, only the clips still undecided go deeper.
import { throwIfAborted } from '../errors';
import type { StageExecutor } from '../plan/executor';
import { exitsHere } from '../plan/exit-rule';
import type { ResolvedPolicy } from './exit-policy';

export interface ClipOutcome {
  /** Exit taken. */
  exit: number;
  /** Exit records this clip produced, by exit index (records of exits it never reached are null). */
  records: (Float32Array | null)[];
}

/**
 * Runs the current batch of `n` clips (already given to `executor.setInput`).
 * - readback / all-exits: stage k runs for the active clips, their small exit records come back, the host decides.
 * - gpu: the executor decides on the device (one submission, one readback) when it can; otherwise as readback.
 */
export async function runSchedule(
  executor: StageExecutor,
  stages: number,
  classes: number,
  n: number,
  policy: ResolvedPolicy,
): Promise<ClipOutcome[]> {
  const stride = classes + 3;
  const outcomes: ClipOutcome[] = Array.from({ length: n }, () => ({ exit: -1, records: new Array(stages).fill(null) }));

  if (policy.mode === 'gpu' && executor.runGated) {
    const gated = await executor.runGated(policy.criterion, policy.thresholds, n);
    outcomes.forEach((o, clip) => {
      o.exit = gated.decisions[clip];
      for (let k = 0; k <= o.exit; k++) o.records[k] = gated.records[k].slice(clip * stride, (clip + 1) * stride);
    });
    return outcomes;
  }

  let active = Uint32Array.from({ length: n }, (_, i) => i);
  for (let k = 0; k < stages && active.length > 0; k++) {
    throwIfAborted(policy.signal, 'classify');
    const records = await executor.runStage(k, active);
    const isLast = k === stages - 1;
    const next: number[] = [];
    active.forEach((clip, row) => {
      const record = records.slice(row * stride, (row + 1) * stride);
      const o = outcomes[clip];
      o.records[k] = record;
      const leaves = exitsHere(policy.criterion, policy.thresholds[k], record[classes], record[classes + 1], isLast);
      if (leaves && o.exit < 0) o.exit = k;
      // all-exits keeps every clip to the end but remembers where it would have left.
      if (!leaves || policy.mode === 'all-exits') next.push(clip);
    });
    active = Uint32Array.from(next);
  }
  return outcomes;
}
