// The WebAssembly backend on several threads: N workers, each owning a full WasmExecutor over the same plan
// (src/wasm/worker.ts), and a host that splits every batch between them. Clip i of a batch belongs to worker
// i mod N for every stage (its per-clip values live there), as local clip floor(i / N); `runStage` sends each
// worker its share of the active list (order kept) and merges the records back in the caller's order. Clips
// are independent and each worker runs the single-thread code, so records are identical to WasmExecutor's.
//
// A batch smaller than the thread count runs in the calling thread, on a WasmExecutor of its own: split, it
// would leave workers idle and add a message round trip per stage (one clip at a time, the streaming case, was
// twice as slow on two threads as on one).
//
// Only messages cross threads (features in, records out), so no SharedArrayBuffer and no cross-origin
// isolation is needed. Workers: module Workers in browsers (bundled by Vite); worker_threads in Node, from the
// TypeScript sources only (vitest, tsx: src/wasm/worker-node.mjs registers tsx). Where no worker can be
// started, `wasmPoolAvailable()` is false and the runtime uses the single-thread executor.
import { exitRecordStride } from '../cpu/exit-result';
import { BeenetError } from '../errors';
import type { WorkerReply, WorkerRequest } from './worker';
import { checkBatch, type ExecutorStats, type StageExecutor } from '../plan/executor';
import { readbackLoop, type ClipOutcome, type LoopRule } from '../plan/readback-loop';
import type { ModelPlan } from '../plan/plan';
import { WasmExecutor } from './executor';

export interface WasmPoolOptions {
  /** Workers (default 2). */
  threads?: number;
  /** Largest batch `setInput` accepts (default 4096); each worker holds up to ceil(maxBatch / threads) clips. */
  maxBatch?: number;
}

/** What the host needs of a worker, in Node or a browser. */
interface WorkerHandle {
  post(request: WorkerRequest, transfer: ArrayBuffer[]): void;
  /** Keeps the process alive while a request is pending (Node); no-op in browsers. */
  hold(busy: boolean): void;
  terminate(): void;
}

type Pending = { resolve: (r: WorkerReply & { ok: true }) => void; reject: (e: Error) => void };

const DEFAULT_MAX_BATCH = 4096;
// Resolved against this module only when it runs from its .ts source (a literal would make Vite emit it).
const NODE_ENTRY = './worker-node.mjs';

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions === 'object' && typeof process.versions.node === 'string';
}

/** Whether this environment can start the pool's workers. */
export function wasmPoolAvailable(): boolean {
  if (isNode()) return import.meta.url.endsWith('.ts');
  return typeof Worker === 'function';
}

class PoolWorker {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  bytes = 0;

  private constructor(private readonly handle: WorkerHandle) {}

  static async start(index: number): Promise<PoolWorker> {
    let self: PoolWorker | null = null;
    const onReply = (r: WorkerReply): void => self?.reply(r);
    const onFailure = (e: unknown): void => self?.fail(e);
    let handle: WorkerHandle;
    if (isNode()) {
      const { Worker: NodeWorker } = await import('node:worker_threads');
      const w = new NodeWorker(new URL(NODE_ENTRY, import.meta.url), { name: `beenet-wasm-${index}` });
      w.on('message', onReply);
      w.on('error', onFailure);
      w.on('exit', (code) => onFailure(new Error(`worker exited with code ${code}`)));
      w.unref();
      handle = {
        post: (m, t) => w.postMessage(m, t),
        hold: (busy) => (busy ? w.ref() : w.unref()),
        terminate: () => void w.terminate(),
      };
    } else {
      const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: `beenet-wasm-${index}` });
      w.addEventListener('message', (e: MessageEvent<WorkerReply>) => onReply(e.data));
      w.addEventListener('error', (e) => onFailure(new Error(e.message)));
      handle = { post: (m, t) => w.postMessage(m, t), hold: () => {}, terminate: () => w.terminate() };
    }
    self = new PoolWorker(handle);
    return self;
  }

  request(make: (id: number) => WorkerRequest, transfer: ArrayBuffer[] = []): Promise<WorkerReply & { ok: true }> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.handle.hold(true);
      this.pending.set(id, { resolve, reject });
      this.handle.post(make(id), transfer);
    });
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    this.pending.delete(id);
    if (this.pending.size === 0) this.handle.hold(false);
    return p;
  }

  private reply(r: WorkerReply): void {
    const p = this.settle(r.id);
    if (!p) return;
    if (r.ok) {
      this.bytes = r.bytes;
      p.resolve(r);
    } else {
      p.reject(r.code ? new BeenetError(r.code, r.message) : new Error(r.message));
    }
  }

  private fail(e: unknown): void {
    const error = new BeenetError('UNSUPPORTED', `a wasm worker failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(error);
  }

  terminate(): void {
    this.fail(new Error('terminated'));
    this.handle.terminate();
  }
}

export class WasmPoolExecutor implements StageExecutor {
  readonly kind = 'wasm' as const;
  readonly maxBatch: number;
  readonly threads: number;
  private batch = 0;
  private disposed = false;

  private constructor(
    private readonly plan: ModelPlan,
    private readonly workers: PoolWorker[],
    private readonly local: WasmExecutor,
    maxBatch: number,
  ) {
    this.threads = workers.length;
    this.maxBatch = maxBatch;
  }

  /** Starts the workers and builds each one's executor (parameters copied into every worker's memory). */
  static async create(plan: ModelPlan, options: WasmPoolOptions = {}): Promise<WasmPoolExecutor> {
    const threads = options.threads ?? 2;
    const maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    if (!Number.isInteger(threads) || threads < 1) throw new BeenetError('BAD_INPUT', `threads must be a positive integer, got ${threads}`);
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new BeenetError('BAD_INPUT', `maxBatch must be a positive integer, got ${maxBatch}`);
    if (!wasmPoolAvailable()) throw new BeenetError('UNSUPPORTED', 'workers for the wasm pool cannot be started here');
    const workers: PoolWorker[] = [];
    let local: WasmExecutor;
    try {
      for (let i = 0; i < threads; i++) workers.push(await PoolWorker.start(i));
      const share = Math.ceil(maxBatch / threads);
      await Promise.all(workers.map((w) => w.request((id) => ({ type: 'init', id, plan, maxBatch: share }))));
      local = await WasmExecutor.create(plan, { maxBatch: Math.max(1, threads - 1) });
    } catch (e) {
      for (const w of workers) w.terminate();
      throw e;
    }
    return new WasmPoolExecutor(plan, workers, local, maxBatch);
  }

  /** Whether the current batch lives in the calling thread's executor (fewer clips than threads). @internal */
  get ranLocally(): boolean {
    return this.batch > 0 && this.batch < this.threads;
  }

  private live(): void {
    if (this.disposed) throw new BeenetError('DISPOSED', 'the wasm executor was disposed');
  }

  async setInput(features: Float32Array, n: number): Promise<void> {
    this.live();
    const size = this.plan.inputElements;
    checkBatch(features, n, size, this.maxBatch);
    const t = this.threads;
    this.batch = 0;
    if (n > 0 && n < t) {
      await this.local.setInput(features, n);
      this.batch = n;
      return;
    }
    await Promise.all(
      this.workers.map((w, wi) => {
        const count = n > wi ? Math.ceil((n - wi) / t) : 0;
        const share = new Float32Array(count * size);
        for (let j = 0; j < count; j++) {
          const clip = j * t + wi;
          share.set(features.subarray(clip * size, (clip + 1) * size), j * size);
        }
        return w.request((id) => ({ type: 'input', id, features: share, n: count }), [share.buffer]);
      }),
    );
    this.batch = n;
  }

  async runStage(stage: number, active: Uint32Array): Promise<Float32Array> {
    this.live();
    if (!Number.isInteger(stage) || stage < 0 || stage >= this.plan.stages.length) {
      throw new BeenetError('BAD_INPUT', `stage ${stage} does not exist (the model has ${this.plan.stages.length})`);
    }
    if (this.ranLocally) return this.local.runStage(stage, active);
    const t = this.threads;
    const counts = new Uint32Array(t);
    for (const clip of active) {
      if (clip >= this.batch) throw new BeenetError('BAD_INPUT', `clip ${clip} is not in the current batch of ${this.batch}`);
      counts[clip % t]++;
    }
    const shares = Array.from(counts, (c) => new Uint32Array(c));
    const fill = new Uint32Array(t);
    for (const clip of active) shares[clip % t][fill[clip % t]++] = Math.floor(clip / t);
    const replies = await Promise.all(
      this.workers.map((w, wi) =>
        shares[wi].length === 0
          ? Promise.resolve(null)
          : w.request((id) => ({ type: 'run', id, stage, active: shares[wi] })).then((r) => r.records),
      ),
    );
    // Merge: each worker's records are in the order of its share, which is the caller's order restricted to it.
    const stride = exitRecordStride(this.plan.classes);
    const out = new Float32Array(active.length * stride);
    fill.fill(0);
    active.forEach((clip, row) => {
      const wi = clip % t;
      const records = replies[wi];
      if (!records) throw new BeenetError('UNSUPPORTED', `wasm worker ${wi} returned no records`);
      const at = fill[wi]++ * stride;
      out.set(records.subarray(at, at + stride), row * stride);
    });
    return out;
  }

  /**
   * The readback loop run by each worker over its own clips (one round trip per worker for the whole batch, and no
   * worker waits for the other between stages), merged in the caller's order. The outcomes equal the host loop's
   * over `runStage`: the same per-clip records and the same rule.
   */
  async runLoop(rule: LoopRule, n: number): Promise<ClipOutcome[]> {
    this.live();
    if (n !== this.batch) throw new BeenetError('BAD_INPUT', `the loop covers ${n} clips, the current batch holds ${this.batch}`);
    const { stages, classes } = this.plan;
    const stageCount = stages.length;
    if (this.ranLocally) return readbackLoop((k, active) => this.local.runStage(k, active), stageCount, classes, n, rule);
    const t = this.threads;
    const wire = { criterion: rule.criterion, thresholds: [...rule.thresholds], allExits: rule.allExits };
    const replies = await Promise.all(
      this.workers.map((w, wi) => {
        const count = n > wi ? Math.ceil((n - wi) / t) : 0;
        return count === 0 ? Promise.resolve(null) : w.request((id) => ({ type: 'loop', id, rule: wire, n: count })).then((r) => r.outcomes ?? null);
      }),
    );
    const stride = exitRecordStride(classes);
    return Array.from({ length: n }, (_, clip) => {
      const packed = replies[clip % t];
      if (!packed) throw new BeenetError('UNSUPPORTED', `wasm worker ${clip % t} returned no outcomes`);
      const local = Math.floor(clip / t);
      const exit = packed.exits[local];
      const last = rule.allExits ? stageCount - 1 : exit;
      const records = Array.from({ length: stageCount }, (_, k) => (k <= last ? packed.records[k].slice(local * stride, (local + 1) * stride) : null));
      return { exit, records };
    });
  }

  stats(): ExecutorStats {
    const bytes = this.disposed ? 0 : this.workers.reduce((sum, w) => sum + w.bytes, this.local.stats().bytes);
    return { backend: 'wasm', liveBuffers: 0, liveBindGroups: 0, bytes };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.batch = 0;
    this.local.dispose();
    for (const w of this.workers) w.terminate();
  }
}
