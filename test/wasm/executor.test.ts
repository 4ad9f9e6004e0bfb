// WasmExecutor against CpuExecutor on the preset and random models: identical exit records, bit for bit.
import { describe, expect, it } from 'vitest';
import { isBeenetError } from '../../src/errors';
import { CpuExecutor } from '../../src/cpu/executor';
import { planModel, type ModelPlan } from '../../src/plan/plan';
import { WasmExecutor } from '../../src/wasm/executor';
import { createKernelsSync } from '../../src/wasm/module';
import { mulberry32 } from '../helpers/rng';
import { randomModel, RECIPE_NAMES, type LayerRecipe, type ModelRecipe, type RandomModelOptions } from '../helpers/random-model';
import { readerCounts } from '../../src/plan/readers';
import { groupSteps } from '../../src/wasm/fuse';
import { Rng } from './rng';

function plan(seed: number, options: RandomModelOptions): ModelPlan {
  const m = randomModel(mulberry32(seed), options);
  return planModel(m.description, m.tensors);
}

function bitsOf(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

/**
 * Runs every stage the way the scheduler does (deeper stages for a shrinking subset of clips) on both
 * executors and compares the records.
 */
async function compare(p: ModelPlan, n: number, seed: number, wasm = new WasmExecutor(p)): Promise<void> {
  const rng = new Rng(seed);
  const features = rng.floats(n * p.inputElements, 4);
  const cpu = new CpuExecutor(p);
  await cpu.setInput(features, n);
  await wasm.setInput(features, n);
  let active = Uint32Array.from({ length: n }, (_, i) => i);
  for (let s = 0; s < p.stages.length; s++) {
    const want = await cpu.runStage(s, active);
    const got = await wasm.runStage(s, active);
    expect(bitsOf(got), `stage ${s}`).toEqual(bitsOf(want));
    // Keep a pseudo-random subset going deeper, in shuffled order (clips run independently).
    active = active.filter(() => rng.next() < 0.7).reverse();
  }
}

describe('WasmExecutor vs CpuExecutor', () => {
  for (const recipe of RECIPE_NAMES) {
    it(`preset ${recipe}`, async () => {
      await compare(plan(11, { recipe }), 3, 1);
    });
  }

  it('random architectures', async () => {
    for (let seed = 100; seed < 130; seed++) await compare(plan(seed, { recipe: 'random' }), 2, seed);
  });

  it('grows per-clip storage for larger batches and keeps earlier results valid', async () => {
    const p = plan(5, { recipe: 'tiny' });
    const wasm = new WasmExecutor(p, { maxBatch: 9 });
    await compare(p, 1, 2, wasm);
    const small = wasm.stats().bytes;
    await compare(p, 9, 3, wasm);
    expect(wasm.stats().bytes).toBeGreaterThanOrEqual(small);
    await compare(p, 4, 4, wasm);
    expect(wasm.stats()).toMatchObject({ backend: 'wasm', liveBuffers: 0, liveBindGroups: 0 });
  });

  it('runStage allocates nothing: memory stays flat over many runs', async () => {
    const p = plan(6, { recipe: 'birealnet' });
    const wasm = await WasmExecutor.create(p, { maxBatch: 4 });
    const features = new Rng(9).floats(4 * p.inputElements);
    await wasm.setInput(features, 4);
    const bytes = wasm.stats().bytes;
    const all = Uint32Array.of(0, 1, 2, 3);
    const first = await wasm.runStage(0, all);
    for (let i = 0; i < 20; i++) {
      for (let s = 0; s < p.stages.length; s++) await wasm.runStage(s, all);
    }
    expect(wasm.stats().bytes).toBe(bytes);
    await wasm.setInput(features, 4);
    expect(bitsOf(await wasm.runStage(0, all))).toEqual(bitsOf(first));
  });

  it('rejects bad batches, stages and clips; dispose', async () => {
    const p = plan(7, { recipe: 'tiny' });
    const wasm = new WasmExecutor(p, { maxBatch: 2, kernels: createKernelsSync() });
    const code = async (f: () => Promise<unknown>): Promise<string> => {
      try {
        await f();
        return 'none';
      } catch (e) {
        return isBeenetError(e) ? e.code : String(e);
      }
    };
    expect(await code(() => wasm.setInput(new Float32Array(3 * p.inputElements), 3))).toBe('BAD_INPUT');
    expect(await code(() => wasm.setInput(new Float32Array(p.inputElements), 2))).toBe('BAD_INPUT');
    await wasm.setInput(new Float32Array(p.inputElements), 1);
    expect(await code(() => wasm.runStage(p.stages.length, Uint32Array.of(0)))).toBe('BAD_INPUT');
    expect(await code(() => wasm.runStage(0, Uint32Array.of(1)))).toBe('BAD_INPUT');
    wasm.dispose();
    expect(await code(() => wasm.runStage(0, Uint32Array.of(0)))).toBe('DISPOSED');
    expect(wasm.stats().bytes).toBe(0);
  });
});

describe('conv + pool + pack fused (convPoolPack)', () => {
  /** A float conv of random geometry, a pool, a pack, then a binary conv and an exit: the ReactNet stem's shape. */
  function stemRecipe(rng: Rng): ModelRecipe {
    const pair = (): [number, number] => rng.pick([[1, 1], [2, 2], [2, 1], [1, 2]] as [number, number][]);
    const pool: LayerRecipe = { op: rng.pick(['avgpool', 'maxpool'] as const), kernel: rng.pick([2, [2, 1], 3] as (number | [number, number])[]) as [number, number], stride: pair() };
    const stemOut = rng.pick([5, 13, 24, 32, 33, 40]);
    // Half the time the binary conv adds the pooled map (ReactNet's shortcut): the fused step then writes it out too.
    const first: LayerRecipe = rng.next() < 0.5 ? { op: 'bconv', out: stemOut, to: 'affine', residual: true } : { op: 'bconv', out: rng.int(3, 40), to: 'affine' };
    return {
      name: 'fused-stem', architecture: 'reactnet', inputShape: [rng.int(14, 41), rng.int(10, 33), rng.int(1, 3)], labels: rng.int(2, 12), criterion: 'entropy',
      stem: [{ op: 'conv_real', out: stemOut, kernel: rng.pick([[3, 3], [1, 1], [3, 1], [5, 3]] as [number, number][]), stride: pair(), padding: rng.pick(['same', 'valid'] as const), to: 'affine', activation: rng.pick(['relu', 'prelu', 'rprelu', undefined]) }],
      blocks: [
        { layers: [pool, { op: 'pack' }, first], exit: [{ op: 'gap' }, { op: 'dense', out: 'labels' }] },
        { layers: [{ op: 'pack' }, { op: 'bconv', out: rng.int(3, 40), to: 'affine' }], exit: [{ op: 'gap' }, { op: 'dense', out: 'labels' }] },
      ],
    };
  }

  it('random geometries (odd channels, strides, padding, pools) equal the CPU reference bit for bit, batch 3', async () => {
    const rng = new Rng(77);
    const kept = [0, 0];
    for (let seed = 0; seed < 24; seed++) {
      const m = randomModel(mulberry32(500 + seed), { recipe: stemRecipe(rng) });
      // Unfolded: a linear conv's avgpool would otherwise become part of the conv (test/plan/fold-pool.test.ts).
      const p = planModel(m.description, m.tensors, { foldPools: false });
      const wasm = new WasmExecutor(p);
      wasm.startProfile();
      await compare(p, 3, seed, wasm);
      const types = wasm.profile().map((l) => l.type);
      // Stage 0 is conv, pool and pack in one step, then the binary conv and the head.
      expect(types.slice(0, 2), JSON.stringify(m.description.graph.stem)).toEqual([expect.stringMatching(/^conv_real\+(avg|max)pool\+pack$/), 'bconv']);
      const groups = groupSteps(p.stages[0].layers, readerCounts(p), true);
      kept[groups[0].kind === 'conv-pool-pack' && groups[0].keepPooled ? 1 : 0]++;
      // Unfused, the same plan gives the same records (compare checks against the CPU twin again).
      await compare(p, 2, seed + 1, new WasmExecutor(p, { fuse: false }));
    }
    // Both kinds ran: the pooled map kept for a shortcut, and not stored at all.
    expect(kept[0]).toBeGreaterThan(3);
    expect(kept[1]).toBeGreaterThan(3);
  });

  it('does not fuse when another layer reads the conv output; keeps the pooled map when one reads it', () => {
    const m = randomModel(mulberry32(9), { recipe: stemRecipe(new Rng(9)) });
    const p = planModel(m.description, m.tensors, { foldPools: false });
    const readers = readerCounts(p);
    const layers = p.stages[0].layers;
    expect(groupSteps(layers, readers, true)[0]).toMatchObject({ kind: 'conv-pool-pack', keepPooled: readers.get(layers[1].output) === 2 });
    expect(groupSteps(layers, readers, false).every((g) => g.kind === 'one')).toBe(true);
    const convShared = new Map(readers).set(layers[0].output, 2);
    expect(groupSteps(layers, convShared, true).map((g) => g.kind)).toEqual(layers.map(() => 'one'));
    const poolShared = new Map(readers).set(layers[1].output, 2);
    expect(groupSteps(layers, poolShared, true)[0]).toMatchObject({ kind: 'conv-pool-pack', keepPooled: true });
  });
});

describe('WasmExecutor profile', () => {
  it('times every layer only when asked, counts each clip-run, and leaves the results bit-exact', async () => {
    const p = plan(31, { recipe: 'reactnet' });
    const wasm = new WasmExecutor(p, { fuse: false });
    expect(wasm.profile()).toEqual([]);
    wasm.startProfile();
    await compare(p, 3, 9, wasm);
    const prof = wasm.profile();
    const layers = p.stages.reduce((s, st) => s + st.layers.length + st.exitLayers.length, 0);
    expect(prof).toHaveLength(layers);
    // Stage 0 runs for all 3 clips; deeper stages for a subset.
    for (const l of prof.filter((x) => x.stage === 0)) expect(l.runs).toBe(3);
    for (const l of prof) {
      expect(l.ms).toBeGreaterThanOrEqual(0);
      expect(l.runs).toBeLessThanOrEqual(3);
    }
    expect(prof.some((l) => l.head)).toBe(true);
    expect(new Set(prof.map((l) => l.type))).toContain('bconv');
    wasm.startProfile();
    expect(wasm.profile().every((l) => l.runs === 0 && l.ms === 0)).toBe(true);
    wasm.stopProfile();
    await compare(p, 2, 10, wasm);
    expect(wasm.profile()).toEqual([]);
  });
});
