// Measured early-exit latency on an executor: clips that exit stop being scheduled (the runtime's host loop).
import type { StageExecutor } from '../plan/executor';
import type { ModelPlan } from '../plan/plan';

/** Mean wall-clock milliseconds per clip to classify `n` clips with per-exit entropy thresholds, batch by batch. */
export async function measureLatency(
  executor: StageExecutor,
  plan: ModelPlan,
  features: Float32Array,
  n: number,
  thresholds: readonly number[],
  batch = 64,
): Promise<number> {
  const size = plan.inputElements;
  const stride = plan.classes + 3;
  const last = plan.stages.length - 1;
  const t0 = performance.now();
  for (let start = 0; start < n; start += batch) {
    const m = Math.min(batch, n - start);
    await executor.setInput(features.subarray(start * size, (start + m) * size), m);
    let active = Uint32Array.from({ length: m }, (_, i) => i);
    for (let s = 0; s <= last && active.length > 0; s++) {
      const rec = await executor.runStage(s, active);
      if (s === last) break;
      const keep: number[] = [];
      active.forEach((clip, row) => {
        if (!(rec[row * stride + plan.classes] < thresholds[s])) keep.push(clip);
      });
      active = Uint32Array.from(keep);
    }
  }
  return (performance.now() - t0) / Math.max(1, n);
}
