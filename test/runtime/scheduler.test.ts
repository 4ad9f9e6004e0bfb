// The early-exit scheduler and the model API, on the CPU reference backend (no device needed).
import { describe, expect, it } from 'vitest';
import { createRuntime, type BeenetModel, type ClassifyResult } from '../../src/index';
import { isBeenetError } from '../../src/errors';
import { mulberry32 } from '../helpers/rng';
import { randomModel, tinyModel } from '../helpers/random-model';

function randomFeatures(seed: number, n: number, size: number): Float32Array[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: size }, () => rng() * 8 - 6));
}

async function cpuModel(seed = 1): Promise<BeenetModel> {
  const runtime = await createRuntime({ backend: 'cpu' });
  return runtime.load(tinyModel(seed));
}

function core(r: ClassifyResult): unknown {
  return { exit: r.exit, classIndex: r.classIndex, entropy: r.entropy, maxProb: r.maxProb, probs: Array.from(r.probabilities) };
}

describe('scheduler (CPU reference backend)', () => {
  it('threshold 0 runs every clip to the last exit, threshold 1 stops every clip at the first', async () => {
    const model = await cpuModel();
    const inputs = randomFeatures(2, 6, model.plan.inputElements).map((features) => ({ features }));
    const last = model.plan.stages.length - 1;
    for (const r of await model.classifyBatch(inputs, { threshold: 0 })) {
      expect(r.exit).toBe(last);
      expect(r.exits.map((e) => e.exit)).toEqual(model.plan.stages.map((_, i) => i));
      expect(r.binaryOpsFraction).toBe(1);
      expect(r.blocksRun).toBe(model.description.graph.blocks.length);
    }
    for (const r of await model.classifyBatch(inputs, { threshold: 1 })) {
      expect(r.exit).toBe(0);
      expect(r.exits).toHaveLength(1);
      expect(r.binaryOpsFraction).toBeLessThan(1);
    }
  });

  it('an intermediate threshold stops each clip at the first exit below it, as the all-exits records say', async () => {
    const model = await cpuModel(3);
    const inputs = randomFeatures(4, 12, model.plan.inputElements).map((features) => ({ features }));
    const all = await model.classifyBatch(inputs, { threshold: 0, mode: 'all-exits' });
    // A threshold between the recorded entropies makes exits differ across clips.
    const entropies = all.flatMap((r) => r.exits.slice(0, -1).map((e) => e.entropy)).sort((a, b) => a - b);
    const t = entropies[Math.floor(entropies.length / 2)] + 1e-4;
    const gated = await model.classifyBatch(inputs, { threshold: t });
    const allAtT = await model.classifyBatch(inputs, { threshold: t, mode: 'all-exits' });
    gated.forEach((r, i) => {
      const expected = all[i].exits.findIndex((e, k) => e.entropy < t || k === all[i].exits.length - 1);
      expect(r.exit).toBe(expected);
      expect(allAtT[i].exit).toBe(expected);
      expect(allAtT[i].exits).toHaveLength(model.plan.stages.length);
      expect(r.classIndex).toBe(all[i].exits[expected].classIndex);
    });
    expect(new Set(gated.map((r) => r.exit)).size).toBeGreaterThan(1);
  });

  it('per-exit thresholds and the maxprob criterion', async () => {
    const model = await cpuModel(5);
    const inputs = randomFeatures(6, 8, model.plan.inputElements).map((features) => ({ features }));
    const stages = model.plan.stages.length;
    const never = new Array(stages).fill(0);
    never[1] = 1;
    for (const r of await model.classifyBatch(inputs, { thresholds: never })) expect(r.exit).toBe(1);
    for (const r of await model.classifyBatch(inputs, { criterion: 'maxprob', threshold: 0 })) expect(r.exit).toBe(0);
    for (const r of await model.classifyBatch(inputs, { criterion: 'maxprob', threshold: 1.01 })) expect(r.exit).toBe(stages - 1);
  });

  it('batch results equal single-clip results, in every mode', async () => {
    const model = await cpuModel(7);
    const inputs = randomFeatures(8, 9, model.plan.inputElements).map((features) => ({ features }));
    for (const mode of ['readback', 'gpu', 'all-exits'] as const) {
      const batch = await model.classifyBatch(inputs, { threshold: 0.6, mode });
      for (let i = 0; i < inputs.length; i++) {
        const single = await model.classify(inputs[i], { threshold: 0.6, mode });
        expect(core(batch[i])).toEqual(core(single));
      }
    }
  });

  it('concurrent calls are queued and give the sequential results; inputs are not modified', async () => {
    const model = await cpuModel(9);
    const inputs = randomFeatures(10, 20, model.plan.inputElements).map((features) => ({ features }));
    const copies = inputs.map((i) => i.features.slice());
    const sequential = [];
    for (const input of inputs) sequential.push(core(await model.classify(input, { threshold: 0.5 })));
    const concurrent = await Promise.all(inputs.map((input) => model.classify(input, { threshold: 0.5 })));
    expect(concurrent.map(core)).toEqual(sequential);
    inputs.forEach((input, i) => expect(input.features).toEqual(copies[i]));
  });

  it('each call snapshots its features when it is made; snapshots reused between calls never mix them', async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      const rt = await createRuntime({ backend });
      try {
        const model = await rt.load(tinyModel(31));
        const clips = randomFeatures(32, 8, model.plan.inputElements);
        const want = [];
        for (const f of clips) want.push(core(await model.classify({ features: f.slice() }, { threshold: 0.5 })));
        // One array, rewritten after every call is made (the calls queue behind each other), and an aborted call
        // among them whose snapshot goes back to the pool too.
        const shared = new Float32Array(model.plan.inputElements);
        const aborted = new AbortController();
        const calls: Promise<unknown>[] = [];
        clips.forEach((f, i) => {
          shared.set(f);
          calls.push(model.classify({ features: shared }, { threshold: 0.5 }).then(core));
          if (i === 3) {
            const c = model.classify({ features: shared }, { signal: aborted.signal });
            aborted.abort();
            calls.push(c.then(() => 'ran', (e: unknown) => (isBeenetError(e, 'ABORTED') ? 'aborted' : String(e))));
          }
          shared.fill(-3);
        });
        const got = await Promise.all(calls);
        expect(got.filter((g) => g === 'aborted' || g === 'ran')).toHaveLength(1);
        expect(got.filter((g) => typeof g !== 'string')).toEqual(want);
      } finally {
        rt.dispose();
      }
    }
  });

  it('normalizeFeatures leaves its input alone, unless it is handed over', async () => {
    const rt = await createRuntime({ backend: 'cpu' });
    try {
      for (const normalization of [true, false]) {
        const model = await rt.load(randomModel(mulberry32(33), { normalization }));
        const [raw] = randomFeatures(34, 1, model.plan.inputElements);
        const copy = raw.slice();
        const out = model.normalizeFeatures(raw);
        expect(raw, `normalization ${normalization}`).toEqual(copy);
        expect(out).not.toBe(raw);
        const handed = raw.slice();
        const same = model.normalizeFeatures(handed, { handOver: true });
        expect(same).toBe(handed);
        expect(same).toEqual(out);
        if (normalization) expect(out).not.toEqual(copy);
      }
    } finally {
      rt.dispose();
    }
  });

  it('dispose() rejects queued calls with DISPOSED and later calls too', async () => {
    const model = await cpuModel(11);
    const [features] = randomFeatures(12, 1, model.plan.inputElements);
    const calls = Array.from({ length: 5 }, () => model.classify({ features }));
    model.dispose();
    const settled = await Promise.allSettled(calls);
    const rejected = settled.filter((s) => s.status === 'rejected');
    expect(rejected.length).toBeGreaterThan(0);
    for (const s of rejected) expect(isBeenetError((s as PromiseRejectedResult).reason, 'DISPOSED')).toBe(true);
    await expect(model.classify({ features })).rejects.toMatchObject({ code: 'DISPOSED' });
  });

  it('rejects bad inputs and options with named errors before running anything', async () => {
    const model = await cpuModel(13);
    const size = model.plan.inputElements;
    const good = new Float32Array(size);
    await expect(model.classify({ features: new Float32Array(size - 1) })).rejects.toThrow(/features have .* values/);
    const nan = good.slice();
    nan[7] = NaN;
    await expect(model.classify({ features: nan })).rejects.toThrow(/feature 7 is NaN/);
    await expect(model.classifyBatch([])).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(model.classify({ features: good }, { threshold: -1 })).rejects.toThrow(/threshold 0/);
    await expect(model.classify({ features: good }, { thresholds: [0.5] })).rejects.toThrow(/thresholds has 1 values/);
    await expect(model.classify({ features: good }, { mode: 'fast' as never })).rejects.toThrow(/mode must be/);
    await expect(model.classify({ features: good }, { criterion: 'margin' as never })).rejects.toThrow(/criterion/);
    await expect(model.classify({ audio: new Float32Array(0), sampleRate: 16000 })).rejects.toMatchObject({ code: 'BAD_AUDIO' });
    await expect(model.classify({ audio: new Float32Array(100), sampleRate: 0 })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    expect(model.stats().calls).toBe(0);
  });

  it('every layer type runs end to end on random architectures', async () => {
    const runtime = await createRuntime({ backend: 'cpu' });
    for (const recipe of ['binarynet', 'xnor', 'birealnet', 'reactnet', 'edge'] as const) {
      const model = await runtime.load(randomModel(mulberry32(21), { recipe }));
      const inputs = randomFeatures(22, 2, model.plan.inputElements).map((features) => ({ features }));
      const results = await model.classifyBatch(inputs, { threshold: 0, mode: 'all-exits' });
      for (const r of results) {
        expect(r.exits).toHaveLength(model.plan.stages.length);
        expect(r.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        expect(r.entropy).toBeGreaterThanOrEqual(0);
        expect(r.entropy).toBeLessThanOrEqual(1);
      }
    }
  });
});
