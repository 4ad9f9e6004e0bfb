// Straight-through estimators and small layers for training binary networks with tfjs-core.
import * as tf from '@tensorflow/tfjs-core';

/** +1 where x >= 0 else -1 (the runtime's sign: 0 maps to +1). No gradient. */
export function hardSign(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sub(tf.mul(tf.cast(tf.greaterEqual(x, 0), 'float32'), 2), 1));
}

/** sign with the clipped identity gradient (BinaryNet, XNOR-Net): dy * [|x| <= 1]. */
export const signSte = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const x = args[0] as tf.Tensor;
  (args[1] as tf.GradSaveFunc)([x]);
  return {
    value: hardSign(x),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.cast(tf.lessEqual(tf.abs(saved[0]), 1), 'float32')),
  };
}) as (x: tf.Tensor) => tf.Tensor;

/** sign with Bi-Real's ApproxSign gradient, the derivative of the piecewise quadratic: dy * max(0, 2 - 2|x|). */
export const approxSign = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const x = args[0] as tf.Tensor;
  (args[1] as tf.GradSaveFunc)([x]);
  return {
    value: hardSign(x),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.relu(tf.sub(2, tf.mul(2, tf.abs(saved[0]))))),
  };
}) as (x: tf.Tensor) => tf.Tensor;

/** Pads H and W with +1 (one-padding: the runtime's 'same' border for binary convolutions). */
export function onePad(x: tf.Tensor4D, kh: number, kw: number): tf.Tensor4D {
  const th = kh - 1;
  const tw = kw - 1;
  // Stride-1 'same' padding split as TensorFlow does: floor(total / 2) before.
  return tf.pad(x, [[0, 0], [Math.floor(th / 2), th - Math.floor(th / 2)], [Math.floor(tw / 2), tw - Math.floor(tw / 2)], [0, 0]], 1);
}

export interface BnState {
  /** The parameter prefix (e.g. `b1.u0.bn`). */
  name: string;
  gamma: tf.Variable;
  beta: tf.Variable;
  /** Running statistics, not trained by gradient. */
  mean: tf.Variable;
  variance: tf.Variable;
}

export const BN_EPSILON = 1e-3;
const BN_MOMENTUM = 0.9;

/** One batch norm's statistics over a training batch, kept (outside tidy) until the step folds them in. */
export interface BnBatchStats {
  state: BnState;
  mean: tf.Tensor;
  variance: tf.Tensor;
}

/**
 * Batch norm over N, H, W (or N for 2-d input). Hand-written: faster to back-propagate on the wasm backend
 * than tf.batchNorm. In training it normalises by the batch statistics and records them in `stats` (in the
 * order the layers run), so a data-parallel step can average them over shards before updating the running ones.
 */
export function batchNorm(x: tf.Tensor, bn: BnState, training: boolean, stats: BnBatchStats[]): tf.Tensor {
  const axes = x.rank === 4 ? [0, 1, 2] : [0];
  let mean: tf.Tensor;
  let variance: tf.Tensor;
  if (training) {
    const m = tf.moments(x, axes);
    mean = m.mean;
    variance = m.variance;
    stats.push({ state: bn, mean: tf.keep(tf.clone(mean)), variance: tf.keep(tf.clone(variance)) });
  } else {
    mean = bn.mean;
    variance = bn.variance;
  }
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, BN_EPSILON))), bn.gamma), bn.beta);
}

/** Moves a batch norm's running statistics towards a batch's (momentum 0.9). */
export function updateRunningStats(bn: BnState, mean: Float32Array, variance: Float32Array): void {
  tf.tidy(() => {
    bn.mean.assign(tf.add(tf.mul(bn.mean, BN_MOMENTUM), tf.mul(tf.tensor(mean, bn.mean.shape), 1 - BN_MOMENTUM)));
    bn.variance.assign(tf.add(tf.mul(bn.variance, BN_MOMENTUM), tf.mul(tf.tensor(variance, bn.variance.shape), 1 - BN_MOMENTUM)));
  });
}
