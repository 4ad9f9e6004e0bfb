import { describe, expect, it } from 'vitest';
import type { Layer } from '../../src/model/graph';
import { inferShapes } from '../../src/model/shapes';
import { randomModel, RECIPE_NAMES, tinyModel } from '../helpers/random-model';
import { mulberry32 } from '../helpers/rng';

describe('random models', () => {
  it('cover every layer type, transform and activation across the presets', () => {
    const seen = new Set<string>();
    const channels = new Set<number>();
    for (const name of RECIPE_NAMES) {
      const d = randomModel(mulberry32(2), { recipe: name }).description;
      const shapes = inferShapes(d.graph, d.labels.length);
      const all: Layer[] = [...d.graph.stem, ...d.graph.blocks.flatMap((b) => b.layers), ...d.graph.exits.flatMap((e) => e.layers)];
      for (const l of all) {
        const inKind = shapes.get(l.input)?.kind;
        seen.add(`${l.type}:${inKind}`);
        if ('padding' in l) seen.add(`padding:${l.padding}`);
        if ('stride' in l && (l.stride[0] > 1 || l.stride[1] > 1)) seen.add(`stride:${l.type}`);
        if ('transform' in l) {
          const t = l.transform;
          seen.add(`${l.type}->${t.kind}`);
          if (t.kind === 'affine') {
            seen.add(`act:${t.activation.kind}`);
            if (t.residual) seen.add('residual');
          }
        }
        if ('outChannels' in l) channels.add(l.outChannels);
      }
    }
    for (const k of [
      'conv_real:float', 'bconv:bits', 'pack:float', 'maxpool:bits', 'maxpool:float', 'avgpool:float', 'gap:bits', 'gap:float',
      'dense:float', 'bdense:bits', 'conv_real->affine', 'conv_real->threshold', 'bconv->affine', 'bconv->threshold',
      'bdense->affine', 'bdense->threshold', 'act:none', 'act:relu', 'act:prelu', 'act:rprelu', 'residual',
      'padding:same', 'padding:valid', 'stride:bconv', 'stride:conv_real',
    ]) expect(seen, k).toContain(k);
    for (const c of [1, 31, 33, 100]) expect(channels).toContain(c);
  });

  it('are reproducible from the seed', () => {
    expect(tinyModel(5)).toEqual(tinyModel(5));
    expect(tinyModel(5)).not.toEqual(tinyModel(6));
  });

  it('make thresholded bconv outputs mixed', () => {
    // A threshold within sqrt(K) of 0 keeps both signs likely for random inputs.
    const m = tinyModel(1);
    const t = m.tensors.get('b0.l0.threshold')?.data as Int32Array;
    const k = 3 * 3 * 8;
    for (const v of t) expect(Math.abs(v)).toBeLessThanOrEqual(Math.round(Math.sqrt(k)));
  });

  it('honour input shape and label overrides', () => {
    const m = randomModel(mulberry32(1), { recipe: 'xnor', inputShape: [64, 40, 1], labels: 7, criterion: 'maxprob' });
    expect(m.description.graph.inputShape).toEqual([64, 40, 1]);
    expect(m.description.labels).toHaveLength(7);
    expect(m.description.exitPolicy.criterion).toBe('maxprob');
    expect(m.description.exitPolicy.thresholds).toHaveLength(3);
  });
});
