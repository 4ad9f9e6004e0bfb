import { describe, expect, it } from 'vitest';
import { isBeenetError } from '../../src/errors';
import { readSafetensors, writeSafetensors, type Tensor } from '../../src/format/safetensors';
import { joinText } from './mutate';

function sample(): Map<string, Tensor> {
  return new Map<string, Tensor>([
    ['a', { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, -0.5]) }],
    ['b', { dtype: 'I32', shape: [3], data: new Int32Array([-1, 0, 2 ** 31 - 1]) }],
    ['c', { dtype: 'U32', shape: [1], data: new Uint32Array([0xffffffff]) }],
    ['empty', { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) }],
    ['scalar', { dtype: 'F32', shape: [], data: new Float32Array([7]) }],
  ]);
}

function expectFormatError(f: () => unknown, fragment: string | RegExp): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(isBeenetError(caught, 'MODEL_FORMAT'), `expected MODEL_FORMAT, got ${String(caught)}`).toBe(true);
  const msg = (caught as Error).message;
  if (typeof fragment === 'string') expect(msg).toContain(fragment);
  else expect(msg).toMatch(fragment);
}

const header = (obj: unknown, data = new Uint8Array(0)): Uint8Array => joinText(JSON.stringify(obj), data);

describe('safetensors', () => {
  it('round-trips tensors and metadata', () => {
    const bytes = writeSafetensors(sample(), new Map([['k', 'v'], ['model', '{"x":1}']]));
    const f = readSafetensors(bytes);
    expect([...f.tensors.keys()]).toEqual(['a', 'b', 'c', 'empty', 'scalar']);
    expect(f.tensors).toEqual(sample());
    expect(f.metadata).toEqual(new Map([['k', 'v'], ['model', '{"x":1}']]));
  });

  it('pads the header with spaces to a multiple of 8 and lays data out contiguously', () => {
    const bytes = writeSafetensors(sample());
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text.trimEnd().endsWith('}')).toBe(true);
    const h = JSON.parse(text) as Record<string, { data_offsets: number[] }>;
    expect(h.a.data_offsets).toEqual([0, 24]);
    expect(h.b.data_offsets).toEqual([24, 36]);
    expect(bytes.length).toBe(8 + n + 24 + 12 + 4 + 0 + 4);
  });

  it('returns copies and leaves the caller bytes alone', () => {
    const bytes = writeSafetensors(sample());
    const before = bytes.slice();
    const f = readSafetensors(bytes);
    const a = f.tensors.get('a') as Tensor;
    expect(a.data.buffer).not.toBe(bytes.buffer);
    a.data[0] = 99;
    expect(bytes).toEqual(before);
    expect(readSafetensors(bytes).tensors.get('a')?.data[0]).toBe(1);
    // An unaligned view into a bigger buffer reads the same.
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 3);
    expect(readSafetensors(big.subarray(3)).tensors).toEqual(sample());
    expect(readSafetensors(bytes.buffer.slice(0) as ArrayBuffer).tensors).toEqual(sample());
  });

  it('rejects header lengths that do not fit, without allocating them', () => {
    const bytes = writeSafetensors(sample());
    for (const v of [2n ** 50n, 2n ** 64n - 1n, 100_000_001n]) {
      const b = bytes.slice();
      new DataView(b.buffer).setBigUint64(0, v, true);
      expectFormatError(() => readSafetensors(b), 'limit');
    }
    const b = bytes.slice();
    new DataView(b.buffer).setBigUint64(0, BigInt(bytes.length), true);
    expectFormatError(() => readSafetensors(b), 'runs past the end');
    expectFormatError(() => readSafetensors(bytes.slice(0, 5)), 'too short');
  });

  it('rejects bad JSON, deep nesting and non-objects', () => {
    expectFormatError(() => readSafetensors(joinText('{"a": [1, 2', new Uint8Array(0))), 'not valid JSON');
    expectFormatError(() => readSafetensors(joinText(`{"a":${'['.repeat(65)}${']'.repeat(65)}}`, new Uint8Array(0))), 'deeper than 64');
    expectFormatError(() => readSafetensors(joinText(`{"a":${'['.repeat(1e6)}`, new Uint8Array(0))), 'deeper than 64');
    expectFormatError(() => readSafetensors(joinText('[1]', new Uint8Array(0))), 'JSON object');
    const bad = joinText('{"a":"\u00e9"}', new Uint8Array(0));
    bad[13] = 0xff;
    expectFormatError(() => readSafetensors(bad), 'UTF-8');
  });

  it('accepts brackets inside strings without counting them as nesting', () => {
    const f = readSafetensors(header({ __metadata__: { s: '[[[[[[[['.repeat(20) } }));
    expect(f.metadata.get('s')?.length).toBe(160);
  });

  it('rejects prototype names, unknown dtypes, bad shapes and offsets', () => {
    const d4 = new Uint8Array(4);
    const t = (e: unknown): Uint8Array => header({ x: e }, d4);
    expectFormatError(() => readSafetensors(joinText('{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', d4)), "'__proto__'");
    expectFormatError(() => readSafetensors(header({ constructor: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, d4)), "'constructor'");
    expectFormatError(() => readSafetensors(t({ dtype: 'F16', shape: [2], data_offsets: [0, 4] })), "dtype 'F16'");
    expectFormatError(() => readSafetensors(t({ dtype: 'F32', shape: [-1], data_offsets: [0, 4] })), 'non-negative');
    expectFormatError(() => readSafetensors(t({ dtype: 'F32', shape: [1.5], data_offsets: [0, 4] })), 'non-negative');
    expectFormatError(() => readSafetensors(t({ dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] })), 'too many');
    expectFormatError(() => readSafetensors(t({ dtype: 'F32', shape: [2], data_offsets: [0, 4] })), 'needs 8');
    expectFormatError(() => readSafetensors(t({ dtype: 'F32', shape: [1], data_offsets: [4, 0] })), 'begin <= end');
    expectFormatError(() => readSafetensors(t({ dtype: 'F32', shape: [1], data_offsets: [4, 8] })), 'past the data section');
    expectFormatError(() => readSafetensors(t({ dtype: 'F32', shape: [1], data_offsets: [0, 4], extra: 1 })), "unknown header field 'extra'");
    expectFormatError(() => readSafetensors(header({ __metadata__: { a: 1 } })), '__metadata__.a');
  });

  it('requires the data section covered exactly: no overlap, no hole, no trailing bytes', () => {
    const e = (b: number): unknown => ({ dtype: 'U32', shape: [1], data_offsets: [b, b + 4] });
    expectFormatError(() => readSafetensors(header({ x: e(0), y: e(0) }, new Uint8Array(8))), 'overlap');
    expectFormatError(() => readSafetensors(header({ x: e(0), y: e(8) }, new Uint8Array(12))), 'hole');
    expectFormatError(() => readSafetensors(header({ x: e(0) }, new Uint8Array(8))), 'trailing');
    expect(readSafetensors(header({ y: e(4), x: e(0) }, new Uint8Array(8))).tensors.size).toBe(2);
  });

  it('checks what it writes', () => {
    expectFormatError(() => writeSafetensors(new Map([['x', { dtype: 'F32', shape: [3], data: new Float32Array(2) }]])), 'needs 3');
    expectFormatError(() => writeSafetensors(new Map([['x', { dtype: 'I32', shape: [2], data: new Float32Array(2) }]])), 'data is F32');
    expectFormatError(() => writeSafetensors(new Map([['__proto__', { dtype: 'F32', shape: [0], data: new Float32Array(0) }]])), 'not allowed');
  });
});
