// The entry point: pick a backend, load models onto it, recover the device when it is lost.
import { BeenetError, throwIfAborted } from '../errors';
import { readBee, type BeeModel } from '../format/bee';
import { acquireGpu, type AdapterSummary, type GpuContext } from '../gpu/device';
import { convLayoutFor, type ConvLayout } from '../gpu/conv-layout';
import { wasmSimdSupported } from '../wasm/simd';
import { CpuExecutor } from '../cpu/executor';
import type { BackendKind, StageExecutor } from '../plan/executor';
import { BeenetModel } from './model';
import { planModel, type ModelPlan } from '../plan/plan';

export type BackendChoice = 'auto' | BackendKind;

export interface RuntimeOptions {
  /**
   * 'auto' (default): WebGPU on a hardware adapter; WebAssembly SIMD when there is no WebGPU or the adapter is a
   * software fallback (emulated WebGPU is ~100x slower than WASM); the CPU reference when SIMD is missing.
   */
  backend?: BackendChoice;
  /** The WebGPU entry point (defaults to navigator.gpu; beenet/node passes Dawn's). */
  gpu?: GPU;
  /** Run on this existing device instead of requesting one. */
  device?: GPUDevice;
  powerPreference?: GPUPowerPreference;
  /** Clips per GPU submission (default 64); larger batches are split. */
  maxBatch?: number;
  /**
   * WebGPU: how convolutions are spread over invocations. 'auto' (default): 'lanes' (one output channel each) on
   * a hardware adapter, 'tiled' (4 pixels x 32 channels each) on a software one. Binary results are identical;
   * float layers agree to rounding (multiply-adds may fuse on either).
   */
  convLayout?: 'auto' | ConvLayout;
  /**
   * WebGPU: fewer dispatches per stage (src/gpu/executor.ts). `pack` (default true): each sign-pack runs inside
   * the kernel that writes its input. `exitHead` (default: on hardware adapters only): an exit's pooling, dense
   * layer and record run as one dispatch. The tests check both give the same bits as the separate kernels (on
   * SwiftShader); `false` runs every planned layer as its own dispatch, for profiling or to rule fusion out.
   */
  gpuFusion?: { pack?: boolean; exitHead?: boolean };
  /**
   * WebAssembly backend: worker threads sharing each batch (default 1, the calling thread). With more than 1,
   * clips are split between workers (src/wasm/pool-executor.ts, docs/wasm.md); where workers cannot be
   * started (a built Node bundle), the single-thread executor is used. Integer in [1, 16].
   */
  threads?: number;
  /** Reads a model given as a file path (beenet/node sets this); URLs are always fetched. */
  readFile?: (path: string) => Promise<Uint8Array>;
}

export interface RuntimeInfo {
  backend: BackendKind;
  /** The WebGPU adapter seen (also when it was passed over for WASM), or null. */
  adapter: AdapterSummary | null;
  isFallbackAdapter: boolean;
  /** Why this backend was chosen. */
  reason: string;
}

export type ModelSource = string | URL | ArrayBuffer | Uint8Array | BeeModel;

function isBeeModel(s: ModelSource): s is BeeModel {
  return typeof s === 'object' && s !== null && 'description' in s && 'tensors' in s;
}

/** Fetches a model by URL (or takes its bytes) and validates it. */
export async function readModelSource(source: ModelSource, readFile?: RuntimeOptions['readFile'], signal?: AbortSignal): Promise<BeeModel> {
  if (isBeeModel(source)) return source;
  if (source instanceof ArrayBuffer || source instanceof Uint8Array) return readBee(source);
  const url = String(source);
  if (readFile && !/^(https?|blob|data|file):/i.test(url)) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(url);
    } catch (cause) {
      throw new BeenetError('MODEL_FORMAT', `could not read model file ${url}: ${(cause as Error).message ?? String(cause)}`, { cause });
    }
    return readBee(bytes);
  }
  let response: Response;
  try {
    response = await fetch(url, signal ? { signal } : undefined);
  } catch (cause) {
    throwIfAborted(signal, 'load');
    throw new BeenetError('MODEL_FORMAT', `could not fetch model ${url}: ${String(cause)}`, { cause });
  }
  if (!response.ok) throw new BeenetError('MODEL_FORMAT', `could not fetch model ${url}: HTTP ${response.status}`);
  return readBee(await response.arrayBuffer());
}

export class Runtime {
  private gpuContext: GpuContext | null;
  private gpuLost = false;
  private readonly models = new Set<BeenetModel>();
  private disposed = false;

  private constructor(
    readonly info: RuntimeInfo,
    gpuContext: GpuContext | null,
    private readonly options: RuntimeOptions,
  ) {
    this.gpuContext = gpuContext;
    if (gpuContext) this.watch(gpuContext);
  }

  static async create(options: RuntimeOptions = {}): Promise<Runtime> {
    const choice = options.backend ?? 'auto';
    if (!['auto', 'webgpu', 'wasm', 'cpu'].includes(choice)) {
      throw new BeenetError('BAD_INPUT', `backend must be auto, webgpu, wasm or cpu, got ${JSON.stringify(choice)}`);
    }
    if (options.maxBatch !== undefined && !(Number.isInteger(options.maxBatch) && options.maxBatch >= 1 && options.maxBatch <= 4096)) {
      throw new BeenetError('BAD_INPUT', `maxBatch must be an integer in [1, 4096], got ${options.maxBatch}`);
    }
    if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1 && options.threads <= 16)) {
      throw new BeenetError('BAD_INPUT', `threads must be an integer in [1, 16], got ${options.threads}`);
    }
    if (choice === 'cpu') return new Runtime({ backend: 'cpu', adapter: null, isFallbackAdapter: false, reason: 'requested' }, null, options);
    if (choice === 'wasm') {
      if (!wasmSimdSupported()) {
        throw new BeenetError('UNSUPPORTED', 'this JavaScript engine has no WebAssembly SIMD, or the page may not compile WebAssembly (its CSP lacks wasm-unsafe-eval)');
      }
      return new Runtime({ backend: 'wasm', adapter: null, isFallbackAdapter: false, reason: 'requested' }, null, options);
    }
    let ctx: GpuContext | null = null;
    let failure: unknown = null;
    try {
      ctx = await acquireGpu(options);
    } catch (e) {
      if (choice === 'webgpu') throw e;
      failure = e;
    }
    if (choice === 'webgpu' && ctx) {
      return new Runtime({ backend: 'webgpu', adapter: ctx.adapterInfo, isFallbackAdapter: ctx.isFallbackAdapter, reason: 'requested' }, ctx, options);
    }
    if (ctx && !ctx.isFallbackAdapter) {
      return new Runtime({ backend: 'webgpu', adapter: ctx.adapterInfo, isFallbackAdapter: false, reason: 'hardware WebGPU adapter' }, ctx, options);
    }
    const adapter = ctx?.adapterInfo ?? null;
    const reason = ctx
      ? `WebGPU adapter '${adapter?.architecture || adapter?.description || 'unknown'}' is a software fallback`
      : `no WebGPU (${failure instanceof Error ? failure.message.split('.')[0] : String(failure)})`;
    // Only destroy a device we created: a caller's device is theirs.
    if (ctx && !options.device) ctx.device.destroy();
    if (wasmSimdSupported()) return new Runtime({ backend: 'wasm', adapter, isFallbackAdapter: ctx !== null, reason }, null, options);
    return new Runtime({ backend: 'cpu', adapter, isFallbackAdapter: ctx !== null, reason: `${reason}; no WebAssembly SIMD` }, null, options);
  }

  /** The GPU context, re-acquired when the previous device was lost. */
  async gpu(): Promise<GpuContext> {
    if (this.disposed) throw new BeenetError('DISPOSED', 'the runtime was disposed');
    if (!this.gpuContext || this.gpuLost) {
      if (this.options.device && this.gpuContext) {
        throw new BeenetError('DEVICE_LOST', 'the GPUDevice passed to the runtime was lost; create a runtime with a new device');
      }
      this.gpuContext = await acquireGpu(this.options);
      this.watch(this.gpuContext);
    }
    return this.gpuContext;
  }

  private watch(ctx: GpuContext): void {
    this.gpuLost = false;
    ctx.onLost(() => {
      if (this.gpuContext === ctx) this.gpuLost = true;
    });
  }

  /** Models loaded on this runtime and not yet disposed (a disposed model is forgotten at once). */
  get modelCount(): number {
    return this.models.size;
  }

  /**
   * Loads a model from a URL, bytes or a parsed BeeModel; compiles every pipeline before resolving. `signal`
   * aborts the load (rejects ABORTED; whatever was already built is freed).
   */
  async load(source: ModelSource, options: { signal?: AbortSignal } = {}): Promise<BeenetModel> {
    if (this.disposed) throw new BeenetError('DISPOSED', 'the runtime was disposed');
    const { signal } = options;
    throwIfAborted(signal, 'load');
    const model = await readModelSource(source, this.options.readFile, signal);
    throwIfAborted(signal, 'load');
    const plan = planModel(model.description, model.tensors);
    const factory = (): Promise<StageExecutor> => this.createExecutor(plan);
    const executor = await factory();
    if (signal?.aborted) {
      executor.dispose();
      throwIfAborted(signal, 'load');
    }
    const m: BeenetModel = new BeenetModel(model, plan, executor, factory, () => this.models.delete(m));
    this.models.add(m);
    return m;
  }

  private async createExecutor(plan: ModelPlan): Promise<StageExecutor> {
    switch (this.info.backend) {
      case 'cpu':
        return new CpuExecutor(plan);
      case 'wasm': {
        // Loaded on demand: the WebAssembly payload stays out of pages that run on WebGPU.
        const threads = this.options.threads ?? 1;
        if (threads > 1) {
          const { WasmPoolExecutor, wasmPoolAvailable } = await import('../wasm/pool-executor');
          if (wasmPoolAvailable()) return WasmPoolExecutor.create(plan, { threads });
        }
        const { WasmExecutor } = await import('../wasm/executor');
        return WasmExecutor.create(plan);
      }
      case 'webgpu': {
        const ctx = await this.gpu();
        const layout = this.options.convLayout ?? 'auto';
        // Loaded on demand too: the kernels and their WGSL stay out of pages that run on WASM.
        const { GpuExecutor } = await import('../gpu/executor');
        return GpuExecutor.create(ctx, plan, {
          maxBatch: this.options.maxBatch ?? 64,
          convLayout: layout === 'auto' ? convLayoutFor(ctx.isFallbackAdapter) : layout,
          fusePack: this.options.gpuFusion?.pack,
          fuseExitHead: this.options.gpuFusion?.exitHead,
        });
      }
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const m of [...this.models]) m.dispose();
    this.models.clear();
    if (this.gpuContext && !this.options.device) this.gpuContext.device.destroy();
    this.gpuContext = null;
  }

  /** `using runtime = await createRuntime()`: disposed (with its models) when the scope ends. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Creates a runtime; see RuntimeOptions. */
export function createRuntime(options?: RuntimeOptions): Promise<Runtime> {
  return Runtime.create(options);
}
