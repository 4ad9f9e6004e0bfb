// The export check on the GPU path: runs a model's validation and test clips through the WebGPU executor and the
// CPU reference and compares every exit's prediction, the early-exit policy's outcome and the logits.
//   node --import tsx --import ./scripts/wgsl-loader.mjs scripts/check-gpu.ts --model models/kws-reactnet.bee
//     [--manifest data/kws/manifest.json] [--save-features F] [--features F] [--clips N]
//     [--out models/reports/<name>.gpu.json]
// --save-features writes the normalised clips (and labels) to F; --features reads them back instead of the data
// set, for a machine that has a GPU but not the generated data. --clips N checks the first N clips of each split.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { normalizeBands } from '../src/audio/logmel';
import { loadDataset, selectSplit } from '../src/data/dataset';
import { readBee } from '../src/format/bee';
import { acquireGpu } from '../src/gpu/device';
import { nodeGpu } from '../src/node/gpu';
import { CpuExecutor } from '../src/cpu/executor';
import { GpuExecutor } from '../src/gpu/executor';
import { planModel, type ModelPlan } from '../src/plan/plan';
import { agreement, exitAccuracies } from '../src/eval/policy';
import { loadClipSets, saveClipSets, type ClipSet } from '../src/eval/clip-file';
import { collectResults, recordsFromResults } from '../src/eval/records';
import { cliArgs } from './cli-args';

const SPLITS = ['validation', 'test'] as const;

const FLAGS = {
  model: { type: 'string', help: 'the .bee file to check (required)' },
  features: { type: 'string', help: 'clip features saved by --save-features (machines without the dataset)' },
  'save-features': { type: 'string', help: 'save the clips used, for a machine without the dataset' },
  manifest: { type: 'string', help: 'dataset manifest (default data/<task>/manifest.json)' },
  clips: { type: 'number', default: Infinity, help: 'at most this many clips per split' },
  out: { type: 'string', help: 'report (default models/reports/<name>.gpu.json)' },
} as const;

const log = (s: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

interface Comparison {
  clips: number;
  /** Share of clips whose predicted class agrees, per exit. */
  exitAgreement: number[];
  /** Share of clips leaving at the same exit with the same class under the model's thresholds. */
  policyAgreement: number;
  /** Share of logits bit-identical, and the largest difference (where exit heads are float, rounding may differ). */
  identicalLogits: number;
  maxLogitDifference: number;
  /**
   * Clips with a logit more than 1e-3 apart at some exit: beyond float rounding, i.e. a real value at a sign's
   * threshold rounded to the other side and flipped a binary activation.
   */
  clipsBeyondRounding: number;
  /** The GPU path's accuracy per exit (shows the clips are the real ones, not just equal garbage on both sides). */
  gpuAccuracy: number[];
}

function compare(plan: ModelPlan, gpuRows: Float32Array[], cpuRows: Float32Array[], labels: Int32Array, thresholds: number[]): Comparison {
  const gpu = recordsFromResults(gpuRows, plan.classes, labels);
  const cpu = recordsFromResults(cpuRows, plan.classes, labels);
  const n = cpu.count;
  let identical = 0;
  let maxDiff = 0;
  const beyond = new Set<number>();
  const stride = plan.classes + 3;
  cpuRows.forEach((rows, e) => {
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < plan.classes; c++) {
        const d = Math.abs(rows[i * stride + c] - gpuRows[e][i * stride + c]);
        if (d === 0) identical++;
        if (d > 1e-3) beyond.add(i);
        maxDiff = Math.max(maxDiff, d);
      }
    }
  });
  return {
    clips: n,
    ...agreement(gpu, cpu, thresholds),
    identicalLogits: identical / (n * plan.classes * cpuRows.length),
    maxLogitDifference: maxDiff,
    clipsBeyondRounding: beyond.size,
    gpuAccuracy: exitAccuracies(gpu),
  };
}

async function main(): Promise<void> {
  const a = cliArgs('npx tsx scripts/check-gpu.ts --model models/<name>.bee [--features f.bin]', FLAGS);
  const file = a.model;
  if (!file) throw new Error('--model models/<name>.bee is required');
  const name = basename(file, '.bee');
  const bee = readBee(readFileSync(file));
  const d = bee.description;
  const plan = planModel(d, bee.tensors);
  let clips: Map<string, ClipSet>;
  if (a.features) clips = loadClipSets(readFileSync(a.features), plan.inputElements, a.features);
  else {
    const ds = loadDataset(a.manifest ?? `data/${d.task}/manifest.json`, d.frontend);
    if (ds.labelNames.join('|') !== d.labels.join('|')) throw new Error(`the data set's labels differ from ${name}'s`);
    const norm = d.frontend.normalization;
    clips = new Map(
      SPLITS.map((s) => {
        const x = selectSplit(ds, s);
        const features = norm ? normalizeBands(x.features, bee.tensors.get(norm.mean)!.data as Float32Array, bee.tensors.get(norm.std)!.data as Float32Array) : x.features;
        return [s, { features, labels: x.labels }];
      }),
    );
  }
  if (a['save-features']) {
    writeFileSync(a['save-features'], saveClipSets(clips, plan.inputElements));
    log(`wrote ${a['save-features']}`);
  }
  const limit = a.clips;
  if (!(limit > 0)) throw new Error(`--clips must be a positive number, got '${limit}'`);
  for (const [s, c] of clips) {
    const n = Math.min(limit, c.labels.length);
    clips.set(s, { labels: c.labels.subarray(0, n), features: c.features.subarray(0, n * plan.inputElements) });
  }
  const thresholds = d.exitPolicy.thresholds;
  const batch = 64;
  const ctx = await acquireGpu({ gpu: await nodeGpu(), powerPreference: 'high-performance' });
  const adapter = { ...ctx.adapterInfo, isFallbackAdapter: ctx.isFallbackAdapter };
  log(`adapter ${JSON.stringify(adapter)}`);
  const gpuEx = await GpuExecutor.create(ctx, plan, { maxBatch: batch });
  const cpuEx = new CpuExecutor(plan);
  const result: Record<string, Comparison> = {};
  try {
    for (const [s, c] of clips) {
      const t = performance.now();
      const n = c.labels.length;
      const gpu = await collectResults(gpuEx, plan, c.features, n, batch);
      const cpu = await collectResults(cpuEx, plan, c.features, n, batch);
      result[s] = compare(plan, gpu, cpu, c.labels, thresholds);
      const r = result[s];
      log(
        `${name} ${s} (${r.clips} clips, ${((performance.now() - t) / 1000).toFixed(1)} s): GPU vs CPU class agreement per exit ` +
          `${r.exitAgreement.map((v) => (100 * v).toFixed(2)).join(' / ')} %, policy ${(100 * r.policyAgreement).toFixed(2)} %, ` +
          `logits identical ${(100 * r.identicalLogits).toFixed(2)} % (max difference ${r.maxLogitDifference.toExponential(2)}, ` +
          `${r.clipsBeyondRounding} clip(s) beyond 1e-3); ` +
          `GPU accuracy per exit ${r.gpuAccuracy.map((v) => (100 * v).toFixed(1)).join(' / ')} %`,
      );
    }
  } finally {
    gpuEx.dispose();
    cpuEx.dispose();
    ctx.device.destroy();
  }
  const out = a.out ?? join('models', 'reports', `${name}.gpu.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ model: name, date: new Date().toISOString(), adapter, thresholds, splits: result }, null, 1) + '\n');
  log(`wrote ${out}`);
  const worst = Math.min(...Object.values(result).flatMap((r) => [...r.exitAgreement, r.policyAgreement]));
  if (worst < 0.995) {
    console.error(`GPU check failed: agreement ${(100 * worst).toFixed(2)} % < 99.5 %`);
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
