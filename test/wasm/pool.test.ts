// WasmPoolExecutor (two worker threads) against the single-thread WasmExecutor: identical exit records.
import { describe, expect, it, vi } from 'vitest';
import { isBeenetError } from '../../src/errors';
import { planModel, type ModelPlan } from '../../src/plan/plan';
import { createRuntime } from '../../src/runtime/runtime';
import { WasmExecutor } from '../../src/wasm/executor';
import { WasmPoolExecutor, wasmPoolAvailable } from '../../src/wasm/pool-executor';
import { readbackLoop, type ClipOutcome, type LoopRule } from '../../src/plan/readback-loop';
import type { BeeModel } from '../../src/format/bee';
import type { ClassifyResult } from '../../src/runtime/model';
import { mulberry32 } from '../helpers/rng';
import { randomModel, type RandomModelOptions } from '../helpers/random-model';
import { Rng } from './rng';

function model(seed: number, options: RandomModelOptions): BeeModel {
  return randomModel(mulberry32(seed), options);
}

function plan(m: BeeModel): ModelPlan {
  return planModel(m.description, m.tensors);
}

function bitsOf(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

async function code(f: () => Promise<unknown>): Promise<string> {
  try {
    await f();
    return 'none';
  } catch (e) {
    return isBeenetError(e) ? e.code : String(e);
  }
}

describe('WasmPoolExecutor', () => {
  it('workers can be started from the TypeScript sources', () => {
    expect(wasmPoolAvailable()).toBe(true);
  });

  for (const [recipe, seed] of [['reactnet', 21], ['random', 22], ['random', 23]] as const) {
    it(`batch of 64 on ${recipe} (seed ${seed}): records equal to WasmExecutor's, stage by stage`, async () => {
      const p = plan(model(seed, { recipe }));
      const n = 64;
      const rng = new Rng(seed);
      const features = rng.floats(n * p.inputElements, 4);
      const single = new WasmExecutor(p);
      const pool = await WasmPoolExecutor.create(p, { threads: 2 });
      try {
        expect(pool.threads).toBe(2);
        await single.setInput(features, n);
        await pool.setInput(features, n);
        let active = Uint32Array.from({ length: n }, (_, i) => i);
        for (let s = 0; s < p.stages.length; s++) {
          const want = await single.runStage(s, active);
          const got = await pool.runStage(s, active);
          expect(bitsOf(got), `stage ${s}`).toEqual(bitsOf(want));
          // A shrinking, shuffled subset goes deeper, as the scheduler's active list does.
          active = active.filter(() => rng.next() < 0.7).reverse();
        }
        expect(pool.stats()).toMatchObject({ backend: 'wasm', liveBuffers: 0, liveBindGroups: 0 });
        expect(pool.stats().bytes).toBeGreaterThan(0);
      } finally {
        pool.dispose();
      }
    });
  }

  it('odd batches, 3 threads, a batch smaller than the pool (run in the calling thread), then a new batch', async () => {
    const p = plan(model(24, { recipe: 'tiny' }));
    const single = new WasmExecutor(p);
    const pool = await WasmPoolExecutor.create(p, { threads: 3, maxBatch: 8 });
    try {
      for (const [n, seed] of [[7, 1], [1, 2], [0, 3], [8, 4]]) {
        const features = new Rng(seed).floats(Math.max(n, 1) * p.inputElements, 4);
        await single.setInput(features, n);
        await pool.setInput(features, n);
        // Fewer clips than threads run in the calling thread (no worker would have more than one).
        expect(pool.ranLocally, `n ${n}`).toBe(n === 1 || n === 2);
        const active = Uint32Array.from({ length: n }, (_, i) => n - 1 - i);
        for (let s = 0; s < p.stages.length; s++) {
          expect(bitsOf(await pool.runStage(s, active)), `n ${n} stage ${s}`).toEqual(bitsOf(await single.runStage(s, active)));
        }
      }
    } finally {
      pool.dispose();
    }
  });

  it('runLoop (each worker runs the whole early-exit loop for its clips) equals the host loop on one thread', async () => {
    const p = plan(model(27, { recipe: 'reactnet' }));
    const single = new WasmExecutor(p);
    const pool = await WasmPoolExecutor.create(p, { threads: 2, maxBatch: 64 });
    const bits = (os: ClipOutcome[]) => os.map((o) => ({ exit: o.exit, records: o.records.map((r) => (r ? Array.from(bitsOf(r)) : null)) }));
    try {
      const exitsSeen = new Set<number>();
      for (const [n, seed] of [[64, 1], [7, 2], [1, 3], [0, 4]]) {
        const features = new Rng(seed).floats(Math.max(n, 1) * p.inputElements, 4);
        await single.setInput(features, n);
        await pool.setInput(features, n);
        // Thresholds that send clips out at every exit, and all-exits (every clip to the end).
        const rules: LoopRule[] = [
          { criterion: 'entropy', thresholds: [0.9, 0.95, 0.99, 1] },
          { criterion: 'maxprob', thresholds: [0.2, 0.15, 0.1, 0] },
          { criterion: 'entropy', thresholds: [0.9, 0.95, 0.99, 1], allExits: true },
        ];
        for (const rule of rules) {
          const want = await readbackLoop((k, a) => single.runStage(k, a), p.stages.length, p.classes, n, rule);
          const got = await pool.runLoop(rule, n);
          expect(bits(got), `n ${n} ${JSON.stringify(rule)}`).toEqual(bits(want));
          for (const o of want) exitsSeen.add(o.exit);
        }
      }
      expect(exitsSeen.size, 'the rules send clips out at more than one exit').toBeGreaterThan(1);
      expect(await code(() => pool.runLoop({ criterion: 'entropy', thresholds: [0, 0, 0, 0] }, 3))).toBe('BAD_INPUT');
    } finally {
      pool.dispose();
    }
  });

  it('rejects bad batches, stages and clips; dispose', async () => {
    const p = plan(model(25, { recipe: 'tiny' }));
    const pool = await WasmPoolExecutor.create(p, { threads: 2, maxBatch: 2 });
    expect(await code(() => pool.setInput(new Float32Array(3 * p.inputElements), 3))).toBe('BAD_INPUT');
    expect(await code(() => pool.setInput(new Float32Array(p.inputElements), 2))).toBe('BAD_INPUT');
    await pool.setInput(new Float32Array(p.inputElements), 1);
    expect(await code(() => pool.runStage(p.stages.length, Uint32Array.of(0)))).toBe('BAD_INPUT');
    expect(await code(() => pool.runStage(0, Uint32Array.of(1)))).toBe('BAD_INPUT');
    expect(await code(() => WasmPoolExecutor.create(p, { threads: 0 }))).toBe('BAD_INPUT');
    pool.dispose();
    expect(await code(() => pool.runStage(0, Uint32Array.of(0)))).toBe('DISPOSED');
    expect(pool.stats().bytes).toBe(0);
  });

  it("classifyBatch through createRuntime({ backend: 'wasm', threads: 2 }) equals one thread", async () => {
    const m = model(26, { recipe: 'birealnet' });
    const p = plan(m);
    const n = 64;
    const rng = new Rng(26);
    const inputs = Array.from({ length: n }, () => ({ features: rng.floats(p.inputElements, 4) }));
    const results: ClassifyResult[][] = [];
    const create = vi.spyOn(WasmPoolExecutor, 'create');
    for (const threads of [1, 2]) {
      const runtime = await createRuntime({ backend: 'wasm', threads });
      try {
        const loaded = await runtime.load(m);
        results.push(await loaded.classifyBatch(inputs, { mode: 'all-exits' }));
      } finally {
        runtime.dispose();
      }
    }
    // The pool was used for threads: 2 only.
    expect(create).toHaveBeenCalledTimes(1);
    expect(create.mock.calls[0][1]).toEqual({ threads: 2 });
    create.mockRestore();
    const strip = (rs: ClassifyResult[]): unknown => rs.map((r) => ({ ...r, timings: null }));
    expect(strip(results[1])).toEqual(strip(results[0]));
    expect(await code(() => createRuntime({ backend: 'wasm', threads: 1.5 }))).toBe('BAD_INPUT');
  });
});
