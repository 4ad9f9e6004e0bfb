// The early-exit loop as the host runs it (readback mode): stage k runs for the clips still undecided, their exit
// records decide who leaves. One definition for the runtime's scheduler (src/runtime/scheduler.ts) and for an
// executor that runs the loop itself next to its data (the WASM pool's workers, src/wasm/worker.ts), so both
// decide alike.
import { throwIfAborted } from '../errors';
import type { ExitCriterion } from '../model/graph';
import { exitsHere } from './exit-rule';

export interface ClipOutcome {
  /** Exit taken. */
  exit: number;
  /** Exit records this clip produced, by exit index (records of exits it never reached are null). */
  records: (Float32Array | null)[];
}

export interface LoopRule {
  criterion: ExitCriterion;
  thresholds: readonly number[];
  /** Every clip runs to the last stage, remembering where it would have left. */
  allExits?: boolean;
  signal?: AbortSignal | null;
}

/** Runs clips 0..n-1 of the current batch through `stages` stages with `runStage` (records of `classes` + 3 floats). */
export async function readbackLoop(
  runStage: (stage: number, active: Uint32Array) => Promise<Float32Array>,
  stages: number,
  classes: number,
  n: number,
  rule: LoopRule,
): Promise<ClipOutcome[]> {
  const stride = classes + 3;
  const outcomes: ClipOutcome[] = Array.from({ length: n }, () => ({ exit: -1, records: new Array(stages).fill(null) }));
  let active = Uint32Array.from({ length: n }, (_, i) => i);
  for (let k = 0; k < stages && active.length > 0; k++) {
    throwIfAborted(rule.signal, 'classify');
    const records = await runStage(k, active);
    const isLast = k === stages - 1;
    const next: number[] = [];
    active.forEach((clip, row) => {
      const record = records.slice(row * stride, (row + 1) * stride);
      const o = outcomes[clip];
      o.records[k] = record;
      const leaves = exitsHere(rule.criterion, rule.thresholds[k], record[classes], record[classes + 1], isLast);
      if (leaves && o.exit < 0) o.exit = k;
      if (!leaves || rule.allExits) next.push(clip);
    });
    active = Uint32Array.from(next);
  }
  return outcomes;
}

/** Outcomes packed for a message: the exit of each clip, and per stage `[n * stride]` records (0 where not reached). */
export function packOutcomes(outcomes: readonly ClipOutcome[], stages: number, stride: number): { exits: Uint32Array; records: Float32Array[] } {
  const n = outcomes.length;
  const exits = Uint32Array.from(outcomes, (o) => o.exit);
  const records = Array.from({ length: stages }, () => new Float32Array(n * stride));
  outcomes.forEach((o, clip) => o.records.forEach((r, k) => r && records[k].set(r, clip * stride)));
  return { exits, records };
}
