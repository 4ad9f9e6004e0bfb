// A loaded model: features in, early-exit classification out, on whichever backend the runtime chose.
import { audioToFeatures, clipWindowSeconds, type BandNormalization } from '../audio/frontend';
import { normalizeBands } from '../audio/logmel';
import { summarizeLogits } from '../cpu/exit-result';
import { BeenetError, throwIfAborted } from '../errors';
import { firstNonFinite } from '../finite';
import type { BeeModel } from '../format/bee';
import type { ModelDescription } from '../model/graph';
import type { BackendKind, ExecutorStats, StageExecutor, StreamPrefix, StreamPrefixOptions } from '../plan/executor';
import { resolvePolicy, type ExitOptions, type ResolvedPolicy, type ScheduleMode } from './exit-policy';
import type { ModelPlan } from '../plan/plan';
import { runSchedule } from './scheduler';

/** Raw mono audio at any supported rate, or features already computed with the model's front end. */
export type ClassifyInput = { audio: Float32Array; sampleRate: number } | { features: Float32Array };

export interface ExitReport {
  exit: number;
  label: string;
  classIndex: number;
  entropy: number;
  maxProb: number;
  /** This exit's raw logits (before softmax), only when the call asked for them (`logits: true`). */
  logits?: Float32Array;
}

export interface ClassifyResult {
  label: string;
  classIndex: number;
  /** Softmax probabilities of the exit taken. */
  probabilities: Float32Array;
  /** Exit taken (0-based). */
  exit: number;
  entropy: number;
  maxProb: number;
  /** Blocks of the backbone that ran for this clip. */
  blocksRun: number;
  /** Fraction of the full model's binary / float operations this clip used (exit heads on the way included). */
  binaryOpsFraction: number;
  floatOpsFraction: number;
  /** Every exit evaluated for this clip, in order (all of them in 'all-exits' mode). */
  exits: ExitReport[];
  /**
   * What was computed for this clip: the exit's figures above, except in 'all-exits' mode, where every block
   * and exit ran (and `exit`, `blocksRun`, `binaryOpsFraction` say where the threshold would have stopped).
   */
  spent: { blocksRun: number; binaryOpsFraction: number; floatOpsFraction: number };
  /**
   * For audio input: the stretch of it the model classified (a clip is the model's fixed length: longer audio
   * is windowed, centred; use `createDetector` or several calls for long recordings). Absent for features.
   */
  window?: { audioSeconds: number; startSeconds: number; endSeconds: number };
  mode: ScheduleMode;
  backend: BackendKind;
  timings: {
    /** Front end (resampling + log-mel) for this clip. */
    featuresMs: number;
    /** Inference of the whole call (a batch shares it). */
    inferenceMs: number;
  };
}

/** What a loaded model is, in public terms: its input, classes and exits and what each exit costs. */
export interface ModelInfo {
  /** Features of one clip: [frames, bands]. */
  inputShape: readonly [number, number];
  labels: readonly string[];
  /** The exits in order: the backbone blocks run before each, and the share of the full model's ops to reach it. */
  exits: readonly { index: number; blocksRun: number; binaryOpsFraction: number; floatOpsFraction: number }[];
  /** Operations of one clip through every block and exit (threshold 0). */
  totalOps: { binaryOps: number; floatOps: number; params: number };
}

export interface ModelStats extends ExecutorStats {
  calls: number;
  clips: number;
  /** Calls waiting in the queue. */
  pending: number;
  deviceRecoveries: number;
}

export type ExecutorFactory = () => Promise<StageExecutor>;

/** Gives the executor clips [start, start + count) of a call as its current batch. */
type BatchLoader = (executor: StageExecutor, start: number, count: number) => Promise<void>;

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

export class BeenetModel {
  readonly description: ModelDescription;
  readonly labels: readonly string[];
  private executor: StageExecutor | null;
  private queue: Promise<unknown> = Promise.resolve();
  /** One-clip input snapshots of finished calls, for the next calls (see stack). */
  private readonly spareSnapshots: Float32Array[] = [];
  private disposed = false;
  private readonly norm: BandNormalization | undefined;

  /** The front end's per-band normalisation (what `normalizeFeatures` applies), or undefined when it has none. */
  get bandNormalization(): BandNormalization | undefined {
    return this.norm;
  }
  private counters = { calls: 0, clips: 0, pending: 0, deviceRecoveries: 0 };
  /** Per exit: the blocks run to reach it and its share of the full model's ops (what results and `info` report). */
  private readonly exitCosts: ModelInfo['exits'];

  /** Use `Runtime.load`. */
  constructor(
    private readonly model: BeeModel,
    /** @internal The executable plan (backends and tests); `info` is the public view of it. */
    readonly plan: ModelPlan,
    executor: StageExecutor,
    private readonly createExecutor: ExecutorFactory,
    /** Called once when the model is disposed (the runtime forgets it). */
    private readonly onDispose: () => void = () => {},
  ) {
    this.description = model.description;
    this.labels = model.description.labels;
    this.executor = executor;
    const total = plan.totalOps;
    const share = (used: number, all: number): number => (all > 0 ? used / all : 1);
    this.exitCosts = plan.stages.map((st) => ({
      index: st.index,
      blocksRun: model.description.graph.exits[st.index].after + 1,
      binaryOpsFraction: share(st.cumulativeOps.binaryOps, total.binaryOps),
      floatOpsFraction: share(st.cumulativeOps.floatOps, total.floatOps),
    }));
    const n = model.description.frontend.normalization;
    if (n) {
      this.norm = {
        mean: model.tensors.get(n.mean)!.data as Float32Array,
        std: model.tensors.get(n.std)!.data as Float32Array,
      };
    }
  }

  /** Input shape, labels, exits and their costs. */
  get info(): ModelInfo {
    return {
      inputShape: [this.plan.inputShape[0], this.plan.inputShape[1]],
      labels: this.labels,
      exits: this.exitCosts.map((e) => ({ ...e })),
      totalOps: { ...this.plan.totalOps },
    };
  }

  get backend(): BackendKind {
    return this.live().kind;
  }

  /** Log-mel features [frames, melBands] for one clip of audio, with the model's front end. */
  features(audio: Float32Array, sampleRate: number): Float32Array {
    return audioToFeatures(audio, sampleRate, this.description.frontend, this.norm);
  }

  /**
   * Raw front-end features [frames, bands] -> the model's input (its per-band normalisation, when it has one).
   * A new array, `raw` untouched, unless `handOver` says `raw` is a fresh array the caller gives up (a stream's
   * window): then it is normalised in place and returned, saving a copy.
   */
  normalizeFeatures(raw: Float32Array, options: { handOver?: boolean } = {}): Float32Array {
    const out = options.handOver ? raw : raw.slice();
    return this.norm ? normalizeBands(out, this.norm.mean, this.norm.std) : out;
  }

  async classify(input: ClassifyInput, options?: ExitOptions): Promise<ClassifyResult> {
    const [r] = await this.classifyBatch([input], options);
    return r;
  }

  /**
   * Classifies clips together: clips that exit leave the batch, deeper stages run only for the rest. Each
   * clip's result is the one it gets alone. Calls on one model are queued, never interleaved.
   */
  classifyBatch(inputs: readonly ClassifyInput[], options?: ExitOptions): Promise<ClassifyResult[]> {
    if (this.disposed) return Promise.reject(new BeenetError('DISPOSED', 'the model was disposed'));
    if (options?.signal?.aborted) return Promise.reject(new BeenetError('ABORTED', 'classify was aborted before it started'));
    // Validate and compute features before queueing, so a bad input fails fast and nothing is half-run.
    let policy;
    let prepared;
    try {
      if (!Array.isArray(inputs) || inputs.length === 0) throw new BeenetError('BAD_INPUT', 'classifyBatch needs at least one input');
      policy = resolvePolicy(this.description.exitPolicy, this.plan.stages.length, options);
      prepared = inputs.map((input, i) => this.prepare(input, i));
    } catch (e) {
      return Promise.reject(e);
    }
    const { features, featuresMs } = this.stack(prepared);
    const size = this.plan.inputElements;
    const load: BatchLoader = (ex, start, count) => ex.setInput(features.subarray(start * size, (start + count) * size), count);
    const run = this.enqueue(load, inputs.length, policy, featuresMs, () => this.recycle(features));
    return run.then((results) => {
      prepared.forEach((p, i) => {
        if (p.window) results[i].window = p.window;
      });
      return results;
    });
  }

  /**
   * @internal A stream's stage 0 computed once per row and shared by its overlapping windows (src/stream/
   * detector.ts), or why this backend or model cannot share it.
   */
  createStreamPrefix(options: StreamPrefixOptions): StreamPrefix | { unsupported: string } {
    const ex = this.live();
    return ex.createStreamPrefix ? ex.createStreamPrefix(options) : { unsupported: `the ${ex.kind} backend runs every window whole` };
  }

  /**
   * @internal Classifies windows whose stage 0 a prefix from `createStreamPrefix` computed (their bytes are
   * copied when the call starts running); otherwise as classifyBatch.
   */
  classifyPrefixed(windows: readonly Uint8Array[], options?: ExitOptions): Promise<ClassifyResult[]> {
    if (this.disposed) return Promise.reject(new BeenetError('DISPOSED', 'the model was disposed'));
    let policy: ResolvedPolicy;
    try {
      if (windows.length === 0) throw new BeenetError('BAD_INPUT', 'classifyPrefixed needs at least one window');
      policy = resolvePolicy(this.description.exitPolicy, this.plan.stages.length, options);
    } catch (e) {
      return Promise.reject(e);
    }
    const load: BatchLoader = (ex, start, count) => {
      if (!ex.setTrunkOutput) throw new BeenetError('UNSUPPORTED', `the ${ex.kind} backend takes no stream prefix`);
      return ex.setTrunkOutput(windows.slice(start, start + count), count);
    };
    return this.enqueue(load, windows.length, policy, new Array<number>(windows.length).fill(0));
  }

  /** Queues a call behind the model's others (never interleaved); `done` runs once it has finished, either way. */
  private enqueue(load: BatchLoader, n: number, policy: ResolvedPolicy, featuresMs: number[], done?: () => void): Promise<ClassifyResult[]> {
    this.counters.pending++;
    const run = this.queue.then(async () => {
      try {
        this.counters.pending--;
        if (this.disposed) throw new BeenetError('DISPOSED', 'the model was disposed while the call was queued');
        throwIfAborted(policy.signal, 'classify');
        return await this.runWithRecovery(load, n, policy, featuresMs);
      } finally {
        done?.();
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  stats(): ModelStats {
    const base = this.executor?.stats() ?? { backend: 'cpu' as const, liveBuffers: 0, liveBindGroups: 0, bytes: 0 };
    return { ...base, ...this.counters };
  }

  /** Frees every device resource; queued calls reject with DISPOSED. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.executor?.dispose();
    this.executor = null;
    this.onDispose();
  }

  /** `using model = await runtime.load(...)`: disposed when the scope ends. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  private live(): StageExecutor {
    if (this.disposed || !this.executor) throw new BeenetError('DISPOSED', 'the model was disposed');
    return this.executor;
  }

  private prepare(input: ClassifyInput, index: number): { features: Float32Array; ms: number; window?: ClassifyResult['window'] } {
    const t0 = now();
    if (input === null || typeof input !== 'object') throw new BeenetError('BAD_INPUT', `input ${index}: expected { audio, sampleRate } or { features }`);
    if ('features' in input) {
      const f = input.features;
      if (!(f instanceof Float32Array)) throw new BeenetError('BAD_INPUT', `input ${index}: features must be a Float32Array`);
      if (f.length !== this.plan.inputElements) {
        const [h, w] = this.plan.inputShape;
        throw new BeenetError('BAD_INPUT', `input ${index}: features have ${f.length} values, the model takes ${h} x ${w} = ${this.plan.inputElements}`);
      }
      const bad = firstNonFinite(f);
      if (bad >= 0) throw new BeenetError('BAD_INPUT', `input ${index}: feature ${bad} is ${f[bad]}`);
      return { features: f, ms: now() - t0 };
    }
    if (!('audio' in input)) throw new BeenetError('BAD_INPUT', `input ${index}: expected { audio, sampleRate } or { features }`);
    const features = this.features(input.audio, input.sampleRate);
    return { features, ms: now() - t0, window: clipWindowSeconds(input.audio.length, input.sampleRate, this.description.frontend) };
  }

  /**
   * The call's snapshot of its inputs (the caller may change them once the call returns). One-clip snapshots
   * are reused from call to call: a stream classifies one window at a time, and allocating 16 KB cost more than
   * copying it.
   */
  private stack(prepared: { features: Float32Array; ms: number }[]): { features: Float32Array; featuresMs: number[] } {
    const size = this.plan.inputElements;
    const features = (prepared.length === 1 && this.spareSnapshots.pop()) || new Float32Array(prepared.length * size);
    prepared.forEach((p, i) => features.set(p.features, i * size));
    return { features, featuresMs: prepared.map((p) => p.ms) };
  }

  /** Takes back a one-clip snapshot once its call is done (every executor has copied or finished with it). */
  private recycle(features: Float32Array): void {
    if (features.length === this.plan.inputElements && this.spareSnapshots.length < 4) this.spareSnapshots.push(features);
  }

  private async runWithRecovery(
    load: BatchLoader,
    n: number,
    policy: ReturnType<typeof resolvePolicy>,
    featuresMs: number[],
  ): Promise<ClassifyResult[]> {
    try {
      return await this.runChunks(load, n, policy, featuresMs);
    } catch (e) {
      if (!(e instanceof BeenetError && e.code === 'DEVICE_LOST') || this.disposed) throw e;
      // The device went away (driver reset, destroy()): rebuild everything from the loaded model and retry once.
      this.executor?.dispose();
      this.executor = null;
      this.executor = await this.createExecutor();
      this.counters.deviceRecoveries++;
      if (this.disposed) {
        this.executor.dispose();
        throw new BeenetError('DISPOSED', 'the model was disposed during device recovery');
      }
      try {
        return await this.runChunks(load, n, policy, featuresMs);
      } catch (again) {
        if (again instanceof BeenetError && again.code === 'DEVICE_LOST') {
          throw new BeenetError('DEVICE_LOST', `the GPU device was lost again after recovery: ${again.message}`, { cause: again });
        }
        throw again;
      }
    }
  }

  private async runChunks(
    load: BatchLoader,
    n: number,
    policy: ReturnType<typeof resolvePolicy>,
    featuresMs: number[],
  ): Promise<ClassifyResult[]> {
    const executor = this.live();
    const results: ClassifyResult[] = [];
    for (let start = 0; start < n; start += executor.maxBatch) {
      const count = Math.min(executor.maxBatch, n - start);
      throwIfAborted(policy.signal, 'classify');
      const t0 = now();
      await load(executor, start, count);
      const outcomes = await runSchedule(executor, this.plan.stages.length, this.plan.classes, count, policy);
      outcomes.forEach((o, i) => this.checkFinite(o.records, start + i));
      const inferenceMs = now() - t0;
      this.counters.calls++;
      this.counters.clips += count;
      outcomes.forEach((o, i) => results.push(this.result(o.exit, o.records, policy, featuresMs[start + i], inferenceMs)));
    }
    return results;
  }

  /** Finite inputs can still overflow float32 through extreme parameters: say so rather than return NaN. */
  private checkFinite(records: (Float32Array | null)[], clip: number): void {
    records.forEach((r, k) => {
      if (!r) return;
      for (let i = 0; i < this.plan.classes; i++) {
        if (!Number.isFinite(r[i])) {
          throw new BeenetError('MODEL_FORMAT', `exit ${k} produced a non-finite logit (${r[i]}) for clip ${clip}: the model's parameters overflow float32`);
        }
      }
    });
  }

  private result(
    exit: number,
    records: (Float32Array | null)[],
    policy: ResolvedPolicy,
    featuresMs: number,
    inferenceMs: number,
  ): ClassifyResult {
    const classes = this.plan.classes;
    const exits: ExitReport[] = [];
    records.forEach((r, k) => {
      if (!r) return;
      const classIndex = r[classes + 2];
      const report: ExitReport = { exit: k, label: this.labels[classIndex], classIndex, entropy: r[classes], maxProb: r[classes + 1] };
      if (policy.logits) report.logits = r.slice(0, classes);
      exits.push(report);
    });
    const record = records[exit]!;
    const summary = summarizeLogits(record.subarray(0, classes));
    const classIndex = record[classes + 2];
    const costs = this.exitCosts;
    const { index: _, ...at } = costs[exit];
    const { index: __, ...ran } = policy.mode === 'all-exits' ? costs[costs.length - 1] : costs[exit];
    return {
      label: this.labels[classIndex],
      classIndex,
      probabilities: summary.probs,
      exit,
      entropy: record[classes],
      maxProb: record[classes + 1],
      ...at,
      exits,
      spent: ran,
      mode: policy.mode,
      backend: this.live().kind,
      timings: { featuresMs, inferenceMs },
    };
  }
}
