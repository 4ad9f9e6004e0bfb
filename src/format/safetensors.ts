// Reader and writer for the safetensors layout:
//   u64 little-endian header length N | N bytes of UTF-8 JSON | tensor data
// The JSON maps tensor names to {dtype, shape, data_offsets: [begin, end]} (offsets relative to the data start)
// plus an optional "__metadata__" object of string values. Checks follow the reference implementation: the data
// section is covered exactly, without holes or overlaps. Everything rejected is a BeenetError('MODEL_FORMAT').

import { BeenetError } from '../errors';
import type { Dtype } from '../model/params';

export type { Dtype };
export type TensorData = Float32Array | Int32Array | Uint32Array;

export interface Tensor {
  dtype: Dtype;
  shape: number[];
  data: TensorData;
}

export interface SafetensorsFile {
  tensors: Map<string, Tensor>;
  metadata: Map<string, string>;
}

export interface SafetensorsLimits {
  /** Largest header accepted, in bytes (the reference implementation's limit is 100 MB). */
  maxHeaderBytes: number;
  maxTensors: number;
  /** Deepest JSON nesting accepted in the header. */
  maxDepth: number;
  maxRank: number;
  maxNameLength: number;
}

export const DEFAULT_LIMITS: SafetensorsLimits = {
  maxHeaderBytes: 100_000_000,
  maxTensors: 10_000,
  maxDepth: 64,
  maxRank: 8,
  maxNameLength: 1024,
};

export const DTYPE_BYTES: Readonly<Record<Dtype, number>> = { F32: 4, I32: 4, U32: 4 };

/** Names that could reach an object prototype if some consumer copied the tensors into a plain object. */
const FORBIDDEN_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function fail(message: string, cause?: unknown): never {
  throw new BeenetError('MODEL_FORMAT', message, cause === undefined ? undefined : { cause });
}

function isDtype(v: unknown): v is Dtype {
  return v === 'F32' || v === 'I32' || v === 'U32';
}

export function dtypeOf(data: TensorData): Dtype {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Int32Array) return 'I32';
  return 'U32';
}

function asBytes(bytes: ArrayBuffer | Uint8Array): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  return fail('model bytes must be an ArrayBuffer or a Uint8Array');
}

/**
 * Rejects JSON nested deeper than maxDepth before JSON.parse sees it, so absurd nesting can neither blow the
 * stack nor cost more than one linear scan.
 */
export function checkJsonDepth(text: string, maxDepth: number, what: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) fail(`${what}: JSON nested deeper than ${maxDepth} levels`);
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}

/** JSON.parse with a depth limit; any failure becomes MODEL_FORMAT naming `what`. */
export function parseJsonBounded(text: string, maxDepth: number, what: string): unknown {
  checkJsonDepth(text, maxDepth, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    // SyntaxError for bad JSON; RangeError if an engine still runs out of stack.
    return fail(`${what}: not valid JSON (${e instanceof Error ? e.message : String(e)})`, e);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkName(name: string, limits: SafetensorsLimits): void {
  if (name.length === 0) fail('tensor name must not be empty');
  if (name.length > limits.maxNameLength) fail(`tensor name '${name.slice(0, 40)}...' is longer than ${limits.maxNameLength}`);
  if (FORBIDDEN_NAMES.has(name)) fail(`tensor name '${name}' is not allowed`);
}

function safeProduct(shape: readonly number[], what: string): number {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) fail(`${what}: shape ${JSON.stringify(shape)} has too many elements`);
  }
  return n;
}

interface Entry {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

function parseEntry(name: string, v: unknown, dataBytes: number, limits: SafetensorsLimits): Entry {
  const what = `tensor '${name}'`;
  if (!isPlainObject(v)) fail(`${what}: header entry must be an object`);
  for (const k of Object.keys(v)) {
    if (k !== 'dtype' && k !== 'shape' && k !== 'data_offsets') fail(`${what}: unknown header field '${k}'`);
  }
  const { dtype, shape, data_offsets: offsets } = v;
  if (typeof dtype !== 'string') fail(`${what}: dtype missing`);
  if (!isDtype(dtype)) fail(`${what}: dtype '${dtype.slice(0, 16)}' is not supported (F32, I32, U32)`);
  if (!Array.isArray(shape)) fail(`${what}: shape must be a list`);
  if (shape.length > limits.maxRank) fail(`${what}: rank ${shape.length} is more than ${limits.maxRank}`);
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) fail(`${what}: shape ${JSON.stringify(shape)} must hold non-negative integers`);
  }
  const dims = shape as number[];
  if (!Array.isArray(offsets) || offsets.length !== 2) fail(`${what}: data_offsets must be [begin, end]`);
  const [begin, end] = offsets as unknown[];
  if (typeof begin !== 'number' || typeof end !== 'number' || !Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin < 0 || end < begin) {
    fail(`${what}: data_offsets ${JSON.stringify(offsets)} must be integers with 0 <= begin <= end`);
  }
  if (end > dataBytes) fail(`${what}: data_offsets [${begin}, ${end}] run past the data section (${dataBytes} bytes)`);
  const bytes = safeProduct(dims, what) * DTYPE_BYTES[dtype];
  if (end - begin !== bytes) fail(`${what}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes, shape ${JSON.stringify(dims)} of ${dtype} needs ${bytes}`);
  return { name, dtype, shape: [...dims], begin, end };
}

function copyTensor(bytes: Uint8Array, dataStart: number, e: Entry): Tensor {
  const n = (e.end - e.begin) / 4;
  // A fresh, aligned buffer: never a view on the caller's bytes.
  const buf = new ArrayBuffer(e.end - e.begin);
  new Uint8Array(buf).set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
  if (!LITTLE_ENDIAN) {
    const view = new DataView(buf);
    for (let i = 0; i < n; i++) view.setUint32(i * 4, view.getUint32(i * 4, true), false);
  }
  const data = e.dtype === 'F32' ? new Float32Array(buf) : e.dtype === 'I32' ? new Int32Array(buf) : new Uint32Array(buf);
  return { dtype: e.dtype, shape: e.shape, data };
}

/** Parses and validates a safetensors file; returns copies of the tensors. Never modifies `bytes`. */
export function readSafetensors(input: ArrayBuffer | Uint8Array, limits: SafetensorsLimits = DEFAULT_LIMITS): SafetensorsFile {
  const bytes = asBytes(input);
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  // Check the claimed length against the limit and the real size before allocating anything for it.
  const headerLen = hi * 2 ** 32 + lo;
  if (hi >= 2 ** 20 || headerLen > limits.maxHeaderBytes) fail(`header length ${headerLen} is over the ${limits.maxHeaderBytes}-byte limit`);
  if (8 + headerLen > bytes.length) fail(`header length ${headerLen} runs past the end of the ${bytes.length}-byte file (truncated?)`);
  if (headerLen < 2) fail(`header length ${headerLen} is too small for a JSON object`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch (e) {
    return fail('header is not valid UTF-8', e);
  }
  if (!text.startsWith('{')) fail('header must start with a JSON object');
  const header = parseJsonBounded(text, limits.maxDepth, 'header');
  if (!isPlainObject(header)) fail('header must be a JSON object');

  const dataStart = 8 + headerLen;
  const dataBytes = bytes.length - dataStart;
  const names = Object.keys(header);
  const count = names.length - (Object.hasOwn(header, '__metadata__') ? 1 : 0);
  if (count > limits.maxTensors) fail(`header lists ${count} tensors, more than ${limits.maxTensors}`);

  const metadata = new Map<string, string>();
  const entries: Entry[] = [];
  for (const name of names) {
    const v = header[name];
    if (name === '__metadata__') {
      if (!isPlainObject(v)) fail('__metadata__ must be an object of strings');
      for (const k of Object.keys(v)) {
        const s = v[k];
        if (typeof s !== 'string') fail(`__metadata__.${k}: value must be a string`);
        metadata.set(k, s);
      }
      continue;
    }
    checkName(name, limits);
    entries.push(parseEntry(name, v, dataBytes, limits));
  }

  // Sorted by offset, each tensor must start where the previous ended and the last must end at the file's end.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of sorted) {
    if (e.begin < pos) fail(`tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] overlap another tensor (which ends at ${pos})`);
    if (e.begin > pos) fail(`tensor '${e.name}': hole in the data section: bytes [${pos}, ${e.begin}) belong to no tensor`);
    pos = e.end;
  }
  if (pos !== dataBytes) fail(`data section is ${dataBytes} bytes but the tensors cover ${pos} (trailing bytes or truncated file)`);

  const tensors = new Map<string, Tensor>();
  for (const e of entries) tensors.set(e.name, copyTensor(bytes, dataStart, e));
  return { tensors, metadata };
}

function tensorBytes(t: Tensor): Uint8Array {
  const src = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  if (LITTLE_ENDIAN) return src;
  const out = new Uint8Array(src.length);
  const from = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const to = new DataView(out.buffer);
  for (let i = 0; i < src.length; i += 4) to.setUint32(i, from.getUint32(i, false), true);
  return out;
}

/**
 * Writes tensors (laid out contiguously in map order) and string metadata. The header is padded with spaces to a
 * multiple of 8 bytes, so the data is aligned and Python's `safetensors` opens the file.
 */
export function writeSafetensors(
  tensors: ReadonlyMap<string, Tensor>,
  metadata: ReadonlyMap<string, string> = new Map(),
  limits: SafetensorsLimits = DEFAULT_LIMITS,
): Uint8Array {
  if (tensors.size > limits.maxTensors) fail(`${tensors.size} tensors, more than ${limits.maxTensors}`);
  const header: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (metadata.size > 0) {
    const meta: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [k, v] of metadata) {
      if (typeof v !== 'string') fail(`__metadata__.${k}: value must be a string`);
      meta[k] = v;
    }
    header.__metadata__ = meta;
  }
  let offset = 0;
  for (const [name, t] of tensors) {
    checkName(name, limits);
    if (name === '__metadata__') fail("tensor name '__metadata__' is reserved");
    if (!isDtype(t.dtype)) fail(`tensor '${name}': dtype ${JSON.stringify(t.dtype)} is not supported`);
    if (dtypeOf(t.data) !== t.dtype) fail(`tensor '${name}': data is ${dtypeOf(t.data)}, dtype says ${t.dtype}`);
    for (const d of t.shape) {
      if (!Number.isSafeInteger(d) || d < 0) fail(`tensor '${name}': shape ${JSON.stringify(t.shape)} must hold non-negative integers`);
    }
    const n = safeProduct(t.shape, `tensor '${name}'`);
    if (n !== t.data.length) fail(`tensor '${name}': shape ${JSON.stringify(t.shape)} needs ${n} elements, data has ${t.data.length}`);
    const end = offset + t.data.byteLength;
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, end] };
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLen % 2 ** 32, true);
  view.setUint32(4, Math.floor(headerLen / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let pos = 8 + headerLen;
  for (const t of tensors.values()) {
    out.set(tensorBytes(t), pos);
    pos += t.data.byteLength;
  }
  return out;
}
