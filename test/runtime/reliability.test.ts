// Reliability of the WebGPU backend: repeated losses, concurrent callers, long runs, adapter limits.
import { describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/index';
import { createNodeRuntime, nodeGpu } from '../../src/node';
import { randomModel, tinyModel } from '../helpers/random-model';
import { mulberry32 } from '../helpers/rng';

function randomFeatures(seed: number, n: number, size: number): { features: Float32Array }[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => ({ features: Float32Array.from({ length: size }, () => rng() * 8 - 6) }));
}

/** A GPU whose every device after the first is lost as soon as it is created. */
async function flakyGpu(): Promise<GPU> {
  const gpu = await nodeGpu();
  let devices = 0;
  return {
    ...gpu,
    getPreferredCanvasFormat: () => gpu.getPreferredCanvasFormat(),
    wgslLanguageFeatures: gpu.wgslLanguageFeatures,
    async requestAdapter(options?: GPURequestAdapterOptions) {
      const adapter = await gpu.requestAdapter(options);
      if (!adapter) return null;
      return new Proxy(adapter, {
        get(target, prop) {
          if (prop === 'requestDevice') {
            return async (desc?: GPUDeviceDescriptor) => {
              const device = await target.requestDevice(desc);
              if (devices++ > 0) device.destroy();
              return device;
            };
          }
          const v = Reflect.get(target, prop, target) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
    },
  } as GPU;
}

describe('reliability (WebGPU backend)', () => {
  it('a device lost on every try ends in a clear DEVICE_LOST error, not a hang', async () => {
    const runtime = await createNodeRuntime({ backend: 'webgpu', gpu: await flakyGpu() });
    const model = await runtime.load(tinyModel(1));
    const [input] = randomFeatures(2, 1, model.plan.inputElements);
    await model.classify(input);
    (await runtime.gpu()).device.destroy();
    await expect(model.classify(input)).rejects.toMatchObject({ code: 'DEVICE_LOST', message: expect.stringMatching(/lost again after recovery/) });
    runtime.dispose();
  });

  it('100 concurrent calls on one model, and on two models sharing a device, equal the sequential results', async () => {
    const runtime = await createNodeRuntime({ backend: 'webgpu' });
    const a = await runtime.load(tinyModel(3));
    const b = await runtime.load(randomModel(mulberry32(4), { recipe: 'reactnet' }));
    const cpu = await createRuntime({ backend: 'cpu' });
    const refA = await cpu.load(tinyModel(3));
    const refB = await cpu.load(randomModel(mulberry32(4), { recipe: 'reactnet' }));
    const inA = randomFeatures(5, 100, a.plan.inputElements);
    const inB = randomFeatures(6, 20, b.plan.inputElements);
    const expA = await refA.classifyBatch(inA, { threshold: 0 });
    const expB = await refB.classifyBatch(inB, { threshold: 0 });
    const modes = ['readback', 'gpu', 'all-exits'] as const;
    const [gotA, gotB] = await Promise.all([
      Promise.all(inA.map((x, i) => a.classify(x, { threshold: 0, mode: modes[i % 3] }))),
      Promise.all(inB.map((x, i) => b.classify(x, { threshold: 0, mode: modes[i % 3] }))),
    ]);
    gotA.forEach((r, i) => expect(r.classIndex, `model a clip ${i}`).toBe(expA[i].classIndex));
    gotB.forEach((r, i) => expect(r.classIndex, `model b clip ${i}`).toBe(expB[i].classIndex));
    runtime.dispose();
  });

  it('two loads at once on one device, then both models recovering from one device loss, give the reference results', async () => {
    const runtime = await createNodeRuntime({ backend: 'webgpu' });
    const sources = [tinyModel(7), randomModel(mulberry32(8), { recipe: 'birealnet' })];
    const models = await Promise.all(sources.map((s) => runtime.load(s)));
    const cpu = await createRuntime({ backend: 'cpu' });
    const refs = await Promise.all(sources.map((s) => cpu.load(s)));
    const inputs = models.map((m, k) => randomFeatures(10 + k, 6, m.plan.inputElements));
    const expected = await Promise.all(refs.map((r, k) => r.classifyBatch(inputs[k], { threshold: 0 })));
    const check = async (): Promise<void> => {
      const got = await Promise.all(models.map((m, k) => m.classifyBatch(inputs[k], { threshold: 0 })));
      got.forEach((rs, k) => rs.forEach((r, i) => expect(r.classIndex, `model ${k} clip ${i}`).toBe(expected[k][i].classIndex)));
    };
    await check();
    (await runtime.gpu()).device.destroy();
    await check();
    for (const m of models) expect(m.stats().deviceRecoveries).toBe(1);
    runtime.dispose();
    cpu.dispose();
  });

  it('a long run keeps GPU resources flat and results identical to the first run', async () => {
    const runtime = await createNodeRuntime({ backend: 'webgpu' });
    const model = await runtime.load(tinyModel(7));
    const inputs = randomFeatures(8, 4, model.plan.inputElements);
    const first = await model.classifyBatch(inputs, { threshold: 0.5, mode: 'gpu' });
    const before = model.stats();
    for (let i = 0; i < 100; i++) {
      const r = await model.classify(inputs[i % 4], { threshold: 0.5, mode: i % 2 ? 'gpu' : 'readback' });
      expect(r.classIndex).toBe(first[i % 4].classIndex);
      expect(r.exit).toBe(first[i % 4].exit);
    }
    const after = model.stats();
    expect([after.liveBuffers, after.liveBindGroups, after.bytes]).toEqual([before.liveBuffers, before.liveBindGroups, before.bytes]);
    runtime.dispose();
  });

  it('a model whose buffers exceed the adapter limits fails at load naming the limit', async () => {
    const runtime = await createNodeRuntime({ backend: 'webgpu', maxBatch: 4096 });
    const big = randomModel(mulberry32(9), { recipe: 'tiny', inputShape: [1024, 512, 1] });
    await expect(runtime.load(big)).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringMatching(/maxStorageBufferBindingSize/) });
    runtime.dispose();
  });

  it('no WebGPU: a forced webgpu backend says so; auto falls back to another backend', async () => {
    await expect(createRuntime({ backend: 'webgpu' })).rejects.toMatchObject({ code: 'NO_WEBGPU' });
    const auto = await createRuntime();
    expect(auto.info.backend).not.toBe('webgpu');
    expect(auto.info.reason).toMatch(/no WebGPU/);
  });
});
