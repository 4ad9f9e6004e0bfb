// The WebGPU backend against the CPU reference, end to end: same exits, same classes, logits within tolerance,
// in every scheduling mode, batched and alone; and recovery from a lost device.
import { describe, expect, it } from 'vitest';
import { createRuntime, type BeenetModel, type ClassifyResult } from '../../src/index';
import { createNodeRuntime } from '../../src/node';
import type { BeeModel } from '../../src/format/bee';
import { randomModel, tinyModel } from '../helpers/random-model';
import { mulberry32 } from '../helpers/rng';

function randomFeatures(seed: number, n: number, size: number): { features: Float32Array }[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => ({ features: Float32Array.from({ length: size }, () => rng() * 8 - 6) }));
}

/** Logits agree within 1e-4 of their scale: float layers may fuse multiply-adds on the GPU (docs/layout.md). */
function expectSame(gpu: ClassifyResult, cpu: ClassifyResult, where: string): void {
  expect(gpu.exit, `${where}: exit`).toBe(cpu.exit);
  expect(gpu.classIndex, `${where}: class`).toBe(cpu.classIndex);
  expect(Math.abs(gpu.entropy - cpu.entropy), `${where}: entropy`).toBeLessThan(1e-4);
  gpu.probabilities.forEach((p, i) => expect(Math.abs(p - cpu.probabilities[i]), `${where}: p[${i}]`).toBeLessThan(1e-4));
  expect(gpu.exits.map((e) => e.exit)).toEqual(cpu.exits.map((e) => e.exit));
}

/**
 * A threshold that sends some clips out at the first exit and others deeper, at least 1e-4 away from every
 * recorded entropy so that float rounding cannot change a decision.
 */
function safeThreshold(all: ClassifyResult[]): number {
  const every = all.flatMap((r) => r.exits.map((e) => e.entropy));
  const first = all.map((r) => r.exits[0].entropy).sort((a, b) => a - b);
  const candidates = first.slice(1).map((e, i) => ({ t: (e + first[i]) / 2, rank: Math.abs(i + 0.5 - first.length / 2) }));
  candidates.sort((a, b) => a.rank - b.rank);
  const safe = candidates.find((c) => every.every((e) => Math.abs(e - c.t) > 1e-4));
  if (!safe) throw new Error('no safe threshold among the recorded entropies');
  return safe.t;
}

async function pair(bee: BeeModel, convLayout: 'auto' | 'tiled' | 'lanes' = 'auto'): Promise<{ gpu: BeenetModel; cpu: BeenetModel }> {
  const gpuRuntime = await createNodeRuntime({ backend: 'webgpu', maxBatch: 16, convLayout });
  const cpuRuntime = await createRuntime({ backend: 'cpu' });
  return { gpu: await gpuRuntime.load(bee), cpu: await cpuRuntime.load(bee) };
}

describe('WebGPU backend vs CPU reference', () => {
  // Both binary-convolution layouts: software adapters pick 'tiled', hardware GPUs 'lanes' (src/gpu/kernels/conv.ts).
  it.each(['tiled', 'lanes'] as const)('random models of every layer type (%s bconv): thresholds 0, 1 and between; all modes; batch = single', async (layout) => {
    for (const [i, recipe] of (['tiny', 'binarynet', 'xnor', 'birealnet', 'reactnet', 'edge', 'pooledstem'] as const).entries()) {
      const { gpu, cpu } = await pair(randomModel(mulberry32(100 + i), { recipe }), layout);
      const inputs = randomFeatures(200 + i, 5, gpu.plan.inputElements);
      const reference = await cpu.classifyBatch(inputs, { threshold: 0, mode: 'all-exits' });
      const t = safeThreshold(reference);
      for (const threshold of [0, 1, t]) {
        const expected = await cpu.classifyBatch(inputs, { threshold });
        for (const mode of ['readback', 'gpu', 'all-exits'] as const) {
          const batch = await gpu.classifyBatch(inputs, { threshold, mode });
          batch.forEach((r, j) => {
            const where = `${recipe} t=${threshold.toFixed(3)} ${mode} clip ${j}`;
            if (mode === 'all-exits') {
              expect(r.exit, where).toBe(expected[j].exit);
              expect(r.exits).toHaveLength(gpu.plan.stages.length);
            } else {
              expectSame(r, expected[j], where);
            }
          });
        }
        // Alone, a clip gets what it got in the batch.
        const single = await gpu.classify(inputs[3], { threshold, mode: 'gpu' });
        expectSame(single, expected[3], `${recipe} t=${threshold} single`);
      }
      gpu.dispose();
    }
  });

  it('clips that exit leave the batch: deeper stages run only for the rest', async () => {
    const { gpu, cpu } = await pair(tinyModel(4));
    const inputs = randomFeatures(5, 16, gpu.plan.inputElements);
    const all = await cpu.classifyBatch(inputs, { threshold: 0, mode: 'all-exits' });
    const t = safeThreshold(all);
    const expected = await cpu.classifyBatch(inputs, { threshold: t });
    expect(new Set(expected.map((r) => r.exit)).size).toBeGreaterThan(1);
    for (const mode of ['readback', 'gpu'] as const) {
      const got = await gpu.classifyBatch(inputs, { threshold: t, mode });
      got.forEach((r, j) => expectSame(r, expected[j], `${mode} clip ${j}`));
    }
  });

  it('resources stay flat over repeated runs and dispose frees them', async () => {
    const { gpu } = await pair(tinyModel(6));
    const inputs = randomFeatures(7, 8, gpu.plan.inputElements);
    const first = await gpu.classifyBatch(inputs, { threshold: 0.5, mode: 'gpu' });
    const before = gpu.stats();
    for (let i = 0; i < 30; i++) {
      const again = await gpu.classifyBatch(inputs, { threshold: 0.5, mode: i % 2 ? 'gpu' : 'readback' });
      again.forEach((r, j) => expect(r.classIndex).toBe(first[j].classIndex));
    }
    const after = gpu.stats();
    expect(after.liveBuffers).toBe(before.liveBuffers);
    expect(after.liveBindGroups).toBe(before.liveBindGroups);
    expect(after.bytes).toBe(before.bytes);
    gpu.dispose();
    expect(gpu.stats().liveBindGroups).toBe(0);
  });

  it('recovers from a lost device and returns the same result', async () => {
    const runtime = await createNodeRuntime({ backend: 'webgpu' });
    const model = await runtime.load(tinyModel(8));
    const inputs = randomFeatures(9, 4, model.plan.inputElements);
    const expected = await model.classifyBatch(inputs, { threshold: 0.4 });
    // Before a call.
    (await runtime.gpu()).device.destroy();
    const after = await model.classifyBatch(inputs, { threshold: 0.4 });
    after.forEach((r, j) => expectSame(r, expected[j], `after loss, clip ${j}`));
    expect(model.stats().deviceRecoveries).toBe(1);
    // During a call.
    const pending = model.classifyBatch(inputs, { threshold: 0.4, mode: 'gpu' });
    (await runtime.gpu()).device.destroy();
    (await pending).forEach((r, j) => expect(r.classIndex).toBe(expected[j].classIndex));
    runtime.dispose();
  });
});
