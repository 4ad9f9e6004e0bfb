// Load-time planning, shared by every backend: the graph cut into stages (one per exit), each layer with its
// parameters resolved to typed arrays, and the op counts that say what fraction of the model a clip used.
import { BeenetError } from '../errors';
import type { ConvGeometry, Window2d } from '../layout/geometry';
import type { ActivationParams, ThresholdParams } from '../layout/transform';
import type { Activation, AffineTransform, Layer, ModelDescription, OpCount, ThresholdTransform, ValueName } from '../model/graph';
import { analyzeGraph, flatSize, type LayerShapes, type ValueInfo } from '../model/shapes';
import { addOps, countOps } from '../model/ops';
import { foldPoolsIntoConvs, withoutValues } from './fold-pool';

export type TensorData = Float32Array | Int32Array | Uint32Array;

/** The parameters a backend needs, with tensors looked up. */
export interface TensorSource {
  get(name: string): { data: TensorData } | undefined;
}

/** An affine transform whose residual is still a value name (backends bind it to their own storage). */
export interface AffineSpec {
  kind: 'affine';
  mul: Float32Array;
  add: Float32Array;
  residual: ValueName | null;
  activation: ActivationParams;
}

export type TransformSpec = ThresholdParams | AffineSpec;

export type PlannedOp =
  | { type: 'conv_real'; geometry: ConvGeometry; weights: Float32Array; transform: TransformSpec }
  | { type: 'bconv'; geometry: ConvGeometry; weights: Uint32Array; transform: TransformSpec }
  | { type: 'pack'; transform: ThresholdParams<Float32Array> }
  | { type: 'maxpool'; window: Window2d }
  | { type: 'avgpool'; window: Window2d }
  | { type: 'gap' }
  | { type: 'dense'; weights: Float32Array; bias: Float32Array; inFeatures: number; outFeatures: number }
  | { type: 'bdense'; weights: Uint32Array; inFeatures: number; outFeatures: number; transform: TransformSpec };

export interface PlannedLayer {
  /** "block 2 layer 1 (bconv)", for messages. */
  label: string;
  input: ValueName;
  output: ValueName;
  inputInfo: ValueInfo;
  outputInfo: ValueInfo;
  op: PlannedOp;
}

export interface Stage {
  index: number;
  /** The trunk layers of this stage (the stem belongs to stage 0). */
  layers: PlannedLayer[];
  /** The exit head's layers; its last output is `logits`. */
  exitLayers: PlannedLayer[];
  logits: ValueName;
  /** Ops of the trunk layers plus this exit's head. */
  ops: OpCount;
  /** Ops of everything up to and including this stage's exit. */
  cumulativeOps: OpCount;
}

export interface ModelPlan {
  inputShape: [number, number, number];
  inputElements: number;
  classes: number;
  values: Map<ValueName, ValueInfo>;
  stages: Stage[];
  /** Cost of running every stage (threshold 0): what "fraction of the model" is measured against. */
  totalOps: OpCount;
}

function tensor<T extends TensorData>(src: TensorSource, name: string, ctor: new (...args: never[]) => T, where: string): T {
  const t = src.get(name);
  if (!t || !(t.data instanceof ctor)) throw new BeenetError('MODEL_FORMAT', `${where}: tensor '${name}' is missing or has the wrong dtype`);
  return t.data;
}

function activation(a: Activation, src: TensorSource, where: string): ActivationParams {
  switch (a.kind) {
    case 'none':
    case 'relu':
      return { kind: a.kind };
    case 'prelu':
      return { kind: 'prelu', slope: tensor(src, a.slope, Float32Array, where) };
    case 'rprelu':
      return {
        kind: 'rprelu',
        shiftIn: tensor(src, a.shiftIn, Float32Array, where),
        slope: tensor(src, a.slope, Float32Array, where),
        shiftOut: tensor(src, a.shiftOut, Float32Array, where),
      };
  }
}

function transform(t: AffineTransform | ThresholdTransform, src: TensorSource, where: string, intThresholds: boolean): TransformSpec {
  if (t.kind === 'threshold') {
    return {
      kind: 'threshold',
      threshold: intThresholds ? tensor(src, t.threshold, Int32Array, where) : tensor(src, t.threshold, Float32Array, where),
      flip: tensor(src, t.flip, Uint32Array, where),
    };
  }
  return {
    kind: 'affine',
    mul: tensor(src, t.mul, Float32Array, where),
    add: tensor(src, t.add, Float32Array, where),
    residual: t.residual,
    activation: activation(t.activation, src, where),
  };
}

function planOp(l: LayerShapes, src: TensorSource, where: string): PlannedOp {
  const layer: Layer = l.layer;
  switch (layer.type) {
    case 'conv_real':
    case 'bconv': {
      const geometry: ConvGeometry = {
        kernel: layer.kernel,
        stride: layer.stride,
        padding: layer.padding,
        outChannels: layer.outChannels,
      };
      const binary = layer.type === 'bconv';
      const t = transform(layer.transform, src, where, binary);
      return binary
        ? { type: 'bconv', geometry, weights: tensor(src, layer.weights, Uint32Array, where), transform: t }
        : { type: 'conv_real', geometry, weights: tensor(src, layer.weights, Float32Array, where), transform: t };
    }
    case 'pack':
      return {
        type: 'pack',
        transform: {
          kind: 'threshold',
          threshold: tensor(src, layer.threshold, Float32Array, where),
          flip: tensor(src, layer.flip, Uint32Array, where),
        },
      };
    case 'maxpool':
    case 'avgpool':
      return { type: layer.type, window: { kernel: layer.kernel, stride: layer.stride } };
    case 'gap':
      return { type: 'gap' };
    case 'dense':
      return {
        type: 'dense',
        weights: tensor(src, layer.weights, Float32Array, where),
        bias: tensor(src, layer.bias, Float32Array, where),
        inFeatures: flatSize(l.input),
        outFeatures: layer.outFeatures,
      };
    case 'bdense':
      return {
        type: 'bdense',
        weights: tensor(src, layer.weights, Uint32Array, where),
        inFeatures: l.input.shape[l.input.shape.length - 1],
        outFeatures: layer.outFeatures,
        transform: transform(layer.transform, src, where, true),
      };
  }
}

const ZERO: OpCount = { binaryOps: 0, floatOps: 0, params: 0 };

export interface PlanOptions {
  /**
   * Fold an average pooling after a linear float convolution into that convolution (src/plan/fold-pool.ts).
   * On by default; off plans the graph layer for layer (the tests compare the two).
   */
  foldPools?: boolean;
}

/** Cuts a validated model into stages. Assumes `readBee` validated it; re-checks the graph's shapes. */
export function planModel(description: ModelDescription, tensors: TensorSource, options: PlanOptions = {}): ModelPlan {
  const graph = description.graph;
  const shapes = analyzeGraph(graph, description.labels.length);
  const ops = countOps(graph, description.labels.length, shapes);
  const stageOfBlock: number[] = [];
  graph.exits.forEach((e, k) => {
    const first = k === 0 ? 0 : graph.exits[k - 1].after + 1;
    for (let b = first; b <= e.after; b++) stageOfBlock[b] = k;
  });
  const stages: Stage[] = graph.exits.map((e, k) => ({
    index: k,
    layers: [],
    exitLayers: [],
    logits: e.logits,
    ops: { ...ZERO },
    cumulativeOps: { ...ZERO },
  }));
  for (const l of shapes.layers) {
    const label = `${l.site.section === 'stem' ? 'stem' : `${l.site.section} ${l.site.index}`} layer ${l.site.layer} (${l.layer.type})`;
    const planned: PlannedLayer = {
      label,
      input: l.layer.input,
      output: l.layer.output,
      inputInfo: l.input,
      outputInfo: l.output,
      op: planOp(l, tensors, label),
    };
    if (l.site.section === 'exit') stages[l.site.index].exitLayers.push(planned);
    else stages[l.site.section === 'stem' ? 0 : stageOfBlock[l.site.index]].layers.push(planned);
  }
  graph.blocks.forEach((_, b) => {
    const s = stages[stageOfBlock[b]];
    s.ops = addOps(s.ops, ops.blocks[b]);
  });
  let running = { ...ZERO };
  for (const s of stages) {
    s.ops = addOps(s.ops, ops.exits[s.index]);
    running = addOps(running, s.ops);
    s.cumulativeOps = running;
  }
  const [h, w, c] = graph.inputShape;
  // Op counts stay those of the graph as written: "fraction of the model" means the same under either plan.
  const folded = options.foldPools === false ? { stages, dropped: [] } : foldPoolsIntoConvs(stages);
  return {
    inputShape: graph.inputShape,
    inputElements: h * w * c,
    classes: description.labels.length,
    values: withoutValues(shapes.values, folded.dropped),
    stages: folded.stages,
    totalOps: running,
  };
}
