// Strict parser for `__metadata__.model`: turns untrusted JSON into a typed ModelDescription, field by field.
// It builds fresh objects holding only known fields (nothing from the JSON is kept by reference), rejects unknown
// fields, and bounds every list and string so the work stays proportional to the input.

import { BeenetError } from '../errors';
import type {
  Activation, AffineTransform, Block, Exit, ExitPolicy, FrontendConfig, Layer, MicrofrontendParams, ModelDescription,
  ModelGraph, OpCount, Padding, ThresholdTransform,
} from '../model/graph';
import { MAX_CHANNELS, MAX_WINDOW } from '../model/shapes';

export const DESCRIPTION_LIMITS = {
  maxStringLength: 256,
  maxProvenanceValueLength: 4096,
  maxProvenanceEntries: 256,
  maxLabels: 10_000,
  maxBlocks: 256,
  maxLayersPerList: 1024,
  maxTotalLayers: 10_000,
} as const;

export const FORMAT_VERSION = 1;

type Obj = Record<string, unknown>;

function fail(message: string): never {
  throw new BeenetError('MODEL_FORMAT', message);
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  if (s === undefined) return String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function obj(v: unknown, path: string, allowed: readonly string[]): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${path}: expected an object, got ${show(v)}`);
  const o = v as Obj;
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) fail(`${path}: unknown field '${k.slice(0, 64)}'`);
  }
  return o;
}

/** Reads an own field (never the prototype chain). */
function field(o: Obj, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function str(v: unknown, path: string, max: number = DESCRIPTION_LIMITS.maxStringLength): string {
  if (typeof v !== 'string') fail(`${path}: expected a string, got ${show(v)}`);
  if (v.length > max) fail(`${path}: string longer than ${max} characters`);
  return v;
}

function name(v: unknown, path: string): string {
  const s = str(v, path);
  if (s.length === 0) fail(`${path}: name must not be empty`);
  return s;
}

function num(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${path}: expected a finite number, got ${show(v)}`);
  return v;
}

function int(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    fail(`${path}: expected an integer in [${min}, ${max}], got ${show(v)}`);
  }
  return v;
}

function list(v: unknown, path: string, max: number, min = 0): unknown[] {
  if (!Array.isArray(v)) fail(`${path}: expected a list, got ${show(v)}`);
  if (v.length > max) fail(`${path}: ${v.length} entries, more than ${max}`);
  if (v.length < min) fail(`${path}: needs at least ${min} entries`);
  return v;
}

function oneOf<T extends string>(v: unknown, path: string, options: readonly T[]): T {
  if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) {
    fail(`${path}: expected one of ${options.map((o) => `'${o}'`).join(', ')}, got ${show(v)}`);
  }
  return v as T;
}

function pair(v: unknown, path: string): [number, number] {
  const a = list(v, path, 2, 2);
  return [int(a[0], `${path}[0]`, 1, MAX_WINDOW), int(a[1], `${path}[1]`, 1, MAX_WINDOW)];
}

function parseFrontend(v: unknown, path: string): FrontendConfig {
  const o = obj(v, path, [
    'kind', 'sampleRate', 'clipSamples', 'windowSamples', 'hopSamples', 'fftSize', 'melBands', 'fMinHz', 'fMaxHz',
    'logOffset', 'microfrontend', 'normalization',
  ]);
  // No kind is the original log-mel front end; files without the field keep parsing (and writing) unchanged.
  const kind = Object.hasOwn(o, 'kind') ? oneOf(field(o, 'kind'), `${path}.kind`, ['logmel', 'microfrontend'] as const) : undefined;
  let microfrontend: MicrofrontendParams | undefined;
  if (kind === 'microfrontend') {
    if (!Object.hasOwn(o, 'microfrontend')) fail(`${path}.microfrontend: required when kind is 'microfrontend'`);
    microfrontend = parseMicrofrontend(field(o, 'microfrontend'), `${path}.microfrontend`);
  } else if (Object.hasOwn(o, 'microfrontend')) {
    fail(`${path}.microfrontend: only allowed when kind is 'microfrontend'`);
  }
  const sampleRate = int(field(o, 'sampleRate'), `${path}.sampleRate`, 1, 1_000_000);
  const clipSamples = int(field(o, 'clipSamples'), `${path}.clipSamples`, 1, 1 << 28);
  const fftSize = int(field(o, 'fftSize'), `${path}.fftSize`, 2, 1 << 20);
  if ((fftSize & (fftSize - 1)) !== 0) fail(`${path}.fftSize: ${fftSize} is not a power of two`);
  const windowSamples = int(field(o, 'windowSamples'), `${path}.windowSamples`, 1, fftSize);
  if (windowSamples > clipSamples) fail(`${path}.windowSamples: ${windowSamples} is longer than the clip (${clipSamples})`);
  const hopSamples = int(field(o, 'hopSamples'), `${path}.hopSamples`, 1, clipSamples);
  const melBands = int(field(o, 'melBands'), `${path}.melBands`, 1, fftSize / 2 + 1);
  const fMinHz = num(field(o, 'fMinHz'), `${path}.fMinHz`);
  const fMaxHz = num(field(o, 'fMaxHz'), `${path}.fMaxHz`);
  if (fMinHz < 0) fail(`${path}.fMinHz: ${fMinHz} is negative`);
  if (!(fMinHz < fMaxHz)) fail(`${path}.fMinHz: ${fMinHz} must be below fMaxHz (${fMaxHz})`);
  if (fMaxHz > sampleRate / 2) fail(`${path}.fMaxHz: ${fMaxHz} is above the Nyquist frequency (${sampleRate / 2})`);
  const logOffset = num(field(o, 'logOffset'), `${path}.logOffset`);
  if (!(logOffset > 0)) fail(`${path}.logOffset: must be > 0, got ${logOffset}`);
  const n = field(o, 'normalization');
  let normalization: FrontendConfig['normalization'] = null;
  if (n !== null) {
    const no = obj(n, `${path}.normalization`, ['mean', 'std']);
    normalization = {
      mean: name(field(no, 'mean'), `${path}.normalization.mean`),
      std: name(field(no, 'std'), `${path}.normalization.std`),
    };
  }
  const base = { sampleRate, clipSamples, windowSamples, hopSamples, fftSize, melBands, fMinHz, fMaxHz, logOffset };
  if (kind === undefined) return { ...base, normalization };
  return microfrontend ? { kind, ...base, microfrontend, normalization } : { kind, ...base, normalization };
}

function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') fail(`${path}: expected true or false, got ${show(v)}`);
  return v;
}

function parseMicrofrontend(v: unknown, path: string): MicrofrontendParams {
  const o = obj(v, path, [
    'inputScale', 'noiseReductionEnabled', 'smoothingBits', 'evenSmoothing', 'oddSmoothing', 'minSignalRemaining',
    'pcanEnabled', 'pcanStrength', 'pcanOffset', 'pcanGainBits', 'logScaleShift', 'outputScale', 'outputOffset',
  ]);
  const unit = (key: string): number => {
    const x = num(field(o, key), `${path}.${key}`);
    if (!(x >= 0 && x <= 1)) fail(`${path}.${key}: must be in [0, 1], got ${x}`);
    return x;
  };
  const positive = (key: string): number => {
    const x = num(field(o, key), `${path}.${key}`);
    if (!(x > 0)) fail(`${path}.${key}: must be > 0, got ${x}`);
    return x;
  };
  const pcanStrength = num(field(o, 'pcanStrength'), `${path}.pcanStrength`);
  if (pcanStrength < 0) fail(`${path}.pcanStrength: must be >= 0, got ${pcanStrength}`);
  return {
    inputScale: positive('inputScale'),
    noiseReductionEnabled: bool(field(o, 'noiseReductionEnabled'), `${path}.noiseReductionEnabled`),
    smoothingBits: int(field(o, 'smoothingBits'), `${path}.smoothingBits`, 0, 16),
    evenSmoothing: unit('evenSmoothing'),
    oddSmoothing: unit('oddSmoothing'),
    minSignalRemaining: unit('minSignalRemaining'),
    pcanEnabled: bool(field(o, 'pcanEnabled'), `${path}.pcanEnabled`),
    pcanStrength,
    pcanOffset: positive('pcanOffset'),
    pcanGainBits: int(field(o, 'pcanGainBits'), `${path}.pcanGainBits`, 1, 30),
    logScaleShift: int(field(o, 'logScaleShift'), `${path}.logScaleShift`, 0, 16),
    outputScale: num(field(o, 'outputScale'), `${path}.outputScale`),
    outputOffset: num(field(o, 'outputOffset'), `${path}.outputOffset`),
  };
}

function parseActivation(v: unknown, path: string): Activation {
  const kind = oneOf(field(obj(v, path, ['kind', 'slope', 'shiftIn', 'shiftOut']), 'kind'), `${path}.kind`, [
    'none', 'relu', 'prelu', 'rprelu',
  ]);
  switch (kind) {
    case 'none':
    case 'relu':
      obj(v, path, ['kind']);
      return { kind };
    case 'prelu': {
      const o = obj(v, path, ['kind', 'slope']);
      return { kind, slope: name(field(o, 'slope'), `${path}.slope`) };
    }
    case 'rprelu': {
      const o = obj(v, path, ['kind', 'shiftIn', 'slope', 'shiftOut']);
      return {
        kind,
        shiftIn: name(field(o, 'shiftIn'), `${path}.shiftIn`),
        slope: name(field(o, 'slope'), `${path}.slope`),
        shiftOut: name(field(o, 'shiftOut'), `${path}.shiftOut`),
      };
    }
  }
}

function parseThreshold(o: Obj, path: string): ThresholdTransform {
  obj(o, path, ['kind', 'threshold', 'flip']);
  return { kind: 'threshold', threshold: name(field(o, 'threshold'), `${path}.threshold`), flip: name(field(o, 'flip'), `${path}.flip`) };
}

function parseTransform(v: unknown, path: string): AffineTransform | ThresholdTransform {
  const o = obj(v, path, ['kind', 'threshold', 'flip', 'mul', 'add', 'residual', 'activation']);
  const kind = oneOf(field(o, 'kind'), `${path}.kind`, ['affine', 'threshold']);
  if (kind === 'threshold') return parseThreshold(o, path);
  obj(o, path, ['kind', 'mul', 'add', 'residual', 'activation']);
  const r = field(o, 'residual');
  return {
    kind,
    mul: name(field(o, 'mul'), `${path}.mul`),
    add: name(field(o, 'add'), `${path}.add`),
    residual: r === null ? null : name(r, `${path}.residual`),
    activation: parseActivation(field(o, 'activation'), `${path}.activation`),
  };
}

const LAYER_FIELDS: Record<Layer['type'], readonly string[]> = {
  conv_real: ['kernel', 'stride', 'padding', 'outChannels', 'weights', 'transform'],
  bconv: ['kernel', 'stride', 'padding', 'outChannels', 'weights', 'transform'],
  pack: ['threshold', 'flip'],
  maxpool: ['kernel', 'stride'],
  avgpool: ['kernel', 'stride'],
  gap: [],
  dense: ['outFeatures', 'weights', 'bias'],
  bdense: ['outFeatures', 'weights', 'transform'],
};

function parseLayer(v: unknown, where: string): Layer {
  const t = typeof v === 'object' && v !== null && Object.hasOwn(v, 'type') ? (v as Obj).type : undefined;
  if (typeof t !== 'string' || !Object.hasOwn(LAYER_FIELDS, t)) fail(`${where}: unknown layer type ${show(t)}`);
  const type = t as Layer['type'];
  const path = `${where} (${type})`;
  const o = obj(v, path, ['type', 'input', 'output', ...LAYER_FIELDS[type]]);
  const input = name(field(o, 'input'), `${path}.input`);
  const output = name(field(o, 'output'), `${path}.output`);
  const f = (k: string): unknown => field(o, k);
  switch (type) {
    case 'conv_real':
    case 'bconv':
      return {
        type, input, output,
        kernel: pair(f('kernel'), `${path}.kernel`),
        stride: pair(f('stride'), `${path}.stride`),
        padding: oneOf<Padding>(f('padding'), `${path}.padding`, ['same', 'valid']),
        outChannels: int(f('outChannels'), `${path}.outChannels`, 1, MAX_CHANNELS),
        weights: name(f('weights'), `${path}.weights`),
        transform: parseTransform(f('transform'), `${path}.transform`),
      };
    case 'pack':
      return { type, input, output, threshold: name(f('threshold'), `${path}.threshold`), flip: name(f('flip'), `${path}.flip`) };
    case 'maxpool':
    case 'avgpool':
      return { type, input, output, kernel: pair(f('kernel'), `${path}.kernel`), stride: pair(f('stride'), `${path}.stride`) };
    case 'gap':
      return { type, input, output };
    case 'dense':
      return {
        type, input, output,
        outFeatures: int(f('outFeatures'), `${path}.outFeatures`, 1, MAX_CHANNELS),
        weights: name(f('weights'), `${path}.weights`),
        bias: name(f('bias'), `${path}.bias`),
      };
    case 'bdense':
      return {
        type, input, output,
        outFeatures: int(f('outFeatures'), `${path}.outFeatures`, 1, MAX_CHANNELS),
        weights: name(f('weights'), `${path}.weights`),
        transform: parseTransform(f('transform'), `${path}.transform`),
      };
  }
}

function parseLayers(v: unknown, prefix: string, budget: { layers: number }): Layer[] {
  const a = list(v, `${prefix}.layers`, DESCRIPTION_LIMITS.maxLayersPerList);
  budget.layers += a.length;
  if (budget.layers > DESCRIPTION_LIMITS.maxTotalLayers) fail(`graph: more than ${DESCRIPTION_LIMITS.maxTotalLayers} layers`);
  return a.map((l, j) => parseLayer(l, `${prefix} layer ${j}`));
}

function parseGraph(v: unknown, path: string): ModelGraph {
  const o = obj(v, path, ['inputShape', 'stem', 'blocks', 'exits']);
  const s = list(field(o, 'inputShape'), `${path}.inputShape`, 3, 3);
  const inputShape: [number, number, number] = [
    int(s[0], `${path}.inputShape[0]`, 1, MAX_CHANNELS),
    int(s[1], `${path}.inputShape[1]`, 1, MAX_CHANNELS),
    int(s[2], `${path}.inputShape[2]`, 1, 1),
  ];
  const budget = { layers: 0 };
  const stemList = list(field(o, 'stem'), `${path}.stem`, DESCRIPTION_LIMITS.maxLayersPerList);
  budget.layers += stemList.length;
  const stem = stemList.map((l, j) => parseLayer(l, `stem layer ${j}`));
  const blocks: Block[] = list(field(o, 'blocks'), `${path}.blocks`, DESCRIPTION_LIMITS.maxBlocks, 1).map((b, i) => {
    const bo = obj(b, `block ${i}`, ['layers']);
    return { layers: parseLayers(field(bo, 'layers'), `block ${i}`, budget) };
  });
  const exits: Exit[] = list(field(o, 'exits'), `${path}.exits`, DESCRIPTION_LIMITS.maxBlocks, 1).map((e, i) => {
    const eo = obj(e, `exit ${i}`, ['after', 'layers', 'logits']);
    return {
      after: int(field(eo, 'after'), `exit ${i}.after`, 0, DESCRIPTION_LIMITS.maxBlocks),
      layers: parseLayers(field(eo, 'layers'), `exit ${i}`, budget),
      logits: name(field(eo, 'logits'), `exit ${i}.logits`),
    };
  });
  return { inputShape, stem, blocks, exits };
}

function parseExitPolicy(v: unknown, path: string, exits: number): ExitPolicy {
  const o = obj(v, path, ['criterion', 'thresholds']);
  const criterion = oneOf(field(o, 'criterion'), `${path}.criterion`, ['entropy', 'maxprob']);
  const t = list(field(o, 'thresholds'), `${path}.thresholds`, DESCRIPTION_LIMITS.maxBlocks);
  if (t.length !== exits) fail(`${path}.thresholds: ${t.length} thresholds for ${exits} exits`);
  const thresholds = t.map((x, i) => {
    const n = num(x, `${path}.thresholds[${i}]`);
    if (n < 0 || n > 1) fail(`${path}.thresholds[${i}]: ${n} is outside [0, 1]`);
    return n;
  });
  return { criterion, thresholds };
}

function parseOpCount(v: unknown, path: string): OpCount {
  const o = obj(v, path, ['binaryOps', 'floatOps', 'params']);
  const big = Number.MAX_SAFE_INTEGER;
  return {
    binaryOps: int(field(o, 'binaryOps'), `${path}.binaryOps`, 0, big),
    floatOps: int(field(o, 'floatOps'), `${path}.floatOps`, 0, big),
    params: int(field(o, 'params'), `${path}.params`, 0, big),
  };
}

function parseProvenance(v: unknown, path: string): Record<string, string | number | boolean> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${path}: expected an object, got ${show(v)}`);
  const o = v as Obj;
  const keys = Object.keys(o);
  if (keys.length > DESCRIPTION_LIMITS.maxProvenanceEntries) fail(`${path}: more than ${DESCRIPTION_LIMITS.maxProvenanceEntries} entries`);
  const out: Record<string, string | number | boolean> = {};
  for (const k of keys) {
    str(k, `${path} key`);
    // Keys a consumer might merge into a plain object must not touch prototypes.
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') fail(`${path}: key '${k}' is not allowed`);
    const x = o[k];
    if (typeof x === 'string') out[k] = str(x, `${path}.${k}`, DESCRIPTION_LIMITS.maxProvenanceValueLength);
    else if (typeof x === 'boolean') out[k] = x;
    else out[k] = num(x, `${path}.${k}`);
  }
  return out;
}

/**
 * Parses and checks the fields of a model description (types, ranges, enums, limits). Graph consistency (shapes,
 * value names) and tensors are checked by the caller, see bee.ts.
 */
export function parseDescription(v: unknown): ModelDescription {
  const top = obj(v, 'model', [
    'format', 'version', 'name', 'task', 'architecture', 'labels', 'frontend', 'graph', 'exitPolicy', 'ops', 'provenance',
  ]);
  const format = field(top, 'format');
  if (format !== 'beenet') fail(`model.format: expected 'beenet', got ${show(format)}`);
  const version = field(top, 'version');
  if (version !== FORMAT_VERSION) fail(`model.version: unsupported version ${show(version)} (this reader knows version ${FORMAT_VERSION})`);

  const labelList = list(field(top, 'labels'), 'model.labels', DESCRIPTION_LIMITS.maxLabels, 1);
  const seen = new Set<string>();
  const labels = labelList.map((l, i) => {
    const s = name(l, `model.labels[${i}]`);
    if (seen.has(s)) fail(`model.labels[${i}]: label '${s}' appears twice`);
    seen.add(s);
    return s;
  });
  const frontend = parseFrontend(field(top, 'frontend'), 'model.frontend');
  const graph = parseGraph(field(top, 'graph'), 'model.graph');
  if (graph.inputShape[1] !== frontend.melBands) {
    fail(`model.graph.inputShape: ${graph.inputShape[1]} mel bands, frontend.melBands is ${frontend.melBands}`);
  }
  const exitPolicy = parseExitPolicy(field(top, 'exitPolicy'), 'model.exitPolicy', graph.exits.length);
  const ops = obj(field(top, 'ops'), 'model.ops', ['blocks', 'exits']);
  const description: ModelDescription = {
    format: 'beenet',
    version: 1,
    name: str(field(top, 'name'), 'model.name'),
    task: str(field(top, 'task'), 'model.task'),
    architecture: str(field(top, 'architecture'), 'model.architecture'),
    labels,
    frontend,
    graph,
    exitPolicy,
    ops: {
      blocks: list(field(ops, 'blocks'), 'model.ops.blocks', DESCRIPTION_LIMITS.maxBlocks).map((c, i) => parseOpCount(c, `model.ops.blocks[${i}]`)),
      exits: list(field(ops, 'exits'), 'model.ops.exits', DESCRIPTION_LIMITS.maxBlocks).map((c, i) => parseOpCount(c, `model.ops.exits[${i}]`)),
    },
  };
  if (Object.hasOwn(top, 'provenance')) description.provenance = parseProvenance(field(top, 'provenance'), 'model.provenance');
  return description;
}
