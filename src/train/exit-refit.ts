// Early-exit heads refit on a trained network's frozen features. An exit becomes an average pooling into
// T x F cells of its block's map (or the global average) + a dense layer, fitted as an L2-regularised softmax
// regression on the values the runtime's own layers compute there. The trunk and the last exit are left as
// they are, so the full network answers every clip as before; only where clips may leave early changes.
//
// Why: a global average over time and frequency throws away where in the spectrogram a block's features fire.
// After block 0 of kws-reactnet that cost most of the exit's accuracy (docs/training.md, "Exit heads refit").
import * as tf from '@tensorflow/tfjs-core';
import { poolFloatCpu, gapFloatCpu } from '../cpu/pool';
import type { MapShape } from '../layout/geometry';
import type { Layer, ValueName } from '../model/graph';
import type { Tensor } from '../format/safetensors';

/** How an exit pools its block's map: T x F cells (time x frequency), or the global average. */
export type HeadCells = [number, number] | 'gap';

/** "3x2" -> [3, 2]; "gap" -> 'gap'. */
export function parseHeadCells(s: string): HeadCells {
  if (s === 'gap') return 'gap';
  const m = /^(\d+)x(\d+)$/.exec(s);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new Error(`head cells must be 'gap' or TxF (e.g. 3x2), got '${s}'`);
  return [Number(m[1]), Number(m[2])];
}

export function describeHeadCells(c: HeadCells): string {
  return c === 'gap' ? 'gap' : `${c[0]}x${c[1]}`;
}

/** The pooling window (= stride) that cuts an h x w map into the cells: VALID, so remainder rows are not read. */
export function cellWindow(shape: MapShape, cells: [number, number]): [number, number] {
  const win: [number, number] = [Math.floor(shape.h / cells[0]), Math.floor(shape.w / cells[1])];
  if (win[0] < 1 || win[1] < 1) throw new Error(`a ${shape.h}x${shape.w} map cannot be cut into ${cells[0]}x${cells[1]} cells`);
  return win;
}

/** Features per clip of a head: cells x channels, in the NHWC order the dense layer reads them. */
export function headFeatures(shape: MapShape, cells: HeadCells): number {
  return cells === 'gap' ? shape.c : cells[0] * cells[1] * shape.c;
}

/** The pooled head inputs [n, headFeatures] of maps [n, h, w, c], through the CPU reference's pooling. */
export function poolHeadInputs(maps: Float32Array, shape: MapShape, cells: HeadCells): Float32Array {
  if (cells === 'gap') return gapFloatCpu(maps, shape);
  const win = cellWindow(shape, cells);
  return poolFloatCpu(maps, shape, { kernel: win, stride: win }, 'avg').out;
}

export interface LabelledFeatures {
  /** [count, features] */
  x: Float32Array;
  labels: Int32Array;
  count: number;
}

export interface SoftmaxFit {
  /** [classes, features], on the raw (unstandardised) features. */
  weights: Float32Array;
  bias: Float32Array;
  lambda: number;
  trainAccuracy: number;
  validationAccuracy: number;
}

export interface FitOptions {
  /** L2 strengths tried, strongest first (each fit starts from the one before). */
  lambdas?: number[];
  /** Full-batch Adam steps per strength. */
  steps?: number;
  learningRate?: number;
}

export const DEFAULT_LAMBDAS = [1e-2, 3e-3, 1e-3, 3e-4, 1e-4];

function accuracyOf(logits: tf.Tensor2D, labels: Int32Array): number {
  const pred = tf.tidy(() => tf.argMax(logits, 1).dataSync() as Int32Array);
  let ok = 0;
  for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) ok++;
  return ok / Math.max(1, labels.length);
}

/**
 * Softmax regression with an L2 penalty on standardised features (train statistics), the strength picked by
 * validation accuracy (ties: lower validation loss); the weights are then folded back onto the raw features,
 * so the head is one dense layer.
 */
export function fitSoftmax(train: LabelledFeatures, validation: LabelledFeatures, features: number, classes: number, options: FitOptions = {}): SoftmaxFit {
  const lambdas = options.lambdas ?? DEFAULT_LAMBDAS;
  const steps = options.steps ?? 300;
  const lr = options.learningRate ?? 0.05;
  if (train.x.length !== train.count * features || validation.x.length !== validation.count * features) {
    throw new Error(`features: train ${train.x.length} / validation ${validation.x.length} floats for ${features} a clip`);
  }
  // Standardisation statistics in f64.
  const mean = new Float64Array(features);
  const sd = new Float64Array(features);
  for (let i = 0; i < train.count; i++) for (let j = 0; j < features; j++) mean[j] += train.x[i * features + j];
  for (let j = 0; j < features; j++) mean[j] /= train.count;
  for (let i = 0; i < train.count; i++) for (let j = 0; j < features; j++) sd[j] += (train.x[i * features + j] - mean[j]) ** 2;
  for (let j = 0; j < features; j++) sd[j] = Math.sqrt(sd[j] / train.count) + 1e-6;
  const standardise = (d: LabelledFeatures): tf.Tensor2D => {
    const z = new Float32Array(d.x.length);
    for (let i = 0; i < d.count; i++) for (let j = 0; j < features; j++) z[i * features + j] = (d.x[i * features + j] - mean[j]) / sd[j];
    return tf.tensor2d(z, [d.count, features]);
  };
  const xt = standardise(train);
  const xv = standardise(validation);
  const yt = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(train.labels, 'int32'), classes), 'float32')) as tf.Tensor2D;
  const yv = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(validation.labels, 'int32'), classes), 'float32')) as tf.Tensor2D;
  const w = tf.variable(tf.zeros([features, classes]));
  const b = tf.variable(tf.zeros([classes]));
  let best: { lambda: number; acc: number; loss: number; w: Float32Array; b: Float32Array; trainAcc: number } | null = null;
  try {
    for (const lambda of lambdas) {
      const opt = tf.train.adam(lr);
      for (let s = 0; s < steps; s++) {
        opt.minimize(() => tf.add(tf.losses.softmaxCrossEntropy(yt, tf.add(tf.matMul(xt, w), b)), tf.mul(0.5 * lambda, tf.sum(tf.square(w)))) as tf.Scalar);
      }
      opt.dispose();
      const lv = tf.tidy(() => tf.add(tf.matMul(xv, w), b)) as tf.Tensor2D;
      const acc = accuracyOf(lv, validation.labels);
      const loss = tf.tidy(() => tf.losses.softmaxCrossEntropy(yv, lv).dataSync()[0]);
      lv.dispose();
      if (!best || acc > best.acc + 1e-12 || (Math.abs(acc - best.acc) <= 1e-12 && loss < best.loss)) {
        const lt = tf.tidy(() => tf.add(tf.matMul(xt, w), b)) as tf.Tensor2D;
        best = { lambda, acc, loss, w: w.dataSync().slice() as Float32Array, b: b.dataSync().slice() as Float32Array, trainAcc: accuracyOf(lt, train.labels) };
        lt.dispose();
      }
    }
  } finally {
    tf.dispose([xt, xv, yt, yv, w, b]);
  }
  if (!best) throw new Error('fitSoftmax needs at least one lambda');
  // logit_k = sum_j W[j,k] (x_j - mean_j) / sd_j + b_k = sum_j (W[j,k] / sd_j) x_j + (b_k - sum_j W[j,k] mean_j / sd_j)
  const weights = new Float32Array(classes * features);
  const bias = new Float32Array(classes);
  for (let k = 0; k < classes; k++) {
    let shift = 0;
    for (let j = 0; j < features; j++) {
      const v = best.w[j * classes + k] / sd[j];
      weights[k * features + j] = v;
      shift += v * mean[j];
    }
    bias[k] = best.b[k] - shift;
  }
  return { weights, bias, lambda: best.lambda, trainAccuracy: best.trainAcc, validationAccuracy: best.acc };
}

/** An exit head's layers (pooling, dense) reading `input`, with its tensors, named after the exit. */
export function refitHead(
  exit: number,
  input: ValueName,
  shape: MapShape,
  cells: HeadCells,
  fit: SoftmaxFit,
  classes: number,
): { layers: Layer[]; logits: ValueName; tensors: Map<string, Tensor> } {
  const features = headFeatures(shape, cells);
  if (fit.weights.length !== classes * features || fit.bias.length !== classes) {
    throw new Error(`exit ${exit}: a head of ${features} features and ${classes} classes needs ${classes * features} weights, got ${fit.weights.length}`);
  }
  const pooled = `exit${exit}.pool`;
  const logits = `exit${exit}.logits`;
  const win = cells === 'gap' ? null : cellWindow(shape, cells);
  const pool: Layer = win === null ? { type: 'gap', input, output: pooled } : { type: 'avgpool', input, output: pooled, kernel: win, stride: [win[0], win[1]] };
  const tensors = new Map<string, Tensor>([
    [`exit${exit}.w`, { dtype: 'F32', shape: [classes, features], data: fit.weights }],
    [`exit${exit}.b`, { dtype: 'F32', shape: [classes], data: fit.bias }],
  ]);
  return {
    layers: [pool, { type: 'dense', input: pooled, output: logits, outFeatures: classes, weights: `exit${exit}.w`, bias: `exit${exit}.b` }],
    logits,
    tensors,
  };
}
