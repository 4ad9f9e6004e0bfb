// Device acquisition, the kernel registry's checks and errors, and the buffer pool.
import { describe, expect, it } from 'vitest';
import { isBeenetError } from '../../src/errors';
import { BufferPool } from '../../src/gpu/buffers';
import { acquireGpu, isSoftwareAdapter } from '../../src/gpu/device';
import { KernelRegistry } from '../../src/gpu/registry';
import { reflectWgsl } from '../../scripts/kernel-contract';
import { nodeGpu } from '../../src/node/gpu';
import { readU32, run, testGpu, upload } from '../helpers/gpu';

const TINY = `struct Params { n: u32, scale: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x < p.n) { dst[gid.x] = src[gid.x] * p.scale; }
}
`;

describe('acquireGpu', () => {
  it('returns a device with adapter info, features and raised limits', async () => {
    const { ctx } = await testGpu();
    expect(ctx.device).toBeDefined();
    expect(typeof ctx.adapterInfo.architecture).toBe('string');
    expect(ctx.isFallbackAdapter).toBe(isSoftwareAdapter(ctx.adapterInfo, ctx.isFallbackAdapter));
    expect(ctx.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 << 20);
    // SwiftShader offers timestamp-query; the context asks for it when present.
    if (ctx.adapterInfo.architecture === 'swiftshader') {
      expect(ctx.isFallbackAdapter).toBe(true);
      expect(ctx.features).toContain('timestamp-query');
    }
  });

  it('reports NO_WEBGPU without navigator.gpu and NO_ADAPTER when no adapter comes back', async () => {
    const saved = (globalThis as { navigator?: unknown }).navigator;
    Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
    try {
      const e = await acquireGpu().catch((x: unknown) => x);
      expect(isBeenetError(e, 'NO_WEBGPU')).toBe(true);
      expect((e as Error).message).toMatch(/navigator\.gpu/);
    } finally {
      Object.defineProperty(globalThis, 'navigator', { value: saved, configurable: true, writable: true });
    }
    const noAdapter = { requestAdapter: async () => null } as unknown as GPU;
    expect(isBeenetError(await acquireGpu({ gpu: noAdapter }).catch((x: unknown) => x), 'NO_ADAPTER')).toBe(true);
  });

  it('detects software adapters by name', () => {
    const base = { vendor: '', device: '', description: '', architecture: '' };
    expect(isSoftwareAdapter({ ...base, architecture: 'swiftshader' }, false)).toBe(true);
    expect(isSoftwareAdapter({ ...base, description: 'llvmpipe (LLVM 15)' }, undefined)).toBe(true);
    expect(isSoftwareAdapter({ ...base, vendor: 'nvidia', architecture: 'ampere' }, false)).toBe(false);
  });

  it('keeps one Dawn instance: the same flags return it, other flags are refused', async () => {
    const gpu = await nodeGpu();
    expect(await nodeGpu([])).toBe(gpu);
    const err = await nodeGpu(['enable-dawn-features=skip_validation']).catch((e: unknown) => e);
    expect(isBeenetError(err) && err.code === 'BAD_INPUT').toBe(true);
  });

  it('exposes device loss', async () => {
    const ctx = await acquireGpu({ gpu: await nodeGpu() });
    let seen = '';
    ctx.onLost((info) => (seen = info.reason));
    ctx.device.destroy();
    const info = await ctx.lost;
    expect(info.reason).toBe('destroyed');
    expect(seen).toBe('destroyed');
  });
});

describe('KernelRegistry', () => {
  it('builds explicit layouts from reflection and runs a kernel', async () => {
    const t = await testGpu();
    const info = t.reg.define({ name: 'tiny', file: 'test/tiny.wgsl', code: TINY, contract: reflectWgsl(TINY, 'test/tiny.wgsl') });
    expect(info.bindings.map((b) => [b.name, b.kind, b.minSize])).toEqual([
      ['p', 'uniform', 8], ['src', 'read-only-storage', 4], ['dst', 'storage', 4],
    ]);
    const pipeline = await t.reg.pipeline('tiny');
    expect(await t.reg.pipeline('tiny')).toBe(pipeline);
    const src = upload(t, Uint32Array.of(1, 2, 3));
    const dst = upload(t, new Uint32Array(3));
    const uniform = t.pool.uniform(Uint32Array.of(3, 5));
    const bindGroup = t.reg.bindGroup('tiny', { p: uniform, src, dst });
    await run(t, [{ kernel: 'pack', pipeline, bindGroup, workgroups: [1, 1, 1], uniform }]);
    expect([...(await readU32(t, dst))]).toEqual([5, 10, 15]);
  });

  it('rejects missing, wrongly used, too small and aliased bindings with KERNEL_BINDING', async () => {
    const t = await testGpu();
    t.reg.define({ name: 'tiny', file: 'test/tiny.wgsl', code: TINY, contract: reflectWgsl(TINY, 'test/tiny.wgsl') });
    const u = t.pool.uniform(Uint32Array.of(1, 1));
    const s = upload(t, new Uint32Array(8));
    const cases: [Record<string, GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number }>, RegExp][] = [
      [{ p: u, src: s }, /'dst': missing buffer/],
      [{ p: s, src: s, dst: upload(t, new Uint32Array(1)) }, /'p': buffer lacks UNIFORM usage/],
      [{ p: u, src: u, dst: s }, /'src': buffer lacks STORAGE usage/],
      [{ p: u, src: s, dst: { buffer: s, offset: 0, size: 16 } }, /overlaps/],
      [{ p: u, src: s, dst: upload(t, new Uint32Array(1)) }, /ok/],
    ];
    for (const [entries, re] of cases) {
      let err: unknown = null;
      try {
        t.reg.check('tiny', entries);
      } catch (e) {
        err = e;
      }
      if (re.source === 'ok') expect(err).toBe(null);
      else {
        expect(isBeenetError(err, 'KERNEL_BINDING'), String(err)).toBe(true);
        expect((err as Error).message).toMatch(/kernel 'tiny'/);
        expect((err as Error).message).toMatch(re);
      }
    }
    const small = (() => {
      try {
        t.reg.check('tiny', { p: u, src: s, dst: upload(t, new Uint32Array(1)) }, { dst: 64 });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect((small as Error).message).toMatch(/'dst': buffer too small: 4 bytes, needs at least 64/);
  });

  it('reports a WGSL compile error with file, line and column', async () => {
    const t = await testGpu();
    const bad = TINY.replace('src[gid.x] * p.scale', 'src[gid.x] * 1.5');
    t.reg.define({ name: 'bad', file: 'shaders/bad.wgsl', code: bad, contract: reflectWgsl(bad, 'shaders/bad.wgsl') });
    const e = await t.reg.pipeline('bad').catch((x: unknown) => x);
    expect(isBeenetError(e, 'SHADER_COMPILE')).toBe(true);
    expect((e as Error).message).toMatch(/shaders\/bad\.wgsl:7:\d+: /);
  });

  it('maps an error in an appended snippet back to the snippet file and line', async () => {
    const t = await testGpu();
    const own = `${TINY}\n`;
    const snippet = 'fn helper() -> f32 {\n  return vec2u(1u);\n}\n';
    const line = own.split('\n').length;
    t.reg.define({ name: 'snippet', file: 'shaders/own.wgsl', code: own + snippet, appended: { file: 'shaders/snippet.wgsl', line }, contract: reflectWgsl(TINY, 'shaders/own.wgsl') });
    const e = await t.reg.pipeline('snippet').catch((x: unknown) => x);
    expect(isBeenetError(e, 'SHADER_COMPILE')).toBe(true);
    expect((e as Error).message).toMatch(/shaders\/snippet\.wgsl:2:\d+: /);
  });
});

describe('BufferPool', () => {
  it('reuses exact sizes, counts live buffers and bytes, and uploads SharedArrayBuffer data safely', async () => {
    const t = await testGpu();
    const pool = new BufferPool(t.device);
    const a = pool.acquire(100, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
    expect(pool.stats()).toMatchObject({ buffers: 1, bytes: 100 });
    pool.release(a);
    expect(pool.stats()).toMatchObject({ buffers: 0, pooledBuffers: 1 });
    expect(pool.acquire(100, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC)).toBe(a);
    const shared = new Uint32Array(new SharedArrayBuffer(12));
    shared.set([7, 8, 9]);
    const b = pool.upload(shared);
    expect([...new Uint32Array(await pool.read(b, 4, 8))]).toEqual([8, 9]);
    expect(pool.stats().stagingBuffers).toBe(1);
    pool.destroy();
    expect(pool.stats().buffers).toBe(0);
  });

  it('counts bind groups made through the registry', async () => {
    const t = await testGpu();
    const pool = new BufferPool(t.device);
    const reg = new KernelRegistry(t.device, pool);
    reg.define({ name: 'tiny', file: 'test/tiny.wgsl', code: TINY, contract: reflectWgsl(TINY, 'test/tiny.wgsl') });
    reg.bindGroup('tiny', { p: pool.uniform(Uint32Array.of(1, 1)), src: upload(t, new Uint32Array(1)), dst: upload(t, new Uint32Array(1)) });
    expect(pool.stats()).toMatchObject({ bindGroupsCreated: 1, bindGroupsLive: 1 });
  });
});
