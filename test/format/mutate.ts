// Corruptions of `.bee` files, shared by the format tests, the fuzz test, the bad-model generator and the
// stress script. These helpers trust their input (a valid file): they are for making bad files, not reading them.

import { writeSafetensors, type Tensor } from '../../src/format/safetensors';
import { pick, randInt, type Rng } from '../helpers/rng';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export interface RawFile {
  header: JsonObject;
  data: Uint8Array;
}

export function splitFile(bytes: Uint8Array): RawFile {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as JsonObject;
  return { header, data: bytes.slice(8 + n) };
}

/** Header text as given (no padding unless asked), then the data. */
export function joinText(text: string, data: Uint8Array, pad = true): Uint8Array {
  let json = new TextEncoder().encode(text);
  if (pad && json.length % 8 !== 0) {
    const padded = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

export function joinFile(f: RawFile): Uint8Array {
  return joinText(JSON.stringify(f.header), f.data);
}

/** Edits the safetensors header JSON (tensor entries and __metadata__) of a file. */
export function editHeader(bytes: Uint8Array, fn: (h: JsonObject, data: Uint8Array) => Uint8Array | void): Uint8Array {
  const f = splitFile(bytes);
  const data = fn(f.header, f.data) ?? f.data;
  return joinFile({ header: f.header, data });
}

/** Edits the model description (the JSON inside __metadata__.model). */
export function editModel(bytes: Uint8Array, fn: (m: JsonObject) => void): Uint8Array {
  return editHeader(bytes, (h) => {
    const meta = h.__metadata__ as JsonObject;
    const m = JSON.parse(meta.model as string) as JsonObject;
    fn(m);
    meta.model = JSON.stringify(m);
  });
}

/** Writes a description (any JSON) with tensors, skipping the model checks. */
export function writeRaw(description: unknown, tensors: ReadonlyMap<string, Tensor>): Uint8Array {
  return writeSafetensors(tensors, new Map([['model', JSON.stringify(description)]]));
}

/** Byte range of one tensor's data inside the whole file. */
export function tensorRange(bytes: Uint8Array, name: string): [number, number] {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const f = splitFile(bytes);
  const e = f.header[name] as { data_offsets: [number, number] };
  return [8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1]];
}

export function tensorNames(bytes: Uint8Array): string[] {
  return Object.keys(splitFile(bytes).header).filter((k) => k !== '__metadata__');
}

export function headerLength(bytes: Uint8Array): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
}

function setU64(bytes: Uint8Array, v: bigint): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setBigUint64(0, v, true);
  return out;
}

export function deepJson(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** Walks every object in a JSON value. */
function objects(v: Json, out: JsonObject[] = []): JsonObject[] {
  if (Array.isArray(v)) for (const x of v) objects(x, out);
  else if (v !== null && typeof v === 'object') {
    out.push(v);
    for (const x of Object.values(v)) objects(x, out);
  }
  return out;
}

const NASTY: Json[] = [
  null, -1, 0, 1.5, 2 ** 31, 2 ** 53, -(2 ** 60), 1e308, 'x', '', 'unknown_op', '__proto__', [], [0], [-1, 3], {}, true,
];

export interface Mutation {
  kind: string;
  bytes: Uint8Array;
}

/** Byte-level mutations: flips, truncations, overwrites, header-length games. */
export function mutateBytes(rng: Rng, bytes: Uint8Array): Mutation {
  const h = headerLength(bytes);
  const u = randInt(rng, 0, 7);
  const out = bytes.slice();
  switch (u) {
    case 0: {
      const flips = randInt(rng, 1, 8);
      for (let i = 0; i < flips; i++) {
        const p = randInt(rng, 0, out.length - 1);
        out[p] ^= 1 << randInt(rng, 0, 7);
      }
      return { kind: 'bitflip', bytes: out };
    }
    case 1:
      return { kind: 'truncate', bytes: bytes.slice(0, randInt(rng, 0, bytes.length - 1)) };
    case 2: {
      const p = randInt(rng, 0, out.length - 1);
      const n = randInt(rng, 1, 16);
      for (let i = p; i < Math.min(out.length, p + n); i++) out[i] = randInt(rng, 0, 255);
      return { kind: 'overwrite', bytes: out };
    }
    case 3: {
      const choices = [0n, 1n, 7n, BigInt(h - 1), BigInt(h + 1), BigInt(bytes.length), 2n ** 50n, 2n ** 64n - 1n, 2n ** 32n + BigInt(h), 99_999_999n];
      return { kind: 'header-length', bytes: setU64(bytes, pick(rng, choices)) };
    }
    case 4: {
      // Overwrite bytes inside the header JSON with JSON-ish characters.
      const n = randInt(rng, 1, 4);
      for (let i = 0; i < n; i++) out[8 + randInt(rng, 0, h - 1)] = pick(rng, [...'{}[]",:0-9e.x\\'].map((c) => c.charCodeAt(0)));
      return { kind: 'header-json', bytes: out };
    }
    case 5: {
      const p = randInt(rng, 0, bytes.length);
      const n = randInt(rng, 1, 64);
      const ins = new Uint8Array(n).map(() => randInt(rng, 0, 255));
      const res = new Uint8Array(bytes.length + n);
      res.set(bytes.subarray(0, p));
      res.set(ins, p);
      res.set(bytes.subarray(p), p + n);
      return { kind: 'insert', bytes: res };
    }
    case 6: {
      const p = randInt(rng, 0, bytes.length - 1);
      const n = randInt(rng, 1, 64);
      const res = new Uint8Array(bytes.length - Math.min(n, bytes.length - p));
      res.set(bytes.subarray(0, p));
      res.set(bytes.subarray(p + n), p);
      return { kind: 'delete', bytes: res };
    }
    default: {
      // A tensor's data overwritten with NaN, Infinity or junk words.
      const names = tensorNames(bytes);
      const [b, e] = tensorRange(bytes, pick(rng, names));
      if (e > b) {
        const w = b + 4 * randInt(rng, 0, (e - b) / 4 - 1);
        new DataView(out.buffer).setUint32(w, pick(rng, [0x7fc00000, 0x7f800000, 0xff800000, 2, 0xffffffff]), true);
      }
      return { kind: 'tensor-data', bytes: out };
    }
  }
}

/** Structured mutations of the header and the description (files still parse as safetensors JSON, mostly). */
export function mutateStructure(rng: Rng, bytes: Uint8Array): Mutation {
  const u = randInt(rng, 0, 11);
  const names = tensorNames(bytes);
  const entry = (h: JsonObject): JsonObject => h[pick(rng, names)] as JsonObject;
  switch (u) {
    case 0:
      return {
        kind: 'offsets', bytes: editHeader(bytes, (h) => {
          const e = entry(h);
          const o = e.data_offsets as number[];
          const i = randInt(rng, 0, 1);
          o[i] = pick(rng, [o[i] + 4, o[i] - 4, o[i] * 2, 2 ** 40, -8, 0, 2 ** 53 + 2]);
        }),
      };
    case 1:
      return {
        kind: 'overlap', bytes: editHeader(bytes, (h) => {
          const a = entry(h);
          const b = entry(h);
          a.data_offsets = [...(b.data_offsets as number[])];
        }),
      };
    case 2:
      return { kind: 'dtype', bytes: editHeader(bytes, (h) => { entry(h).dtype = pick(rng, ['F16', 'F64', 'I8', 'BOOL', 'f32', 'U32', 'I32', 'F32', 7]); }) };
    case 3:
      return {
        kind: 'shape', bytes: editHeader(bytes, (h) => {
          const s = entry(h).shape as number[];
          const r = randInt(rng, 0, 3);
          if (r === 0) s.reverse();
          else if (r === 1) s.push(1);
          else if (r === 2 && s.length > 0) s[0] = pick(rng, [0, s[0] + 1, -1, 2 ** 53, 1.5]);
          else s.pop();
        }),
      };
    case 4: {
      const depth = pick(rng, [63, 64, 65, 1000, 100_000]);
      return {
        kind: 'deep-json', bytes: rng() < 0.5
          ? joinText(`{"a":${deepJson(depth)}}`, new Uint8Array(0))
          : editModel(bytes, (m) => { m.provenance = { deep: 'x' }; m.extra = JSON.parse(deepJson(Math.min(depth, 500))) as Json; }),
      };
    }
    case 5: {
      const n = pick(rng, [1_000, 20_000]);
      return { kind: 'huge-json', bytes: editModel(bytes, (m) => { m.labels = Array.from({ length: n }, (_, i) => `l${i}`); }) };
    }
    case 6:
      return {
        kind: 'layer-type', bytes: editModel(bytes, (m) => {
          const layers = objects(m.graph).filter((o) => typeof o.type === 'string');
          pick(rng, layers).type = pick(rng, ['conv', 'binary_conv', 'BCONV', '', 'dense2', '__proto__', 'constructor']);
        }),
      };
    case 7:
      return {
        kind: 'model-field', bytes: editModel(bytes, (m) => {
          const objs = objects(m);
          const o = pick(rng, objs);
          const keys = Object.keys(o);
          if (keys.length > 0) o[pick(rng, keys)] = pick(rng, NASTY);
        }),
      };
    case 8:
      return {
        kind: 'model-delete', bytes: editModel(bytes, (m) => {
          const o = pick(rng, objects(m));
          const keys = Object.keys(o);
          if (keys.length > 0) delete o[pick(rng, keys)];
        }),
      };
    case 9:
      return {
        kind: 'tensor-drop', bytes: editHeader(bytes, (h, data) => {
          // Remove one tensor entry and its bytes, shifting the later offsets so the layout stays consistent.
          const name = pick(rng, names);
          const [b, e] = (h[name] as JsonObject).data_offsets as number[];
          delete h[name];
          for (const k of names) {
            if (k === name) continue;
            const o = (h[k] as JsonObject).data_offsets as number[];
            if (o[0] >= e) { o[0] -= e - b; o[1] -= e - b; }
          }
          const res = new Uint8Array(data.length - (e - b));
          res.set(data.subarray(0, b));
          res.set(data.subarray(e), b);
          return res;
        }),
      };
    case 10:
      return {
        kind: 'proto-key', bytes: editHeader(bytes, (h) => {
          const name = pick(rng, names);
          const e = h[name];
          delete h[name];
          h[pick(rng, ['__proto__', 'constructor', 'prototype'])] = e;
        }),
      };
    default:
      return {
        kind: 'value-name', bytes: editModel(bytes, (m) => {
          const layers = objects(m.graph).filter((o) => typeof o.input === 'string');
          const l = pick(rng, layers);
          if (rng() < 0.5) l.input = pick(rng, ['foo', 'input', l.output as string]);
          else l.output = pick(rng, ['input', 'foo', ...layers.map((x) => x.output as string)]);
        }),
      };
  }
}

/** Either kind, half and half. */
export function mutate(rng: Rng, bytes: Uint8Array): Mutation {
  return rng() < 0.5 ? mutateBytes(rng, bytes) : mutateStructure(rng, bytes);
}
