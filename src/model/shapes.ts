// Shape inference over a model graph: every value's kind (float or packed bits) and per-clip shape.
//
// The walk follows the run order (stem, block 0, exits after block 0, block 1, ...), so a layer can only read
// values that exist when it runs. Every error names where it happened, e.g.
// "block 2 layer 1 (bconv): input 'x3' is float, expected packed bits".

import { BeenetError } from '../errors';
import { outputAxis } from '../layout/geometry';
import type { Layer, ModelGraph, Padding, ValueName } from './graph';

export type ValueKind = 'float' | 'bits';

/** A value of one clip: `[H, W, C]` for maps, `[C]` for vectors (no batch axis). */
export interface ValueInfo {
  kind: ValueKind;
  shape: number[];
}

export type Section = 'stem' | 'block' | 'exit';

/** Where a layer sits: stem layer j, block i layer j or exit i layer j. */
export interface LayerSite {
  section: Section;
  /** Block or exit index (0 for the stem). */
  index: number;
  layer: number;
}

/** One layer with the values it reads and writes, as the walk found them. */
export interface LayerShapes {
  site: LayerSite;
  layer: Layer;
  input: ValueInfo;
  output: ValueInfo;
  /** The affine transform's residual, when it has one. */
  residual: ValueInfo | null;
}

export interface GraphShapes {
  values: Map<ValueName, ValueInfo>;
  /** In run order. */
  layers: LayerShapes[];
}

/** Largest kernel or stride side accepted; keeps op counts far inside safe integers. */
export const MAX_WINDOW = 4096;
/** Largest channel or feature count accepted. */
export const MAX_CHANNELS = 1 << 20;
/** Largest element count of one value. */
export const MAX_VALUE_ELEMENTS = 1 << 28;

const LAYER_TYPES: ReadonlySet<string> = new Set([
  'conv_real', 'bconv', 'pack', 'maxpool', 'avgpool', 'gap', 'dense', 'bdense',
]);

function fail(message: string): never {
  throw new BeenetError('MODEL_FORMAT', message);
}

export function siteLabel(site: LayerSite): string {
  return site.section === 'stem' ? `stem layer ${site.layer}` : `${site.section} ${site.index} layer ${site.layer}`;
}

/** "block 2 layer 1 (bconv)" */
export function layerLabel(site: LayerSite, layer: { type: unknown }): string {
  return `${siteLabel(site)} (${String(layer.type)})`;
}

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

function elements(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Output side of a convolution or pooling window along one axis (docs/layout.md). */
export function outputSize(size: number, kernel: number, stride: number, padding: Padding): number {
  return outputAxis(size, kernel, stride, padding).out;
}

function isIntIn(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

function checkPair(where: string, what: string, v: unknown, max: number): [number, number] {
  if (!Array.isArray(v) || v.length !== 2 || !isIntIn(v[0], 1, max) || !isIntIn(v[1], 1, max)) {
    fail(`${where}: ${what} must be two integers in [1, ${max}], got ${JSON.stringify(v)}`);
  }
  return [v[0], v[1]];
}

function checkCount(where: string, what: string, v: unknown): number {
  if (!isIntIn(v, 1, MAX_CHANNELS)) fail(`${where}: ${what} must be an integer in [1, ${MAX_CHANNELS}], got ${JSON.stringify(v)}`);
  return v;
}

/** The graph's values and per-layer shapes; throws MODEL_FORMAT naming the first problem found. */
/** `labels` null skips the check of the logits' length (op counting does not need it). */
export function analyzeGraph(graph: ModelGraph, labels: number | null): GraphShapes {
  if (labels !== null && !isIntIn(labels, 1, Number.MAX_SAFE_INTEGER)) {
    fail(`labels: count must be a positive integer, got ${labels}`);
  }
  const inShape: unknown = graph.inputShape;
  if (
    !Array.isArray(inShape) || inShape.length !== 3 ||
    !inShape.every((d) => isIntIn(d, 1, MAX_CHANNELS)) || elements(inShape) > MAX_VALUE_ELEMENTS
  ) {
    fail(`graph.inputShape must be three positive integers [frames, melBands, 1], got ${JSON.stringify(inShape)}`);
  }
  if (!Array.isArray(graph.blocks) || graph.blocks.length === 0) fail('graph.blocks: the model needs at least one block');
  if (!Array.isArray(graph.exits) || graph.exits.length === 0) fail('graph.exits: the model needs at least one exit');
  graph.blocks.forEach((b, i) => {
    if (b === null || typeof b !== 'object') fail(`block ${i}: must be an object with layers`);
  });
  graph.exits.forEach((e, i) => {
    if (e === null || typeof e !== 'object') fail(`exit ${i}: must be an object with after, layers and logits`);
  });

  const values = new Map<ValueName, ValueInfo>();
  const definedAt = new Map<ValueName, string>();
  const layers: LayerShapes[] = [];
  // Trunk values (stem and blocks) are visible to everything after them; an exit's own values only to that exit.
  const trunk = new Set<ValueName>();
  values.set('input', { kind: 'float', shape: [...inShape] });
  definedAt.set('input', 'the graph input');
  trunk.add('input');

  const lookup = (where: string, role: string, name: unknown, local: Set<ValueName> | null): ValueInfo => {
    if (typeof name !== 'string') fail(`${where}: ${role} must be a value name, got ${JSON.stringify(name)}`);
    const info = values.get(name);
    if (!info) fail(`${where}: unknown value '${name}'`);
    if (!trunk.has(name) && !(local?.has(name) ?? false)) {
      fail(`${where}: value '${name}' (defined in ${definedAt.get(name)}) is not visible here`);
    }
    return info;
  };

  const define = (where: string, name: unknown, info: ValueInfo, local: Set<ValueName> | null): void => {
    if (typeof name !== 'string' || name.length === 0) fail(`${where}: output must be a non-empty value name`);
    const prev = definedAt.get(name);
    if (prev !== undefined) fail(`${where}: value '${name}' defined twice (first in ${prev})`);
    const n = elements(info.shape);
    if (n > MAX_VALUE_ELEMENTS) fail(`${where}: value '${name}' has ${n} elements, more than ${MAX_VALUE_ELEMENTS}`);
    values.set(name, info);
    definedAt.set(name, where);
    (local ?? trunk).add(name);
  };

  const runLayers = (section: Section, index: number, list: unknown, local: Set<ValueName> | null): void => {
    if (!Array.isArray(list)) fail(`${section === 'stem' ? 'stem' : `${section} ${index}`}: layers must be a list`);
    list.forEach((layer: Layer, j: number) => {
      const site: LayerSite = { section, index, layer: j };
      if (layer === null || typeof layer !== 'object') fail(`${siteLabel(site)}: layer must be an object`);
      const where = layerLabel(site, layer);
      if (!LAYER_TYPES.has(layer.type)) fail(`${siteLabel(site)}: unknown layer type ${JSON.stringify(layer.type)}`);
      const input = lookup(where, 'input', layer.input, local);
      const { output, residual } = layerOutput(where, layer, input, (name) => lookup(where, 'residual', name, local));
      define(where, layer.output, output, local);
      layers.push({ site, layer, input, output, residual });
    });
  };

  runLayers('stem', 0, graph.stem, null);
  let nextExit = 0;
  let lastAfter = -1;
  for (let b = 0; b < graph.blocks.length; b++) {
    runLayers('block', b, graph.blocks[b].layers, null);
    while (nextExit < graph.exits.length && graph.exits[nextExit].after <= b) {
      const e = nextExit++;
      const exit = graph.exits[e];
      if (!isIntIn(exit.after, 0, graph.blocks.length - 1)) {
        fail(`exit ${e}: after must be a block index in [0, ${graph.blocks.length - 1}], got ${JSON.stringify(exit.after)}`);
      }
      if (exit.after <= lastAfter) {
        fail(`exit ${e}: after ${exit.after} must be greater than exit ${e - 1}'s ${lastAfter} (one exit per block, in order)`);
      }
      lastAfter = exit.after;
      const local = new Set<ValueName>();
      runLayers('exit', e, exit.layers, local);
      const logits = lookup(`exit ${e}`, 'logits', exit.logits, local);
      if (logits.kind !== 'float') fail(`exit ${e}: logits '${exit.logits}' is packed bits, expected float`);
      if (logits.shape.length !== 1) {
        fail(`exit ${e}: logits '${exit.logits}' has shape ${shapeText(logits.shape)}, expected a vector [${labels ?? 'labels'}]`);
      }
      if (labels !== null && logits.shape[0] !== labels) {
        fail(`exit ${e}: logits '${exit.logits}' has ${logits.shape[0]} values, model has ${labels} labels`);
      }
    }
  }
  if (nextExit < graph.exits.length) {
    const exit = graph.exits[nextExit];
    fail(`exit ${nextExit}: after ${JSON.stringify(exit.after)} does not name a block (the model has ${graph.blocks.length} blocks)`);
  }
  if (lastAfter !== graph.blocks.length - 1) {
    fail(`exit ${graph.exits.length - 1}: the last exit must follow the last block (${graph.blocks.length - 1}), got ${lastAfter}`);
  }
  return { values, layers };
}

/** Map from every value name to its kind and shape. */
export function inferShapes(graph: ModelGraph, labels: number): Map<ValueName, ValueInfo> {
  return analyzeGraph(graph, labels).values;
}

function expectKind(where: string, layer: Layer, input: ValueInfo, kind: ValueKind): void {
  if (input.kind !== kind) {
    fail(`${where}: input '${layer.input}' is ${input.kind === 'bits' ? 'packed bits' : 'float'}, expected ${kind === 'bits' ? 'packed bits' : 'float'}`);
  }
}

function expectMap(where: string, layer: Layer, input: ValueInfo): [number, number, number] {
  if (input.shape.length !== 3) fail(`${where}: input '${layer.input}' has shape ${shapeText(input.shape)}, expected a [H,W,C] map`);
  return [input.shape[0], input.shape[1], input.shape[2]];
}

function windowed(
  where: string, h: number, w: number, kernel: [number, number], stride: [number, number], padding: Padding,
): [number, number] {
  const oh = outputSize(h, kernel[0], stride[0], padding);
  const ow = outputSize(w, kernel[1], stride[1], padding);
  if (oh <= 0) fail(`${where}: output height ${oh} <= 0 (input ${h}, kernel ${kernel[0]}, stride ${stride[0]}, ${padding})`);
  if (ow <= 0) fail(`${where}: output width ${ow} <= 0 (input ${w}, kernel ${kernel[1]}, stride ${stride[1]}, ${padding})`);
  return [oh, ow];
}

function checkPadding(where: string, v: unknown): Padding {
  if (v !== 'same' && v !== 'valid') fail(`${where}: padding must be 'same' or 'valid', got ${JSON.stringify(v)}`);
  return v;
}

/** Output of a layer with an affine-or-threshold transform; checks the residual against the output. */
function transformed(
  where: string, layer: Layer & { transform: unknown }, shape: number[], resolve: (name: unknown) => ValueInfo,
): { output: ValueInfo; residual: ValueInfo | null } {
  const t = layer.transform as { kind?: unknown; residual?: unknown } | null;
  const kind = t === null || typeof t !== 'object' ? undefined : t.kind;
  if (kind === 'threshold') return { output: { kind: 'bits', shape }, residual: null };
  if (kind !== 'affine') fail(`${where}: transform kind must be 'affine' or 'threshold', got ${JSON.stringify(kind)}`);
  const output: ValueInfo = { kind: 'float', shape };
  if (t?.residual === null || t?.residual === undefined) return { output, residual: null };
  const residual = resolve(t.residual);
  if (residual.kind !== 'float') fail(`${where}: residual '${String(t.residual)}' is packed bits, expected float`);
  if (shapeText(residual.shape) !== shapeText(shape)) {
    fail(`${where}: residual '${String(t.residual)}' has shape ${shapeText(residual.shape)}, output has ${shapeText(shape)}`);
  }
  return { output, residual };
}

function layerOutput(
  where: string, layer: Layer, input: ValueInfo, resolve: (name: unknown) => ValueInfo,
): { output: ValueInfo; residual: ValueInfo | null } {
  switch (layer.type) {
    case 'conv_real':
    case 'bconv': {
      expectKind(where, layer, input, layer.type === 'bconv' ? 'bits' : 'float');
      const [h, w] = expectMap(where, layer, input);
      const kernel = checkPair(where, 'kernel', layer.kernel, MAX_WINDOW);
      const stride = checkPair(where, 'stride', layer.stride, MAX_WINDOW);
      const padding = checkPadding(where, layer.padding);
      const o = checkCount(where, 'outChannels', layer.outChannels);
      const [oh, ow] = windowed(where, h, w, kernel, stride, padding);
      return transformed(where, layer, [oh, ow, o], resolve);
    }
    case 'pack':
      expectKind(where, layer, input, 'float');
      return { output: { kind: 'bits', shape: [...input.shape] }, residual: null };
    case 'maxpool':
    case 'avgpool': {
      if (layer.type === 'avgpool') expectKind(where, layer, input, 'float');
      const [h, w, c] = expectMap(where, layer, input);
      const kernel = checkPair(where, 'kernel', layer.kernel, MAX_WINDOW);
      const stride = checkPair(where, 'stride', layer.stride, MAX_WINDOW);
      const [oh, ow] = windowed(where, h, w, kernel, stride, 'valid');
      return { output: { kind: input.kind, shape: [oh, ow, c] }, residual: null };
    }
    case 'gap': {
      const [, , c] = expectMap(where, layer, input);
      return { output: { kind: 'float', shape: [c] }, residual: null };
    }
    case 'dense': {
      expectKind(where, layer, input, 'float');
      const o = checkCount(where, 'outFeatures', layer.outFeatures);
      return { output: { kind: 'float', shape: [o] }, residual: null };
    }
    case 'bdense': {
      expectKind(where, layer, input, 'bits');
      const s = input.shape;
      const vector = s.length === 1 || (s.length === 3 && s[0] === 1 && s[1] === 1);
      if (!vector) {
        fail(`${where}: input '${layer.input}' has shape ${shapeText(s)}; bdense takes a bits vector [C] or a [1,1,C] map`);
      }
      const o = checkCount(where, 'outFeatures', layer.outFeatures);
      return transformed(where, layer, [o], resolve);
    }
  }
}

/** Input features of a dense or bdense layer: the flattened input. */
export function flatSize(info: ValueInfo): number {
  return elements(info.shape);
}
