// The Chromium half of `npm run bench:onnx:browser`: beenet's WASM backend (full network and calibrated exits)
// against onnxruntime-web's WASM backend (float32 and int8 QDQ exports of the same weights) on one page, on the
// same normalised features, at the thread count in ?threads=N (?side=beenet or ort: time that runtime alone). The same protocol as bench/onnx.ts, from
// bench/peer-turns.ts: warm-up, then configurations take turns call by call. Leaves the result in
// window.__onnxResult (or __onnxError).
import type * as Ort from 'onnxruntime-web';
import { createRuntime, type BeenetModel, type Runtime } from '../../src/index';
import { stackFeatures } from '../../src/train/onnx/stack';
import { onnxCells, parsePeerSide, timeInTurns, type PeerSide } from '../peer-turns';
import { tick } from '../stats';
import type { OnnxPageAgreement, OnnxPageManifest, OnnxPageModel, OnnxRow } from './protocol';

type OrtModule = typeof Ort;

const logEl = document.getElementById('log');
const log = (s: string): void => {
  console.log(`[page] ${s}`);
  if (logEl) logEl.textContent += `${s}\n`;
};

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.arrayBuffer();
}

function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

async function ortRun(ort: OrtModule, s: Ort.InferenceSession, x: Float32Array, n: number, shape: readonly number[]): Promise<Float32Array> {
  const input = new ort.Tensor('float32', x, [n, ...shape]);
  const out = await s.run({ [s.inputNames[0]]: input }, ['logits']);
  const t = out.logits;
  if (!(t.data instanceof Float32Array)) throw new Error(`ORT output is ${t.type}, expected float32`);
  const copy = t.data.slice();
  t.dispose();
  input.dispose();
  return copy;
}

async function agreement(ort: OrtModule, m: OnnxPageModel, model: BeenetModel, sessions: Map<string, Ort.InferenceSession>, inputs: Float32Array[]): Promise<OnnxPageAgreement> {
  const full: number[] = [];
  const fullLogits = new Float32Array(inputs.length * m.classes);
  const ortOut = new Map<string, Float32Array>([['float32', new Float32Array(fullLogits.length)], ['int8', new Float32Array(fullLogits.length)]]);
  for (let i = 0; i < inputs.length; i += 64) {
    const part = inputs.slice(i, i + 64);
    const res = await model.classifyBatch(part.map((f) => ({ features: f })), { criterion: 'entropy', threshold: 0, logits: true });
    res.forEach((r, j) => {
      full.push(r.classIndex);
      const l = r.exits.at(-1)?.logits;
      if (l) fullLogits.set(l, (i + j) * m.classes);
    });
    for (const [p, out] of ortOut) out.set(await ortRun(ort, sessions.get(p)!, stackFeatures(part), part.length, m.inputShape), i * m.classes);
  }
  const side = (out: Float32Array): { sameClass: number; maxAbsDiff: number } => {
    let sameClass = 0;
    let maxAbsDiff = 0;
    for (let i = 0; i < inputs.length; i++) if (argmax(out.subarray(i * m.classes, (i + 1) * m.classes)) === full[i]) sameClass++;
    for (let i = 0; i < out.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(out[i] - fullLogits[i]));
    return { sameClass, maxAbsDiff };
  };
  return { model: m.id, clips: inputs.length, float32: side(ortOut.get('float32')!), int8: side(ortOut.get('int8')!) };
}

async function runModel(ort: OrtModule, man: OnnxPageManifest, m: OnnxPageModel, threads: number, side: PeerSide): Promise<{ rows: OnnxRow[]; agreement: OnnxPageAgreement }> {
  const o = man.options;
  const raw = new Float32Array(await fetchBytes(`./${m.inputs}`));
  const inputs = Array.from({ length: m.clips }, (_, i) => raw.slice(i * m.inputSize, (i + 1) * m.inputSize));
  log(`${m.id}: ${m.inputsSource}; threads ${threads}`);
  const maxBatch = Math.max(64, ...o.batches);
  const runtime: Runtime = await createRuntime({ backend: 'wasm', maxBatch, ...(threads > 1 ? { threads } : {}) });
  const model = await runtime.load(`./${m.bee}`);
  const sessions = new Map<string, Ort.InferenceSession>();
  for (const p of ['float32', 'int8'] as const) {
    sessions.set(p, await ort.InferenceSession.create(new Uint8Array(await fetchBytes(`./${m.onnx[p]}`)), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' }));
  }
  try {
    const agree = await agreement(ort, m, model, sessions, inputs);
    log(`  agreement with beenet's last exit on ${agree.clips} clips: float32 ${agree.float32.sameClass}, int8 ${agree.int8.sameClass} (max |logit diff| ${agree.float32.maxAbsDiff.toExponential(1)} / ${agree.int8.maxAbsDiff.toFixed(3)})`);
    if (!o.timing) return { rows: [], agreement: agree };
    const variants = [...sessions].map(([variant, s]) => ({ variant, run: (x: Float32Array, n: number) => ortRun(ort, s, x, n, m.inputShape) }));
    const cells = onnxCells({ model: m.id, threads }, side === 'ort' ? null : model, side === 'beenet' ? [] : variants, inputs, o.batches);
    const rows = await timeInTurns(cells, o, tick);
    for (const row of rows) log(`  ${row.runtime} ${row.variant} batch ${row.batch}: ${row.msPerClip.toFixed(3)} ms/clip (median of ${row.call.n} calls)`);
    return { rows, agreement: agree };
  } finally {
    for (const s of sessions.values()) await s.release();
    model.dispose();
    runtime.dispose();
  }
}

async function main(): Promise<void> {
  const man = (await (await fetch('./manifest.json')).json()) as OnnxPageManifest;
  const query = new URLSearchParams(location.search);
  const threads = Number(query.get('threads') ?? '1');
  const side = parsePeerSide(query.get('side') ?? 'both');
  // ORT is served as is from node_modules (not bundled by Vite): its glue starts its pthread workers from its own URL.
  const ort = (await import(/* @vite-ignore */ `${man.ort}ort.wasm.min.mjs`)) as OrtModule;
  ort.env.wasm.wasmPaths = man.ort;
  ort.env.wasm.numThreads = threads;
  ort.env.logLevel = 'error';
  const rows: OnnxRow[] = [];
  const agreements: OnnxPageAgreement[] = [];
  for (const m of man.models) {
    const r = await runModel(ort, man, m, threads, side);
    rows.push(...r.rows);
    agreements.push(r.agreement);
  }
  window.__onnxResult = {
    threads,
    side,
    ortThreads: ort.env.wasm.numThreads ?? 0,
    ortVersion: ort.env.versions.web ?? ort.env.versions.common,
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    rows,
    agreement: agreements,
  };
  log('done');
}

main().catch((e: unknown) => {
  window.__onnxError = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e);
  log(`FAILED: ${window.__onnxError}`);
});
