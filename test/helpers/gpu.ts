// One shared WebGPU context per test file (Dawn + SwiftShader in Node), with upload/readback helpers.
// No adapter is a failure, never a skip: CI installs SwiftShader.
import { BufferPool } from '../../src/gpu/buffers';
import { acquireGpu, type GpuContext } from '../../src/gpu/device';
import { encodeDispatch, type Dispatch } from '../../src/gpu/kernels/common';
import { KernelRegistry } from '../../src/gpu/registry';
import { nodeGpu, watchUncapturedErrors } from '../../src/node/gpu';

export interface TestGpu {
  ctx: GpuContext;
  device: GPUDevice;
  pool: BufferPool;
  reg: KernelRegistry;
}

let shared: Promise<TestGpu> | null = null;

export function testGpu(): Promise<TestGpu> {
  shared ??= (async () => {
    const ctx = await acquireGpu({ gpu: await nodeGpu() });
    watchUncapturedErrors(ctx.device);
    const pool = new BufferPool(ctx.device);
    return { ctx, device: ctx.device, pool, reg: new KernelRegistry(ctx.device, pool) };
  })();
  return shared;
}

const COPY = 0x04 | 0x08; // COPY_SRC | COPY_DST

/** A fresh storage buffer holding `data` (not pooled: tests mutate and read it). */
export function upload(t: TestGpu, data: Uint32Array | Int32Array | Float32Array, extraUsage = 0): GPUBuffer {
  const size = Math.max(4, data.byteLength);
  const b = t.device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | COPY | extraUsage, mappedAtCreation: true });
  new Uint8Array(b.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  b.unmap();
  return b;
}

/** A storage buffer of `words` u32s, every one set to `fill` (a sentinel to see untouched outputs). */
export function filled(t: TestGpu, words: number, fill = 0xdeadbeef): GPUBuffer {
  return upload(t, new Uint32Array(words).fill(fill));
}

export async function readU32(t: TestGpu, b: GPUBuffer, words = b.size / 4): Promise<Uint32Array> {
  return new Uint32Array(await t.pool.read(b, 0, words * 4));
}

export async function readF32(t: TestGpu, b: GPUBuffer, words = b.size / 4): Promise<Float32Array> {
  return new Float32Array(await t.pool.read(b, 0, words * 4));
}

/** Encodes the dispatches in one pass, submits, and throws on any validation error. */
export async function run(t: TestGpu, dispatches: Dispatch[]): Promise<void> {
  t.device.pushErrorScope('validation');
  const enc = t.device.createCommandEncoder();
  const pass = enc.beginComputePass();
  for (const d of dispatches) encodeDispatch(pass, d);
  pass.end();
  t.device.queue.submit([enc.finish()]);
  const err = await t.device.popErrorScope();
  if (err) throw new Error(`WebGPU validation error: ${err.message}`);
  await t.device.queue.onSubmittedWorkDone();
}

/** A shuffled strict subset of [0, n) (at least one clip), for active-list tests. */
export function shuffledSubset(n: number, rng: () => number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [all[i], all[j]] = [all[j], all[i]];
  }
  const keep = n > 1 ? Math.max(1, Math.min(n - 1, Math.round(n * 0.6))) : 1;
  return all.slice(0, keep);
}
