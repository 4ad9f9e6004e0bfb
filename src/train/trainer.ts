// The training loop: Adam with a cosine schedule, weighted exit losses, SpecAugment-style masking, validation
// every epoch, best checkpoint kept, resumable checkpoints. Each batch's gradients come from `shards` equal
// parts, computed on up to that many threads (src/train/data-parallel.ts).
import { readFileSync, writeFileSync, mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { exitAccuracies } from '../eval/policy';
import { recordsFromLogits, type ExitRecords } from '../eval/records';
import { updateRunningStats } from './binary-ops';
import { cutShards, defaultThreads, GradientPool } from './data-parallel';
import type { SplitData, TrainData } from './data';
import { BeeNet, type NetConfig } from './model';
import type { TrainProgress } from './progress';
import { Rng } from './rng';

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Steps of linear warm-up before the cosine decay. */
  warmupSteps: number;
  seed: number;
  /** Loss weight per exit (default equal). */
  exitWeights: number[];
  /** SpecAugment: one time mask up to this many frames and one band mask up to this many bands; 0 disables. */
  timeMask: number;
  bandMask: number;
  /** Random circular-free time shift up to +-this many frames (padding with the clip's first/last frame). */
  timeShift: number;
  /**
   * Vocal-tract-length-style warp: the band axis is stretched by a random factor in [1 - w, 1 + w] per clip, so a
   * voice heard in training also stands for higher and lower voices (the test split's speakers are unseen).
   */
  freqWarp: number;
  labelSmoothing: number;
  /** Self-distillation weight and temperature (src/train/shard-gradients.ts, `LossOptions`); weight 0 = off. */
  distillWeight: number;
  distillTemperature: number;
  /**
   * Each batch is cut into this many parts whose gradients and batch-norm statistics are averaged (batch norm
   * then normalises each part by its own statistics). Part of the recipe: it changes the result.
   */
  shards: number;
  /** Threads computing the shards (0 = one per shard, at most the machine's cores). Never changes the result. */
  threads: number;
  /** Stop after this many steps in total (smoke tests); 0 = no limit. */
  maxSteps: number;
  /** Checkpoint file (JSON) written after every epoch; '' = none. */
  checkpoint: string;
  /**
   * Stop after this many epochs (0: run all `epochs`) without changing the schedule, which `epochs` sets: a long
   * run can be cut into sessions and resumed, bit for bit the same as one run.
   */
  untilEpoch: number;
  /** Checkpoint to resume from; '' = start fresh. */
  resume: string;
  /**
   * Checkpoint whose best weights start this run (a warm restart): a fresh optimizer, schedule and best-epoch
   * record, so a finished run can be trained further on a new schedule. '' = random initialisation.
   */
  init: string;
  log: (line: string) => void;
  /**
   * Called after every step and every validation (src/train/progress.ts draws it as a bar). When set, the
   * per-step log lines are left out: the bar shows them.
   */
  progress: ((p: TrainProgress) => void) | null;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  epochs: 8,
  batchSize: 64,
  learningRate: 3e-3,
  warmupSteps: 30,
  seed: 1,
  exitWeights: [1, 1, 1, 1],
  timeMask: 6,
  bandMask: 3,
  timeShift: 8,
  freqWarp: 0.12,
  labelSmoothing: 0.05,
  distillWeight: 0,
  distillTemperature: 3,
  shards: 1,
  threads: 0,
  maxSteps: 0,
  checkpoint: '',
  untilEpoch: 0,
  resume: '',
  init: '',
  log: () => {},
  progress: null,
};

export interface EpochStats {
  epoch: number;
  loss: number;
  validationAccuracy: number[];
  seconds: number;
}

export interface TrainResult {
  net: BeeNet;
  /** Parameter values of the best epoch (by mean validation accuracy over exits); loaded into `net`. */
  best: Map<string, Float32Array>;
  bestEpoch: number;
  history: EpochStats[];
  /** The runs a warm restart continues (oldest first; empty for a fresh run). */
  earlier: EarlierStage[];
  /** Loss of the first and last logged steps (smoke tests check it falls). */
  firstLoss: number;
  lastLoss: number;
  seconds: number;
  steps: number;
}

function lrAt(step: number, total: number, o: TrainOptions): number {
  if (step < o.warmupSteps) return (o.learningRate * (step + 1)) / o.warmupSteps;
  const p = Math.min(1, (step - o.warmupSteps) / Math.max(1, total - o.warmupSteps));
  return o.learningRate * (0.02 + 0.98 * 0.5 * (1 + Math.cos(Math.PI * p)));
}

const BETA1 = 0.9;
const BETA2 = 0.999;

/** One bias-corrected Adam update (eps 1e-7) of every variable from its gradient; `m`, `v` hold the moments. */
function adamStep(vars: tf.Variable[], grads: Float32Array[], m: Map<string, tf.Variable>, v: Map<string, tf.Variable>, step: number, lr: number): void {
  tf.tidy(() => {
    const c1 = 1 - BETA1 ** (step + 1);
    const c2 = 1 - BETA2 ** (step + 1);
    vars.forEach((w, i) => {
      const g = tf.tensor(grads[i], w.shape);
      const mi = m.get(w.name)!;
      const vi = v.get(w.name)!;
      mi.assign(tf.add(tf.mul(mi, BETA1), tf.mul(g, 1 - BETA1)));
      vi.assign(tf.add(tf.mul(vi, BETA2), tf.mul(tf.square(g), 1 - BETA2)));
      const upd = tf.div(tf.div(mi, c1), tf.add(tf.sqrt(tf.div(vi, c2)), 1e-7));
      w.assign(tf.sub(w, tf.mul(upd, lr)));
    });
  });
}

/** Stretches every frame's band axis by `scale` (band b reads band b / scale, linearly interpolated, clamped). */
export function warpBands(x: Float32Array, frames: number, bands: number, scale: number): void {
  const row = new Float32Array(bands);
  for (let t = 0; t < frames; t++) {
    const f = x.subarray(t * bands, (t + 1) * bands);
    row.set(f);
    for (let b = 0; b < bands; b++) {
      const p = Math.min(bands - 1, b / scale);
      const i = Math.floor(p);
      const j = Math.min(bands - 1, i + 1);
      f[b] = row[i] + (row[j] - row[i]) * (p - i);
    }
  }
}

/** Copies clips into a batch buffer with the augmentations applied (training only). */
function makeBatch(d: SplitData, idx: ArrayLike<number>, frames: number, bands: number, o: TrainOptions | null, rng: Rng): Float32Array {
  const per = frames * bands;
  const out = new Float32Array(idx.length * per);
  for (let j = 0; j < idx.length; j++) {
    const src = d.features.subarray(idx[j] * per, (idx[j] + 1) * per);
    const dst = out.subarray(j * per, (j + 1) * per);
    if (!o) {
      dst.set(src);
      continue;
    }
    const shift = o.timeShift ? rng.int(2 * o.timeShift + 1) - o.timeShift : 0;
    for (let t = 0; t < frames; t++) {
      const s = Math.min(frames - 1, Math.max(0, t - shift));
      dst.set(src.subarray(s * bands, (s + 1) * bands), t * bands);
    }
    if (o.freqWarp) warpBands(dst, frames, bands, 1 + (rng.next() * 2 - 1) * o.freqWarp);
    // Masked regions take the normalised mean (0).
    if (o.timeMask) {
      const w = rng.int(o.timeMask + 1);
      const t0 = rng.int(Math.max(1, frames - w));
      dst.fill(0, t0 * bands, (t0 + w) * bands);
    }
    if (o.bandMask) {
      const w = rng.int(o.bandMask + 1);
      const b0 = rng.int(Math.max(1, bands - w));
      for (let t = 0; t < frames; t++) dst.fill(0, t * bands + b0, t * bands + b0 + w);
    }
  }
  return out;
}

/** Logits of every exit for a whole split (inference mode), one [n * classes] array per exit. */
export function predictLogits(net: BeeNet, d: SplitData, frames: number, bands: number, batch = 256): Float32Array[] {
  const classes = net.cfg.classes;
  const exits = net.cfg.blocks.length;
  const out = Array.from({ length: exits }, () => new Float32Array(d.count * classes));
  const rng = new Rng(0);
  for (let s = 0; s < d.count; s += batch) {
    const idx = Array.from({ length: Math.min(batch, d.count - s) }, (_, j) => s + j);
    const x = makeBatch(d, idx, frames, bands, null, rng);
    const logits = tf.tidy(() => net.forward(tf.tensor4d(x, [idx.length, frames, bands, 1]), false));
    logits.forEach((l, e) => {
      out[e].set(l.dataSync(), s * classes);
      l.dispose();
    });
  }
  return out;
}

export function evaluateSplit(net: BeeNet, d: SplitData, frames: number, bands: number): ExitRecords {
  return recordsFromLogits(predictLogits(net, d, frames, bands), net.cfg.classes, d.labels);
}

/** A finished run that a warm restart started from: its epochs and training seconds. */
export interface EarlierStage {
  epochs: number;
  seconds: number;
}

interface Checkpoint {
  /** The runs before this one, oldest first, when it is a warm restart (chains of --init keep the whole line). */
  earlier?: EarlierStage[];
  epoch: number;
  step: number;
  rng: number;
  bestEpoch: number;
  bestScore: number;
  history: EpochStats[];
  values: Record<string, string>;
  best: Record<string, string>;
  adamM: Record<string, string>;
  adamV: Record<string, string>;
}

const b64 = (d: Float32Array): string => Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64');
const unb64 = (s: string): Float32Array => {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const toRecord = (m: Map<string, Float32Array>): Record<string, string> => Object.fromEntries([...m].map(([k, v]) => [k, b64(v)]));
const fromRecord = (r: Record<string, string>): Map<string, Float32Array> => new Map(Object.entries(r).map(([k, v]) => [k, unb64(v)]));

/**
 * A variable's parameter name without the network's instance prefix (`<id>/stem.w` -> `stem.w`): Adam's state is
 * saved under it, so a checkpoint restores into any BeeNet of the same layout, in this process or another.
 */
function paramKey(variableName: string): string {
  return variableName.slice(variableName.indexOf('/') + 1);
}

function restoreAdam(into: Map<string, tf.Variable>, savedByName: Map<string, Float32Array>, what: string): void {
  // Older checkpoints kept the instance prefix in their keys.
  const saved = new Map([...savedByName].map(([k, d]) => [paramKey(k), d]));
  for (const [name, variable] of into) {
    const d = saved.get(paramKey(name));
    if (!d || d.length !== variable.size) throw new Error(`checkpoint ${what} lacks '${paramKey(name)}' or its size differs`);
    variable.assign(tf.tensor(d, variable.shape));
  }
}

export async function train(data: TrainData, cfg: NetConfig, options: Partial<TrainOptions> = {}): Promise<TrainResult> {
  const o: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...options };
  if (!Number.isInteger(o.shards) || o.shards < 1) throw new Error(`shards must be a positive integer, got ${o.shards}`);
  if (!Number.isInteger(o.threads) || o.threads < 0) throw new Error(`threads must be 0 (automatic) or a positive integer, got ${o.threads}`);
  if (!(o.distillWeight >= 0 && o.distillWeight <= 1)) throw new Error(`distillWeight must be in [0, 1], got ${o.distillWeight}`);
  if (!(o.distillTemperature > 0)) throw new Error(`distillTemperature must be positive, got ${o.distillTemperature}`);
  const t0 = performance.now();
  const rng = new Rng(o.seed);
  const net = new BeeNet(cfg, rng);
  const { frames, bands } = data;
  const vars = net.trainableVariables();
  const m = new Map(vars.map((v) => [v.name, tf.variable(tf.zerosLike(v), false)]));
  const vv = new Map(vars.map((v) => [v.name, tf.variable(tf.zerosLike(v), false)]));
  const stepsPerEpoch = Math.ceil(data.train.count / o.batchSize);
  const totalSteps = o.maxSteps ? Math.min(o.maxSteps, o.epochs * stepsPerEpoch) : o.epochs * stepsPerEpoch;
  let step = 0;
  let startEpoch = 0;
  let bestScore = -1;
  let bestEpoch = -1;
  let best = net.snapshot();
  let history: EpochStats[] = [];
  let earlier: EarlierStage[] = [];
  if (o.resume && o.init) throw new Error('resume and init exclude each other: resume continues a run, init starts a new one');
  if (o.init) {
    const ck = JSON.parse(readFileSync(o.init, 'utf8')) as Checkpoint;
    net.restore(fromRecord(ck.best));
    best = net.snapshot();
    earlier = [...(ck.earlier ?? []), { epochs: ck.history.length, seconds: ck.history.reduce((sum, h) => sum + h.seconds, 0) }];
    o.log(`initialised from the best weights of ${o.init} (epoch ${ck.bestEpoch} of that run)`);
  }
  if (o.resume) {
    const ck = JSON.parse(readFileSync(o.resume, 'utf8')) as Checkpoint;
    net.restore(fromRecord(ck.values));
    restoreAdam(m, fromRecord(ck.adamM), 'adamM');
    restoreAdam(vv, fromRecord(ck.adamV), 'adamV');
    best = fromRecord(ck.best);
    ({ step, bestScore, bestEpoch, history } = ck);
    earlier = ck.earlier ?? [];
    startEpoch = ck.epoch + 1;
    rng.reseed(ck.rng);
    o.log(`resumed from ${o.resume} at epoch ${startEpoch}, step ${step}`);
  }
  const weights = cfg.blocks.map((_, e) => o.exitWeights[e] ?? 1);
  const threads = Math.min(o.shards, o.threads || defaultThreads(o.shards));
  const pool = await GradientPool.start(net, frames, bands, {
    exitWeights: weights,
    labelSmoothing: o.labelSmoothing,
    distillWeight: o.distillWeight,
    distillTemperature: o.distillTemperature,
  }, threads);
  if (threads > 1) o.log(`${o.shards} shards per batch on ${threads} threads`);
  let firstLoss = NaN;
  let lastLoss = NaN;
  let lastValidation: number[] | null = history.length ? history[history.length - 1].validationAccuracy : null;
  try {
    const lastEpoch = o.untilEpoch > 0 ? Math.min(o.untilEpoch, o.epochs) : o.epochs;
    for (let epoch = startEpoch; epoch < lastEpoch && (!o.maxSteps || step < o.maxSteps); epoch++) {
      const te = performance.now();
      const order = Int32Array.from({ length: data.train.count }, (_, i) => i);
      rng.shuffle(order);
      let lossSum = 0;
      let lossN = 0;
      const progressAt = (done: number): TrainProgress => ({
        epoch: epoch + 1,
        epochs: o.epochs,
        step: done,
        stepsPerEpoch,
        loss: lossN ? lossSum / lossN : NaN,
        validation: lastValidation,
        seconds: (performance.now() - te) / 1000,
      });
      for (let s = 0; s < stepsPerEpoch && (!o.maxSteps || step < o.maxSteps); s++) {
        const idx = order.subarray(s * o.batchSize, Math.min((s + 1) * o.batchSize, order.length));
        if (idx.length < 2) continue;
        const xb = makeBatch(data.train, idx, frames, bands, o, rng);
        const yb = Int32Array.from(idx, (i) => data.train.labels[i]);
        const lr = lrAt(step, totalSteps, o);
        const batch = await pool.step(cutShards(xb, yb, frames * bands, o.shards));
        const lossValue = batch.loss;
        adamStep(vars, batch.grads, m, vv, step, lr);
        batch.bnNames.forEach((name, i) => updateRunningStats(net.batchNormState(name), batch.bnStats[2 * i], batch.bnStats[2 * i + 1]));
        net.clipLatent();
        if (Number.isNaN(firstLoss)) firstLoss = lossValue;
        lastLoss = lossValue;
        lossSum += lossValue;
        lossN++;
        step++;
        if (o.progress) o.progress(progressAt(s + 1));
        else if (s % 50 === 0) o.log(`  epoch ${epoch + 1} step ${s}/${stepsPerEpoch} loss ${lossValue.toFixed(4)} lr ${lr.toExponential(2)}`);
      }
      const rec = evaluateSplit(net, data.validation, frames, bands);
      const acc = exitAccuracies(rec);
      lastValidation = acc;
      o.progress?.(progressAt(stepsPerEpoch));
      const score = acc.reduce((a, b) => a + b, 0) / acc.length;
      const seconds = (performance.now() - te) / 1000;
      history.push({ epoch: epoch + 1, loss: lossSum / Math.max(1, lossN), validationAccuracy: acc, seconds });
      if (score > bestScore) {
        bestScore = score;
        bestEpoch = epoch + 1;
        best = net.snapshot();
      }
      o.log(
        `epoch ${epoch + 1}/${o.epochs} loss ${(lossSum / Math.max(1, lossN)).toFixed(4)} val acc per exit ` +
          `${acc.map((a) => (100 * a).toFixed(1)).join(' / ')} (${seconds.toFixed(0)} s)${bestEpoch === epoch + 1 ? ' *best' : ''}`,
      );
      if (o.checkpoint) {
        const snap = (mm: Map<string, tf.Variable>): Map<string, Float32Array> =>
          new Map([...mm].map(([k, t]) => [paramKey(k), (t.dataSync() as Float32Array).slice()]));
        const ck: Checkpoint = {
          ...(earlier.length ? { earlier } : {}),
          epoch,
          step,
          rng: rng.seedState,
          bestEpoch,
          bestScore,
          history,
          values: toRecord(net.snapshot()),
          best: toRecord(best),
          adamM: toRecord(snap(m)),
          adamV: toRecord(snap(vv)),
        };
        mkdirSync(dirname(o.checkpoint), { recursive: true });
        writeFileSync(o.checkpoint + '.tmp', JSON.stringify(ck));
        renameSync(o.checkpoint + '.tmp', o.checkpoint);
      }
    }
  } finally {
    await pool.close();
  }
  for (const t of [...m.values(), ...vv.values()]) t.dispose();
  net.restore(best);
  return { net, best, bestEpoch, history, earlier, firstLoss, lastLoss, seconds: (performance.now() - t0) / 1000, steps: step };
}
