// The one percentage formatter for reports, scripts, benchmarks and the demo: a fraction as percent digits.

/** `0.1234` -> `'12.3'` (digits after the point); non-finite -> `'n/a'`. Add the unit where the text needs it. */
export function percent(fraction: number, digits = 1): string {
  return Number.isFinite(fraction) ? (100 * fraction).toFixed(digits) : 'n/a';
}
