import { describe, expect, it } from 'vitest';
import { isBeenetError } from '../../src/errors';
import { readBee, writeBee, type BeeModel } from '../../src/format/bee';
import { randomModel, RECIPE_NAMES, tinyModel } from '../helpers/random-model';
import { mulberry32 } from '../helpers/rng';
import { deepJson, editHeader, editModel, joinText, splitFile, tensorRange, type Json, type JsonObject } from './mutate';

const base = writeBee(tinyModel(1));

function catchError(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

type Edit = (m: JsonObject) => void;
const layer = (m: JsonObject, block: number, j: number): JsonObject =>
  (((((m.graph as JsonObject).blocks as Json[])[block] as JsonObject).layers as Json[])[j]) as JsonObject;
const exit = (m: JsonObject, i: number): JsonObject => ((m.graph as JsonObject).exits as Json[])[i] as JsonObject;
const frontend = (m: JsonObject): JsonObject => m.frontend as JsonObject;
const withModel = (edit: Edit) => (): Uint8Array => editModel(base, edit);

function setWord(name: string, index: number, word: number) {
  return (): Uint8Array => {
    const out = base.slice();
    const [b] = tensorRange(out, name);
    new DataView(out.buffer).setUint32(b + 4 * index, word, true);
    return out;
  };
}

function setU64(v: bigint) {
  return (): Uint8Array => {
    const out = base.slice();
    new DataView(out.buffer).setBigUint64(0, v, true);
    return out;
  };
}

const headerLen = Number(new DataView(base.buffer).getBigUint64(0, true));

// [case, make the bad file, fragment the message must contain]
const CORRUPTIONS: [string, () => Uint8Array, string | RegExp][] = [
  ['empty file', () => new Uint8Array(0), 'too short'],
  ['truncated in the length', () => base.slice(0, 5), 'too short'],
  ['truncated in the header', () => base.slice(0, 8 + headerLen / 2), 'runs past the end'],
  ['truncated in the data', () => base.slice(0, 8 + headerLen + 100), 'past the data section'],
  ['truncated by one byte', () => base.slice(0, base.length - 1), 'past the data section'],
  ['trailing bytes', () => { const b = new Uint8Array(base.length + 4); b.set(base); return b; }, 'trailing'],
  ['header length 2^50', setU64(2n ** 50n), 'limit'],
  ['header length 2^64-1', setU64(2n ** 64n - 1n), 'limit'],
  ['header length too small', setU64(1n), 'too small'],
  ['header not JSON', () => joinText('{"a": nope}', new Uint8Array(0)), 'not valid JSON'],
  ['header deeply nested', () => joinText(`{"a":${deepJson(100_000)}}`, new Uint8Array(0)), 'deeper than 64'],
  ['__proto__ tensor name', () => editHeader(base, (h) => {
    // An own '__proto__' key, as JSON.parse makes it (plain assignment would set the prototype instead).
    Object.defineProperty(h, '__proto__', { value: h['stem.l0.flip'], enumerable: true, writable: true, configurable: true });
    delete h['stem.l0.flip'];
  }), "'__proto__'"],
  ['overlapping ranges', () => editHeader(base, (h) => { (h['b0.l0.flip'] as JsonObject).data_offsets = (h['b0.l0.threshold'] as JsonObject).data_offsets; }), 'overlap'],
  ['hole in the data', () => editHeader(base, (h, d) => {
    // Move the last tensor 8 bytes further: an 8-byte gap nobody owns.
    const last = Object.values(h).filter((e): e is JsonObject => (e as JsonObject).data_offsets !== undefined)
      .sort((a, b) => (b.data_offsets as number[])[0] - (a.data_offsets as number[])[0])[0];
    const o = last.data_offsets as number[];
    last.data_offsets = [o[0] + 8, o[1] + 8];
    const res = new Uint8Array(d.length + 8);
    res.set(d.subarray(0, o[0]));
    res.set(d.subarray(o[0]), o[0] + 8);
    return res;
  }), 'hole'],
  ['unsupported dtype', () => editHeader(base, (h) => { (h['stem.l0.weights'] as JsonObject).dtype = 'F16'; }), "dtype 'F16'"],
  ['wrong dtype', () => editHeader(base, (h) => { (h['stem.l0.weights'] as JsonObject).dtype = 'I32'; }), /stem\.l0\.weights.*dtype I32, expected F32/],
  ['wrong shape', () => editHeader(base, (h) => { ((h['b0.l0.weights'] as JsonObject).shape as number[]).reverse(); }), /b0\.l0\.weights.*expected \[33,3,3,1\]/],
  ['byte count not matching the shape', () => editHeader(base, (h) => { ((h['b0.l0.flip'] as JsonObject).shape as number[])[0] = 32; }), "tensor 'b0.l0.flip'"],
  ['NaN weight', setWord('stem.l0.weights', 3, 0x7fc00000), /stem\.l0\.weights.*element 3 is NaN/],
  ['Infinity weight', setWord('b1.l0.mul', 0, 0xff800000), /b1\.l0\.mul.*-Infinity/],
  ['flip = 2', setWord('b0.l0.flip', 5, 2), /b0\.l0\.flip.*flip\[5\] is 2/],
  ['std = 0', setWord('frontend.std', 1, 0), /frontend\.std.*std\[1\] is 0/],
  ['padding bits in binary weights', setWord('b1.l0.weights', 1, 0x80000000), /b1\.l0\.weights.*padding bits/],
  ['metadata without model', () => editHeader(base, (h) => { h.__metadata__ = { other: 'x' }; }), '__metadata__.model: missing'],
  ['metadata value not a string', () => editHeader(base, (h) => { (h.__metadata__ as JsonObject).model = 3; }), '__metadata__.model'],
  ['description not JSON', () => editHeader(base, (h) => { (h.__metadata__ as JsonObject).model = '{"format":'; }), '__metadata__.model: not valid JSON'],
  ['description deeply nested', () => editHeader(base, (h) => { (h.__metadata__ as JsonObject).model = deepJson(1000); }), '__metadata__.model: JSON nested deeper'],
  ['wrong format', withModel((m) => { m.format = 'onnx'; }), 'model.format'],
  ['unknown version', withModel((m) => { m.version = 2; }), 'unsupported version 2'],
  ['unknown top-level field', withModel((m) => { m.weights = 1; }), "unknown field 'weights'"],
  ['empty labels', withModel((m) => { m.labels = []; }), 'model.labels'],
  ['duplicate labels', withModel((m) => { (m.labels as string[])[1] = 'label0'; }), "label 'label0' appears twice"],
  ['label count mismatch', withModel((m) => { (m.labels as string[]).pop(); }), "logits 'e0.l1' has 5 values, model has 4 labels"],
  ['window longer than fft', withModel((m) => { frontend(m).windowSamples = 1024; }), 'model.frontend.windowSamples'],
  ['fft size not a power of two', withModel((m) => { frontend(m).fftSize = 500; }), 'power of two'],
  ['fMax above Nyquist', withModel((m) => { frontend(m).fMaxHz = 9000; }), 'Nyquist'],
  ['mel bands mismatch', withModel((m) => { frontend(m).melBands = 40; }), 'mel bands'],
  ['unknown layer type', withModel((m) => { layer(m, 1, 0).type = 'conv3d'; }), 'block 1 layer 0: unknown layer type "conv3d"'],
  ['bad kernel', withModel((m) => { layer(m, 0, 0).kernel = [0, 3]; }), 'block 0 layer 0 (bconv).kernel[0]'],
  ['bad padding', withModel((m) => { layer(m, 0, 0).padding = 'reflect'; }), 'block 0 layer 0 (bconv).padding'],
  ['bad activation', withModel((m) => { ((layer(m, 1, 0).transform as JsonObject).activation as JsonObject).kind = 'gelu'; }), 'activation.kind'],
  ['unknown value', withModel((m) => { layer(m, 1, 0).input = 'foo'; }), "block 1 layer 0 (bconv): unknown value 'foo'"],
  ['value defined twice', withModel((m) => { layer(m, 1, 0).output = 'b0.l0'; }), "value 'b0.l0' defined twice"],
  ['float into bconv', withModel((m) => { layer(m, 2, 1).input = 'b1.l0'; }), "block 2 layer 1 (bconv): input 'b1.l0' is float, expected packed bits"],
  ['residual shape mismatch', withModel((m) => { (layer(m, 2, 1).transform as JsonObject).residual = 'input'; }), "residual 'input' has shape [16,12,1], output has [4,3,31]"],
  ['output size <= 0', withModel((m) => { const l = ((m.graph as JsonObject).stem as JsonObject[])[0]; l.kernel = [17, 3]; l.padding = 'valid'; }), 'stem layer 0 (conv_real): output height 0 <= 0'],
  ['exit after a non-existent block', withModel((m) => { exit(m, 2).after = 7; }), 'exit 2: after 7 does not name a block'],
  ['exits out of order', withModel((m) => { exit(m, 1).after = 0; }), 'exit 1: after 0 must be greater'],
  ['missing tensor', withModel((m) => { layer(m, 0, 0).weights = 'nope'; }), "tensor 'nope' (weights of block 0 layer 0 (bconv)): missing"],
  ['extra tensor', withModel((m) => { frontend(m).normalization = null; }), /unexpected tensor 'frontend\.(mean|std)'/],
  ['thresholds count', withModel((m) => { ((m.exitPolicy as JsonObject).thresholds as number[]).pop(); }), '2 thresholds for 3 exits'],
  ['threshold above 1', withModel((m) => { ((m.exitPolicy as JsonObject).thresholds as number[])[0] = 1.5; }), 'model.exitPolicy.thresholds[0]: 1.5 is outside [0, 1]'],
  ['bad criterion', withModel((m) => { (m.exitPolicy as JsonObject).criterion = 'margin'; }), 'model.exitPolicy.criterion'],
  ['ops mismatch', withModel((m) => { (((m.ops as JsonObject).blocks as JsonObject[])[0]).binaryOps = 1; }), 'model.ops.blocks[0].binaryOps is 1'],
  ['ops missing', withModel((m) => { delete m.ops; }), 'model.ops'],
  ['__proto__ in provenance', withModel((m) => { m.provenance = JSON.parse('{"__proto__": "x"}') as Json; }), "key '__proto__'"],
  ['huge label', withModel((m) => { (m.labels as string[])[0] = 'x'.repeat(10_000); }), 'model.labels[0]: string longer'],
];

describe('.bee round trip', () => {
  it.each([...RECIPE_NAMES])('preset %s reads back equal', (name) => {
    const m = randomModel(mulberry32(3), { recipe: name });
    const back = readBee(writeBee(m));
    expect(back).toEqual(m);
    expect([...back.tensors.keys()]).toEqual([...m.tensors.keys()]);
  });

  it('random architectures read back equal', () => {
    for (let s = 0; s < 25; s++) {
      const m = randomModel(mulberry32(100 + s), { recipe: 'random' });
      expect(readBee(writeBee(m))).toEqual(m);
    }
  });

  it('accepts an ArrayBuffer and does not modify the input', () => {
    const copy = base.slice();
    const m = readBee(copy.buffer);
    expect(copy).toEqual(base);
    expect(m).toEqual(tinyModel(1));
  });

  it('writeBee refuses what readBee would refuse', () => {
    const m: BeeModel = tinyModel(1);
    (m.tensors.get('b0.l0.flip')?.data as Uint32Array)[0] = 3;
    const e = catchError(() => writeBee(m));
    expect(isBeenetError(e, 'MODEL_FORMAT')).toBe(true);
    expect((e as Error).message).toContain('b0.l0.flip');
    const n = tinyModel(1);
    n.description.exitPolicy.thresholds[0] = Number.NaN;
    expect((catchError(() => writeBee(n)) as Error).message).toContain('thresholds[0]');
  });

  it('ignores extra metadata entries', () => {
    const bytes = editHeader(base, (h) => { (h.__metadata__ as JsonObject).format = 'pt'; });
    expect(readBee(bytes)).toEqual(tinyModel(1));
    expect(splitFile(bytes).header.__metadata__).toHaveProperty('format');
  });
});

describe('.bee validation', () => {
  it('has ~30+ distinct corruption cases', () => {
    expect(CORRUPTIONS.length).toBeGreaterThanOrEqual(30);
  });

  it.each(CORRUPTIONS)('%s', (_name, make, fragment) => {
    const bytes = make();
    const e = catchError(() => readBee(bytes));
    expect(isBeenetError(e, 'MODEL_FORMAT'), `expected MODEL_FORMAT, got ${String(e)}`).toBe(true);
    if (typeof fragment === 'string') expect((e as Error).message).toContain(fragment);
    else expect((e as Error).message).toMatch(fragment);
  });
});
