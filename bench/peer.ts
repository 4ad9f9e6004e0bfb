// The float32 peer: the same architecture as the shipped model, as the trained tfjs-core network (BeeNet)
// before export, run in float32 on whichever TF.js backend the caller selected. Shared by Node and the page.
import type * as TF from '@tensorflow/tfjs-core';
import { ARCHITECTURES, BeeNet, defaultConfig, type Architecture, type NetConfig } from '../src/train/model';
import { Rng } from '../src/train/rng';
import { now, summarize, tick, type Summary } from './stats';
import type { SuiteOptions } from './suite';

export interface PeerSpec {
  architecture: Architecture;
  inputShape: [number, number, number];
  classes: number;
  /** Where the weights came from: a checkpoint path, or 'fresh initialisation'. */
  weights: string;
  /** True when the shipped model's own architecture is a BeeNet of this config (false for placeholder models). */
  sameArchitecture: boolean;
}

/** Parameter values by name (BeeNet.snapshot() layout), or null for a fresh initialisation. */
export type PeerValues = Map<string, Float32Array> | null;

export function peerArchitecture(arch: string): Architecture {
  const a = arch === 'xnor' ? 'xnornet' : arch;
  return (ARCHITECTURES as readonly string[]).includes(a) ? (a as Architecture) : 'reactnet';
}

export function peerConfig(spec: PeerSpec): NetConfig {
  return defaultConfig(spec.architecture, spec.inputShape, spec.classes);
}

/** Builds the network on the current TF.js backend; restores `values` when given. */
export function buildPeer(spec: PeerSpec, values: PeerValues): BeeNet {
  const net = new BeeNet(peerConfig(spec), new Rng(1));
  if (values) net.restore(values);
  return net;
}

export interface PeerLatency {
  backend: string;
  batch: 1;
  latency: Summary;
  /** The first call (shader compilation / graph set-up), ms. */
  firstCallMs: number;
}

export interface PeerThroughput {
  backend: string;
  batch: number;
  clipsPerS: number;
  msPerBatch: number;
  batchesTimed: number;
}

export interface PeerMeasurements {
  backend: string;
  latency: PeerLatency;
  throughput: PeerThroughput[];
}

/** Every exit's logits for `n` clips, read back to the host (as beenet's results are). */
async function forward(tf: typeof TF, net: BeeNet, x: Float32Array, n: number): Promise<void> {
  const [h, w, c] = net.cfg.inputShape;
  const out = tf.tidy(() => tf.concat(net.forward(tf.tensor4d(x, [n, h, w, c]), false), 1));
  await out.data();
  out.dispose();
}

function stack(inputs: readonly Float32Array[], start: number, n: number): Float32Array {
  const size = inputs[0].length;
  const x = new Float32Array(n * size);
  for (let i = 0; i < n; i++) x.set(inputs[(start + i) % inputs.length], i * size);
  return x;
}

/** Batch-1 latency over the clips and throughput per batch size, every exit computed (no early exit). */
export async function measurePeer(
  tf: typeof TF,
  net: BeeNet,
  backend: string,
  inputs: readonly Float32Array[],
  o: SuiteOptions,
  log: (s: string) => void = () => {},
  batches: readonly number[] = o.batches,
): Promise<PeerMeasurements> {
  const t0 = now();
  await forward(tf, net, inputs[0], 1);
  const firstCallMs = now() - t0;
  const tw = now();
  for (let i = 1; i < o.warmup || (now() - tw < o.warmupMs && i < 60); i++) await forward(tf, net, inputs[i % inputs.length], 1);
  const samples: number[] = [];
  // The float peer costs the same for every clip: fewer calls suffice when it is slow.
  const calls = Math.max(o.quick ? 2 : 5, Math.min(o.latencyCalls, Math.ceil(20_000 / Math.max(1, firstCallMs))));
  for (let i = 0; i < calls; i++) {
    const t = now();
    await forward(tf, net, inputs[i % inputs.length], 1);
    samples.push(now() - t);
    if (i % 8 === 7) await tick();
  }
  const latency: PeerLatency = { backend, batch: 1, latency: summarize(samples), firstCallMs };
  log(`  peer ${backend} batch 1: median ${latency.latency.medianMs.toFixed(2)} ms, p95 ${latency.latency.p95Ms.toFixed(2)} ms (first call ${firstCallMs.toFixed(0)} ms)`);
  // Batch 1: the latency calls above, back to back, are the throughput.
  const throughput: PeerThroughput[] = [];
  const busy = samples.reduce((a, b) => a + b, 0);
  if (batches.includes(1)) throughput.push({ backend, batch: 1, clipsPerS: (1000 * samples.length) / busy, msPerBatch: busy / samples.length, batchesTimed: samples.length });
  for (const batch of batches.filter((b) => b > 1)) {
    const tw = now();
    await forward(tf, net, stack(inputs, 0, batch), batch); // warm-up at this size (new shapes compile)
    // Float32 on emulated WebGPU takes seconds to minutes per large batch: one timed batch is then enough.
    const slow = now() - tw > 5000;
    let n = 0;
    let ms = 0;
    while (n < (slow ? 1 : o.throughputRounds) || (!slow && ms < o.throughputMinMs)) {
      const t0 = now();
      await forward(tf, net, stack(inputs, n * batch, batch), batch);
      ms += now() - t0;
      n++;
      await tick();
    }
    throughput.push({ backend, batch, clipsPerS: (1000 * n * batch) / ms, msPerBatch: ms / n, batchesTimed: n });
  }
  for (const t of throughput) log(`  peer ${backend} batch ${t.batch}: ${t.clipsPerS.toFixed(1)} clips/s (${t.msPerBatch.toFixed(1)} ms per batch)`);
  return { backend, latency, throughput };
}
