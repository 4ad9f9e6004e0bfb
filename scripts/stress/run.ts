// The full reliability run (issue figures for the README): model-file fuzzing that also classifies what loads,
// a soak in Node and in one Chromium page, injected device losses and concurrent callers.
// `npm run stress -- [--fuzz 10000] [--soak 10000] [--page-soak 10000] [--losses 30]`.
// Writes bench/results/stress-<date>.json and prints a summary.
import { mkdirSync, writeFileSync } from 'node:fs';
import { BeenetError } from '../../src/errors';
import { readBee, writeBee, type BeeModel } from '../../src/format/bee';
import { createRuntime, type BeenetModel, type ClassifyResult } from '../../src/index';
import { createNodeRuntime } from '../../src/node';
import { mutate } from '../../test/format/mutate';
import { randomModel, RECIPE_NAMES, tinyModel } from '../../test/helpers/random-model';
import { mulberry32 } from '../../test/helpers/rng';
import { browserSoak } from './browser-soak';
import { cliArgs } from '../cli-args';


const args = cliArgs('npm run stress [-- --fuzz 10000 --soak 10000 --losses 30 --page-soak 10000]', {
  fuzz: { type: 'number', default: 10000, help: 'mutated model files' },
  soak: { type: 'number', default: 10000, help: 'classifications per soak' },
  losses: { type: 'number', default: 30, help: 'injected device losses' },
  'page-soak': { type: 'number', default: 10000, help: 'classifications in the browser page soak' },
});
const fuzzCount = args.fuzz;
const soakCount = args.soak;
const lossCount = args.losses;
const pageSoakCount = args['page-soak'];

function features(seed: number, size: number): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: size }, () => rng() * 8 - 6);
}

function sameResult(a: { classIndex: number; exit: number }, b: { classIndex: number; exit: number }): boolean {
  return a.classIndex === b.classIndex && a.exit === b.exit;
}

async function fuzz(): Promise<Record<string, number>> {
  const rng = mulberry32(1);
  const bases = RECIPE_NAMES.map((r) => writeBee(randomModel(mulberry32(1), { recipe: r })));
  const cpu = await createRuntime({ backend: 'cpu' });
  const out = { files: fuzzCount, loadedAndClassified: 0, rejectedNamed: 0, classifyRejectedNamed: 0, crashed: 0, maxMs: 0 };
  for (let i = 0; i < fuzzCount; i++) {
    const { bytes } = mutate(rng, bases[i % bases.length]);
    const t0 = performance.now();
    try {
      const m = await cpu.load(readBee(bytes));
      try {
        const r = await m.classify({ features: features(i, m.plan.inputElements) });
        if (!r.probabilities.every(Number.isFinite)) throw new Error('NaN probabilities');
        out.loadedAndClassified++;
      } catch (e) {
        if (!(e instanceof BeenetError)) throw e;
        out.classifyRejectedNamed++;
      } finally {
        m.dispose();
      }
    } catch (e) {
      if (e instanceof BeenetError) out.rejectedNamed++;
      else {
        out.crashed++;
        console.error(`fuzz ${i}: ${(e as Error).stack}`);
      }
    }
    out.maxMs = Math.max(out.maxMs, performance.now() - t0);
  }
  return out;
}

async function soak(model: BeenetModel, label: string): Promise<Record<string, number | string | boolean>> {
  const inputs = Array.from({ length: 8 }, (_, i) => ({ features: features(100 + i, model.plan.inputElements) }));
  const first = await model.classifyBatch(inputs, { threshold: 0.5 });
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const stats0 = model.stats();
  let mismatches = 0;
  const t0 = performance.now();
  for (let i = 0; i < soakCount; i++) {
    const r = await model.classify(inputs[i % 8], { threshold: 0.5, mode: i % 2 ? 'gpu' : 'readback' });
    if (!sameResult(r, first[i % 8])) mismatches++;
  }
  const seconds = (performance.now() - t0) / 1000;
  global.gc?.();
  const stats1 = model.stats();
  return {
    backend: label,
    classifications: soakCount,
    seconds: +seconds.toFixed(1),
    mismatches,
    liveBuffersBefore: stats0.liveBuffers,
    liveBuffersAfter: stats1.liveBuffers,
    bindGroupsBefore: stats0.liveBindGroups,
    bindGroupsAfter: stats1.liveBindGroups,
    heapGrowthMB: +((process.memoryUsage().heapUsed - heap0) / 2 ** 20).toFixed(2),
  };
}

async function deviceLoss(bee: BeeModel): Promise<Record<string, number>> {
  const runtime = await createNodeRuntime({ backend: 'webgpu' });
  const model = await runtime.load(bee);
  const inputs = Array.from({ length: 4 }, (_, i) => ({ features: features(200 + i, model.plan.inputElements) }));
  const expected = await model.classifyBatch(inputs, { threshold: 0.5 });
  let same = 0;
  for (let i = 0; i < lossCount; i++) {
    const ctx = await runtime.gpu();
    let pending;
    if (i % 2 === 0) {
      ctx.device.destroy(); // before a call
      pending = model.classifyBatch(inputs, { threshold: 0.5, mode: i % 4 === 0 ? 'gpu' : 'readback' });
    } else {
      pending = model.classifyBatch(inputs, { threshold: 0.5 }); // during a call
      ctx.device.destroy();
    }
    const got = await pending;
    if (got.every((r, j) => sameResult(r, expected[j]))) same++;
  }
  const recoveries = model.stats().deviceRecoveries;
  runtime.dispose();
  return { injected: lossCount, recoveries, sameResults: same };
}

async function concurrency(bee: BeeModel): Promise<Record<string, number>> {
  const runtime = await createNodeRuntime({ backend: 'webgpu' });
  const a = await runtime.load(bee);
  const b = await runtime.load(randomModel(mulberry32(7), { recipe: 'reactnet' }));
  const inA = Array.from({ length: 100 }, (_, i) => ({ features: features(300 + i, a.plan.inputElements) }));
  const inB = Array.from({ length: 100 }, (_, i) => ({ features: features(400 + i, b.plan.inputElements) }));
  const seqA: ClassifyResult[] = [];
  for (const x of inA) seqA.push(await a.classify(x));
  const seqB: ClassifyResult[] = [];
  for (const x of inB) seqB.push(await b.classify(x));
  const [gotA, gotB] = await Promise.all([Promise.all(inA.map((x) => a.classify(x))), Promise.all(inB.map((x) => b.classify(x)))]);
  const equal = gotA.filter((r, i) => sameResult(r, seqA[i])).length + gotB.filter((r, i) => sameResult(r, seqB[i])).length;
  const pending = inA.map((x) => a.classify(x));
  a.dispose();
  const settled = await Promise.allSettled(pending);
  const rejectedDisposed = settled.filter((s) => s.status === 'rejected' && (s.reason as BeenetError).code === 'DISPOSED').length;
  runtime.dispose();
  return { calls: 200, equalToSequential: equal, pendingAtDispose: pending.length, rejectedDisposed, resolvedBeforeDispose: pending.length - rejectedDisposed };
}

const report: Record<string, unknown> = { date: new Date().toISOString() };
console.log(`fuzz: ${fuzzCount} mutated model files ...`);
report.fuzz = await fuzz();
console.log(report.fuzz);
const bee = tinyModel(3);
const gpuRuntime = await createNodeRuntime({ backend: 'webgpu' });
report.adapter = { ...gpuRuntime.info.adapter, isFallbackAdapter: gpuRuntime.info.isFallbackAdapter };
console.log(`soak: ${soakCount} classifications on WebGPU (${gpuRuntime.info.adapter?.architecture}) and on WASM ...`);
report.soakWebgpu = await soak(await gpuRuntime.load(bee), 'webgpu');
console.log(report.soakWebgpu);
const wasmRuntime = await createRuntime({ backend: 'wasm' });
report.soakWasm = await soak(await wasmRuntime.load(bee), 'wasm');
console.log(report.soakWasm);
gpuRuntime.dispose();
console.log(`page soak: ${pageSoakCount} classifications in one Chromium page, WebGPU then WASM ...`);
report.pageSoakWebgpu = await browserSoak('webgpu', pageSoakCount);
console.log(report.pageSoakWebgpu);
report.pageSoakWasm = await browserSoak('wasm', pageSoakCount);
console.log(report.pageSoakWasm);
console.log(`device loss: ${lossCount} injections ...`);
report.deviceLoss = await deviceLoss(bee);
console.log(report.deviceLoss);
report.concurrency = await concurrency(bee);
console.log(report.concurrency);
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/stress-${new Date().toISOString().slice(0, 10)}.json`;
writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
console.log(`wrote ${file}`);
