// Does a calibration chosen on validation carry over to unseen speakers? For a kws model: its exit records on the
// validation speakers' spectrogram images (what thresholds are calibrated on) and on the real test wavs (audio
// in, the model's own front end), then, for several accuracy targets, the thresholds calibrated on validation and
// what they cost and lose on the wavs. Prints a table; changes nothing.
//   node --import tsx --import ./scripts/wgsl-loader.mjs scripts/calibration-transfer.ts --model models/kws-xnornet.bee --seed 3
// --seed: the model's training seed (it picks the image task's `_unknown_` clips, as in evaluate.ts).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeWav } from '../src/audio/wav';
import { listTestWavs } from '../src/data/spectrogram-images';
import { calibrateForAccuracy, describeAccuracyTarget, evaluatePolicy, exitAccuracies, type AccuracyTarget } from '../src/eval/policy';
import { collectRecords, costsFromPlan } from '../src/eval/records';
import { readBee } from '../src/format/bee';
import { planModel } from '../src/plan/plan';
import { createRuntime } from '../src/runtime/runtime';
import { loadImageTask } from '../src/train/load-images';
import { WasmExecutor } from '../src/wasm/executor';
import { cliArgs } from './cli-args';

// The shipped rule (lost answers <= 1 pt) first, then the earlier one (net drop, 90 % confidence) and stricter variants.
const TARGETS: AccuracyTarget[] = [
  { maxDrop: 0.01, confidence: 0, measure: 'lost' },
  { maxDrop: 0.01, confidence: 0.9, measure: 'lost' },
  { maxDrop: 0.01, confidence: 0.9, measure: 'net' },
  { maxDrop: 0.01, confidence: 0.99, measure: 'net' },
  { maxDrop: 0.005, confidence: 0.95, measure: 'net' },
];

const a = cliArgs('scripts/calibration-transfer.ts --model models/<kws model>.bee --seed N', {
  model: { type: 'string', help: 'a kws .bee file (required)' },
  seed: { type: 'number', default: 1, help: "the model's training seed" },
  data: { type: 'string', default: '../shared/data', help: 'the real recordings' },
});
if (!a.model) throw new Error('--model is required');
const corpus = join(a.data, 'speech-commands-v2');
if (!existsSync(corpus)) {
  console.log(`calibration-transfer: ${corpus} is absent; nothing to measure`);
} else {
  const bee = readBee(readFileSync(a.model));
  const d = bee.description;
  if (d.task !== 'kws') throw new Error(`${a.model} is a ${d.task} model; this compares kws validation images with kws test wavs`);
  const plan = planModel(d, bee.tensors);
  const ex = await WasmExecutor.create(plan, { maxBatch: 256 });
  const data = loadImageTask(corpus, { task: 'kws', seed: a.seed }, 'out/cache', () => {});
  const val = await collectRecords(ex, plan, data.validation.features, data.validation.labels);
  // The wavs through the model's own front end (the CPU runtime computes exactly the features inference uses).
  const cpu = await createRuntime({ backend: 'cpu' });
  const model = await cpu.load(bee);
  const wavs = listTestWavs(corpus);
  const label = new Map(d.labels.map((l, i) => [l, i]));
  const features = new Float32Array(wavs.length * plan.inputElements);
  wavs.forEach((p, i) => {
    const w = decodeWav(readFileSync(p.wav));
    features.set(model.features(w.samples, w.sampleRate), i * plan.inputElements);
  });
  const real = await collectRecords(ex, plan, features, Int32Array.from(wavs, (p) => label.get(p.label)!));
  const costs = costsFromPlan(plan);
  const lastVal = exitAccuracies(val).at(-1)!;
  const lastReal = exitAccuracies(real).at(-1)!;
  const pt = (x: number): string => (100 * x).toFixed(2);
  console.log(`${a.model}: last exit ${pt(lastVal)} % on ${val.argmax[0].length} validation images, ${pt(lastReal)} % on ${wavs.length} test wavs`);
  console.log('| target | validation: loss, binary ops | test wavs: loss, binary ops |');
  console.log('|---|---|---|');
  for (const target of TARGETS) {
    const p = calibrateForAccuracy(val, costs, target);
    const r = evaluatePolicy(real, costs, p.thresholds);
    console.log(`| ${describeAccuracyTarget(target)} | ${pt(lastVal - p.accuracy)} pt, ${pt(p.binaryOpsFraction)} % | ${pt(lastReal - r.accuracy)} pt, ${pt(r.binaryOpsFraction)} % |`);
  }
  ex.dispose();
  model.dispose();
  cpu.dispose();
}
