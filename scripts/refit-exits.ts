// Refits a trained model's early-exit heads on its frozen features (src/train/exit-refit.ts) and writes the model:
//   npx tsx scripts/refit-exits.ts --model models/kws-reactnet.bee --cells 3x2,gap,gap [--out FILE]
//     [--corpus ../shared/data/speech-commands-v2] [--train-clips 20000] [--steps 300]
// --cells: one entry per early exit (the last exit is kept): TxF average-pooling cells, gap, or keep (the trained
// head stays). The features are the runtime's CPU reference layers on the training images (kws; digits adds the
// FSDD speakers, as in training); the L2 strength is picked on validation. Then recalibrate the thresholds on
// validation and measure on real speech:
//   npx tsx scripts/evaluate.ts --model FILE --data images && npm run evaluate:real -- --model FILE
import { readFileSync, writeFileSync } from 'node:fs';
import { denseCpu } from '../src/cpu/dense';
import { runLayerCpu } from '../src/cpu/executor';
import { readBee, writeBee } from '../src/format/bee';
import type { Tensor } from '../src/format/safetensors';
import type { MapShape } from '../src/layout/geometry';
import { countOps } from '../src/model/ops';
import { planModel, type PlannedLayer } from '../src/plan/plan';
import { initTrainingBackend } from '../src/train/backend';
import { describeHeadCells, fitSoftmax, headFeatures, parseHeadCells, poolHeadInputs, refitHead, type LabelledFeatures } from '../src/train/exit-refit';
import { fsddExtraClips, loadImageTask } from '../src/train/load-images';
import type { SplitData } from '../src/train/data';
import { argmax } from '../src/train/onnx/reference';
import { Rng } from '../src/train/rng';
import { cliArgs } from './cli-args';

const a = cliArgs('npx tsx scripts/refit-exits.ts --model models/kws-reactnet.bee --cells 3x2,gap,gap [--out FILE]', {
  model: { type: 'string', help: 'the trained .bee (required)' },
  cells: { type: 'list', help: 'per early exit: TxF cells, gap, or keep (the trained head stays) (required)' },
  out: { type: 'string', help: 'where the refit model goes (default: over --model)' },
  corpus: { type: 'string', default: '../shared/data/speech-commands-v2', help: 'the spectrogram images the model was trained on' },
  fsdd: { type: 'string', default: '../shared/data/fsdd/recordings', help: 'FSDD recordings (digits)' },
  'train-clips': { type: 'number', default: 20000, help: 'training clips the heads are fitted on (a seeded sample)' },
  steps: { type: 'number', default: 300, help: 'full-batch Adam steps per L2 strength' },
});

const log = (s: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

async function main(): Promise<void> {
  if (!a.model || !a.cells) throw new Error('--model and --cells are required (--help)');
  const bee = readBee(readFileSync(a.model));
  const d = bee.description;
  const plan = planModel(d, bee.tensors);
  const early = plan.stages.length - 1;
  // null: 'keep', the trained head stays.
  const cells = a.cells.map((c) => (c === 'keep' ? null : parseHeadCells(c)));
  if (cells.length !== early) throw new Error(`--cells needs ${early} entries (one per early exit), got ${cells.length}`);
  if (d.task !== 'kws' && d.task !== 'digits') throw new Error(`kws and digits models are refit from the spectrogram images (this one is '${d.task}')`);
  const prov = d.provenance ?? {};
  const num = (k: string, fallback: number): number => (typeof prov[k] === 'number' ? prov[k] : fallback);
  const seed = num('seed', 1);
  await initTrainingBackend();
  // The training data as scripts/train.ts built it: digits adds the FSDD speakers (with the recorded gain copies and
  // speeds), so the features are normalised with the same statistics the model was trained with.
  const extra = d.task === 'digits' ? fsddExtraClips(a.fsdd, d.frontend, { gainCopies: num('fsddGainCopies', 0), speedRange: num('fsddSpeedRange', 0) }) : [];
  const data = loadImageTask(a.corpus, { task: d.task, seed }, 'out/cache', log, extra);
  const stats = d.frontend.normalization;
  if (stats) {
    const same = (x: Float32Array, y: Float32Array): boolean => x.length === y.length && x.every((v, i) => v === y[i]);
    if (!same(bee.tensors.get(stats.mean)!.data as Float32Array, data.normalization.mean) || !same(bee.tensors.get(stats.std)!.data as Float32Array, data.normalization.std)) {
      throw new Error("the corpus's per-band statistics are not the model's: not the data it was trained on (--corpus, --fsdd)");
    }
  }
  if (data.labelNames.join('|') !== d.labels.join('|')) throw new Error(`the corpus's labels (${data.labelNames.join(', ')}) are not the model's`);

  // Each early exit reads its block's map: the input of its first head layer.
  const heads = plan.stages.slice(0, early).map((s) => {
    const first = s.exitLayers[0];
    const info = first.inputInfo;
    if (info.kind !== 'float' || info.shape.length !== 3) throw new Error(`exit ${s.index}: its head reads ${info.kind} ${info.shape.join('x')}, not a float map`);
    const [h, w, c] = info.shape;
    return { input: first.input, shape: { n: 1, h, w, c } as MapShape };
  });
  const features = heads.map((hd, e) => {
    const c = cells[e];
    return c === null ? 0 : headFeatures(hd.shape, c);
  });
  const classes = d.labels.length;

  /** Pooled head inputs of some clips of a split, per early exit; and the shipped heads' answers, for the log. */
  const extract = (split: SplitData, picked: number[], what: string): { per: LabelledFeatures[]; shippedRight: number[] } => {
    const size = plan.inputElements;
    const per = features.map((f) => ({ x: new Float32Array(picked.length * f), labels: Int32Array.from(picked, (i) => split.labels[i]), count: picked.length }));
    const shippedRight = new Array<number>(early).fill(0);
    const t0 = performance.now();
    picked.forEach((clip, row) => {
      const values = new Map<string, Float32Array | Uint32Array>([['input', split.features.slice(clip * size, (clip + 1) * size)]]);
      for (let e = 0; e < early; e++) {
        const s = plan.stages[e];
        for (const l of s.layers) values.set(l.output, runLayerCpu(l, values));
        const c = cells[e];
        if (c !== null) per[e].x.set(poolHeadInputs(values.get(heads[e].input) as Float32Array, heads[e].shape, c), row * features[e]);
        shippedRight[e] += argmax(runHead(s.exitLayers, values, s.logits)) === split.labels[clip] ? 1 : 0;
      }
      if ((row + 1) % 2000 === 0) log(`${what}: ${row + 1}/${picked.length} clips (${((performance.now() - t0) / (row + 1)).toFixed(1)} ms a clip)`);
    });
    return { per, shippedRight: shippedRight.map((r) => r / picked.length) };
  };

  const order = Array.from({ length: data.train.count }, (_, i) => i);
  new Rng(seed + 7919).shuffle(order);
  const trainPicked = order.slice(0, Math.min(a['train-clips'], order.length)).sort((x, y) => x - y);
  const train = extract(data.train, trainPicked, 'train');
  const val = extract(data.validation, Array.from({ length: data.validation.count }, (_, i) => i), 'validation');
  const test = extract(data.test, Array.from({ length: data.test.count }, (_, i) => i), 'test');

  const graph = structuredClone(d.graph);
  const tensors = new Map<string, Tensor>(bee.tensors);
  const summary: string[] = [];
  const valAcc: number[] = [];
  const testAcc: number[] = [];
  for (let e = 0; e < early; e++) {
    const t0 = performance.now();
    const c = cells[e];
    if (c === null) {
      valAcc.push(val.shippedRight[e]);
      testAcc.push(test.shippedRight[e]);
      log(`exit ${e}: kept (validation ${pct(val.shippedRight[e])} %, test ${pct(test.shippedRight[e])} %)`);
      summary.push('kept');
      continue;
    }
    const fit = fitSoftmax(train.per[e], val.per[e], features[e], classes, { steps: a.steps });
    const head = refitHead(e, heads[e].input, heads[e].shape, c, fit, classes);
    // The old head's tensors go; the new ones take their place.
    for (const l of graph.exits[e].layers) {
      if (l.type === 'dense') {
        tensors.delete(l.weights);
        tensors.delete(l.bias);
      }
    }
    for (const [k, t] of head.tensors) {
      if (tensors.has(k)) throw new Error(`tensor '${k}' is already in the model`);
      tensors.set(k, t);
    }
    graph.exits[e] = { after: graph.exits[e].after, layers: head.layers, logits: head.logits };
    valAcc.push(fit.validationAccuracy);
    testAcc.push(accuracy(test.per[e], fit.weights, fit.bias, classes));
    const line =
      `exit ${e}: ${describeHeadCells(c)}, ${features[e]} features, L2 ${fit.lambda}; validation ${pct(val.shippedRight[e])} -> ${pct(fit.validationAccuracy)} %` +
      ` (train ${pct(train.shippedRight[e])} -> ${pct(fit.trainAccuracy)} %, test ${pct(test.shippedRight[e])} -> ${pct(testAcc[e])} %),` +
      ` ${((performance.now() - t0) / 1000).toFixed(0)} s`;
    log(line);
    summary.push(`${describeHeadCells(c)} (val ${pct(val.shippedRight[e])}->${pct(fit.validationAccuracy)})`);
  }
  const description = {
    ...d,
    graph,
    ops: countOps(graph, classes),
    provenance: {
      ...d.provenance,
      // The trained heads' accuracies give way to the refit ones (the last exit's stays: it is unchanged).
      ...perExit('validationAccuracyPerExit', valAcc),
      ...perExit('testAccuracyPerExit', testAcc),
      exitRefit: `exits 0-${early - 1} refit on frozen features (scripts/refit-exits.ts, ${trainPicked.length} train clips): ${summary.join(', ')}`,
    },
  };
  /** A provenance field "a/b/c/d" (per exit, %) with the early exits' values replaced, if the model records it. */
  function perExit(key: string, early: number[]): Record<string, string> {
    const old = d.provenance?.[key];
    if (typeof old !== 'string') return {};
    const parts = old.split('/');
    if (parts.length !== early.length + 1) return {};
    return { [key]: [...early.map(pct), parts[parts.length - 1]].join('/') };
  }
  const out = a.out ?? a.model;
  writeFileSync(out, writeBee({ description, tensors }));
  log(`wrote ${out}; next: npx tsx scripts/evaluate.ts --model ${out} --data images`);
}

function runHead(layers: readonly PlannedLayer[], trunk: Map<string, Float32Array | Uint32Array>, logits: string): Float32Array {
  const head = new Map(trunk);
  for (const l of layers) head.set(l.output, runLayerCpu(l, head));
  return head.get(logits) as Float32Array;
}

/** Accuracy of a dense head (weights [classes, features]) on pooled features, through the CPU reference's dense. */
function accuracy(d: LabelledFeatures, weights: Float32Array, bias: Float32Array, classes: number): number {
  const logits = denseCpu(d.x, d.count, d.x.length / Math.max(1, d.count), weights, bias);
  let right = 0;
  for (let i = 0; i < d.count; i++) right += argmax(logits.subarray(i * classes, (i + 1) * classes)) === d.labels[i] ? 1 : 0;
  return right / Math.max(1, d.count);
}

function pct(x: number): string {
  return (100 * x).toFixed(2);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
