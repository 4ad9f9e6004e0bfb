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
  gamma: tf.Variable;
  beta: tf.Variable;
  /** Running statistics, not trained by gradient. */
  mean: tf.Variable;
  variance: tf.Variable;
}

export const BN_EPSILON = 1e-3;
const BN_MOMENTUM = 0.9;

/**
 * Batch norm over N, H, W (or N for 2-d input). Hand-written: faster to back-propagate on the wasm backend
 * than tf.batchNorm. In training it uses the batch statistics and queues a running-stat update.
 */
export function batchNorm(x: tf.Tensor, bn: BnState, training: boolean, updates: Array<() => void>): tf.Tensor {
  const axes = x.rank === 4 ? [0, 1, 2] : [0];
  let mean: tf.Tensor;
  let variance: tf.Tensor;
  if (training) {
    const m = tf.moments(x, axes);
    mean = m.mean;
    variance = m.variance;
    const bm = tf.keep(tf.clone(mean));
    const bv = tf.keep(tf.clone(variance));
    updates.push(() => {
      tf.tidy(() => {
        bn.mean.assign(tf.add(tf.mul(bn.mean, BN_MOMENTUM), tf.mul(bm, 1 - BN_MOMENTUM)));
        bn.variance.assign(tf.add(tf.mul(bn.variance, BN_MOMENTUM), tf.mul(bv, 1 - BN_MOMENTUM)));
      });
      bm.dispose();
      bv.dispose();
    });
  } else {
    mean = bn.mean;
    variance = bn.variance;
  }
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, BN_EPSILON))), bn.gamma), bn.beta);
}
