// Writes the committed regression set test/fixtures/bad-models/: small corrupt `.bee` files and index.json
// (file -> fragment the MODEL_FORMAT message must contain).
//   npx tsx scripts/stress/make-bad-models.ts

import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeBee } from '../../src/format/bee';
import { deepJson, editHeader, editModel, joinText, tensorRange, type Json, type JsonObject } from '../../test/format/mutate';
import { tinyModel } from '../../test/helpers/random-model';

const dir = join(import.meta.dirname, '../../test/fixtures/bad-models');
const base = writeBee(tinyModel(1));

const blockLayer = (m: JsonObject, b: number, j: number): JsonObject =>
  ((((m.graph as JsonObject).blocks as Json[])[b] as JsonObject).layers as JsonObject[])[j];

function setWord(name: string, index: number, word: number): Uint8Array {
  const out = base.slice();
  const [b] = tensorRange(out, name);
  new DataView(out.buffer).setUint32(b + 4 * index, word, true);
  return out;
}

function headerLength(v: bigint): Uint8Array {
  const out = base.slice();
  new DataView(out.buffer).setBigUint64(0, v, true);
  return out;
}

const cases: [string, Uint8Array, string][] = [
  ['truncated.bee', base.slice(0, base.length - 100), 'past the data section'],
  ['header-length-2p50.bee', headerLength(2n ** 50n), 'limit'],
  ['deep-header.bee', joinText(`{"a":${deepJson(5000)}}`, new Uint8Array(0)), 'deeper than 64'],
  ['proto-tensor-name.bee', editHeader(base, (h) => {
    Object.defineProperty(h, '__proto__', { value: h['stem.l0.flip'], enumerable: true, writable: true, configurable: true });
    delete h['stem.l0.flip'];
  }), "'__proto__'"],
  ['overlap.bee', editHeader(base, (h) => { (h['b0.l0.flip'] as JsonObject).data_offsets = (h['b0.l0.threshold'] as JsonObject).data_offsets; }), 'overlap'],
  ['nan-weight.bee', setWord('stem.l0.weights', 3, 0x7fc00000), "tensor 'stem.l0.weights'"],
  ['flip-2.bee', setWord('b0.l0.flip', 5, 2), 'flip[5] is 2'],
  ['padding-bits.bee', setWord('b1.l0.weights', 1, 0x80000000), 'padding bits'],
  ['unknown-layer.bee', editModel(base, (m) => { blockLayer(m, 1, 0).type = 'conv3d'; }), 'unknown layer type "conv3d"'],
  ['version-2.bee', editModel(base, (m) => { m.version = 2; }), 'unsupported version 2'],
  ['missing-tensor.bee', editModel(base, (m) => { blockLayer(m, 0, 0).weights = 'nope'; }), "tensor 'nope'"],
  ['extra-tensor.bee', editModel(base, (m) => { (m.frontend as JsonObject).normalization = null; }), 'unexpected tensor'],
  ['label-mismatch.bee', editModel(base, (m) => { (m.labels as string[]).pop(); }), 'has 5 values, model has 4 labels'],
  ['residual-shape.bee', editModel(base, (m) => { (blockLayer(m, 2, 1).transform as JsonObject).residual = 'input'; }), "residual 'input' has shape [16,12,1]"],
  ['exit-after-missing-block.bee', editModel(base, (m) => { (((m.graph as JsonObject).exits as JsonObject[])[2]).after = 7; }), 'does not name a block'],
];

mkdirSync(dir, { recursive: true });
for (const f of readdirSync(dir)) if (f.endsWith('.bee')) rmSync(join(dir, f));
const index: Record<string, string> = {};
for (const [name, bytes, fragment] of cases) {
  if (bytes.length >= 20_000) throw new Error(`${name} is ${bytes.length} bytes, keep fixtures under 20 KB`);
  writeFileSync(join(dir, name), bytes);
  index[name] = fragment;
}
writeFileSync(join(dir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
console.log(`wrote ${cases.length} files to ${dir}`);
