import { describe, expect, it } from 'vitest';
import type { ModelGraph } from '../../src/model/graph';
import { countOps } from '../../src/model/ops';
import { analyzeGraph } from '../../src/model/shapes';
import { layerParams, paramScalars } from '../../src/model/params';
import { RECIPE_NAMES, randomModel } from '../helpers/random-model';
import { mulberry32 } from '../helpers/rng';

// input [4,4,1]
//  stem  conv_real 3x3 same, 2 out, threshold -> bits [4,4,2]
//        float MACs 16*2*9*1 = 288, threshold 32       -> float 320; params 2*9*1 + 2 + 2 = 22
//  block bconv 3x3 valid, 3 out, affine + relu -> float [2,2,3]
//        binary MACs 4*3*9*2 = 216; (2 + 1) * 12 = 36  -> float 36;  params 3*9*2 (bits) + 3 + 3 = 60
//  exit  gap -> [3]: 12; dense 5: 5*3 + 5 = 20          -> float 32;  params 15 + 5 = 20
const g: ModelGraph = {
  inputShape: [4, 4, 1],
  stem: [{
    type: 'conv_real', input: 'input', output: 's', kernel: [3, 3], stride: [1, 1], padding: 'same', outChannels: 2,
    weights: 'sw', transform: { kind: 'threshold', threshold: 'st', flip: 'sf' },
  }],
  blocks: [{
    layers: [{
      type: 'bconv', input: 's', output: 'b', kernel: [3, 3], stride: [1, 1], padding: 'valid', outChannels: 3, weights: 'bw',
      transform: { kind: 'affine', mul: 'bm', add: 'ba', residual: null, activation: { kind: 'relu' } },
    }],
  }],
  exits: [{
    after: 0, logits: 'z',
    layers: [{ type: 'gap', input: 'b', output: 'g' }, { type: 'dense', input: 'g', output: 'z', outFeatures: 5, weights: 'dw', bias: 'db' }],
  }],
};

describe('countOps', () => {
  it('counts a hand-worked graph', () => {
    expect(countOps(g, 5)).toEqual({
      blocks: [{ binaryOps: 216, floatOps: 356, params: 82 }],
      exits: [{ binaryOps: 0, floatOps: 32, params: 20 }],
    });
    expect(countOps(g)).toEqual(countOps(g, 5));
  });

  it('lists the parameter tensors with dtypes and shapes', () => {
    const s = analyzeGraph(g, 5);
    const specs = s.layers.flatMap((l) => layerParams(l.layer, l.input).map((p) => [p.name, p.dtype, p.shape]));
    expect(specs).toEqual([
      ['sw', 'F32', [2, 3, 3, 1]], ['st', 'F32', [2]], ['sf', 'U32', [2]],
      ['bw', 'U32', [3, 3, 3, 1]], ['bm', 'F32', [3]], ['ba', 'F32', [3]],
      ['dw', 'F32', [5, 3]], ['db', 'F32', [5]],
    ]);
    const bw = layerParams(s.layers[1].layer, s.layers[1].input)[0];
    expect(paramScalars(bw)).toBe(54);
  });

  it('binary weights count one per weight, not per word', () => {
    for (const name of RECIPE_NAMES) {
      const m = randomModel(mulberry32(1), { recipe: name });
      const ops = countOps(m.description.graph);
      let words = 0;
      for (const t of m.tensors.values()) words += t.data.length;
      const total = [...ops.blocks, ...ops.exits].reduce((a, c) => a + c.params, 0);
      const normalisation = m.description.frontend.normalization ? 2 * m.description.frontend.melBands : 0;
      // Every tensor counted once, except packed words that stand for up to 32 weights.
      expect(total).toBeGreaterThanOrEqual(words - normalisation);
    }
  });
});

describe('docs/model-format.md example', () => {
  it('parses and its ops match countOps', async () => {
    const { readFileSync } = await import('node:fs');
    const { parseDescription } = await import('../../src/format/description');
    const md = readFileSync(new URL('../../docs/model-format.md', import.meta.url), 'utf8');
    const d = parseDescription(JSON.parse(md.split('```json')[1].split('```')[0]));
    expect(countOps(d.graph, d.labels.length)).toEqual(d.ops);
  });
});
