// Data-parallel gradients on the machine's cores: each step's batch is cut into `shards` equal parts, dealt out
// in turn to the calling thread and its worker threads, which compute them at the same time. The result depends
// on the shard count only, never on the thread count.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BeeNet } from './model';
import { combineShards, shardGradients, type LossOptions, type ShardInput, type ShardResult } from './shard-gradients';
import type { WorkerInit, WorkerReply, WorkerRequest } from './gradient-worker';

/** Cuts [count] clips of `per` values each into `shards` contiguous parts (sizes differ by at most one). */
export function cutShards(features: Float32Array, labels: Int32Array, per: number, shards: number): ShardInput[] {
  const count = labels.length;
  const n = Math.max(1, Math.min(shards, count));
  return Array.from({ length: n }, (_, k) => {
    const a = Math.floor((k * count) / n);
    const b = Math.floor(((k + 1) * count) / n);
    return { features: features.slice(a * per, b * per), labels: labels.slice(a, b), count: b - a };
  });
}

/** Threads worth starting for `shards` shards on this machine (the calling thread counts as one). */
export function defaultThreads(shards: number): number {
  return Math.max(1, Math.min(shards, availableParallelism()));
}

class GradientWorker {
  private pending: { resolve: (r: ShardResult[]) => void; reject: (e: Error) => void } | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: WorkerReply) => {
      const p = this.pending;
      this.pending = null;
      if (!p) return;
      if (m.ok) p.resolve(m.results);
      else p.reject(new Error(`gradient worker failed: ${m.error}`));
    });
    worker.on('error', (e: unknown) => this.fail(e instanceof Error ? e : new Error(String(e))));
    worker.on('exit', (code) => this.fail(new Error(`gradient worker exited (code ${code})`)));
  }

  private fail(e: Error): void {
    const p = this.pending;
    this.pending = null;
    p?.reject(e);
  }

  static start(init: WorkerInit): Promise<GradientWorker> {
    // The worker is TypeScript: a one-line bootstrap loads it through tsx's API, whichever way (tsx, vitest) the
    // trainer itself was started.
    const api = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./gradient-worker.ts', import.meta.url).href;
    const bootstrap = `import(${JSON.stringify(api)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`;
    const worker = new Worker(bootstrap, { eval: true, workerData: init });
    return new Promise((resolve, reject) => {
      worker.once('message', (m: unknown) => (m === 'ready' ? resolve(new GradientWorker(worker)) : reject(new Error(`gradient worker: ${String(m)}`))));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`gradient worker exited during start-up (code ${code})`)));
    });
  }

  run(req: WorkerRequest): Promise<ShardResult[]> {
    if (this.pending) throw new Error('gradient worker is busy');
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(req);
    });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}

export class GradientPool {
  private constructor(
    private readonly net: BeeNet,
    private readonly frames: number,
    private readonly bands: number,
    private readonly loss: LossOptions,
    private readonly workers: GradientWorker[],
  ) {}

  /** `threads` - 1 worker threads are started (the caller's thread computes too). */
  static async start(net: BeeNet, frames: number, bands: number, loss: LossOptions, threads: number): Promise<GradientPool> {
    const init: WorkerInit = { cfg: net.cfg, frames, bands, loss };
    const workers = await Promise.all(Array.from({ length: Math.max(0, threads - 1) }, () => GradientWorker.start(init)));
    return new GradientPool(net, frames, bands, loss, workers);
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  /** Every shard's result for the network's current weights, combined (see combineShards). */
  async step(shards: ShardInput[]): Promise<ShardResult> {
    // Shard k goes to thread k mod threads; thread 0 is this one.
    const parts = Array.from({ length: this.threads }, (_, t) => shards.filter((_, k) => k % this.threads === t));
    const weights = parts.some((p, t) => t > 0 && p.length > 0) ? this.net.trainableVariables().map((v) => v.dataSync() as Float32Array) : [];
    // Workers start first, so their shards run while this thread computes its own.
    const pending = this.workers.map((w, i) => (parts[i + 1].length ? w.run({ weights, shards: parts[i + 1] }) : Promise.resolve([])));
    const mine = parts[0].map((shard) => shardGradients(this.net, shard, this.frames, this.bands, this.loss));
    const byThread = [mine, ...(await Promise.all(pending))];
    // Back into shard order, so the sums run in the same order whatever the thread count.
    return combineShards(shards.map((_, k) => byThread[k % this.threads][Math.floor(k / this.threads)]));
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
