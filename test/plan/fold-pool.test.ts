// Folding an average pooling into the linear float convolution before it (src/plan/fold-pool.ts): the folded
// convolution computes the pool of the convolution (to float rounding), the planner folds exactly the pairs it
// may, and every backend then runs the folded plan (their bit-exactness tests run it by default).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { convRealCpu } from '../../src/cpu/conv-real';
import { CpuExecutor } from '../../src/cpu/executor';
import { poolFloatCpu } from '../../src/cpu/pool';
import { readBee } from '../../src/format/bee';
import type { ConvGeometry, Window2d } from '../../src/layout/geometry';
import { identityAffine } from '../../src/layout/transform';
import { foldConvPool, foldPoolsIntoConvs } from '../../src/plan/fold-pool';
import { planModel, type ModelPlan, type PlannedLayer } from '../../src/plan/plan';
import { randomModel, type ModelRecipe } from '../helpers/random-model';
import { mulberry32, pick, randInt } from '../helpers/rng';

describe('foldConvPool', () => {
  it('computes the average pool of the convolution: random shapes, odd channels, strides, padding, windows, batch 2', () => {
    const rng = mulberry32(41);
    let cases = 0;
    for (let i = 0; i < 60; i++) {
      const kernel = pick(rng, [[3, 3], [1, 1], [3, 1], [5, 3], [2, 2]] as [number, number][]);
      const stride = pick(rng, [[1, 1], [2, 2], [2, 1], [1, 2]] as [number, number][]);
      const g: ConvGeometry = { kernel, stride, padding: pick(rng, ['same', 'valid'] as const), outChannels: pick(rng, [1, 5, 13, 32, 33]) };
      const win: Window2d = pick(rng, [
        { kernel: [2, 2], stride: [2, 2] },
        { kernel: [2, 1], stride: [2, 1] },
        { kernel: [3, 3], stride: [2, 2] },
        { kernel: [2, 2], stride: [1, 1] },
      ] as Window2d[]);
      const input = { h: randInt(rng, kernel[0] + 3, 41), w: randInt(rng, kernel[1] + 3, 29), c: pick(rng, [1, 2, 3]) };
      const shape = { n: 2, ...input };
      const x = Float32Array.from({ length: 2 * input.h * input.w * input.c }, () => rng() * 8 - 4);
      const w = Float32Array.from({ length: g.outChannels * kernel[0] * kernel[1] * input.c }, () => rng() * 2 - 1);
      const conv = convRealCpu(x, shape, w, g, identityAffine(g.outChannels));
      if (conv.shape.h < win.kernel[0] || conv.shape.w < win.kernel[1]) continue;
      const want = poolFloatCpu(conv.out as Float32Array, conv.shape, win, 'avg');
      const f = foldConvPool(w, input, g, win);
      expect(f.geometry.kernel).toEqual([kernel[0] + (win.kernel[0] - 1) * stride[0], kernel[1] + (win.kernel[1] - 1) * stride[1]]);
      const got = convRealCpu(x, shape, f.weights, f.geometry, identityAffine(g.outChannels));
      expect(got.shape).toEqual(want.shape);
      // Each output sums at most kh' * kw' * c products of magnitude <= 4: rounding stays far below 1e-4.
      for (let j = 0; j < want.out.length; j++) expect(Math.abs(got.out[j] - want.out[j]), `case ${i} value ${j}`).toBeLessThan(1e-4);
      cases++;
    }
    expect(cases).toBeGreaterThan(40);
  });

  it('folds the shipped stem (98x40, 3x3 stride 2 same, 2x2 pool) into 5x5 stride 4 with one zero column on the right', () => {
    const g: ConvGeometry = { kernel: [3, 3], stride: [2, 2], padding: 'same', outChannels: 32 };
    const f = foldConvPool(new Float32Array(32 * 9), { h: 98, w: 40, c: 1 }, g, { kernel: [2, 2], stride: [2, 2] });
    expect(f.geometry).toEqual({ kernel: [5, 5], stride: [4, 4], padding: { top: 0, bottom: 0, left: 0, right: 1 }, outChannels: 32 });
  });
});

/** A linear (or not) float conv, a pool, and a binary conv whose shortcut is the pooled map. */
function stemModel(activation: 'rprelu' | undefined, pool: 'avgpool' | 'maxpool'): ModelRecipe {
  return {
    name: 'stem', architecture: 'reactnet', inputShape: [29, 17, 1], labels: 4, criterion: 'entropy',
    stem: [{ op: 'conv_real', out: 11, stride: 2, to: 'affine', activation }],
    blocks: [
      {
        layers: [{ op: pool, kernel: 2, stride: 2 }, { op: 'pack' }, { op: 'bconv', out: 11, to: 'affine', residual: true }],
        exit: [{ op: 'gap' }, { op: 'dense', out: 'labels' }],
      },
    ],
  };
}

const layerTypes = (p: ModelPlan): string[] => p.stages[0].layers.map((l) => l.op.type);

describe('planModel folds', () => {
  it('a linear conv followed by an avgpool, and nothing else', () => {
    const m = randomModel(mulberry32(3), { recipe: stemModel(undefined, 'avgpool') });
    const folded = planModel(m.description, m.tensors);
    const plain = planModel(m.description, m.tensors, { foldPools: false });
    expect(layerTypes(plain)).toEqual(['conv_real', 'avgpool', 'pack', 'bconv']);
    expect(layerTypes(folded)).toEqual(['conv_real', 'pack', 'bconv']);
    const first = folded.stages[0].layers[0];
    expect(first.label).toMatch(/folded$/);
    expect(first.output).toBe(plain.stages[0].layers[1].output);
    expect(folded.values.has(plain.stages[0].layers[0].output)).toBe(false);
    // What a clip costs is counted on the graph as written, under either plan.
    expect(folded.totalOps).toEqual(plain.totalOps);
    expect(folded.stages.map((s) => s.cumulativeOps)).toEqual(plain.stages.map((s) => s.cumulativeOps));
    // An activation between conv and pool, or a max pool, is not linear: no fold.
    for (const [act, pool] of [['rprelu', 'avgpool'], [undefined, 'maxpool']] as const) {
      const n = randomModel(mulberry32(4), { recipe: stemModel(act, pool) });
      expect(layerTypes(planModel(n.description, n.tensors))).toEqual(['conv_real', pool, 'pack', 'bconv']);
    }
  });

  it('not when another layer reads the convolution output, and without changing the stages it is given', () => {
    const m = randomModel(mulberry32(5), { recipe: stemModel(undefined, 'avgpool') });
    const plain = planModel(m.description, m.tensors, { foldPools: false });
    const conv = plain.stages[0].layers[0];
    const gap = plain.stages[0].exitLayers[0];
    const reader: PlannedLayer = { ...gap, input: conv.output, inputInfo: conv.outputInfo };
    const shared = [{ ...plain.stages[0], exitLayers: [reader, ...plain.stages[0].exitLayers] }];
    expect(foldPoolsIntoConvs(shared).stages[0].layers.map((l) => l.op.type)).toEqual(['conv_real', 'avgpool', 'pack', 'bconv']);
    const before = plain.stages[0].layers.slice();
    const { stages, dropped } = foldPoolsIntoConvs(plain.stages);
    expect(stages[0].layers).toHaveLength(3);
    expect(dropped).toEqual([conv.output]);
    expect(plain.stages[0].layers).toEqual(before);
  });
});

describe('shipped models, folded vs as written', () => {
  // The folded sums round differently; on real inputs a class almost never changes. Features: the bundled
  // clips' cached features are not shipped, so random features at the normalised scale stand in.
  for (const name of ['kws-reactnet', 'kws-birealnet', 'digits-reactnet']) {
    it(`${name}: the same class at every exit on >= 99 % of clips`, async () => {
      const bee = readBee(readFileSync(`models/${name}.bee`));
      const folded = planModel(bee.description, bee.tensors);
      const plain = planModel(bee.description, bee.tensors, { foldPools: false });
      expect(folded.stages[0].layers.length).toBe(plain.stages[0].layers.length - 1);
      const n = 64;
      const rng = mulberry32(8);
      const x = Float32Array.from({ length: n * plain.inputElements }, () => (rng() + rng() + rng() - 1.5) * 1.5);
      const a = new CpuExecutor(folded);
      const b = new CpuExecutor(plain);
      await a.setInput(x, n);
      await b.setInput(x, n);
      const all = Uint32Array.from({ length: n }, (_, i) => i);
      let same = 0;
      let total = 0;
      for (let s = 0; s < plain.stages.length; s++) {
        const la = await a.runStage(s, all);
        const lb = await b.runStage(s, all);
        const k = plain.classes;
        for (let i = 0; i < n; i++) {
          const argmax = (l: Float32Array): number => l.subarray(i * k, (i + 1) * k).reduce((best, v, j, row) => (v > row[best] ? j : best), 0);
          same += argmax(la) === argmax(lb) ? 1 : 0;
          total++;
        }
      }
      expect(same / total).toBeGreaterThanOrEqual(0.99);
    });
  }
});
