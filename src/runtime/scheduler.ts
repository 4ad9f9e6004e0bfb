// The early-exit scheduler: one stage at a time, only the clips still undecided go deeper.
import { throwIfAborted } from '../errors';
import type { StageExecutor } from '../plan/executor';
import { readbackLoop, type ClipOutcome } from '../plan/readback-loop';
import type { ResolvedPolicy } from './exit-policy';

export type { ClipOutcome };

/**
 * Runs the current batch of `n` clips (already given to `executor.setInput`).
 * - readback / all-exits: stage k runs for the active clips, their small exit records come back, the host decides
 *   (src/plan/readback-loop.ts); an executor that runs that loop itself (`runLoop`) does it in one go.
 * - gpu: the executor decides on the device (one submission, one readback) when it can; otherwise as readback.
 */
export async function runSchedule(
  executor: StageExecutor,
  stages: number,
  classes: number,
  n: number,
  policy: ResolvedPolicy,
): Promise<ClipOutcome[]> {
  if (policy.mode === 'gpu' && executor.runGated) {
    const stride = classes + 3;
    const outcomes: ClipOutcome[] = Array.from({ length: n }, () => ({ exit: -1, records: new Array(stages).fill(null) }));
    const gated = await executor.runGated(policy.criterion, policy.thresholds, n);
    outcomes.forEach((o, clip) => {
      o.exit = gated.decisions[clip];
      for (let k = 0; k <= o.exit; k++) o.records[k] = gated.records[k].slice(clip * stride, (clip + 1) * stride);
    });
    return outcomes;
  }
  const rule = { criterion: policy.criterion, thresholds: policy.thresholds, allExits: policy.mode === 'all-exits', signal: policy.signal };
  if (executor.runLoop) {
    throwIfAborted(policy.signal, 'classify');
    return executor.runLoop(rule, n);
  }
  return readbackLoop((k, active) => executor.runStage(k, active), stages, classes, n, rule);
}
