// Feature detection: an engine without WebAssembly SIMD gets a clear UNSUPPORTED error, not a compile error.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isBeenetError } from '../../src/errors';
import { createKernels, createKernelsSync, wasmSimdSupported } from '../../src/wasm/module';
import { createRuntime } from '../../src/runtime/runtime';

describe('wasm SIMD detection', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('reports UNSUPPORTED when SIMD does not validate, and loads once it does', async () => {
    vi.spyOn(WebAssembly, 'validate').mockReturnValue(false);
    expect(wasmSimdSupported()).toBe(false);
    await expect(createKernels()).rejects.toSatisfy((e: unknown) => isBeenetError(e, 'UNSUPPORTED'));
    expect(() => createKernelsSync()).toThrow(/SIMD/);
    vi.restoreAllMocks();
    expect(wasmSimdSupported()).toBe(true);
    const k = await createKernels();
    expect(k.bytes).toBeGreaterThan(0);
    // Two instances own separate memories.
    const a = k.alloc(1 << 20);
    expect(a).toBeGreaterThan(0);
    expect(createKernelsSync().memory).not.toBe(k.memory);
  });

  it("a page that may not compile WebAssembly (a CSP without 'wasm-unsafe-eval') counts as no SIMD", async () => {
    vi.spyOn(WebAssembly, 'Module').mockImplementation(() => {
      throw new EvalError('refused by Content-Security-Policy');
    });
    expect(wasmSimdSupported()).toBe(false);
    await expect(createRuntime({ backend: 'wasm' })).rejects.toThrow(/CSP/);
    vi.restoreAllMocks();
    expect(wasmSimdSupported()).toBe(true);
  });

  it('arena: aligned, grows memory, views follow growth, release rewinds', async () => {
    const k = await createKernels();
    const before = k.bytes;
    const mark = k.mark;
    const p = k.alloc(3);
    expect(p % 16).toBe(0);
    const q = k.alloc(5 << 20);
    expect(q % 16).toBe(0);
    expect(k.bytes).toBeGreaterThan(before);
    k.f32[q / 4 + 1000] = 1.5;
    expect(k.f32[q / 4 + 1000]).toBe(1.5);
    k.release(mark);
    expect(k.mark).toBe(mark);
    expect(() => k.release(k.mark + 64)).toThrow();
  });
});
