// beenet's CPU reference (src/cpu) on a batch of clips with every exit evaluated: the logits the ONNX models
// are compared with.
import { CpuExecutor } from '../../cpu/executor';
import type { ModelPlan } from '../../plan/plan';

export { stackFeatures } from './stack';

/** Every exit's logits per clip: result[exit][clip] is a Float32Array of `classes` values. */
export async function referenceLogits(plan: ModelPlan, features: readonly Float32Array[]): Promise<Float32Array[][]> {
  const ex = new CpuExecutor(plan);
  const size = plan.inputElements;
  const x = new Float32Array(features.length * size);
  features.forEach((f, i) => {
    if (f.length !== size) throw new Error(`clip ${i}: ${f.length} features, the model takes ${size}`);
    x.set(f, i * size);
  });
  await ex.setInput(x, features.length);
  const active = Uint32Array.from(features, (_, i) => i);
  const stride = plan.classes + 3;
  const out: Float32Array[][] = [];
  for (let s = 0; s < plan.stages.length; s++) {
    const rec = await ex.runStage(s, active);
    out.push(features.map((_, i) => rec.slice(i * stride, i * stride + plan.classes)));
  }
  ex.dispose();
  return out;
}

/** Index of the largest value (the first on ties, as beenet's exit summary). */
export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

export interface Agreement {
  clips: number;
  /** Clips whose argmax equals the reference's. */
  sameClass: number;
  /** Largest |logit - reference logit| over every clip and class. */
  maxAbsDiff: number;
  /** Largest |logit - reference| / (1 + |reference|). */
  maxRelDiff: number;
}

/** Compares an ONNX output (`clips * classes`, row-major) with the reference logits per clip. */
export function compareLogits(reference: readonly Float32Array[], output: Float32Array, classes: number): Agreement {
  let sameClass = 0;
  let maxAbsDiff = 0;
  let maxRelDiff = 0;
  reference.forEach((r, i) => {
    const y = output.subarray(i * classes, (i + 1) * classes);
    if (argmax(r) === argmax(y)) sameClass++;
    for (let c = 0; c < classes; c++) {
      const d = Math.abs(y[c] - r[c]);
      maxAbsDiff = Math.max(maxAbsDiff, Number.isNaN(d) ? Infinity : d);
      maxRelDiff = Math.max(maxRelDiff, Number.isNaN(d) ? Infinity : d / (1 + Math.abs(r[c])));
    }
  });
  return { clips: reference.length, sameClass, maxAbsDiff, maxRelDiff };
}
