// The WebAssembly SIMD backend: the CPU executor's semantics (src/cpu/executor.ts) on the kernels in
// wasm/assembly, one clip at a time. Parameters are copied into WASM memory once at construction; every value
// gets fixed storage, so runStage allocates nothing.
//
// Storage: a value read by a later stage than the one producing it (the input, a block's output feeding the
// next block or a later residual) lives once per clip of the batch; every other value (inside one stage, or
// private to an exit head) is produced and consumed while one clip runs, so one copy serves all clips.
import { exitRecordStride, exitResultCpu } from '../cpu/exit-result';
import { BeenetError } from '../errors';
import type { ValueName } from '../model/graph';
import { readerCounts } from '../plan/readers';
import { groupSteps, type StepLayers } from './fuse';
import { prepareConvPoolPack, prepareOp, tensorBytes, tensorInfo, type PreparedOp } from './layers';
import { createKernels, createKernelsSync, type WasmKernels } from './module';
import { checkBatch, type ExecutorStats, type StageExecutor, type StreamPrefix, type StreamPrefixOptions } from '../plan/executor';
import { WasmStreamPrefix } from './stream-prefix';
import type { ModelPlan, PlannedLayer } from '../plan/plan';

/** Time spent in one layer over the runs since `profile()` was turned on (bench/wasm-profile.ts). */
export interface LayerProfile {
  stage: number;
  label: string;
  type: string;
  /** An exit head's layer (else the trunk). */
  head: boolean;
  ms: number;
  /** Clip-runs of the layer. */
  runs: number;
}

export interface WasmExecutorOptions {
  /** Largest batch `setInput` accepts (per-clip storage grows on demand up to it). Default 4096. */
  maxBatch?: number;
  /** A kernels instance to own (its memory becomes this executor's); by default a fresh one. */
  kernels?: WasmKernels;
  /** Run a float conv + pool + pack as one kernel where nothing else reads their maps (src/wasm/fuse.ts). Default true. */
  fuse?: boolean;
}

interface Slot {
  bytes: number;
  /** Index of the stage producing it (-1: the input). */
  stage: number;
  perClip: boolean;
  /** Byte address (shared) or offset inside a clip's block (per clip); set after the walk. */
  at: number;
}

interface Step {
  label: string;
  /** The planned op's type (profile grouping) and whether it belongs to an exit head. */
  type: string;
  head: boolean;
  op: PreparedOp;
  input: Slot;
  output: Slot;
  residual: Slot | null;
  /** The second output of a fused step (conv-pool-pack's pooled floats when another layer reads them). */
  aux: Slot | null;
}

interface StageSteps {
  steps: Step[];
  logits: Slot;
}

const DEFAULT_MAX_BATCH = 4096;

export class WasmExecutor implements StageExecutor {
  readonly kind = 'wasm' as const;
  readonly maxBatch: number;
  private readonly k: WasmKernels;
  private readonly stages: StageSteps[];
  private readonly inputSlot: Slot;
  private readonly scratch: number;
  /** Arena mark where the per-clip block begins (reallocated when a larger batch arrives). */
  private readonly clipsMark: number;
  private clipBytes = 0;
  private clipsBase = 0;
  private capacity = 0;
  private batch = 0;
  /** The current batch came from a stream prefix (setTrunkOutput): stage 0 runs its exit head only. */
  private trunkGiven = false;
  /** Storage of every trunk value, by name (a stream prefix fills its boundary value's). */
  private readonly trunkSlots: Map<ValueName, Slot>;
  /** The slot a stream prefix fills (set by createStreamPrefix). */
  private prefixSlot: Slot | null = null;
  private disposed = false;
  /** Per-layer [ms, runs] by stage and step while profiling; null (no timing calls) otherwise. */
  private timing: [number, number][][] | null = null;

  /** Async construction: compiles the module without blocking (required on a browser's main thread). */
  static async create(plan: ModelPlan, options: WasmExecutorOptions = {}): Promise<WasmExecutor> {
    const kernels = options.kernels ?? (await createKernels());
    return new WasmExecutor(plan, { ...options, kernels });
  }

  constructor(private readonly plan: ModelPlan, options: WasmExecutorOptions = {}) {
    this.maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1) {
      throw new BeenetError('BAD_INPUT', `maxBatch must be a positive integer, got ${this.maxBatch}`);
    }
    const k = (this.k = options.kernels ?? createKernelsSync());
    this.inputSlot = { bytes: plan.inputElements * 4, stage: -1, perClip: true, at: 0 };
    const trunk = new Map<ValueName, Slot>([['input', this.inputSlot]]);
    const all: Slot[] = [];
    let scratchBytes = 0;
    const lookup = (scope: Map<ValueName, Slot>, name: ValueName, l: PlannedLayer): Slot => {
      const s = scope.get(name);
      if (!s) throw new BeenetError('MODEL_FORMAT', `${l.label}: value '${name}' is not defined before it is read`);
      return s;
    };
    const readers = readerCounts(plan);
    const fuse = options.fuse ?? true;
    const step = (g: StepLayers, stage: number, scope: Map<ValueName, Slot>, head: boolean): Step => {
      // The layer that reads the step's input, the one that writes its output, and the kernel for the lot.
      const first = g.kind === 'one' ? g.layer : g.conv;
      const last = g.kind === 'one' ? g.layer : g.pack;
      const op =
        g.kind === 'one'
          ? prepareOp(k, g.layer.op, tensorInfo(g.layer.inputInfo))
          : prepareConvPoolPack(k, g.conv.op, g.pool.op, g.pack.op, tensorInfo(g.conv.inputInfo), g.keepPooled);
      scratchBytes = Math.max(scratchBytes, op.scratchBytes);
      const input = lookup(scope, first.input, first);
      const t = 'transform' in last.op ? last.op.transform : null;
      const residual = g.kind === 'one' && t && t.kind === 'affine' && t.residual !== null ? lookup(scope, t.residual, last) : null;
      // A value read by a later stage must survive the other clips' runs of this stage.
      for (const r of [input, residual]) if (r && r.stage < stage) r.perClip = true;
      const output: Slot = { bytes: tensorBytes(op.output), stage, perClip: false, at: 0 };
      all.push(output);
      scope.set(last.output, output);
      let aux: Slot | null = null;
      if (g.kind === 'conv-pool-pack' && op.auxOutput) {
        aux = { bytes: tensorBytes(op.auxOutput), stage, perClip: false, at: 0 };
        all.push(aux);
        scope.set(g.pool.output, aux);
      }
      const label = g.kind === 'one' ? g.layer.label : `${g.conv.label} + ${g.pool.label} + ${g.pack.label}`;
      const type = g.kind === 'one' ? g.layer.op.type : `conv_real+${g.pool.op.type}+pack`;
      return { label, type, head, op, input, output, residual, aux };
    };
    this.stages = plan.stages.map((s, index) => {
      const steps = groupSteps(s.layers, readers, fuse).map((g) => step(g, index, trunk, false));
      const head = new Map(trunk);
      for (const g of groupSteps(s.exitLayers, readers, fuse)) steps.push(step(g, index, head, true));
      const logits = head.get(s.logits);
      if (!logits) throw new BeenetError('MODEL_FORMAT', `exit ${index}: logits '${s.logits}' is not produced`);
      return { steps, logits };
    });
    this.trunkSlots = trunk;
    for (const s of all) {
      if (s.perClip) {
        s.at = this.clipBytes;
        this.clipBytes += align16(s.bytes + 16);
      } else {
        s.at = k.alloc(s.bytes);
      }
    }
    this.inputSlot.at = this.clipBytes;
    this.clipBytes += align16(this.inputSlot.bytes + 16);
    this.scratch = k.alloc(scratchBytes);
    this.clipsMark = k.mark;
  }

  /** Ensures per-clip storage for `n` clips; only grows. */
  private reserve(n: number): void {
    if (n <= this.capacity) return;
    const capacity = Math.min(this.maxBatch, Math.max(n, this.capacity * 2));
    this.k.release(this.clipsMark);
    this.clipsBase = this.k.alloc(capacity * this.clipBytes);
    this.capacity = capacity;
  }

  private addr(s: Slot, clip: number): number {
    return s.perClip ? this.clipsBase + clip * this.clipBytes + s.at : s.at;
  }

  private live(): void {
    if (this.disposed) throw new BeenetError('DISPOSED', 'the wasm executor was disposed');
  }

  async setInput(features: Float32Array, n: number): Promise<void> {
    this.live();
    const size = this.plan.inputElements;
    checkBatch(features, n, size, this.maxBatch);
    this.reserve(n);
    const f32 = this.k.f32;
    for (let i = 0; i < n; i++) f32.set(features.subarray(i * size, (i + 1) * size), this.addr(this.inputSlot, i) >>> 2);
    this.batch = n;
    this.trunkGiven = false;
  }

  /** Stage 0 of a stream computed once per row (src/wasm/stream-prefix.ts), or why this model's cannot be. */
  createStreamPrefix(options: StreamPrefixOptions): StreamPrefix | { unsupported: string } {
    this.live();
    const prefix = WasmStreamPrefix.create(this.plan, options);
    if ('unsupported' in prefix) return prefix;
    const slot = this.trunkSlots.get(prefix.boundary);
    if (!slot?.perClip) return { unsupported: `stage 0's output '${prefix.boundary}' is not kept per clip` };
    this.prefixSlot = slot;
    return prefix;
  }

  async setTrunkOutput(windows: readonly Uint8Array[], n: number): Promise<void> {
    this.live();
    if (!Number.isInteger(n) || n < 0 || n > this.maxBatch || windows.length < n) {
      throw new BeenetError('BAD_INPUT', `batch of ${n} windows (${windows.length} given): this executor takes 0 to ${this.maxBatch} at a time`);
    }
    const slot = this.prefixSlot;
    if (!slot) throw new BeenetError('BAD_INPUT', 'setTrunkOutput needs a stream prefix of this executor (createStreamPrefix)');
    this.reserve(n);
    const u8 = this.k.u8;
    for (let i = 0; i < n; i++) {
      if (windows[i].length !== slot.bytes) throw new BeenetError('BAD_INPUT', `window ${i} holds ${windows[i].length} bytes of stage 0's output, the model's is ${slot.bytes}`);
      u8.set(windows[i], this.addr(slot, i));
    }
    this.batch = n;
    this.trunkGiven = true;
  }

  async runStage(stage: number, active: Uint32Array): Promise<Float32Array> {
    this.live();
    const s = this.stages[stage];
    if (!s) throw new BeenetError('BAD_INPUT', `stage ${stage} does not exist (the model has ${this.stages.length})`);
    const classes = this.plan.classes;
    const stride = exitRecordStride(classes);
    const out = new Float32Array(active.length * stride);
    for (let row = 0; row < active.length; row++) {
      const clip = active[row];
      if (clip >= this.batch) throw new BeenetError('BAD_INPUT', `clip ${clip} is not in the current batch of ${this.batch}`);
      const timing = this.timing?.[stage];
      const skipTrunk = stage === 0 && this.trunkGiven;
      for (let i = 0; i < s.steps.length; i++) {
        const st = s.steps[i];
        if (skipTrunk && !st.head) continue;
        const t0 = timing ? performance.now() : 0;
        st.op.run(
          this.addr(st.input, clip),
          this.addr(st.output, clip),
          st.residual ? this.addr(st.residual, clip) : 0,
          this.scratch,
          st.aux ? this.addr(st.aux, clip) : 0,
        );
        if (timing) {
          timing[i][0] += performance.now() - t0;
          timing[i][1]++;
        }
      }
      // The record is tiny: computed with the twin's code so exp/log match the CPU backend exactly.
      const at = this.addr(s.logits, clip) >>> 2;
      out.set(exitResultCpu(this.k.f32.subarray(at, at + classes), 1, classes), row * stride);
    }
    return out;
  }

  /** Starts (or restarts) timing every layer; `profile()` reads the totals. Off by default: it costs a clock read per layer. */
  startProfile(): void {
    this.timing = this.stages.map((s) => s.steps.map((): [number, number] => [0, 0]));
  }

  /** Stops timing (the totals so far are dropped): runs are clock-free again. */
  stopProfile(): void {
    this.timing = null;
  }

  /** Per-layer time since `startProfile()`, in run order; empty when not profiling. */
  profile(): LayerProfile[] {
    const t = this.timing;
    if (!t) return [];
    return this.stages.flatMap((s, stage) => s.steps.map((st, i) => ({ stage, label: st.label, type: st.type, head: st.head, ms: t[stage][i][0], runs: t[stage][i][1] })));
  }

  stats(): ExecutorStats {
    return { backend: 'wasm', liveBuffers: 0, liveBindGroups: 0, bytes: this.disposed ? 0 : this.k.bytes };
  }

  dispose(): void {
    this.disposed = true;
    this.batch = 0;
  }
}

function align16(n: number): number {
  return Math.ceil(n / 16) * 16;
}
