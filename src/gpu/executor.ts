// The WebGPU backend: every buffer, bind group and pipeline made once at load; a stage is one submission of
// pre-built dispatches over the active-clip list; only the small exit records come back.
import { BeenetError } from '../errors';
import { BufferPool } from './buffers';
import type { GpuContext } from './device';
import { disposeDispatch, encodeDispatch, fusedPackData, transformData, type Dispatch, type GpuTransform } from './kernels/common';
import { bconvDispatch, bconvWeightsForGpu, convRealDispatch, convRealWeightsForLanes, lanesFit, type ConvLayout } from './kernels/conv';
import { bdenseDispatch, denseDispatch } from './kernels/dense';
import { exitGateDispatch, exitGateFields, exitHeadDispatch, exitHeadFits, exitResultDispatch, type ExitHeadCells } from './kernels/exit';
import { encodeParams } from './contract';
import { packDispatch } from './kernels/pack';
import { gapDispatch, maxpoolBitsDispatch, poolFloatDispatch, poolFloatPackDispatch } from './kernels/pool';
import { withErrorScopes } from './error-scopes';
import { KernelRegistry } from './registry';
import { precompileAll, type KernelName } from './shaders';
import { USAGE } from './usage';
import { wordsFor } from '../layout/bits';
import type { MapShape } from '../layout/geometry';
import type { OutputTransform } from '../layout/transform';
import type { ExitCriterion, ValueName } from '../model/graph';
import type { ValueInfo } from '../model/shapes';
import { deviceThreshold } from '../plan/exit-rule';
import { checkBatch, type ExecutorStats, type GatedResult, type StageExecutor } from '../plan/executor';
import type { ModelPlan, PlannedLayer, Stage, TransformSpec } from '../plan/plan';

const STORAGE_RW = USAGE.STORAGE | USAGE.COPY_DST | USAGE.COPY_SRC;

/** Pipelines are per device: every model on a device shares one registry. */
const registries = new WeakMap<GPUDevice, KernelRegistry>();

function registryFor(device: GPUDevice): KernelRegistry {
  let r = registries.get(device);
  if (!r) registries.set(device, (r = new KernelRegistry(device)));
  return r;
}

function bytesPerClip(info: ValueInfo): number {
  const s = info.shape;
  const c = s[s.length - 1];
  const pixels = s.length === 3 ? s[0] * s[1] : 1;
  return 4 * pixels * (info.kind === 'bits' ? wordsFor(c) : c);
}

function mapShape(info: ValueInfo, n: number): MapShape {
  const s = info.shape;
  return s.length === 3 ? { n, h: s[0], w: s[1], c: s[2] } : { n, h: 1, w: 1, c: s[0] };
}

function gpuTransform(t: TransformSpec): GpuTransform {
  return t.kind === 'threshold' ? { kind: 'threshold' } : { kind: 'affine', activation: t.activation.kind, residual: t.residual !== null };
}

function channelData(t: TransformSpec, channels: number): Uint32Array {
  const resolved: OutputTransform = t.kind === 'threshold' ? t : { ...t, residual: null };
  return transformData(resolved, channels);
}

/**
 * Pack fusion: each `pack` whose float input is written by a float pooling or by a convolution with an affine
 * output is done by that producer (it writes the floats, still read by residuals and shortcuts, and their packed
 * signs: shaders/pool_float_pack.wgsl, `signBits` of the conv kernels), so the pack's dispatch goes. The producer
 * runs first in every schedule (it is earlier in the plan, in the same stage or an earlier one, and a stage runs
 * only for clips that ran the stages before it). Returns producer -> the pack it absorbs.
 */
function fusePacks(plan: ModelPlan): Map<PlannedLayer, PlannedLayer & { op: { type: 'pack' } }> {
  const all = plan.stages.flatMap((s) => [...s.layers, ...s.exitLayers]);
  const producer = new Map<ValueName, PlannedLayer>();
  const fused = new Map<PlannedLayer, PlannedLayer & { op: { type: 'pack' } }>();
  for (const l of all) {
    const op = l.op;
    if (op.type === 'pack') {
      const p = producer.get(l.input);
      const po = p?.op;
      const fits = po !== undefined && p!.outputInfo.kind === 'float' && (
        ((po.type === 'avgpool' || po.type === 'maxpool') && p!.inputInfo.kind === 'float' && p!.inputInfo.shape.length === 3) ||
        ((po.type === 'bconv' || po.type === 'conv_real') && po.transform.kind === 'affine'));
      if (fits && !fused.has(p!)) fused.set(p!, l as PlannedLayer & { op: { type: 'pack' } });
    }
    producer.set(l.output, l);
  }
  return fused;
}

/**
 * The lowering: the kernel each layer runs on this adapter, chosen once per model (convolutions take the lanes
 * layout on hardware adapters unless their map is beyond the lanes grid; src/gpu/kernels/conv.ts). A fused pack
 * has no kernel of its own.
 */
function lower(plan: ModelPlan, layout: ConvLayout, maxBatch: number, fused: Map<PlannedLayer, PlannedLayer>, heads: Set<Stage>): Map<PlannedLayer, KernelName> {
  const kernels = new Map<PlannedLayer, KernelName>();
  const absorbed = new Set([...fused.values(), ...[...heads].flatMap((s) => s.exitLayers)]);
  for (const s of plan.stages) {
    for (const l of [...s.layers, ...s.exitLayers]) {
      if (absorbed.has(l)) continue;
      const op = l.op;
      const pool: KernelName = fused.has(l) ? 'pool_float_pack' : 'pool_float';
      let k: KernelName;
      if (op.type === 'maxpool') k = l.inputInfo.kind === 'bits' ? 'maxpool_bits' : pool;
      else if (op.type === 'avgpool') k = pool;
      else if (op.type === 'bconv' || op.type === 'conv_real') {
        k = layout === 'lanes' && lanesFit(mapShape(l.inputInfo, maxBatch), op.geometry) ? `${op.type}_lanes` : op.type;
      } else k = op.type;
      kernels.set(l, k);
    }
  }
  return kernels;
}

/**
 * Exit-head fusion: a head that is a pooling (global average, or an average over cells: window = stride, on a
 * float map) then a float dense layer giving the logits runs as one exit_head dispatch with its record
 * (shaders/exit_head.wgsl) instead of the pooling, dense and exit_result; heads of another form, or too wide for
 * exit_head's workgroup arrays, keep the three.
 */
function fusableHead(s: Stage): boolean {
  const [g, d] = s.exitLayers;
  if (s.exitLayers.length !== 2 || g.inputInfo.shape.length !== 3 || d.op.type !== 'dense' || d.input !== g.output || d.output !== s.logits) return false;
  const pooling = g.op.type === 'gap' || (g.op.type === 'avgpool' && g.inputInfo.kind === 'float' && headCells(g) !== null);
  return pooling && exitHeadFits(d.op.inFeatures, d.op.outFeatures);
}

/** The cells of an average pooling whose window is its stride (exit_head's cell form), or null. */
function headCells(g: PlannedLayer): ExitHeadCells | null {
  if (g.op.type !== 'avgpool') return null;
  const { kernel, stride } = g.op.window;
  if (kernel[0] !== stride[0] || kernel[1] !== stride[1]) return null;
  const [oh, ow] = g.outputInfo.shape;
  return { kernel: [kernel[0], kernel[1]], grid: [oh, ow] };
}

/** One dispatch of a stage, as the bench and tests list them. */
export interface DispatchInfo {
  kernel: KernelName;
  /** The planned layer's label ("block 1 layer 3 (bconv) + block 1 layer 4 (pack)" when a pack is fused). */
  label: string;
}

interface StageDispatches {
  /** Trunk, exit head and exit_result dispatches, in order. */
  dispatches: Dispatch[];
  labels: string[];
  gate: Dispatch;
}

export interface GpuExecutorOptions {
  maxBatch: number;
  /** 'tiled' (default) or 'lanes'; the runtime picks by adapter (src/gpu/kernels/conv.ts). */
  convLayout?: ConvLayout;
  /**
   * Fuse each pack into the float pooling or affine convolution that writes its input (fusePacks above), one
   * dispatch fewer per fused pack. Default true; false runs every planned layer as its own dispatch (the tests
   * and benches compare the two: same bits).
   */
  fusePack?: boolean;
  /**
   * Run each pooling -> dense exit head (gap or cells) and its record as one exit_head dispatch (fusableHead above):
   * two dispatches fewer per stage. Default: on hardware adapters only (`!ctx.isFallbackAdapter`): the kernel's
   * workgroup barriers cost SwiftShader more than the two dispatches it saves. false keeps the three kernels.
   */
  fuseExitHead?: boolean;
}

export class GpuExecutor implements StageExecutor {
  readonly kind = 'webgpu' as const;
  private lost = false;
  private disposed = false;
  private n = 0;
  private readonly stride: number;
  private readonly unwatch: () => void;

  private constructor(
    private readonly ctx: GpuContext,
    private readonly plan: ModelPlan,
    readonly maxBatch: number,
    private readonly pool: BufferPool,
    private readonly values: Map<ValueName, GPUBuffer>,
    private readonly activeLists: GPUBuffer[],
    private readonly records: GPUBuffer[],
    private readonly decisions: GPUBuffer,
    private readonly results: GPUBuffer,
    private readonly stages: StageDispatches[],
  ) {
    this.stride = plan.classes + 3;
    this.unwatch = ctx.onLost(() => {
      this.lost = true;
    });
  }

  /**
   * Uploads the model, allocates every buffer for `maxBatch` clips, compiles the pipelines it uses. Convolutions
   * use `convLayout` (default 'tiled'; the runtime picks by adapter, src/gpu/kernels/conv.ts).
   */
  static async create(ctx: GpuContext, plan: ModelPlan, options: GpuExecutorOptions): Promise<GpuExecutor> {
    const device = ctx.device;
    const maxBatch = options.maxBatch;
    const layout = options.convLayout ?? 'tiled';
    const reg = registryFor(device);
    const pool = new BufferPool(device);
    const limit = device.limits.maxStorageBufferBindingSize;
    const fused = options.fusePack === false ? new Map<PlannedLayer, PlannedLayer & { op: { type: 'pack' } }>() : fusePacks(plan);
    const heads = new Set((options.fuseExitHead ?? !ctx.isFallbackAdapter) ? plan.stages.filter(fusableHead) : []);
    const kernels = lower(plan, layout, maxBatch, fused, heads);
    // Pipelines first, outside the error scopes (a compile failure rejects by itself); then the buffers and bind
    // groups inside scopes of their own, which no other load or recovery on this device can interleave with.
    const exitKernels: KernelName[] = [...(heads.size > 0 ? ['exit_head' as const] : []), ...(heads.size < plan.stages.length ? ['exit_result' as const] : []), 'exit_gate'];
    await precompileAll(reg, [...new Set([...kernels.values(), ...exitKernels])]);
    try {
      return await withErrorScopes(device, 'model upload', async () => {
        const values = new Map<ValueName, GPUBuffer>();
        for (const [name, info] of plan.values) {
          const bytes = bytesPerClip(info) * maxBatch;
          if (bytes > limit) {
            throw new BeenetError('LIMIT_EXCEEDED', `value '${name}' needs ${bytes} bytes for ${maxBatch} clips; the adapter's maxStorageBufferBindingSize is ${limit} (lower maxBatch)`);
          }
          values.set(name, pool.acquire(bytes, STORAGE_RW, name));
        }
        const stride = plan.classes + 3;
        const S = plan.stages.length;
        const activeLists = Array.from({ length: S + 1 }, (_, k) => pool.acquire(4 * maxBatch, STORAGE_RW, `active ${k}`));
        const records = plan.stages.map((_, k) => pool.acquire(4 * stride * maxBatch, STORAGE_RW, `exit records ${k}`));
        const decisions = pool.acquire(4 * maxBatch, STORAGE_RW, 'decisions');
        const results = pool.acquire(4 * (maxBatch + S * stride * maxBatch), STORAGE_RW, 'gated results');

        const stages: StageDispatches[] = [];
        for (const stage of plan.stages) {
          const k = stage.index;
          const active = activeLists[k];
          const dispatches: Dispatch[] = [];
          const labels: string[] = [];
          for (const l of [...stage.layers, ...stage.exitLayers]) {
            const kernel = kernels.get(l);
            if (!kernel) continue; // a pack fused into its producer
            const pack = fused.get(l);
            dispatches.push(await layerDispatch(reg, pool, l, kernel, values, active, maxBatch, pack));
            labels.push(pack ? `${l.label} + ${pack.label}` : l.label);
          }
          if (heads.has(stage)) {
            const [g, d] = stage.exitLayers;
            const op = d.op as PlannedLayer['op'] & { type: 'dense' };
            dispatches.push(
              await exitHeadDispatch(
                reg,
                pool,
                mapShape(g.inputInfo, maxBatch),
                g.inputInfo.kind,
                op.outFeatures,
                {
                  x: values.get(g.input)!,
                  wt: pool.upload(op.weights, 0, `${d.label} weights`),
                  bias: pool.upload(op.bias, 0, `${d.label} bias`),
                  clips: active,
                  records: records[k],
                },
                undefined,
                headCells(g) ?? undefined,
              ),
            );
            labels.push(`${g.label} + ${d.label} + exit ${k} record`);
          } else {
            dispatches.push(
              await exitResultDispatch(reg, pool, maxBatch, plan.classes, {
                logits: values.get(stage.logits)!,
                clips: active,
                records: records[k],
              }),
            );
            labels.push(`exit ${k} record`);
          }
          const gate = await exitGateDispatch(
            reg,
            pool,
            { n: maxBatch, classes: plan.classes, exitIndex: k, criterion: 'entropy', threshold: 0, isLast: k === S - 1 },
            { records: records[k], activeIn: active, activeOut: activeLists[k + 1], decisions },
          );
          stages.push({ dispatches, labels, gate });
        }
        return new GpuExecutor(ctx, plan, maxBatch, pool, values, activeLists, records, decisions, results, stages);
      });
    } catch (e) {
      pool.destroy();
      throw e;
    }
  }

  async setInput(features: Float32Array, n: number): Promise<void> {
    this.check();
    checkBatch(features, n, this.plan.inputElements, this.maxBatch);
    if (n > 0) this.pool.write(this.values.get('input')!, 0, features.subarray(0, n * this.plan.inputElements));
    this.n = n;
  }

  async runStage(stage: number, active: Uint32Array): Promise<Float32Array> {
    this.check();
    const s = this.stages[stage];
    if (!s) throw new BeenetError('BAD_INPUT', `stage ${stage} does not exist`);
    for (const clip of active) if (clip >= this.n) throw new BeenetError('BAD_INPUT', `clip ${clip} is not in the current batch of ${this.n}`);
    if (active.length === 0) return new Float32Array(0);
    return this.guard(async () => {
      this.pool.write(this.activeLists[stage], 0, active);
      const encoder = this.ctx.device.createCommandEncoder({ label: `stage ${stage}` });
      const pass = encoder.beginComputePass();
      for (const d of s.dispatches) {
        encodeDispatch(pass, d, active.length);
      }
      pass.end();
      this.ctx.device.queue.submit([encoder.finish()]);
      let rows = 0;
      for (const clip of active) rows = Math.max(rows, clip + 1);
      const all = new Float32Array(await this.pool.read(this.records[stage], 0, rows * this.stride * 4));
      const out = new Float32Array(active.length * this.stride);
      active.forEach((clip, i) => out.set(all.subarray(clip * this.stride, (clip + 1) * this.stride), i * this.stride));
      return out;
    });
  }

  /** All stages in one submission; the exit_gate kernel after each exit decides and sizes the next stage. */
  async runGated(criterion: ExitCriterion, thresholds: readonly number[], n: number): Promise<GatedResult> {
    this.check();
    if (n !== this.n) throw new BeenetError('BAD_INPUT', `runGated for ${n} clips, but the current batch has ${this.n}`);
    return this.guard(async () => {
      const device = this.ctx.device;
      const S = this.stages.length;
      // Every stage is dispatched directly over all n clips; the gates shorten the active lists (END-padded),
      // and kernels return at once for END entries (see shaders/exit_gate.wgsl for why not indirect dispatch).
      this.pool.write(this.activeLists[0], 0, Uint32Array.from({ length: n }, (_, i) => i));
      this.stages.forEach((s, k) => {
        const q = { n: this.maxBatch, classes: this.plan.classes, exitIndex: k, criterion, threshold: deviceThreshold(criterion, thresholds[k]), isLast: k === S - 1, slots: n };
        this.pool.write(s.gate.uniform, 0, encodeParams('exit_gate', exitGateFields(q)));
      });
      const encoder = device.createCommandEncoder({ label: 'gated run' });
      const pass = encoder.beginComputePass();
      for (const s of this.stages) {
        for (const d of s.dispatches) encodeDispatch(pass, d, n);
        encodeDispatch(pass, s.gate);
      }
      pass.end();
      // One readback: decisions, then every exit's records, gathered into one buffer.
      const recordBytes = this.stride * n * 4;
      encoder.copyBufferToBuffer(this.decisions, 0, this.results, 0, 4 * n);
      for (let k = 0; k < S; k++) encoder.copyBufferToBuffer(this.records[k], 0, this.results, 4 * n + k * recordBytes, recordBytes);
      device.queue.submit([encoder.finish()]);
      const bytes = await this.pool.read(this.results, 0, 4 * n + S * recordBytes);
      const decisions = new Uint32Array(bytes, 0, n).slice();
      const records = Array.from({ length: S }, (_, k) => new Float32Array(bytes, 4 * n + k * recordBytes, this.stride * n).slice());
      return { decisions, records };
    });
  }

  /** Per stage, the dispatches one run of it encodes, in order (layers, exit record; then the gate in `gpu` mode). */
  dispatchPlan(): DispatchInfo[][] {
    return this.stages.map((s, k) => [
      ...s.dispatches.map((d, i) => ({ kernel: d.kernel, label: s.labels[i] })),
      { kernel: s.gate.kernel, label: `exit ${k} gate` },
    ]);
  }

  stats(): ExecutorStats {
    const s = this.pool.stats();
    return {
      backend: 'webgpu',
      liveBuffers: s.buffers + s.stagingBuffers,
      liveBindGroups: s.bindGroupsLive,
      bytes: s.bytes,
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.unwatch();
    for (const st of this.stages) for (const d of [...st.dispatches, st.gate]) disposeDispatch(this.pool, d);
    this.pool.destroy();
  }

  private check(): void {
    if (this.disposed) throw new BeenetError('DISPOSED', 'the model was disposed');
    if (this.lost) throw new BeenetError('DEVICE_LOST', 'the GPU device was lost');
  }

  /** Turns failures caused by a lost device into DEVICE_LOST, so the model can rebuild and retry. */
  private async guard<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      if (this.lost) throw new BeenetError('DEVICE_LOST', `the GPU device was lost: ${(e as Error).message}`, { cause: e });
      // A map failure with no loss reported yet: give the lost promise a moment to settle.
      const lost = await Promise.race([this.ctx.lost.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 50))]);
      if (lost) throw new BeenetError('DEVICE_LOST', `the GPU device was lost: ${(e as Error).message}`, { cause: e });
      throw e;
    }
  }
}

/** The dispatch of one planned layer, bound to the value buffers and the stage's active list. */
async function layerDispatch(
  reg: KernelRegistry,
  pool: BufferPool,
  l: PlannedLayer,
  kernel: KernelName,
  values: Map<ValueName, GPUBuffer>,
  active: GPUBuffer,
  n: number,
  pack?: PlannedLayer & { op: { type: 'pack' } },
): Promise<Dispatch> {
  const input = values.get(l.input)!;
  const output = values.get(l.output)!;
  const shape = mapShape(l.inputInfo, n);
  const op = l.op;
  const upload = (data: ArrayBufferView, what: string): GPUBuffer => pool.upload(data, 0, `${l.label} ${what}`);
  switch (op.type) {
    case 'conv_real':
    case 'bconv': {
      const t = op.transform;
      const own: ConvLayout = kernel === 'bconv_lanes' || kernel === 'conv_real_lanes' ? 'lanes' : 'tiled';
      const buffers = {
        x: input,
        wt: upload(
          op.type === 'bconv'
            ? bconvWeightsForGpu(op.weights, op.geometry, shape.c)
            : own === 'lanes' ? convRealWeightsForLanes(op.weights, op.geometry, shape.c) : op.weights,
          'weights',
        ),
        chan: upload(
          pack && t.kind === 'affine'
            ? fusedPackData({ ...t, residual: null }, pack.op.transform, op.geometry.outChannels)
            : channelData(t, op.geometry.outChannels),
          'params',
        ),
        residual: t.kind === 'affine' && t.residual !== null ? values.get(t.residual) : undefined,
        clips: active,
        out: output,
        signBits: pack ? values.get(pack.output) : undefined,
      };
      return op.type === 'bconv'
        ? bconvDispatch(reg, pool, shape, op.geometry, gpuTransform(t), buffers, n, own)
        : convRealDispatch(reg, pool, shape, op.geometry, gpuTransform(t), buffers, n, own);
    }
    case 'pack':
      return packDispatch(reg, pool, shape, { x: input, chan: upload(channelData(op.transform, shape.c), 'params'), clips: active, out: output });
    case 'maxpool':
    case 'avgpool': {
      const mode = op.type === 'maxpool' ? 'max' : 'avg';
      if (pack) {
        const chan = upload(channelData(pack.op.transform, shape.c), 'pack params');
        return poolFloatPackDispatch(reg, pool, shape, op.window, mode, { x: input, chan, clips: active, out: output, signBits: values.get(pack.output)! });
      }
      return l.inputInfo.kind === 'bits'
        ? maxpoolBitsDispatch(reg, pool, shape, op.window, { x: input, clips: active, out: output })
        : poolFloatDispatch(reg, pool, shape, op.window, mode, { x: input, clips: active, out: output });
    }
    case 'gap':
      return gapDispatch(reg, pool, shape, l.inputInfo.kind, { x: input, clips: active, out: output });
    case 'dense':
      return denseDispatch(reg, pool, { n, inFeatures: op.inFeatures, outFeatures: op.outFeatures }, {
        x: input,
        wt: upload(op.weights, 'weights'),
        bias: upload(op.bias, 'bias'),
        clips: active,
        out: output,
      });
    case 'bdense': {
      const t = op.transform;
      return bdenseDispatch(reg, pool, { n, inFeatures: op.inFeatures, outFeatures: op.outFeatures }, gpuTransform(t), {
        x: input,
        wt: upload(op.weights, 'weights'),
        chan: upload(channelData(t, op.outFeatures), 'params'),
        residual: t.kind === 'affine' && t.residual !== null ? values.get(t.residual) : undefined,
        clips: active,
        out: output,
      });
    }
  }
}
