// Small statistics and timing helpers shared by the Node and browser benchmarks (no Node or DOM imports).

export const now = (): number => performance.now();

export interface Summary {
  n: number;
  medianMs: number;
  p95Ms: number;
  meanMs: number;
  minMs: number;
}

/** Nearest-rank quantile of an ascending-sorted list. */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

export function summarize(samples: readonly number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return { n: s.length, medianMs: quantile(s, 0.5), p95Ms: quantile(s, 0.95), meanMs: mean, minMs: s[0] ?? NaN };
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** a / b, or null when either is missing or not a positive finite number. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null || !(a > 0) || !(b > 0) || !Number.isFinite(a) || !Number.isFinite(b)) return null;
  return a / b;
}

let lastYield = 0;

/**
 * Yields to the event loop at most every 100 ms (keeps the page responsive in long loops). Never yield on every
 * iteration of a timed loop: setTimeout(0) costs ~1 ms in Node and 4 ms in browsers once nested.
 */
export async function tick(): Promise<void> {
  const t = now();
  if (t - lastYield < 100) return;
  await new Promise((r) => setTimeout(r, 0));
  lastYield = now();
}
