// Clips stacked into one [n, ...] batch: what an ONNX session and the CPU reference take. Browser-safe (the ORT
// benchmark page imports it), so it lives apart from reference.ts, which loads the CPU executor.

/** Concatenates clips into one [n, ...] batch. */
export function stackFeatures(features: readonly Float32Array[]): Float32Array {
  const size = features[0]?.length ?? 0;
  const x = new Float32Array(features.length * size);
  features.forEach((f, i) => x.set(f, i * size));
  return x;
}
