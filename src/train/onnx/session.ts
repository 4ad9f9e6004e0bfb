// onnxruntime-web (WASM backend) in Node: sessions on an exported model and batched runs.
import * as ort from 'onnxruntime-web';

export type { InferenceSession } from 'onnxruntime-web';

let configured: number | null = null;

/**
 * Sets ORT's WASM thread count. It is fixed when ORT first initialises its WebAssembly module, so a process
 * gets one thread count: a later call with another count throws.
 */
export function configureOrt(threads: number): void {
  if (configured !== null && configured !== threads) {
    throw new Error(`onnxruntime-web already runs with ${configured} thread(s) in this process; start another process for ${threads}`);
  }
  configured = threads;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.simd = true;
  ort.env.logLevel = 'error';
}

export function ortVersion(): string {
  return ort.env.versions.web ?? ort.env.versions.common;
}

/** A WASM session with every graph optimisation on (ORT's default for an application). */
export async function createSession(bytes: Uint8Array, threads = 1): Promise<ort.InferenceSession> {
  configureOrt(threads);
  return ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
}

/** Runs `n` clips of features (concatenated, [n, h, w, c]) and returns the named float output. */
export async function runBatch(
  session: ort.InferenceSession,
  features: Float32Array,
  n: number,
  inputShape: readonly [number, number, number],
  output = 'logits',
): Promise<Float32Array> {
  const [h, w, c] = inputShape;
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', features, [n, h, w, c]) };
  const result = await session.run(feeds, [output]);
  const t = result[output];
  const data = t.data;
  if (!(data instanceof Float32Array)) throw new Error(`output ${output} is ${t.type}, expected float32`);
  const copy = data.slice();
  t.dispose();
  return copy;
}

/** Every output of a run, by name. */
export async function runAll(
  session: ort.InferenceSession,
  features: Float32Array,
  n: number,
  inputShape: readonly [number, number, number],
): Promise<Map<string, Float32Array>> {
  const [h, w, c] = inputShape;
  const result = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', features, [n, h, w, c]) });
  const out = new Map<string, Float32Array>();
  for (const [k, t] of Object.entries(result)) {
    if (t.data instanceof Float32Array) out.set(k, t.data.slice());
    t.dispose();
  }
  return out;
}
