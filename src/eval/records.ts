// Per-exit records of a set of clips: what every evaluation function works on (browser-safe, no tfjs).
import { summarizeLogits } from '../cpu/exit-result';
import type { StageExecutor } from '../plan/executor';
import type { ModelPlan } from '../plan/plan';

export interface ExitRecords {
  classes: number;
  count: number;
  /** True label per clip (-1 where unknown). */
  labels: Int32Array;
  /** Per exit, per clip. */
  argmax: Int32Array[];
  /** Normalised entropy H(p) / ln(classes) in [0, 1]. */
  entropy: Float32Array[];
  maxProb: Float32Array[];
}

/** Cost of stopping at each exit: cumulative ops up to and including it, and the full model's. */
export interface ExitCosts {
  cumulativeBinaryOps: number[];
  cumulativeFloatOps: number[];
  totalBinaryOps: number;
  totalFloatOps: number;
}

export function costsFromPlan(plan: ModelPlan): ExitCosts {
  return {
    cumulativeBinaryOps: plan.stages.map((s) => s.cumulativeOps.binaryOps),
    cumulativeFloatOps: plan.stages.map((s) => s.cumulativeOps.floatOps),
    totalBinaryOps: plan.totalOps.binaryOps,
    totalFloatOps: plan.totalOps.floatOps,
  };
}

function empty(exits: number, classes: number, labels: Int32Array): ExitRecords {
  const n = labels.length;
  return {
    classes,
    count: n,
    labels,
    argmax: Array.from({ length: exits }, () => new Int32Array(n)),
    entropy: Array.from({ length: exits }, () => new Float32Array(n)),
    maxProb: Array.from({ length: exits }, () => new Float32Array(n)),
  };
}

/** Records from raw logits, one [n * classes] array per exit (e.g. from the training framework). */
export function recordsFromLogits(logits: ArrayLike<number>[], classes: number, labels: Int32Array): ExitRecords {
  const r = empty(logits.length, classes, labels);
  logits.forEach((l, e) => {
    for (let i = 0; i < r.count; i++) {
      const row = Array.from({ length: classes }, (_, c) => l[i * classes + c]);
      const s = summarizeLogits(row);
      r.argmax[e][i] = s.argmax;
      r.entropy[e][i] = s.entropy;
      r.maxProb[e][i] = s.maxProb;
    }
  });
  return r;
}

/** Records from exit result rows `[logits..., entropy, maxprob, argmax]`, one [n * (classes + 3)] array per exit. */
export function recordsFromResults(results: Float32Array[], classes: number, labels: Int32Array): ExitRecords {
  const r = empty(results.length, classes, labels);
  const stride = classes + 3;
  results.forEach((res, e) => {
    for (let i = 0; i < r.count; i++) {
      r.entropy[e][i] = res[i * stride + classes];
      r.maxProb[e][i] = res[i * stride + classes + 1];
      r.argmax[e][i] = res[i * stride + classes + 2];
    }
  });
  return r;
}

/** Every exit's result rows (see recordsFromResults) for all clips, run `batch` clips at a time. */
export async function collectResults(executor: StageExecutor, plan: ModelPlan, features: Float32Array, n: number, batch = 256): Promise<Float32Array[]> {
  const size = plan.inputElements;
  const stride = plan.classes + 3;
  const results = plan.stages.map(() => new Float32Array(n * stride));
  for (let start = 0; start < n; start += batch) {
    const m = Math.min(batch, n - start);
    await executor.setInput(features.subarray(start * size, (start + m) * size), m);
    const active = Uint32Array.from({ length: m }, (_, i) => i);
    for (const s of plan.stages) results[s.index].set(await executor.runStage(s.index, active), start * stride);
  }
  return results;
}

/** Runs every stage for every clip (no early exit) through an executor, in batches; features are [n, ...input]. */
export async function collectRecords(
  executor: StageExecutor,
  plan: ModelPlan,
  features: Float32Array,
  labels: Int32Array,
  batch = 256,
): Promise<ExitRecords> {
  return recordsFromResults(await collectResults(executor, plan, features, labels.length, batch), plan.classes, labels);
}
