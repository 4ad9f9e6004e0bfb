// One exit rule everywhere: at thresholds within an f32 ulp of a clip's recorded entropy or max probability,
// every scheduling mode of every backend (WebGPU in both conv layouts) takes the exit the host rule gives on that
// backend's own records. GPU mode decides on the device, against the f32 that deviceThreshold uploads.
import { describe, expect, it } from 'vitest';
import { createRuntime, type BeenetModel, type ClassifyResult } from '../../src/index';
import { createNodeRuntime } from '../../src/node';
import type { ExitCriterion } from '../../src/model/graph';
import { deviceThreshold, exitsHere, f32Ceil } from '../../src/runtime/exit-policy';
import { randomModel } from '../helpers/random-model';
import { mulberry32 } from '../helpers/rng';

/** The neighbouring f32 values of an f32 x (x > 0). */
function f32Neighbours(x: number): [number, number] {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  u[0]--;
  const below = f[0];
  u[0] += 2;
  return [below, f[0]];
}

/** The exit the host rule picks from a clip's all-exits records. */
function hostExit(r: ClassifyResult, criterion: ExitCriterion, t: number): number {
  const n = r.exits.length;
  return r.exits.findIndex((e, k) => exitsHere(criterion, t, e.entropy, e.maxProb, k === n - 1));
}

function thresholdsAround(x: number): number[] {
  const [below, above] = f32Neighbours(x);
  return [x, below, above, x * (1 + 2 ** -40), x * (1 - 2 ** -40)];
}

async function check(model: BeenetModel, modes: readonly ('readback' | 'gpu' | 'all-exits')[], where: string): Promise<void> {
  const rng = mulberry32(7);
  const inputs = Array.from({ length: 4 }, () => ({ features: Float32Array.from({ length: model.plan.inputElements }, () => rng() * 8 - 6) }));
  const all = await model.classifyBatch(inputs, { threshold: 0, mode: 'all-exits' });
  for (const criterion of ['entropy', 'maxprob'] as const) {
    for (const [j, r] of all.entries()) {
      const x = criterion === 'entropy' ? r.exits[0].entropy : r.exits[0].maxProb;
      if (!(x > 0 && x < 1)) continue;
      for (const t of thresholdsAround(x)) {
        const want = hostExit(r, criterion, t);
        for (const mode of modes) {
          const got = await model.classifyBatch(inputs, { criterion, threshold: t, mode });
          expect(got[j].exit, `${where} ${criterion} t=${t} (record ${x}) ${mode} clip ${j}`).toBe(want);
        }
      }
    }
  }
}

describe('the exit rule at thresholds one ulp either side of a record', () => {
  it('deviceThreshold is the smallest f32 >= the threshold', () => {
    expect(f32Ceil(0.5)).toBe(0.5);
    expect(f32Ceil(0.1)).toBeGreaterThanOrEqual(0.1);
    expect(Math.fround(f32Ceil(0.1))).toBe(f32Ceil(0.1));
    expect(f32Neighbours(f32Ceil(0.1))[0]).toBeLessThan(0.1);
    expect(f32Ceil(1e-50)).toBeGreaterThan(0);
    expect(f32Ceil(-0.1)).toBeGreaterThanOrEqual(-0.1);
    expect(f32Ceil(-0.1)).toBeLessThan(0);
    // The shipped default thresholds whose nearest f32 lies below them.
    for (const t of [0.45, 0.95, 0.35]) {
      expect(Math.fround(t)).toBeLessThan(t);
      expect(deviceThreshold('entropy', t)).toBeGreaterThan(t);
    }
    expect(deviceThreshold('entropy', 1)).toBe(2);
  });

  it('cpu and wasm backends: readback and all-exits agree with the rule', async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      const rt = await createRuntime({ backend });
      const model = await rt.load(randomModel(mulberry32(31), { recipe: 'reactnet' }));
      await check(model, ['readback', 'all-exits'], backend);
      model.dispose();
    }
  });

  it.each(['tiled', 'lanes'] as const)('WebGPU (%s bconv): readback, gpu and all-exits agree with the rule', async (convLayout) => {
    const rt = await createNodeRuntime({ backend: 'webgpu', maxBatch: 8, convLayout });
    const model = await rt.load(randomModel(mulberry32(31), { recipe: 'reactnet' }));
    await check(model, ['readback', 'gpu', 'all-exits'], `webgpu ${convLayout}`);
    model.dispose();
  });

  it('exit logits come back on request, for every exit evaluated, and match the reported softmax', async () => {
    const rt = await createRuntime({ backend: 'cpu' });
    const model = await rt.load(randomModel(mulberry32(32), { recipe: 'reactnet' }));
    const input = { features: Float32Array.from({ length: model.plan.inputElements }, (_, i) => Math.sin(i)) };
    const plain = await model.classify(input, { threshold: 0, mode: 'all-exits' });
    expect(plain.exits.every((e) => e.logits === undefined)).toBe(true);
    const r = await model.classify(input, { threshold: 0, mode: 'all-exits', logits: true });
    expect(r.exits).toHaveLength(model.plan.stages.length);
    for (const e of r.exits) {
      expect(e.logits).toHaveLength(model.labels.length);
      const l = Array.from(e.logits!);
      expect(l.indexOf(Math.max(...l))).toBe(e.classIndex);
    }
    const taken = Array.from(r.exits[r.exit].logits!);
    const z = taken.map((v) => Math.exp(v - Math.max(...taken)));
    const sum = z.reduce((a, b) => a + b, 0);
    z.forEach((v, i) => expect(Math.abs(v / sum - r.probabilities[i])).toBeLessThan(1e-6));
    await expect(model.classify(input, { logits: 'yes' as unknown as boolean })).rejects.toThrow(/logits must be true or false/);
    model.dispose();
  });
});
