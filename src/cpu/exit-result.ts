// CPU twin of shaders/exit_result.wgsl: logits -> [logits..., normalised entropy, max probability, argmax].

/** Floats per clip in an exit result record. */
export function exitRecordStride(classes: number): number {
  return classes + 3;
}

export interface ExitSummary {
  /** Softmax probabilities. */
  probs: Float32Array;
  /** H(p) / ln(classes), in [0, 1]. */
  entropy: number;
  maxProb: number;
  argmax: number;
}

/** Softmax statistics of one clip's logits (subtracting the max logit first). */
export function summarizeLogits(logits: ArrayLike<number>): ExitSummary {
  const classes = logits.length;
  let argmax = 0;
  for (let i = 1; i < classes; i++) if (logits[i] > logits[argmax]) argmax = i;
  const m = logits[argmax];
  let sum = 0;
  const probs = new Float32Array(classes);
  for (let i = 0; i < classes; i++) sum += Math.exp(logits[i] - m);
  let h = 0;
  for (let i = 0; i < classes; i++) {
    const p = Math.exp(logits[i] - m) / sum;
    probs[i] = p;
    if (p > 0) h -= p * Math.log(p);
  }
  const entropy = classes > 1 ? Math.min(1, Math.max(0, h / Math.log(classes))) : 0;
  return { probs, entropy, maxProb: 1 / sum, argmax };
}

/** Result records for n clips of `classes` logits each. */
export function exitResultCpu(logits: Float32Array, n: number, classes: number): Float32Array {
  const stride = exitRecordStride(classes);
  const out = new Float32Array(n * stride);
  for (let b = 0; b < n; b++) {
    const row = logits.subarray(b * classes, (b + 1) * classes);
    const s = summarizeLogits(row);
    out.set(row, b * stride);
    out[b * stride + classes] = s.entropy;
    out[b * stride + classes + 1] = s.maxProb;
    out[b * stride + classes + 2] = s.argmax;
  }
  return out;
}
