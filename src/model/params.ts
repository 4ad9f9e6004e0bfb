// The parameter tensors each layer needs, with the dtype and shape the `.bee` file must hold for them.

import type { AffineTransform, FrontendConfig, Layer, ModelDescription, TensorName, ThresholdTransform } from './graph';
import { analyzeGraph, flatSize, layerLabel, type GraphShapes, type ValueInfo } from './shapes';

/** Tensor element types a `.bee` file holds (safetensors names). */
export type Dtype = 'F32' | 'I32' | 'U32';

/** Content rules beyond "F32 is finite": flips are 0/1, std > 0, packed weights have zero padding bits. */
export type ParamCheck = 'none' | 'flip' | 'positive' | 'packed';

export interface ParamSpec {
  name: TensorName;
  dtype: Dtype;
  shape: number[];
  /** What the tensor is for: 'weights', 'threshold', 'flip', 'mul', ... */
  role: string;
  check: ParamCheck;
  /** For 'packed': the real channel count packed along the last axis (words = ceil(bits / 32)). */
  bits?: number;
}

/** A parameter with the layer (or front end) that needs it, for error messages. */
export interface SitedParam extends ParamSpec {
  owner: string;
}

export function words(channels: number): number {
  return Math.ceil(channels / 32);
}

function thresholdParams(t: ThresholdTransform, dtype: Dtype, o: number): ParamSpec[] {
  return [
    { name: t.threshold, dtype, shape: [o], role: 'threshold', check: 'none' },
    { name: t.flip, dtype: 'U32', shape: [o], role: 'flip', check: 'flip' },
  ];
}

function affineParams(t: AffineTransform, o: number): ParamSpec[] {
  const f = (name: TensorName, role: string): ParamSpec => ({ name, dtype: 'F32', shape: [o], role, check: 'none' });
  const list = [f(t.mul, 'mul'), f(t.add, 'add')];
  const a = t.activation;
  if (a.kind === 'prelu') list.push(f(a.slope, 'slope'));
  if (a.kind === 'rprelu') list.push(f(a.shiftIn, 'shiftIn'), f(a.slope, 'slope'), f(a.shiftOut, 'shiftOut'));
  return list;
}

function transformParams(t: AffineTransform | ThresholdTransform, thresholdDtype: Dtype, o: number): ParamSpec[] {
  return t.kind === 'threshold' ? thresholdParams(t, thresholdDtype, o) : affineParams(t, o);
}

/** Parameters of one layer given the value it reads. */
export function layerParams(layer: Layer, input: ValueInfo): ParamSpec[] {
  const inC = input.shape[input.shape.length - 1];
  switch (layer.type) {
    case 'conv_real': {
      const [kh, kw] = layer.kernel;
      const o = layer.outChannels;
      return [
        { name: layer.weights, dtype: 'F32', shape: [o, kh, kw, inC], role: 'weights', check: 'none' },
        ...transformParams(layer.transform, 'F32', o),
      ];
    }
    case 'bconv': {
      const [kh, kw] = layer.kernel;
      const o = layer.outChannels;
      return [
        { name: layer.weights, dtype: 'U32', shape: [o, kh, kw, words(inC)], role: 'weights', check: 'packed', bits: inC },
        ...transformParams(layer.transform, 'I32', o),
      ];
    }
    case 'pack':
      return thresholdParams({ kind: 'threshold', threshold: layer.threshold, flip: layer.flip }, 'F32', inC);
    case 'maxpool':
    case 'avgpool':
    case 'gap':
      return [];
    case 'dense': {
      const o = layer.outFeatures;
      return [
        { name: layer.weights, dtype: 'F32', shape: [o, flatSize(input)], role: 'weights', check: 'none' },
        { name: layer.bias, dtype: 'F32', shape: [o], role: 'bias', check: 'none' },
      ];
    }
    case 'bdense': {
      // bdense reads a bits vector [C] or a [1,1,C] map, so the flattened input is C channels.
      const o = layer.outFeatures;
      return [
        { name: layer.weights, dtype: 'U32', shape: [o, words(inC)], role: 'weights', check: 'packed', bits: inC },
        ...transformParams(layer.transform, 'I32', o),
      ];
    }
  }
}

/** The front end's normalisation tensors, when it has them. */
export function frontendParams(frontend: FrontendConfig): ParamSpec[] {
  const n = frontend.normalization;
  if (n === null) return [];
  const m = frontend.melBands;
  return [
    { name: n.mean, dtype: 'F32', shape: [m], role: 'mean', check: 'none' },
    { name: n.std, dtype: 'F32', shape: [m], role: 'std', check: 'positive' },
  ];
}

/** Every parameter the model references, in run order (front end first). */
export function modelParams(description: ModelDescription, shapes?: GraphShapes): SitedParam[] {
  const g = shapes ?? analyzeGraph(description.graph, description.labels.length);
  const list: SitedParam[] = frontendParams(description.frontend).map((p) => ({ ...p, owner: 'frontend.normalization' }));
  for (const l of g.layers) {
    const owner = layerLabel(l.site, l.layer);
    for (const p of layerParams(l.layer, l.input)) list.push({ ...p, owner });
  }
  return list;
}

/** Scalars a parameter stands for: packed binary weights count one per weight bit, not per word. */
export function paramScalars(p: ParamSpec): number {
  if (p.check === 'packed' && p.bits !== undefined) {
    let n = p.bits;
    for (let i = 0; i < p.shape.length - 1; i++) n *= p.shape[i];
    return n;
  }
  let n = 1;
  for (const d of p.shape) n *= d;
  return n;
}
