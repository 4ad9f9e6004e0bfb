import { describe, expect, it } from 'vitest';
import { isBeenetError } from '../../src/errors';
import type { Layer, ModelGraph } from '../../src/model/graph';
import { inferShapes, outputSize } from '../../src/model/shapes';
import { tinyModel } from '../helpers/random-model';

const thr = { kind: 'threshold', threshold: 't', flip: 'f' } as const;
const aff = (residual: string | null = null) =>
  ({ kind: 'affine', mul: 'm', add: 'a', residual, activation: { kind: 'none' } }) as const;

function graph(stem: Layer[], block: Layer[], head: Layer[], logits: string): ModelGraph {
  return { inputShape: [9, 7, 1], stem, blocks: [{ layers: block }], exits: [{ after: 0, layers: head, logits }] };
}

const convR = (input: string, output: string, extra: Partial<Layer> = {}): Layer => ({
  type: 'conv_real', input, output, kernel: [3, 3], stride: [1, 1], padding: 'same', outChannels: 4, weights: 'w',
  transform: aff(), ...extra,
} as Layer);

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(isBeenetError(e, 'MODEL_FORMAT')).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('outputSize', () => {
  it('follows the same/valid rules', () => {
    expect(outputSize(9, 3, 1, 'same')).toBe(9);
    expect(outputSize(9, 3, 2, 'same')).toBe(5);
    expect(outputSize(8, 3, 2, 'same')).toBe(4);
    expect(outputSize(9, 3, 1, 'valid')).toBe(7);
    expect(outputSize(9, 3, 2, 'valid')).toBe(4);
    expect(outputSize(8, 3, 2, 'valid')).toBe(3);
    expect(outputSize(2, 3, 1, 'valid')).toBe(0);
    expect(outputSize(1, 5, 3, 'same')).toBe(1);
  });
});

describe('inferShapes', () => {
  it('walks stem, blocks and exits with kinds and shapes', () => {
    const g = graph(
      [convR('input', 's', { stride: [2, 2] } as Partial<Layer>), { type: 'pack', input: 's', output: 'p', threshold: 't', flip: 'f' }],
      [
        { type: 'bconv', input: 'p', output: 'b', kernel: [3, 3], stride: [1, 1], padding: 'valid', outChannels: 33, weights: 'w', transform: thr },
        { type: 'maxpool', input: 'b', output: 'mp', kernel: [2, 2], stride: [1, 1] },
        { type: 'bconv', input: 'mp', output: 'r', kernel: [1, 1], stride: [1, 1], padding: 'same', outChannels: 4, weights: 'w', transform: aff() },
      ],
      [
        { type: 'gap', input: 'mp', output: 'g' },
        { type: 'pack', input: 'g', output: 'gp', threshold: 't', flip: 'f' },
        { type: 'bdense', input: 'gp', output: 'z', outFeatures: 6, weights: 'w', transform: aff() },
      ],
      'z',
    );
    const s = inferShapes(g, 6);
    expect(Object.fromEntries(s)).toEqual({
      input: { kind: 'float', shape: [9, 7, 1] },
      s: { kind: 'float', shape: [5, 4, 4] },
      p: { kind: 'bits', shape: [5, 4, 4] },
      b: { kind: 'bits', shape: [3, 2, 33] },
      mp: { kind: 'bits', shape: [2, 1, 33] },
      r: { kind: 'float', shape: [2, 1, 4] },
      g: { kind: 'float', shape: [33] },
      gp: { kind: 'bits', shape: [33] },
      z: { kind: 'float', shape: [6] },
    });
  });

  it('flattens dense inputs and takes [1,1,C] bits in bdense', () => {
    const g = graph(
      [{ type: 'pack', input: 'input', output: 'p', threshold: 't', flip: 'f' }],
      [{ type: 'maxpool', input: 'p', output: 'm', kernel: [9, 7], stride: [1, 1] }],
      [
        { type: 'bdense', input: 'm', output: 'h', outFeatures: 40, weights: 'w', transform: thr },
        { type: 'bdense', input: 'h', output: 'z', outFeatures: 3, weights: 'w', transform: aff() },
      ],
      'z',
    );
    expect(inferShapes(g, 3).get('h')).toEqual({ kind: 'bits', shape: [40] });
    const d = graph([], [{ type: 'avgpool', input: 'input', output: 'a', kernel: [2, 2], stride: [2, 2] }],
      [{ type: 'dense', input: 'a', output: 'z', outFeatures: 3, weights: 'w', bias: 'b' }], 'z');
    expect(inferShapes(d, 3).get('a')).toEqual({ kind: 'float', shape: [4, 3, 1] });
  });

  it('names the layer and the problem', () => {
    const head: Layer[] = [{ type: 'gap', input: 'x', output: 'g' }, { type: 'dense', input: 'g', output: 'z', outFeatures: 3, weights: 'w', bias: 'b' }];
    const conv = convR('input', 'x');
    expect(errorOf(() => inferShapes(graph([conv], [], head, 'z'), 4))).toBe("exit 0: logits 'z' has 3 values, model has 4 labels");
    expect(errorOf(() => inferShapes(graph([conv], [convR('x', 'x')], head, 'z'), 3))).toContain("block 0 layer 0 (conv_real): value 'x' defined twice");
    expect(errorOf(() => inferShapes(graph([conv], [convR('foo', 'y')], head, 'z'), 3))).toBe("block 0 layer 0 (conv_real): unknown value 'foo'");
    expect(errorOf(() => inferShapes(graph([conv], [{ type: 'bconv', input: 'x', output: 'y', kernel: [1, 1], stride: [1, 1], padding: 'same', outChannels: 2, weights: 'w', transform: thr }], head, 'z'), 3)))
      .toBe("block 0 layer 0 (bconv): input 'x' is float, expected packed bits");
    expect(errorOf(() => inferShapes(graph([conv], [{ type: 'pack', input: 'x', output: 'p', threshold: 't', flip: 'f' }, { type: 'avgpool', input: 'p', output: 'q', kernel: [2, 2], stride: [1, 1] }], head, 'z'), 3)))
      .toContain("block 0 layer 1 (avgpool): input 'p' is packed bits, expected float");
    expect(errorOf(() => inferShapes(graph([conv], [convR('x', 'y', { padding: 'valid', kernel: [10, 1] } as Partial<Layer>)], head, 'z'), 3)))
      .toBe('block 0 layer 0 (conv_real): output height 0 <= 0 (input 9, kernel 10, stride 1, valid)');
    expect(errorOf(() => inferShapes(graph([conv], [convR('x', 'y', { outChannels: 5, transform: aff('x') } as Partial<Layer>)], head, 'z'), 3)))
      .toBe("block 0 layer 0 (conv_real): residual 'x' has shape [9,7,4], output has [9,7,5]");
    expect(errorOf(() => inferShapes(graph([conv], [], [{ type: 'pack', input: 'x', output: 'p', threshold: 't', flip: 'f' }, { type: 'bdense', input: 'p', output: 'z', outFeatures: 3, weights: 'w', transform: aff() }], 'z'), 3)))
      .toContain('bdense takes a bits vector');
    expect(errorOf(() => inferShapes(graph([conv], [], [{ type: 'gap', input: 'x', output: 'g' }, { type: 'maxpool', input: 'g', output: 'q', kernel: [1, 1], stride: [1, 1] }], 'q'), 3)))
      .toContain('expected a [H,W,C] map');
    expect(errorOf(() => inferShapes(graph([conv], [], [{ type: 'gap', input: 'x', output: 'g' }, { type: 'pack', input: 'g', output: 'z', threshold: 't', flip: 'f' }], 'z'), 3)))
      .toBe("exit 0: logits 'z' is packed bits, expected float");
  });

  it('keeps exit values private to their exit and exits in block order', () => {
    const m = tinyModel(1).description.graph;
    const bad = structuredClone(m);
    bad.blocks[1].layers[0].input = 'e0.l0';
    expect(errorOf(() => inferShapes(bad, 5))).toContain("value 'e0.l0' (defined in exit 0 layer 0 (gap)) is not visible here");
    const late = structuredClone(m);
    late.exits[2].after = 1;
    expect(errorOf(() => inferShapes(late, 5))).toContain('exit 2: after 1 must be greater');
    const short = structuredClone(m);
    short.exits.pop();
    expect(errorOf(() => inferShapes(short, 5))).toContain('the last exit must follow the last block (2)');
    expect(inferShapes(m, 5).get('e2.l2')).toEqual({ kind: 'float', shape: [5] });
  });
});
