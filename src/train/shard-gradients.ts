// One shard of a training batch: its loss, its gradients and its batch-norm statistics, as plain arrays. The
// trainer runs shards in worker threads (src/train/data-parallel.ts) or in turn on its own thread; both call
// this, so a step's result does not depend on how many threads computed it.
import * as tf from '@tensorflow/tfjs-core';
import type { BnBatchStats } from './binary-ops';
import type { BeeNet } from './model';

/** What the loss needs besides the clips. */
export interface LossOptions {
  /** Loss weight per exit. */
  exitWeights: number[];
  labelSmoothing: number;
  /**
   * Self-distillation: each earlier exit also learns the last exit's prediction at `distillTemperature`, its
   * cross-entropy weighted 1 - w and that KL term w (0: off). The last exit learns from labels only.
   */
  distillWeight: number;
  /** Softmax temperature of the distillation term; the term is scaled by its square. */
  distillTemperature: number;
}

/** Identity whose gradient is zero: the distillation target teaches the earlier exits without being pulled. */
const stopGradient = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
  value: tf.clone(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
}));

/** Mean over clips of KL(target || softmax(logits / t)), with the target given as log-probabilities. */
function klDivergence(targetLog: tf.Tensor, logits: tf.Tensor, t: number): tf.Scalar {
  return tf.mean(tf.sum(tf.mul(tf.exp(targetLog), tf.sub(targetLog, tf.logSoftmax(tf.div(logits, t)))), 1));
}

export interface ShardInput {
  /** Augmented, normalised features [count, frames, bands]. */
  features: Float32Array;
  labels: Int32Array;
  count: number;
}

export interface ShardResult {
  count: number;
  /** Mean loss over the shard's clips (weighted sum over exits). */
  loss: number;
  /** d loss / d variable, one array per trainable variable in `net.trainableVariables()` order. */
  grads: Float32Array[];
  /** The batch norms in the order they ran (the same for every shard of a network). */
  bnNames: string[];
  /** Their batch means and variances: two arrays per name. */
  bnStats: Float32Array[];
}

/** Runs forward and backward on one shard. Leaves the network's variables untouched. */
export function shardGradients(net: BeeNet, shard: ShardInput, frames: number, bands: number, o: LossOptions): ShardResult {
  const classes = net.cfg.classes;
  const vars = net.trainableVariables();
  const stats: BnBatchStats[] = [];
  let result: ShardResult | null = null;
  try {
    // The result is built inside and handed out through a variable: returning it from tidy would make tfjs walk
    // every element of the gradient arrays looking for tensors (0.4 s a step).
    tf.tidy(() => {
      const x = tf.tensor4d(shard.features, [shard.count, frames, bands, 1]);
      const oneHot = tf.oneHot(tf.tensor1d(shard.labels, 'int32'), classes);
      const target = tf.add(tf.mul(oneHot, 1 - o.labelSmoothing), o.labelSmoothing / classes);
      const { value, grads } = tf.variableGrads(() => {
        let loss: tf.Scalar = tf.scalar(0);
        const logits = net.forward(x, true, stats);
        const last = logits.length - 1;
        const w = o.distillWeight;
        const t = o.distillTemperature;
        const teacherLog = w > 0 ? tf.logSoftmax(tf.div(stopGradient(logits[last]), t)) : null;
        logits.forEach((l, e) => {
          let term: tf.Scalar = tf.mean(tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(l)), 1)));
          if (teacherLog && e < last) term = tf.add(tf.mul(term, 1 - w), tf.mul(klDivergence(teacherLog, l, t), w * t * t));
          loss = tf.add(loss, tf.mul(term, o.exitWeights[e] ?? 1));
        });
        return loss;
      }, vars);
      result = {
        count: shard.count,
        loss: value.dataSync()[0],
        grads: vars.map((v) => grads[v.name].dataSync() as Float32Array),
        bnNames: stats.map((s) => s.state.name),
        bnStats: stats.flatMap((s) => [s.mean.dataSync() as Float32Array, s.variance.dataSync() as Float32Array]),
      };
    });
  } finally {
    for (const s of stats) tf.dispose([s.mean, s.variance]);
  }
  return result!;
}

/**
 * The whole batch's result from its shards: losses, gradients and batch-norm statistics averaged with each
 * shard weighted by its clip count (so the gradient is that of the batch's mean loss). Summed in shard order.
 */
export function combineShards(results: ShardResult[]): ShardResult {
  const total = results.reduce((s, r) => s + r.count, 0);
  const mix = (pick: (r: ShardResult) => Float32Array[]): Float32Array[] =>
    pick(results[0]).map((_, i) => {
      const out = new Float32Array(pick(results[0])[i].length);
      for (const r of results) {
        const a = pick(r)[i];
        const w = r.count / total;
        for (let j = 0; j < out.length; j++) out[j] += a[j] * w;
      }
      return out;
    });
  return {
    count: total,
    loss: results.reduce((s, r) => s + (r.loss * r.count) / total, 0),
    grads: mix((r) => r.grads),
    bnNames: results[0].bnNames,
    bnStats: mix((r) => r.bnStats),
  };
}
