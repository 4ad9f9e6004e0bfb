// What every kernel's host function shares: the Dispatch record, encoding, grid sizes, transform parameters.
import { BeenetError } from '../../errors';
import type { ActivationParams, OutputTransform } from '../../layout/transform';
import type { BufferPool } from '../buffers';
import type { BufferRange, KernelRegistry } from '../registry';
import { contractOf, encodeParams, type KernelBuffers, type KernelParams } from '../contract';
import { ensureKernel, type KernelName } from '../shaders';

/** A ready-to-encode dispatch; reusable across runs while its buffers live. */
export interface Dispatch {
  kernel: KernelName;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  /** z is the number of active clips by default; the runtime passes the live count to encodeDispatch. */
  workgroups: [number, number, number];
  /** The uniform buffer holding this layer's shape; released by disposeDispatch. */
  uniform: GPUBuffer;
}

/** Encodes `d` into a compute pass, over `clips` active-list entries (z; default: as built). */
export function encodeDispatch(pass: GPUComputePassEncoder, d: Dispatch, clips = d.workgroups[2]): void {
  const [x, y] = d.workgroups;
  if (x === 0 || y === 0 || clips === 0) return;
  pass.setPipeline(d.pipeline);
  pass.setBindGroup(0, d.bindGroup);
  pass.dispatchWorkgroups(x, y, clips);
}

/** Returns the dispatch's uniform buffer to the pool. */
export function disposeDispatch(pool: BufferPool, d: Dispatch): void {
  pool.release(d.uniform);
  pool.noteBindGroup(false);
}

export const MAX_GROUPS = 65535;

/** x, y workgroup counts covering `items` invocations of a 1-D kernel of `wg` lanes (y used past 65535 groups). */
export function grid(items: number, wg = 64): [number, number] {
  const groups = Math.ceil(items / wg);
  if (groups <= MAX_GROUPS) return [Math.max(groups, 0), 1];
  const y = Math.ceil(groups / MAX_GROUPS);
  return [Math.ceil(groups / y), y];
}

export function checkGroups(kernel: string, groups: readonly number[]): void {
  for (const g of groups) {
    if (g > MAX_GROUPS) throw new BeenetError('LIMIT_EXCEEDED', `kernel '${kernel}': ${g} workgroups in one dimension (max ${MAX_GROUPS})`);
  }
}

/** How a producing kernel finishes: the shader's mode/activation codes. */
export type GpuTransform =
  | { kind: 'threshold' }
  | { kind: 'affine'; activation: ActivationParams['kind']; residual: boolean };

const ACT: Record<ActivationParams['kind'], number> = { none: 0, relu: 1, prelu: 2, rprelu: 3 };

/** [mode, act, hasResidual] uniform fields. */
export function transformCodes(t: GpuTransform): [number, number, number] {
  return t.kind === 'threshold' ? [0, 0, 0] : [1, ACT[t.activation], t.residual ? 1 : 0];
}

/** The GPU transform described by a resolved CPU transform. */
export function describeTransform(t: OutputTransform): GpuTransform {
  return t.kind === 'threshold' ? { kind: 'threshold' } : { kind: 'affine', activation: t.activation.kind, residual: t.residual !== null };
}

/** Words of the per-channel parameter buffer (`chan` binding) for `channels` outputs. */
export function transformWords(t: GpuTransform, channels: number): number {
  return t.kind === 'threshold' ? 2 * channels : 5 * channels;
}

/**
 * The `chan` buffer contents: threshold -> [threshold bits (i32 or f32) [C], flip [C]];
 * affine -> [mul, add, slope, shiftIn, shiftOut] (f32, [C] each; unused ones zero).
 */
export function transformData(t: OutputTransform, channels: number): Uint32Array {
  const out = new Uint32Array(transformWords(describeTransform(t), channels));
  const put = (slot: number, src: Int32Array | Float32Array | Uint32Array, what: string): void => {
    if (src.length !== channels) throw new BeenetError('BAD_INPUT', `transform ${what} has ${src.length} values, expected ${channels}`);
    out.set(new Uint32Array(src.buffer, src.byteOffset, src.length), slot * channels);
  };
  if (t.kind === 'threshold') {
    put(0, t.threshold, 'threshold');
    put(1, t.flip, 'flip');
  } else {
    put(0, t.mul, 'mul');
    put(1, t.add, 'add');
    const a = t.activation;
    if (a.kind === 'prelu') put(2, a.slope, 'slope');
    if (a.kind === 'rprelu') {
      put(2, a.slope, 'slope');
      put(3, a.shiftIn, 'shiftIn');
      put(4, a.shiftOut, 'shiftOut');
    }
  }
  return out;
}

/**
 * The `chan` buffer of a convolution that also packs its affine output (ConvBuffers.signBits): transformData(t)
 * then the pack's [threshold (f32 bits) [C], flip [C]] (shaders/transform.wgsl, packBit).
 */
export function fusedPackData(t: OutputTransform & { kind: 'affine' }, pack: OutputTransform & { kind: 'threshold' }, channels: number): Uint32Array {
  const a = transformData(t, channels);
  const b = transformData(pack, channels);
  const out = new Uint32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

// Two per pool: one bound where an optional input is absent, one where an optional output is; WebGPU forbids a
// buffer bound writable in a dispatch from being bound a second time in it.
const dummies = new WeakMap<BufferPool, Map<'input' | 'output', GPUBuffer>>();

function dummyBuffer(pool: BufferPool, role: 'input' | 'output'): GPUBuffer {
  let mine = dummies.get(pool);
  if (!mine) dummies.set(pool, (mine = new Map()));
  let b = mine.get(role);
  if (!b) {
    b = pool.device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE, label: role === 'input' ? 'beenet unused binding' : 'beenet unused output binding' });
    mine.set(role, b);
  }
  return b;
}

/** A small storage buffer bound where a kernel's optional output (a fused pack's `signBits`) is absent. */
export function dummyOutput(pool: BufferPool): GPUBuffer {
  return dummyBuffer(pool, 'output');
}

/** A small storage buffer bound where a kernel's optional input (e.g. the residual) is absent. */
export function dummyStorage(pool: BufferPool): GPUBuffer {
  return dummyBuffer(pool, 'input');
}

export function sizeOf(r: BufferRange): number {
  return 'buffer' in r && !('mapState' in r) ? (r.size ?? r.buffer.size - (r.offset ?? 0)) : (r as GPUBuffer).size;
}

export function badInput(kernel: string, message: string): never {
  throw new BeenetError('BAD_INPUT', `kernel '${kernel}': ${message}`);
}

export function positiveInts(kernel: string, values: Record<string, number>): void {
  for (const [k, v] of Object.entries(values)) {
    if (!Number.isInteger(v) || v < 1) badInput(kernel, `${k} must be a positive integer, got ${v}`);
  }
}

/** Common tail of every host function: pipeline, uniform (its Params fields by name), checked bind group. */
export async function makeDispatch<K extends KernelName>(
  reg: KernelRegistry,
  pool: BufferPool,
  kernel: K,
  params: KernelParams<K>,
  entries: KernelBuffers<K>,
  required: Record<string, number>,
  workgroups: [number, number, number],
): Promise<Dispatch> {
  ensureKernel(reg, kernel);
  const words = encodeParams(kernel, params);
  checkGroups(kernel, workgroups);
  const binding = contractOf(kernel).uniform.binding;
  const byName = entries as Record<string, BufferRange>;
  reg.check(kernel, byName, required, [binding]);
  const pipeline = await reg.pipeline(kernel);
  const uniform = pool.uniform(words, kernel);
  let bindGroup: GPUBindGroup;
  try {
    bindGroup = reg.bindGroup(kernel, { ...byName, [binding]: uniform }, required);
  } catch (e) {
    pool.release(uniform);
    throw e;
  }
  return { kernel, pipeline, bindGroup, workgroups, uniform };
}
