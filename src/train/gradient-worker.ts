// A worker thread of the data-parallel trainer: holds a copy of the network, takes the current weights and a
// shard of the batch, and answers with the shard's gradients (src/train/shard-gradients.ts).
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { initTrainingBackend } from './backend';
import { BeeNet, type NetConfig } from './model';
import { Rng } from './rng';
import { shardGradients, type LossOptions, type ShardInput, type ShardResult } from './shard-gradients';

export interface WorkerInit {
  cfg: NetConfig;
  frames: number;
  bands: number;
  loss: LossOptions;
}

export interface WorkerRequest {
  /** Trainable variables' values, in `trainableVariables()` order. */
  weights: Float32Array[];
  /** Shards to compute in turn. */
  shards: ShardInput[];
}

export type WorkerReply = { ok: true; results: ShardResult[] } | { ok: false; error: string };

const port = parentPort;
if (!port) throw new Error('gradient-worker.ts runs as a worker thread');
const init = workerData as WorkerInit;
await initTrainingBackend();
// The initial values do not matter: every request brings the weights.
const net = new BeeNet(init.cfg, new Rng(0));
const vars = net.trainableVariables();

port.on('message', (req: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    vars.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(req.weights[i], v.shape))));
    reply = { ok: true, results: req.shards.map((shard) => shardGradients(net, shard, init.frames, init.bands, init.loss)) };
  } catch (e) {
    reply = { ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  const transfer = reply.ok ? reply.results.flatMap((r) => [...r.grads, ...r.bnStats]).map((a) => a.buffer as ArrayBuffer) : [];
  port.postMessage(reply, transfer);
});
port.postMessage('ready');
