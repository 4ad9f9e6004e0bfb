// Comparison helpers for GPU-vs-CPU-twin tests.

/**
 * Floats agree within 1e-5 relative to `scale` (the magnitude of the summed terms): a GPU compiler may fuse
 * multiply-adds, which changes the last bits of each partial sum (docs/layout.md, "Float exactness").
 */
export function closeTo(actual: number, expected: number, scale = 1): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  return Math.abs(actual - expected) <= 1e-5 * Math.max(Math.abs(expected), scale, 1e-30);
}

/** First index where the float arrays disagree (see closeTo), or -1. */
export function firstFloatMismatch(actual: ArrayLike<number>, expected: ArrayLike<number>, scale = 1): number {
  if (actual.length !== expected.length) return -2;
  for (let i = 0; i < expected.length; i++) if (!closeTo(actual[i], expected[i], scale)) return i;
  return -1;
}

/** First index where the integer arrays differ, or -1. */
export function firstMismatch(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return -2;
  for (let i = 0; i < expected.length; i++) if (actual[i] !== expected[i]) return i;
  return -1;
}
