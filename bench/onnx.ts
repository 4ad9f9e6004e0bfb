// The ONNX Runtime Web peer: beenet's WASM backend (full network and the model's calibrated thresholds) against
// onnxruntime-web's WASM backend running the same weights exported to ONNX (float32, and int8 QDQ), with 1 and 2
// threads, at batch 1 and 64, side by side in one run on one machine; plus how well the ONNX models agree with
// beenet's CPU reference. One JSON per run in bench/results/ (onnx-<date>-<host>.json) and onnx-latest.md.
//   npm run bench:onnx [-- --model kws-reactnet,kws-xnornet] [--threads 1,2] [--batches 1,64] [--quick]
//     [--real-clips 1831] [--out-dir bench/results]
// ORT fixes its thread count when its WebAssembly module starts, so each thread count runs in a child process
// (this script with --child); the children run one after the other, never at the same time. Above one thread,
// beenet and ORT each get a child of their own (--side), so ORT's busy threads do not slow beenet's workers.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { readBee, type BeeModel } from '../src/format/bee';
import { createNodeRuntime, type BeenetModel, type Runtime } from '../src/node';
import { planModel } from '../src/plan/plan';
import { bundledClips, labelledWavs, syntheticFeatures } from '../src/train/onnx/clips';
import { exportOnnx, type OnnxExport } from '../src/train/onnx/export';
import { argmax, compareLogits, referenceLogits, stackFeatures, type Agreement } from '../src/train/onnx/reference';
import { createSession, ortVersion, runBatch, type InferenceSession } from '../src/train/onnx/session';
import { cliArgs } from '../scripts/cli-args';
import { ROOT, runInfo, type RunInfo } from './env';
import { onnxCells, onnxRatios, parsePeerSide, peerSides, timeInTurns, type OnnxRatio, type OnnxRow, type OnnxTimingOptions, type PeerSide } from './peer-turns';
import { now } from './stats';

const REAL_DIR = resolve(ROOT, '..', 'shared', 'data', 'speech-commands-v2', 'test-wav-40pct');

const args = cliArgs(
  'npm run bench:onnx [-- --model kws-reactnet] [--threads 1,2] [--batches 1,64] [--quick] [--real-clips N] [--out-dir bench/results]',
  {
    model: { type: 'list', default: ['kws-reactnet'], help: 'model ids in models/ (comma-separated)' },
    threads: { type: 'list', default: ['1', '2'], help: 'thread counts (each in its own process)' },
    batches: { type: 'list', default: ['1', '64'], help: 'batch sizes' },
    quick: { type: 'boolean', help: 'smoke run: few calls, short warm-up, 64 real clips for agreement' },
    'real-clips': { type: 'number', default: 1831, help: `agreement on at most this many wavs of ${REAL_DIR} when it exists (kws models; 0: skip)` },
    'out-dir': { type: 'string', default: join(ROOT, 'bench', 'results'), help: 'where results go' },
    child: { type: 'boolean', help: '(internal) measure one thread count and write --result' },
    side: { type: 'string', default: 'both', help: "(internal) the child times 'both' in turns, or 'beenet' or 'ort' alone" },
    result: { type: 'string', help: '(internal) the child\'s result file' },
  },
);

const log = (s: string): void => console.log(`[bench:onnx ${new Date().toISOString().slice(11, 19)}] ${s}`);

const options: OnnxTimingOptions = args.quick
  ? { quick: true, batches: args.batches.map(Number), warmupMs: 200, minCalls: 3, minMs: 100 }
  : { quick: false, batches: args.batches.map(Number), warmupMs: 1500, minCalls: 12, minMs: 2500 };

interface ChildResult {
  threads: number;
  side: PeerSide;
  inputs: Record<string, string>;
  rows: OnnxRow[];
  ort: string;
  loadAverage: number[];
}

/** Timing inputs: real test-set wavs when there are (exits then vary as in use), else the bundled clips. */
function timingInputs(model: BeeModel): { features: Float32Array[]; source: string } {
  if (model.description.task === 'kws' && existsSync(REAL_DIR)) {
    const w = labelledWavs(model, REAL_DIR, 64);
    return { features: w.features, source: `${w.features.length} Speech Commands v0.02 test wavs spread over ${relative(ROOT, REAL_DIR)}` };
  }
  const c = bundledClips(model, ROOT);
  if (c.features.length > 0) return { features: c.features, source: `the ${c.features.length} bundled clips of models/clips/${model.description.task}, cycled` };
  const size = model.description.graph.inputShape.reduce((a, b) => a * b, 1);
  return { features: syntheticFeatures(16, size, 1), source: '16 synthetic feature maps' };
}

async function measureChild(threads: number, side: PeerSide): Promise<ChildResult> {
  const rows: OnnxRow[] = [];
  const inputs: Record<string, string> = {};
  for (const id of args.model) {
    const file = join(ROOT, 'models', `${id}.bee`);
    const bee = readBee(new Uint8Array(readFileSync(file)));
    const { features, source } = timingInputs(bee);
    inputs[id] = source;
    const maxBatch = Math.max(...options.batches);
    const runtime: Runtime | null = side === 'ort' ? null : await createNodeRuntime({ backend: 'wasm', maxBatch, ...(threads > 1 ? { threads } : {}) });
    const model: BeenetModel | null = runtime ? await runtime.load(file) : null;
    const sessions: { variant: string; e: OnnxExport; s: InferenceSession }[] = [];
    for (const precision of side === 'beenet' ? [] : (['float32', 'int8'] as const)) {
      const e = exportOnnx(bee.description, bee.tensors, { precision });
      sessions.push({ variant: precision, e, s: await createSession(e.bytes, threads) });
    }
    const ort = sessions.map(({ variant, e, s }) => ({ variant, run: (x: Float32Array, n: number) => runBatch(s, x, n, e.inputShape) }));
    const cells = onnxCells({ model: id, threads }, model, ort, features, options.batches);
    for (const row of await timeInTurns(cells, options)) {
      rows.push(row);
      log(`  ${id} threads ${threads} ${row.runtime} ${row.variant} batch ${row.batch}: ${row.msPerClip.toFixed(3)} ms/clip (median of ${row.call.n} calls)${row.meanExit !== undefined ? `, mean exit ${row.meanExit.toFixed(2)}` : ''}`);
    }
    for (const { s } of sessions) await s.release();
    model?.dispose();
    runtime?.dispose();
  }
  const { loadavg } = await import('node:os');
  return { threads, side, inputs, rows, ort: ortVersion(), loadAverage: loadavg() };
}

interface AgreementResult {
  model: string;
  /** ORT vs beenet's CPU reference (src/cpu), last exit, on the bundled clips and synthetic features. */
  bundled: { clips: number; synthetic: number; float32: Agreement; int8: Agreement };
  /** ORT vs beenet WASM's full network (bit-exact with src/cpu) on real test wavs, with accuracy vs the labels. */
  real: null | {
    source: string;
    clips: number;
    float32: { sameClass: number; maxAbsDiff: number };
    int8: { sameClass: number; maxAbsDiff: number };
    /** Sanity: the CPU reference's class equals beenet WASM's on this many of the first clips. */
    cpuCheck: { clips: number; sameClass: number };
    accuracy: { beenetFull: number; beenetCalibrated: number; ortFloat32: number; ortInt8: number };
  };
}

async function agreement(id: string): Promise<AgreementResult> {
  const file = join(ROOT, 'models', `${id}.bee`);
  const bee = readBee(new Uint8Array(readFileSync(file)));
  const plan = planModel(bee.description, bee.tensors);
  const clips = bundledClips(bee, ROOT).features;
  const synthetic = syntheticFeatures(16, plan.inputElements, 3);
  const features = [...clips, ...synthetic];
  const reference = (await referenceLogits(plan, features)).at(-1)!;
  const exports = { float32: exportOnnx(bee.description, bee.tensors, { precision: 'float32' }), int8: exportOnnx(bee.description, bee.tensors, { precision: 'int8' }) };
  const sessions = { float32: await createSession(exports.float32.bytes, 1), int8: await createSession(exports.int8.bytes, 1) };
  const run = async (p: 'float32' | 'int8', f: readonly Float32Array[]): Promise<Float32Array> => {
    const out = new Float32Array(f.length * plan.classes);
    for (let i = 0; i < f.length; i += 64) {
      const part = f.slice(i, i + 64);
      out.set(await runBatch(sessions[p], stackFeatures(part), part.length, exports[p].inputShape), i * plan.classes);
    }
    return out;
  };
  const bundled = {
    clips: clips.length,
    synthetic: synthetic.length,
    float32: compareLogits(reference, await run('float32', features), plan.classes),
    int8: compareLogits(reference, await run('int8', features), plan.classes),
  };
  log(`${id}: vs CPU reference on ${clips.length} bundled clips + ${synthetic.length} synthetic: float32 same class ${bundled.float32.sameClass}/${bundled.float32.clips} (max |diff| ${bundled.float32.maxAbsDiff.toExponential(2)}), int8 ${bundled.int8.sameClass}/${bundled.int8.clips} (max |diff| ${bundled.int8.maxAbsDiff.toFixed(3)})`);
  let real: AgreementResult['real'] = null;
  const limit = args.quick ? Math.min(64, args['real-clips']) : args['real-clips'];
  if (bee.description.task === 'kws' && existsSync(REAL_DIR) && limit > 0) {
    const t0 = now();
    const w = labelledWavs(bee, REAL_DIR, limit);
    log(`${id}: features of ${w.features.length} real wavs in ${((now() - t0) / 1000).toFixed(1)} s`);
    const runtime = await createNodeRuntime({ backend: 'wasm', maxBatch: 64 });
    const model = await runtime.load(file);
    const full: number[] = [];
    const fullLogits = new Float32Array(w.features.length * plan.classes);
    const calibrated: number[] = [];
    for (let i = 0; i < w.features.length; i += 64) {
      const part = w.features.slice(i, i + 64).map((f) => ({ features: f }));
      const rf = await model.classifyBatch(part, { criterion: 'entropy', threshold: 0, logits: true });
      rf.forEach((r, j) => {
        full.push(r.classIndex);
        const logits = r.exits.at(-1)?.logits;
        if (logits) fullLogits.set(logits, (i + j) * plan.classes);
      });
      for (const r of await model.classifyBatch(part, {})) calibrated.push(r.classIndex);
    }
    model.dispose();
    runtime.dispose();
    const check = w.features.slice(0, args.quick ? 8 : 32);
    const cpu = (await referenceLogits(plan, check)).at(-1)!;
    const cpuCheck = { clips: check.length, sameClass: cpu.filter((l, i) => argmax(l) === full[i]).length };
    const labelIndex = w.labels.map((l) => bee.description.labels.indexOf(l));
    const acc = (classes: readonly number[]): number => classes.filter((c, i) => c === labelIndex[i]).length / classes.length;
    const side = (out: Float32Array): { sameClass: number; maxAbsDiff: number; classes: number[] } => {
      const classes = w.features.map((_, i) => argmax(out.subarray(i * plan.classes, (i + 1) * plan.classes)));
      let maxAbsDiff = 0;
      for (let i = 0; i < out.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(out[i] - fullLogits[i]));
      return { sameClass: classes.filter((c, i) => c === full[i]).length, maxAbsDiff, classes };
    };
    const f = side(await run('float32', w.features));
    const q = side(await run('int8', w.features));
    real = {
      source: `Speech Commands v0.02 test wavs (test-wav-40pct), ${w.features.length} clips`,
      clips: w.features.length,
      float32: { sameClass: f.sameClass, maxAbsDiff: f.maxAbsDiff },
      int8: { sameClass: q.sameClass, maxAbsDiff: q.maxAbsDiff },
      cpuCheck,
      accuracy: { beenetFull: acc(full), beenetCalibrated: acc(calibrated), ortFloat32: acc(f.classes), ortInt8: acc(q.classes) },
    };
    log(`${id}: on ${real.clips} real wavs vs beenet full: float32 same class ${f.sameClass}, int8 ${q.sameClass}; accuracy beenet full ${(100 * real.accuracy.beenetFull).toFixed(1)} %, calibrated ${(100 * real.accuracy.beenetCalibrated).toFixed(1)} %, ORT float32 ${(100 * real.accuracy.ortFloat32).toFixed(1)} %, int8 ${(100 * real.accuracy.ortInt8).toFixed(1)} %; CPU check ${cpuCheck.sameClass}/${cpuCheck.clips}`);
  }
  await sessions.float32.release();
  await sessions.int8.release();
  return { model: id, bundled, real };
}

interface OnnxBenchResult {
  bench: 'onnx';
  schema: 1;
  quick: boolean;
  run: RunInfo;
  versions: { ort: string; node: string };
  options: OnnxTimingOptions & { threads: number[] };
  /** What each runtime runs. */
  notes: string[];
  inputs: Record<string, string>;
  /** Per child: its thread count and the load average when it finished. */
  children: { threads: number; side: PeerSide; loadAverage: number[] }[];
  rows: OnnxRow[];
  ratios: OnnxRatio[];
  agreement: AgreementResult[];
}

function markdown(r: OnnxBenchResult, jsonName: string): string {
  const m = r.run.machine;
  const L: string[] = [`# beenet vs ONNX Runtime Web (WASM)${r.quick ? ' (quick smoke run, not for citing)' : ''}`, ''];
  L.push(`Run ${r.run.date}, commit \`${r.run.commit}\`${r.run.dirty ? ' (dirty)' : ''}; ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB; Node ${r.versions.node}, onnxruntime-web ${r.versions.ort}; load average at start ${m.loadAverage.map((x) => x.toFixed(1)).join(' / ')}. Raw data: \`${jsonName}\`.`, '');
  for (const n of r.notes) L.push(`- ${n}`);
  L.push('');
  for (const id of [...new Set(r.rows.map((x) => x.model))]) {
    L.push(`## ${id}`, '', `Timing inputs: ${r.inputs[id]}.`, '');
    L.push('| threads | batch | beenet full | beenet calibrated (mean exit, binary ops) | ORT float32 | ORT int8 | full / int8 | calibrated / int8 | full / float32 |', '|---|---|---|---|---|---|---|---|---|');
    for (const t of r.options.threads) {
      for (const b of r.options.batches) {
        const get = (rt: OnnxRow['runtime'], v: string): OnnxRow | undefined => r.rows.find((x) => x.model === id && x.threads === t && x.batch === b && x.runtime === rt && x.variant === v);
        const ratio = (what: string): string => {
          const v = r.ratios.find((x) => x.model === id && x.threads === t && x.batch === b && x.what === what)?.value;
          return v === undefined ? 'n/a' : v.toFixed(2);
        };
        const ms = (x?: OnnxRow): string => (x ? x.msPerClip.toFixed(3) : 'n/a');
        const cal = get('beenet-wasm', 'calibrated');
        L.push(`| ${t} | ${b} | ${ms(get('beenet-wasm', 'full'))} | ${ms(cal)} (${cal?.meanExit?.toFixed(2) ?? '?'}, ${cal?.binaryOpsFraction !== undefined ? (100 * cal.binaryOpsFraction).toFixed(0) : '?'} %) | ${ms(get('ort-wasm', 'float32'))} | ${ms(get('ort-wasm', 'int8'))} | ${ratio('beenet full / ORT int8')} | ${ratio('beenet calibrated / ORT int8')} | ${ratio('beenet full / ORT float32')} |`);
      }
    }
    L.push('', 'ms per clip (median call time / batch); a ratio below 1 means beenet is faster.', '');
    const a = r.agreement.find((x) => x.model === id);
    if (a) {
      L.push(`Agreement with beenet's CPU reference (last exit) on ${a.bundled.clips} bundled clips + ${a.bundled.synthetic} synthetic inputs: float32 same class ${a.bundled.float32.sameClass}/${a.bundled.float32.clips}, max |logit diff| ${a.bundled.float32.maxAbsDiff.toExponential(1)}; int8 ${a.bundled.int8.sameClass}/${a.bundled.int8.clips}, max |logit diff| ${a.bundled.int8.maxAbsDiff.toFixed(3)}.`);
      if (a.real) {
        const q = a.real;
        L.push('', `On ${q.source} against beenet WASM's full network (bit-exact with the CPU reference; checked on ${q.cpuCheck.clips} clips: ${q.cpuCheck.sameClass} same): float32 same class ${q.float32.sameClass}/${q.clips} (${(100 * q.float32.sameClass / q.clips).toFixed(2)} %), int8 ${q.int8.sameClass}/${q.clips} (${(100 * q.int8.sameClass / q.clips).toFixed(2)} %). Accuracy against the labels: beenet full ${(100 * q.accuracy.beenetFull).toFixed(1)} %, calibrated ${(100 * q.accuracy.beenetCalibrated).toFixed(1)} %, ORT float32 ${(100 * q.accuracy.ortFloat32).toFixed(1)} %, ORT int8 ${(100 * q.accuracy.ortInt8).toFixed(1)} %.`);
      }
      L.push('');
    }
  }
  return L.join('\n') + '\n';
}

async function main(): Promise<void> {
  const threads = args.threads.map(Number);
  if (args.child) {
    const result = await measureChild(threads[0], parsePeerSide(args.side));
    if (!args.result) throw new Error('--child needs --result');
    writeFileSync(args.result, JSON.stringify(result));
    process.exit(0);
  }
  const run = runInfo();
  log(`${args.quick ? 'quick ' : ''}run on ${run.machine.cpu} x${run.machine.cores}, load ${run.machine.loadAverage.map((x) => x.toFixed(1)).join('/')}; models ${args.model.join(', ')}; threads ${threads.join(', ')}; batches ${options.batches.join(', ')}`);
  const children: ChildResult[] = [];
  for (const t of threads) {
    for (const side of peerSides(t)) {
      const file = join(tmpdir(), `beenet-onnx-bench-${process.pid}-${t}-${side}.json`);
      const childArgs = ['--import', 'tsx', '--import', './scripts/wgsl-loader.mjs', 'bench/onnx.ts', '--child', '--threads', String(t), '--side', side, '--result', file,
        '--model', args.model.join(','), '--batches', options.batches.join(','), ...(args.quick ? ['--quick'] : [])];
      log(`threads ${t}: child process${side === 'both' ? '' : ` (${side} alone)`}`);
      const r = spawnSync(process.execPath, childArgs, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], timeout: 30 * 60_000 });
      if (r.status !== 0) throw new Error(`the ${t}-thread ${side} child exited with ${r.status ?? r.signal}`);
      children.push(JSON.parse(readFileSync(file, 'utf8')) as ChildResult);
    }
  }
  const agreementResults: AgreementResult[] = [];
  for (const id of args.model) agreementResults.push(await agreement(id));
  const rows = children.flatMap((c) => c.rows);
  const result: OnnxBenchResult = {
    bench: 'onnx',
    schema: 1,
    quick: args.quick,
    run,
    versions: { ort: children[0]?.ort ?? ortVersion(), node: process.version },
    options: { ...options, threads },
    notes: [
      'beenet: the WASM SIMD backend (createNodeRuntime({ backend: "wasm", threads })), `full` = entropy threshold 0 (every block, every exit checked), `calibrated` = the exit policy in the model file; classifyBatch of `{ features }`.',
      'ORT: onnxruntime-web WASM (SIMD, numThreads = threads), graphOptimizationLevel all, the model from src/train/onnx (scripts/export-onnx.ts) with the same weights: last exit only, no early exit. float32: Sign-style thresholds + Conv with +-1 weights; int8: QDQ (uint8 activations, zero point 128; int8 weights) that ORT fuses into QLinearConv, accumulators requantised at step 2.',
      'Both sides take the same normalised features (the front end is not timed). ms per clip = median call time / batch.',
      'One thread: beenet and ORT in one process, in turns call by call. Two or more: each alone in its own process, one after the other (ORT\'s intra-op threads stay busy after its runs and slow a beenet worker pool beside them).',
    ],
    inputs: Object.assign({}, ...children.map((c) => c.inputs)) as Record<string, string>,
    children: children.map((c) => ({ threads: c.threads, side: c.side, loadAverage: c.loadAverage })),
    rows,
    ratios: onnxRatios(rows),
    agreement: agreementResults,
  };
  const outDir = resolve(args['out-dir']);
  mkdirSync(outDir, { recursive: true });
  const stamp = run.date.slice(0, 19).replace(/:/g, '');
  const host = run.machine.host.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 32) || 'host';
  const file = join(outDir, `onnx-${stamp}-${host}${args.quick ? '-quick' : ''}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  const md = markdown(result, file.slice(file.lastIndexOf('/') + 1));
  writeFileSync(join(outDir, args.quick ? 'onnx-quick.md' : 'onnx-latest.md'), md);
  console.log(md);
  log(`wrote ${file}`);
  process.exit(0);
}

await main();
