// Kernel registry: builds explicit bind-group layouts from the kernel contract (reflected from the WGSL at build
// time, src/gpu/contract.ts), checks bindings before they reach WebGPU (clear errors instead of validation
// crashes), compiles and caches pipelines.
import { BeenetError } from '../errors';
import { KERNEL_CONTRACT } from './generated/kernel-contract';
import type { KernelContractShape } from './contract';
import { USAGE } from './usage';
import type { BufferPool } from './buffers';

export interface KernelSource {
  /** Kernel name, e.g. 'bconv'. */
  name: string;
  /** File the code came from, for error messages, e.g. 'shaders/bconv.wgsl'. */
  file: string;
  code: string;
  /** A shared snippet appended to the kernel's own code: lines from `line` on come from `file`. */
  appended?: { file: string; line: number };
  /**
   * Its bindings and uniform, for a kernel outside shaders/ (tests, benchmarks: scripts/kernel-contract.ts
   * `reflectWgsl`); a shipped kernel's comes from the generated contract.
   */
  contract?: KernelContractShape;
}

/** "file:line:column" of a compiler message, mapping lines of an appended snippet back to the snippet's file. */
function where(source: KernelSource, line: number, column: number): string {
  const a = source.appended;
  return a && line >= a.line ? `${a.file}:${line - a.line + 1}:${column}` : `${source.file}:${line}:${column}`;
}

export type BindingKind = 'uniform' | 'read-only-storage' | 'storage';

export interface BindingInfo {
  name: string;
  binding: number;
  kind: BindingKind;
  /** Smallest valid binding size in bytes. */
  minSize: number;
}

export interface KernelInfo {
  source: KernelSource;
  entryPoint: string;
  bindings: BindingInfo[];
  workgroupSize: [number, number, number];
  layout: GPUBindGroupLayout;
  pipelineLayout: GPUPipelineLayout;
}

export type Constants = Record<string, number>;

/** A buffer, or a range of one. */
export type BufferRange = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };


function rangeOf(r: BufferRange): { buffer: GPUBuffer; offset: number; size: number } {
  if ('buffer' in r && !('mapState' in r)) {
    const offset = r.offset ?? 0;
    return { buffer: r.buffer, offset, size: r.size ?? r.buffer.size - offset };
  }
  const b = r as GPUBuffer;
  return { buffer: b, offset: 0, size: b.size };
}

export class KernelRegistry {
  readonly device: GPUDevice;
  readonly pool: BufferPool | null;
  private kernels = new Map<string, KernelInfo>();
  private modules = new Map<string, GPUShaderModule>();
  private pipelines = new Map<string, Promise<GPUComputePipeline>>();

  constructor(device: GPUDevice, pool: BufferPool | null = null) {
    this.device = device;
    this.pool = pool;
  }

  /** Registers a kernel (idempotent by name): its contract's bindings as explicit layouts. */
  define(source: KernelSource): KernelInfo {
    const known = this.kernels.get(source.name);
    if (known) return known;
    const contract: KernelContractShape | undefined = source.contract ?? (KERNEL_CONTRACT as Record<string, KernelContractShape>)[source.name];
    if (!contract) throw new BeenetError('KERNEL_BINDING', `kernel '${source.name}' (${source.file}) has no contract: shipped kernels get one from npm run build:contract`);
    const bindings: BindingInfo[] = contract.bindings.map((b) => ({ name: b.name, binding: b.binding, kind: b.kind, minSize: b.minSize }));
    const layout = this.device.createBindGroupLayout({
      label: source.name,
      entries: bindings.map((b) => ({
        binding: b.binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: b.kind, minBindingSize: b.minSize },
      })),
    });
    const wg = contract.workgroupSize;
    const info: KernelInfo = {
      source,
      entryPoint: contract.entryPoint,
      bindings,
      workgroupSize: [wg[0], wg[1], wg[2]],
      layout,
      pipelineLayout: this.device.createPipelineLayout({ label: source.name, bindGroupLayouts: [layout] }),
    };
    this.kernels.set(source.name, info);
    return info;
  }

  kernel(name: string): KernelInfo {
    const k = this.kernels.get(name);
    if (!k) throw new BeenetError('KERNEL_BINDING', `kernel '${name}' is not registered`);
    return k;
  }

  private async module(info: KernelInfo): Promise<GPUShaderModule> {
    let module = this.modules.get(info.source.name);
    if (module) return module;
    module = this.device.createShaderModule({ label: info.source.file, code: info.source.code });
    const compilation = await module.getCompilationInfo();
    const errors = compilation.messages.filter((m) => m.type === 'error');
    if (errors.length > 0) {
      const text = errors.map((m) => `${where(info.source, m.lineNum, m.linePos)}: ${m.message}`).join('\n');
      throw new BeenetError('SHADER_COMPILE', `WGSL compile error in ${text}`);
    }
    this.modules.set(info.source.name, module);
    return module;
  }

  /** The compute pipeline of a kernel with override `constants`, compiled once and cached. */
  pipeline(name: string, constants: Constants = {}): Promise<GPUComputePipeline> {
    const info = this.kernel(name);
    const key = `${name}|${Object.entries(constants).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join(',')}`;
    let p = this.pipelines.get(key);
    if (!p) {
      p = (async () => {
        const module = await this.module(info);
        try {
          return await this.device.createComputePipelineAsync({
            label: key,
            layout: info.pipelineLayout,
            compute: { module, entryPoint: info.entryPoint, constants },
          });
        } catch (cause) {
          throw new BeenetError('SHADER_COMPILE', `${info.source.file}: pipeline creation failed: ${String(cause)}`, { cause });
        }
      })();
      // A failed compile is not cached, so a fixed shader (or a retry) can compile again.
      p.catch(() => this.pipelines.delete(key));
      this.pipelines.set(key, p);
    }
    return p;
  }

  /** Compiles many pipelines concurrently (at model load, so the first run does not stall). */
  async precompile(list: ReadonlyArray<{ name: string; constants?: Constants }>): Promise<GPUComputePipeline[]> {
    return Promise.all(list.map((k) => this.pipeline(k.name, k.constants)));
  }

  /**
   * Checks `entries` against the kernel's bindings: every binding present, right usage, big enough (reflected
   * minimum and the caller's `required` bytes), aligned, and no writable binding aliasing another.
   */
  check(
    name: string,
    entries: Record<string, BufferRange | undefined>,
    required: Record<string, number> = {},
    skip: readonly string[] = [],
  ): void {
    const info = this.kernel(name);
    const fail = (binding: string, problem: string): never => {
      throw new BeenetError('KERNEL_BINDING', `kernel '${name}', binding '${binding}': ${problem}`);
    };
    const align = this.device.limits.minStorageBufferOffsetAlignment;
    const ualign = this.device.limits.minUniformBufferOffsetAlignment;
    const ranges: { name: string; kind: BindingKind; buffer: GPUBuffer; start: number; end: number }[] = [];
    for (const b of info.bindings) {
      if (skip.includes(b.name)) continue;
      const e = entries[b.name];
      if (!e) fail(b.name, 'missing buffer');
      const r = rangeOf(e as BufferRange);
      const usage = b.kind === 'uniform' ? USAGE.UNIFORM : USAGE.STORAGE;
      if ((r.buffer.usage & usage) === 0) {
        fail(b.name, `buffer lacks ${b.kind === 'uniform' ? 'UNIFORM' : 'STORAGE'} usage (usage ${r.buffer.usage})`);
      }
      if (r.offset % (b.kind === 'uniform' ? ualign : align) !== 0) fail(b.name, `offset ${r.offset} is not aligned`);
      if (r.offset + r.size > r.buffer.size) fail(b.name, `range ${r.offset}+${r.size} exceeds the buffer's ${r.buffer.size} bytes`);
      const need = Math.max(b.minSize, required[b.name] ?? 0);
      if (r.size < need) fail(b.name, `buffer too small: ${r.size} bytes, needs at least ${need}`);
      ranges.push({ name: b.name, kind: b.kind, buffer: r.buffer, start: r.offset, end: r.offset + r.size });
    }
    for (const extra of Object.keys(entries)) {
      if (!info.bindings.some((b) => b.name === extra)) fail(extra, 'no such binding in the kernel');
    }
    for (let i = 0; i < ranges.length; i++) {
      for (let j = i + 1; j < ranges.length; j++) {
        const a = ranges[i];
        const b = ranges[j];
        if (a.buffer !== b.buffer || (a.kind !== 'storage' && b.kind !== 'storage')) continue;
        if (a.start < b.end && b.start < a.end) {
          fail(a.kind === 'storage' ? a.name : b.name, `writable range overlaps binding '${a.kind === 'storage' ? b.name : a.name}'`);
        }
      }
    }
  }

  /** A checked bind group (see check()). */
  bindGroup(name: string, entries: Record<string, BufferRange | undefined>, required: Record<string, number> = {}): GPUBindGroup {
    this.check(name, entries, required);
    const info = this.kernel(name);
    const group = this.device.createBindGroup({
      label: name,
      layout: info.layout,
      entries: info.bindings.map((b) => {
        const r = rangeOf(entries[b.name] as BufferRange);
        return { binding: b.binding, resource: { buffer: r.buffer, offset: r.offset, size: r.size } };
      }),
    });
    this.pool?.noteBindGroup(true);
    return group;
  }
}
