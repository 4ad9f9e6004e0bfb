// The `.bee` model file: a safetensors file whose `__metadata__.model` holds the ModelDescription as JSON.
// readBee checks everything (layout, description fields, graph shapes, every tensor's dtype, shape and content,
// op counts) before returning; writeBee runs the same checks, so whatever it writes reads back equal.

import { BeenetError } from '../errors';
import { firstNonFinite } from '../finite';
import type { ModelDescription, OpCount } from '../model/graph';
import { countOps } from '../model/ops';
import { modelParams, type SitedParam } from '../model/params';
import { analyzeGraph } from '../model/shapes';
import { parseDescription } from './description';
import { DEFAULT_LIMITS, dtypeOf, parseJsonBounded, readSafetensors, writeSafetensors, type Tensor } from './safetensors';

export type { Dtype, Tensor, TensorData } from './safetensors';

export interface BeeModel {
  description: ModelDescription;
  tensors: Map<string, Tensor>;
}

/** Key of the description in the safetensors metadata. */
export const MODEL_METADATA_KEY = 'model';
/** Largest description JSON accepted, in UTF-16 code units. */
export const MAX_DESCRIPTION_CHARS = 16 << 20;

function fail(message: string, cause?: unknown): never {
  throw new BeenetError('MODEL_FORMAT', message, cause === undefined ? undefined : { cause });
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function checkContent(p: SitedParam, t: Tensor): void {
  const what = `tensor '${p.name}' (${p.role} of ${p.owner})`;
  const d = t.data;
  if (p.check === 'flip') {
    for (let i = 0; i < d.length; i++) if (d[i] !== 0 && d[i] !== 1) fail(`${what}: flip[${i}] is ${d[i]}, must be 0 or 1`);
  } else if (p.check === 'positive') {
    for (let i = 0; i < d.length; i++) if (!(d[i] > 0)) fail(`${what}: std[${i}] is ${d[i]}, must be > 0`);
  } else if (p.check === 'packed' && p.bits !== undefined && p.bits % 32 !== 0) {
    // Bits for channels >= C must be 0 or they would count as mismatches in the XNOR-popcount.
    const w = Math.ceil(p.bits / 32);
    const mask = ~((1 << p.bits % 32) - 1) >>> 0;
    for (let i = w - 1; i < d.length; i += w) {
      if (((d[i] & mask) >>> 0) !== 0) fail(`${what}: padding bits set in word ${i} (bits of channels >= ${p.bits} must be 0)`);
    }
  }
}

function checkOps(path: string, got: OpCount, want: OpCount): void {
  for (const k of ['binaryOps', 'floatOps', 'params'] as const) {
    if (got[k] !== want[k]) fail(`${path}.${k} is ${got[k]}, the graph has ${want[k]}`);
  }
}

/**
 * Checks a description (untrusted JSON value) against the tensors; returns the typed description.
 * Every failure is a BeenetError('MODEL_FORMAT') naming the field or tensor.
 */
export function validateBee(json: unknown, tensors: ReadonlyMap<string, Tensor>): ModelDescription {
  const description = parseDescription(json);
  const shapes = analyzeGraph(description.graph, description.labels.length);

  const specs = new Map<string, SitedParam>();
  for (const p of modelParams(description, shapes)) {
    const prev = specs.get(p.name);
    if (prev) {
      // A tensor may be shared (e.g. one flip vector), but only with one meaning.
      if (prev.dtype !== p.dtype || !sameShape(prev.shape, p.shape) || prev.check !== p.check || prev.bits !== p.bits) {
        fail(`tensor '${p.name}': used as ${prev.dtype} ${JSON.stringify(prev.shape)} by ${prev.owner} and as ${p.dtype} ${JSON.stringify(p.shape)} by ${p.owner}`);
      }
      continue;
    }
    specs.set(p.name, p);
    const t = tensors.get(p.name);
    const what = `tensor '${p.name}' (${p.role} of ${p.owner})`;
    if (!t) fail(`${what}: missing from the file`);
    if (t.dtype !== p.dtype) fail(`${what}: dtype ${t.dtype}, expected ${p.dtype}`);
    if (!sameShape(t.shape, p.shape)) fail(`${what}: shape ${JSON.stringify(t.shape)}, expected ${JSON.stringify(p.shape)}`);
  }
  for (const name of tensors.keys()) {
    if (!specs.has(name)) fail(`unexpected tensor '${name}': not referenced by the model`);
  }
  for (const [name, t] of tensors) {
    const p = specs.get(name) as SitedParam;
    let n = 1;
    for (const d of t.shape) n *= d;
    if (dtypeOf(t.data) !== t.dtype || t.data.length !== n) fail(`tensor '${name}': data does not match dtype ${t.dtype} and shape ${JSON.stringify(t.shape)}`);
    if (t.data instanceof Float32Array) {
      const bad = firstNonFinite(t.data);
      if (bad >= 0) fail(`tensor '${name}' (${p.role} of ${p.owner}): element ${bad} is ${t.data[bad]}`);
    }
    checkContent(p, t);
  }

  const ops = countOps(description.graph, description.labels.length, shapes);
  const declared = description.ops;
  if (declared.blocks.length !== ops.blocks.length) {
    fail(`model.ops.blocks: ${declared.blocks.length} entries, the graph has ${ops.blocks.length} blocks`);
  }
  if (declared.exits.length !== ops.exits.length) {
    fail(`model.ops.exits: ${declared.exits.length} entries, the graph has ${ops.exits.length} exits`);
  }
  ops.blocks.forEach((c, i) => checkOps(`model.ops.blocks[${i}]`, declared.blocks[i], c));
  ops.exits.forEach((c, i) => checkOps(`model.ops.exits[${i}]`, declared.exits[i], c));
  return description;
}

/** Reads and fully validates a `.bee` file. The tensors are copies; `bytes` is not modified. */
export function readBee(bytes: ArrayBuffer | Uint8Array): BeeModel {
  const file = readSafetensors(bytes);
  const text = file.metadata.get(MODEL_METADATA_KEY);
  if (text === undefined) fail(`__metadata__.${MODEL_METADATA_KEY}: missing (not a beenet model?)`);
  if (text.length > MAX_DESCRIPTION_CHARS) fail(`__metadata__.${MODEL_METADATA_KEY}: longer than ${MAX_DESCRIPTION_CHARS} characters`);
  const json = parseJsonBounded(text, DEFAULT_LIMITS.maxDepth, `__metadata__.${MODEL_METADATA_KEY}`);
  return { description: validateBee(json, file.tensors), tensors: file.tensors };
}

/** Validates and serialises a model; throws MODEL_FORMAT for anything readBee would reject. */
export function writeBee(model: BeeModel): Uint8Array {
  let text: string;
  try {
    text = JSON.stringify(model.description);
  } catch (e) {
    return fail('model.description cannot be serialised as JSON', e);
  }
  if (typeof text !== 'string') fail('model.description must be an object');
  if (text.length > MAX_DESCRIPTION_CHARS) fail(`model description longer than ${MAX_DESCRIPTION_CHARS} characters`);
  // Check what will be read back, not the in-memory object (JSON drops undefined, turns NaN into null, ...).
  validateBee(parseJsonBounded(text, DEFAULT_LIMITS.maxDepth, 'model.description'), model.tensors);
  return writeSafetensors(model.tensors, new Map([[MODEL_METADATA_KEY, text]]));
}
