// Train, calibrate, export and check one model (--help lists every flag):
//   npx tsx scripts/train.ts --task kws --arch reactnet --out models/kws-reactnet.bee [--epochs N] [--seed 1] [--resume ckpt]
// Other flags: --batch 64 --lr 3e-3 --max-steps N --manifest data/<task>/manifest.json --max-drop 0.01 --confidence 0.9
// --widths 32,64,128,256 (channels of the four blocks) --pools 2x2,2x2,2x1,none (pooling at each block's start);
// defaults from defaultConfig; --time-mask 6 --band-mask 3 --time-shift 8 --freq-warp 0.12 (augmentation)
// --exit-weights 1,1,1,1 (loss weight per exit); --self-distill 0 --distill-temperature 3 (earlier exits also learn
// the last exit's softened prediction, with this weight)
// --shards 2 (each batch's gradients from this many equal parts, part of the recipe) --threads N (default: one
// per shard, at most the machine's cores; never changes the result)
// --task synthetic trains on a tiny generated set (development).
// --data images [--corpus ../shared/data/speech-commands-v2]: train on the real Speech Commands spectrogram images
// (split by speaker with the corpus's lists); the model carries the microfrontend front end.
// --until-epoch N: stop after N epochs without changing the schedule; --resume out/<name>.ckpt.json continues it,
// bit for bit the same as one run (test/train/resume.test.ts).
// --init out/<other>.ckpt.json: start from that run's best weights on a new schedule (warm restart; fresh Adam).
// --real-valued 1: a diagnostic, the same network with real weights and hard-tanh activations where the binary
// units take signs (what binarisation costs); it logs accuracy per exit and per test voice and exports nothing.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DEFAULT_FRONTEND, MICROFRONTEND_16K } from '../src/audio/frontend';
import type { FrontendConfig } from '../src/model/graph';
import { readBee, writeBee } from '../src/format/bee';
import { planModel } from '../src/plan/plan';
import { calibrateForAccuracy, calibrationProvenance, DEFAULT_ACCURACY_TARGET, evaluatePolicy, exitAccuracies, parseAccuracyMeasure } from '../src/eval/policy';
import { percent } from '../src/eval/format';
import { costsFromPlan, type ExitRecords } from '../src/eval/records';
import { initTrainingBackend } from '../src/train/backend';
import { syntheticData, type TrainData } from '../src/train/data';
import { checkConsistency, exportModel, type ExportInput } from '../src/train/export';
import { loadTask } from '../src/train/load';
import { fsddExtraClips, loadImageTask } from '../src/train/load-images';
import { ARCHITECTURES, defaultConfig, type Architecture } from '../src/train/model';
import { ProgressBar } from '../src/train/progress';
import { DEFAULT_TRAIN_OPTIONS, evaluateSplit, train, type EarlierStage } from '../src/train/trainer';
import { cliArgs } from './cli-args';

const FLAGS = {
  task: { type: 'string', default: 'kws', help: 'kws, digits, langid or synthetic' },
  arch: { type: 'string', default: 'reactnet', help: ARCHITECTURES.join(', ') },
  out: { type: 'string', help: 'model file (default models/<task>-<arch>.bee)' },
  epochs: { type: 'number', default: DEFAULT_TRAIN_OPTIONS.epochs, help: 'epochs (sets the schedule)' },
  seed: { type: 'number', default: 1, help: 'initialisation and data order' },
  data: { type: 'string', help: "'images': the Speech Commands spectrogram images (real speakers)" },
  corpus: { type: 'string', default: '../shared/data/speech-commands-v2', help: 'the spectrogram corpus' },
  fsdd: { type: 'string', default: '../shared/data/fsdd/recordings', help: 'FSDD recordings (digits)' },
  'fsdd-gain-copies': { type: 'number', default: 0, help: 'digits: copies of each FSDD training/validation clip at a random gain' },
  'fsdd-speed': { type: 'number', default: 0, help: 'digits: each FSDD copy also at a random speed 1 +- this (e.g. 0.1)' },
  manifest: { type: 'string', help: 'dataset manifest (default data/<task>/manifest.json)' },
  'log-offset': { type: 'number', default: 1e-2, help: 'log-mel offset (synthesised data)' },
  widths: { type: 'list', help: 'channels of each block, e.g. 32,64,128,256' },
  pools: { type: 'list', help: "pooling at each block's start, TxF or none" },
  'real-valued': { type: 'number', default: 0, help: '1: real-weight diagnostic, exports nothing' },
  batch: { type: 'number', default: DEFAULT_TRAIN_OPTIONS.batchSize, help: 'batch size' },
  lr: { type: 'number', default: DEFAULT_TRAIN_OPTIONS.learningRate, help: 'peak learning rate' },
  warmup: { type: 'number', default: DEFAULT_TRAIN_OPTIONS.warmupSteps, help: 'warm-up steps' },
  'max-steps': { type: 'number', default: 0, help: 'stop after this many steps (smoke runs)' },
  'time-mask': { type: 'number', default: DEFAULT_TRAIN_OPTIONS.timeMask, help: 'SpecAugment time mask (frames)' },
  'band-mask': { type: 'number', default: DEFAULT_TRAIN_OPTIONS.bandMask, help: 'SpecAugment band mask (bands)' },
  'time-shift': { type: 'number', default: DEFAULT_TRAIN_OPTIONS.timeShift, help: 'random time shift (frames)' },
  'freq-warp': { type: 'number', default: DEFAULT_TRAIN_OPTIONS.freqWarp, help: 'band warp' },
  shards: { type: 'number', default: 2, help: "each batch's gradients from this many parts (part of the recipe)" },
  threads: { type: 'number', default: 0, help: 'threads for the shards (0: one per shard; never changes the result)' },
  'until-epoch': { type: 'number', default: 0, help: 'stop after this epoch without changing the schedule' },
  'exit-weights': { type: 'list', help: 'loss weight per exit, e.g. 0.5,0.75,1,1' },
  'self-distill': { type: 'number', default: DEFAULT_TRAIN_OPTIONS.distillWeight, help: "weight of the last exit's softened prediction" },
  'distill-temperature': { type: 'number', default: DEFAULT_TRAIN_OPTIONS.distillTemperature, help: 'distillation temperature' },
  resume: { type: 'string', default: '', help: 'checkpoint to continue' },
  init: { type: 'string', default: '', help: "checkpoint whose best weights start a new run (warm restart)" },
  'max-drop': { type: 'number', default: DEFAULT_ACCURACY_TARGET.maxDrop, help: 'calibration: accuracy loss allowed' },
  confidence: { type: 'number', default: DEFAULT_ACCURACY_TARGET.confidence, help: 'calibration: confidence of that bound' },
  measure: { type: 'string', default: DEFAULT_ACCURACY_TARGET.measure, help: "calibration: 'lost' (clips the last exit gets right) or 'net' (the accuracy drop)" },
} as const;

// On a terminal, a progress bar (src/train/progress.ts) with log lines printed above it; elsewhere plain lines.
const bar = process.stdout.isTTY ? new ProgressBar(process.stdout) : null;
const log = (s: string): void => {
  const line = `[${new Date().toISOString().slice(11, 19)}] ${s}`;
  if (bar) bar.log(line);
  else console.log(line);
};

/**
 * A warm restart's earlier runs (a chain of --init keeps them all): their epochs, "14 + 8" for two, and seconds,
 * so the model says how long it trained in all.
 */
function warmStartProvenance(checkpoint: string, earlier: readonly EarlierStage[]): Record<string, string | number> {
  const ck = JSON.parse(readFileSync(checkpoint, 'utf8')) as { history: unknown[]; bestEpoch: number };
  return {
    initFrom: `best weights (epoch ${ck.bestEpoch}) of a ${ck.history.length}-epoch run`,
    epochsBefore: earlier.length === 1 ? earlier[0].epochs : earlier.map((e) => e.epochs).join(' + '),
    trainSecondsBefore: Math.round(earlier.reduce((sum, e) => sum + e.seconds, 0)),
  };
}

async function main(): Promise<void> {
  const a = cliArgs('npx tsx scripts/train.ts --task kws --arch reactnet [--data images] [--out models/<task>-<arch>.bee]', FLAGS);
  const task = a.task;
  const arch = a.arch as Architecture;
  if (!ARCHITECTURES.includes(arch)) throw new Error(`--arch must be one of ${ARCHITECTURES.join(', ')}`);
  const out = a.out ?? `models/${task}-${arch}.bee`;
  const name = basename(out, '.bee');
  const epochs = a.epochs;
  const seed = a.seed;
  // A larger log offset than the default 1e-6 bounds digital silence (zero padding) at log(1e-2) instead of
  // log(1e-6): quiet and silent stretches then look alike to the binary layers. The model file records it.
  // --data images: the Speech Commands spectrogram images (real speakers), whose pixels are what the
  // microfrontend front end computes from audio; the model file then carries that front end.
  const images = a.data === 'images';
  if (a['fsdd-speed'] > 0 && !(a['fsdd-gain-copies'] > 0)) throw new Error('--fsdd-speed changes the speed of the FSDD copies: it needs --fsdd-gain-copies N (N >= 1)');
  const corpus = a.corpus;
  const frontend: FrontendConfig = images ? { ...MICROFRONTEND_16K } : { ...DEFAULT_FRONTEND, logOffset: a['log-offset'] };
  await initTrainingBackend();

  const data: TrainData =
    task === 'synthetic'
      ? syntheticData(6, 60, 20, seed)
      : images
        ? loadImageTask(corpus, { task: task === 'digits' ? 'digits' : 'kws', seed }, 'out/cache', log, task === 'digits' ? fsddExtraClips(a.fsdd, frontend, { gainCopies: a['fsdd-gain-copies'], speedRange: a['fsdd-speed'] }) : [])
        : loadTask(task, a.manifest ?? `data/${task}/manifest.json`, frontend, log);
  log(`${task}: ${data.train.count} train / ${data.validation.count} validation / ${data.test.count} test clips, ${data.labelNames.length} classes`);
  const cfg = defaultConfig(arch, [data.frames, data.bands, 1], data.labelNames.length);
  if (a.widths) {
    const w = a.widths.map(Number);
    if (w.length !== cfg.blocks.length || w.some((x) => !Number.isInteger(x) || x < 1)) {
      throw new Error(`--widths needs ${cfg.blocks.length} positive integers, got '${a.widths.join(',')}'`);
    }
    cfg.blocks = cfg.blocks.map((b, i) => ({ ...b, channels: w[i] }));
  }
  if (a.pools) {
    const p = a.pools;
    const shape = (s: string): [number, number] | null => {
      const m = /^(\d+)x(\d+)$/.exec(s);
      return m ? [Number(m[1]), Number(m[2])] : null;
    };
    if (p.length !== cfg.blocks.length || p.some((s) => s !== 'none' && !shape(s))) {
      throw new Error(`--pools needs ${cfg.blocks.length} entries of TxF or 'none', got '${p.join(',')}'`);
    }
    cfg.blocks = cfg.blocks.map((b, i) => (p[i] === 'none' ? { ...b, pool: false } : { ...b, pool: true, poolShape: shape(p[i])! }));
  }
  if (a['real-valued']) cfg.realValued = true;
  const options = {
    epochs,
    seed,
    batchSize: a.batch,
    learningRate: a.lr,
    warmupSteps: a.warmup,
    maxSteps: a['max-steps'],
    timeMask: a['time-mask'],
    bandMask: a['band-mask'],
    timeShift: a['time-shift'],
    freqWarp: a['freq-warp'],
    shards: a.shards,
    threads: a.threads,
    untilEpoch: a['until-epoch'],
    exitWeights: a['exit-weights'] ? a['exit-weights'].map(Number) : DEFAULT_TRAIN_OPTIONS.exitWeights,
    distillWeight: a['self-distill'],
    distillTemperature: a['distill-temperature'],
  };
  if (options.exitWeights.length !== cfg.blocks.length || options.exitWeights.some((x) => !(x >= 0))) {
    throw new Error(`--exit-weights needs ${cfg.blocks.length} non-negative numbers, got '${options.exitWeights.join(',')}'`);
  }
  const res = await train(data, cfg, {
    ...options,
    checkpoint: join('out', `${name}.ckpt.json`),
    resume: a.resume,
    init: a.init,
    log,
    progress: bar ? (p) => bar.update(p) : null,
  }).finally(() => bar?.done());
  log(`trained ${res.steps} steps in ${res.seconds.toFixed(0)} s, best epoch ${res.bestEpoch}`);
  if (options.untilEpoch > 0 && res.history.length < epochs) {
    log(`stopped after epoch ${res.history.length} of ${epochs} (--until-epoch): continue with --resume out/${name}.ckpt.json --epochs ${epochs}`);
    res.net.dispose();
    return;
  }

  // Calibrate per-exit thresholds on validation (training-model records, which the check below ties to the runtime).
  const valRec = evaluateSplit(res.net, data.validation, data.frames, data.bands);
  const testRec = evaluateSplit(res.net, data.test, data.frames, data.bands);
  if (images) {
    log(`test, last exit, per source: ${lastExitAccuracyBy(data.test.ids, testRec, (id) => (id.startsWith('fsdd/') ? 'fsdd' : 'speech-commands images')).map(([src, acc, n]) => `${src} ${(100 * acc).toFixed(1)} % (${n})`).join(', ')}`);
  }
  if (task !== 'synthetic' && !images) {
    const byVoice = lastExitAccuracyBy(data.test.ids, testRec, timbreOf(a.manifest ?? `data/${task}/manifest.json`));
    log(`test, last exit, per voice: ${byVoice.map(([t, acc, n]) => `${t} ${(100 * acc).toFixed(1)} % (${n})`).join(', ')}`);
  }
  const pct = (v: number[]): string => v.map((x) => percent(x, 2)).join('/');
  if (cfg.realValued) {
    log(`real-valued diagnostic: val acc per exit ${pct(exitAccuracies(valRec))}; test acc per exit ${pct(exitAccuracies(testRec))}`);
    mkdirSync('out', { recursive: true });
    writeFileSync(join('out', `${name}.train.json`), JSON.stringify({ name, task, arch, realValued: true, seconds: res.seconds, bestEpoch: res.bestEpoch, history: res.history, valAcc: exitAccuracies(valRec), testAcc: exitAccuracies(testRec) }, null, 1));
    res.net.dispose();
    return;
  }
  const input: ExportInput = {
    cfg,
    values: res.best,
    name,
    task,
    labels: data.labelNames,
    frontend,
    normalization: data.normalization,
    thresholds: cfg.blocks.map(() => 0),
    provenance: {},
  };
  const costs = costsFromPlan(planModel(exportModel(input).description, exportModel(input).tensors));
  const target = {
    maxDrop: a['max-drop'],
    confidence: a.confidence,
    measure: parseAccuracyMeasure(a.measure),
  };
  const cal = calibrateForAccuracy(valRec, costs, target);
  const calTest = evaluatePolicy(testRec, costs, cal.thresholds);
  const valAcc = exitAccuracies(valRec);
  const testAcc = exitAccuracies(testRec);
  input.thresholds = cal.thresholds;
  input.provenance = {
    dataset: data.source,
    trainClips: data.train.count,
    recipe:
      `lr ${options.learningRate}, batch ${options.batchSize} in ${options.shards} shard(s), exit weights ${options.exitWeights.join('/')}, ` +
      `time shift ${options.timeShift}, time mask ${options.timeMask}, band mask ${options.bandMask}, band warp ${options.freqWarp}` +
      (options.distillWeight > 0 ? `, self-distillation ${options.distillWeight} at temperature ${options.distillTemperature}` : ''),
    seed,
    epochs,
    bestEpoch: res.bestEpoch,
    // Summed over epochs, so a resumed run reports its whole training time.
    trainSeconds: Math.round(res.history.reduce((s, h) => s + h.seconds, 0)),
    date: new Date().toISOString(),
    validationAccuracyPerExit: pct(valAcc),
    testAccuracyPerExit: pct(testAcc),
    ...calibrationProvenance(target, cal),
    trainer: 'beenet src/train (tfjs-core wasm)',
    ...(a.init ? warmStartProvenance(a.init, res.earlier) : {}),
    // evaluate.ts rebuilds the same training split (its statistics are the model's normalisation).
    ...(images && task === 'digits' && a['fsdd-gain-copies'] > 0 ? { fsddGainCopies: a['fsdd-gain-copies'] } : {}),
    ...(images && task === 'digits' && a['fsdd-gain-copies'] > 0 && a['fsdd-speed'] > 0 ? { fsddSpeedRange: a['fsdd-speed'] } : {}),
  };
  const model = exportModel(input);
  const check = await checkConsistency(model, data.validation.features, valRec, cal.thresholds);
  log(`export check on ${check.clips} validation clips: agreement per exit ${pct(check.exitAgreement)} %, policy ${(100 * check.policyAgreement).toFixed(2)} %`);
  const bytes = writeBee(model);
  readBee(bytes);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, bytes);
  log(`wrote ${out} (${(bytes.length / 1024).toFixed(1)} KiB)`);
  log(`val acc per exit ${pct(valAcc)}; test acc per exit ${pct(testAcc)}`);
  log(
    `calibrated thresholds ${cal.thresholds.map((t) => t.toFixed(3)).join('/')}: val ${(100 * cal.accuracy).toFixed(2)} % at ` +
      `${(100 * cal.binaryOpsFraction).toFixed(1)} % binary ops; test ${(100 * calTest.accuracy).toFixed(2)} % at ${(100 * calTest.binaryOpsFraction).toFixed(1)} %`,
  );
  mkdirSync('out', { recursive: true });
  writeFileSync(
    join('out', `${name}.train.json`),
    JSON.stringify({ name, task, arch, seconds: res.seconds, steps: res.steps, bestEpoch: res.bestEpoch, history: res.history, valAcc, testAcc, calibrated: cal, calibratedTest: calTest, check: { exitAgreement: check.exitAgreement, policyAgreement: check.policyAgreement }, bytes: bytes.length }, null, 1),
  );
  res.net.dispose();
}

/** Last-exit accuracy per group of clips (`groupOf(id)`), worst first: [group, accuracy, clips]. */
function lastExitAccuracyBy(ids: string[], rec: ExitRecords, groupOf: (id: string) => string): [string, number, number][] {
  const last = rec.argmax[rec.argmax.length - 1];
  const tally = new Map<string, [number, number]>();
  ids.forEach((id, i) => {
    const key = groupOf(id);
    const t = tally.get(key) ?? [0, 0];
    t[0] += last[i] === rec.labels[i] ? 1 : 0;
    t[1]++;
    tally.set(key, t);
  });
  return [...tally].map(([t, [ok, n]]): [string, number, number] => [t, ok / n, n]).sort((x, y) => x[1] - y[1]);
}

/** The recorded person or espeak-ng variant (the split unit) of each manifest clip. */
function timbreOf(manifestPath: string): (id: string) => string {
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { clips: { path: string; aug?: { timbre?: string } }[] };
  const timbre = new Map(manifest.clips.map((c) => [c.path, c.aug?.timbre ?? 'unknown']));
  return (id) => timbre.get(id) ?? 'unknown';
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
