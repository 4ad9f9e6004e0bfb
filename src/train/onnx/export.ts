// A `.bee` model as an ONNX graph that computes what beenet's CPU reference computes (src/cpu): every stage's
// trunk layers in run order and the last exit's logits (or every exit's).
//
// Layout: values are NCHW (maps) or [N, C] (vectors) with a symbolic batch axis N. Packed bits become +-1
// tensors: float32 in the float model; in the int8 model uint8 with zero point 128 (129 = +1, 127 = -1: ONNX
// Runtime's fast u8 x s8 kernels), the binary weights int8 +-1. The int8 model's binary convolutions and binary
// dense layers are QDQ (DequantizeLinear -> Conv / Gemm -> QuantizeLinear -> DequantizeLinear, which ONNX Runtime
// fuses into QLinearConv / QGemm) or, with int8Form 'integer', ConvInteger / MatMulInteger (exact int32
// accumulators). Everything real-valued (the stem, shortcuts, affine transforms, pools, dense heads) stays
// float32. Details in docs/benchmarks.md ("ONNX Runtime Web peer").
import { outputAxis, type ConvGeometry } from '../../layout/geometry';
import type { ActivationParams, ThresholdParams } from '../../layout/transform';
import type { ModelDescription, ValueName } from '../../model/graph';
import { planModel, type PlannedLayer, type TensorSource, type TransformSpec } from '../../plan/plan';
import { GraphBuilder, type ElemType } from './builder';
import { denseNhwcToNchw, flipSigns, ohwiToOihw, transpose, unpackOihw, unpackRows } from './weights';

export type OnnxPrecision = 'float32' | 'int8';

export interface OnnxExportOptions {
  precision: OnnxPrecision;
  /** 'last' (default): one output, the last exit's logits; 'all': one output per exit as well. */
  exits?: 'last' | 'all';
  /**
   * How the int8 model runs its binary layers: 'qdq' (default) DequantizeLinear -> Conv/Gemm -> QuantizeLinear ->
   * DequantizeLinear, which ONNX Runtime fuses into QLinearConv / QGemm (int8 accumulators requantised with
   * `accScales`), or 'integer': ConvInteger / MatMulInteger with exact int32 accumulators.
   */
  int8Form?: 'qdq' | 'integer';
  /**
   * QDQ only: the step of each binary layer's requantised accumulator, by output value name (from
   * calibrateAccumulators); a layer without one gets DEFAULT_ACC_SCALE.
   */
  accScales?: ReadonlyMap<ValueName, number>;
  /** Opset of the default domain (default 13). */
  opset?: number;
}

export interface OnnxExport {
  bytes: Uint8Array;
  precision: OnnxPrecision;
  /** The graph input: float32 features [N, frames, bands, channels], exactly beenet's `{ features }` layout. */
  input: string;
  inputShape: [number, number, number];
  /** 'logits' (last exit), then 'exit0', 'exit1', ... with exits 'all'. */
  outputs: string[];
  classes: number;
  /** Node count per operator type. */
  ops: Record<string, number>;
}

/** An ONNX tensor standing for a beenet value. */
interface Val {
  name: string;
  kind: 'float' | 'bits';
  /** Element type of the tensor: bits are float32 (+-1) in the float model, uint8 (128 +- 1) in the int8 model. */
  elem: ElemType;
  /** beenet's per-clip shape: [H, W, C] (ONNX [N, C, H, W]) or [C] (ONNX [N, C]). */
  shape: number[];
}

/** Zero point of binary activations in the int8 model: +1 is 129, -1 is 127. */
export const BITS_ZERO_POINT = 128;

/**
 * The requantisation step of a binary accumulator without calibration: 2. An accumulator over K +-1 products
 * has K's parity, so for even K (every shipped layer) step 2 is exact up to |acc| = 254 and saturates beyond;
 * on the shipped models that costs less than a coarser step everywhere (docs/benchmarks.md).
 */
export const DEFAULT_ACC_SCALE = 2;

const i64 = (v: readonly number[]): BigInt64Array => BigInt64Array.from(v, (x) => BigInt(x));

class Lowering {
  private readonly values = new Map<ValueName, Val>();
  private readonly int8: boolean;

  private readonly qdq: boolean;

  constructor(private readonly g: GraphBuilder, precision: OnnxPrecision, private readonly options: OnnxExportOptions) {
    this.int8 = precision === 'int8';
    this.qdq = this.int8 && (options.int8Form ?? 'qdq') === 'qdq';
  }

  /**
   * The QDQ form of a binary layer's accumulator: int8 +-1 input and weights dequantised (scale 1), the float
   * Conv or Gemm, its output quantised to int8 at `scale` and dequantised back to float.
   */
  private qdqAcc(base: string, x: string, weights: Int8Array, dims: number[], op: 'Conv' | 'Gemm', attrs: Record<string, number | number[]>): string {
    const one = this.g.constant(new Float32Array([1]));
    const zero = this.g.constant(new Int8Array([0]));
    const zp = this.bitsZeroPoint();
    const scale = this.options.accScales?.get(base) ?? DEFAULT_ACC_SCALE;
    const s = this.g.constant(new Float32Array([scale]));
    const xd = this.g.op('DequantizeLinear', [x, one, zp], `${base}.xdq`);
    const wd = this.g.op('DequantizeLinear', [this.g.initializer(`${base}.weight`, weights, dims), one, zero], `${base}.wdq`);
    const acc = this.g.op(op, [xd, wd], `${base}.accq`, attrs);
    const q = this.g.op('QuantizeLinear', [acc, s, zp], `${base}.q`);
    return this.g.op('DequantizeLinear', [q, s, zp], `${base}.acc`);
  }

  private bitsZeroPoint(): string {
    return this.g.constant(new Uint8Array([BITS_ZERO_POINT]));
  }

  /** The bits tensor element for +1 or -1. */
  private bitConstant(v: 1 | -1): string {
    return this.int8 ? this.g.constant(new Uint8Array([BITS_ZERO_POINT + v])) : this.g.constant(new Float32Array([v]));
  }

  set(name: ValueName, v: Val): void {
    this.values.set(name, v);
  }

  get(name: ValueName): Val {
    const v = this.values.get(name);
    if (!v) throw new Error(`ONNX export: value '${name}' has no tensor yet`);
    return v;
  }

  private bitsElem(): ElemType {
    return this.int8 ? 'uint8' : 'float32';
  }

  /** A per-channel constant shaped to broadcast over a value of `shape` ([C,1,1] for maps, [C] for vectors). */
  private perChannel(base: string, data: Float32Array | Int32Array, shape: readonly number[]): string {
    const c = data.length;
    return this.g.initializer(base, data, shape.length === 3 ? [c, 1, 1] : [c]);
  }

  /** +-1 from a boolean: Where(cond, +1, -1) in the bits element type. */
  private signOf(cond: string, base: string): string {
    return this.g.op('Where', [cond, this.bitConstant(1), this.bitConstant(-1)], base);
  }

  /** +1 iff x >= t (flip 0) or x <= t (flip 1), as sign * x >= sign * t (negation is exact). */
  private threshold(x: string, t: ThresholdParams, shape: readonly number[], base: string, signsFolded: boolean, elem: 'float32' | 'int32'): string {
    const s = flipSigns(t.flip);
    const anyFlip = s.some((v) => v < 0);
    const scaled = elem === 'int32' ? Int32Array.from(t.threshold, (v, c) => v * s[c]) : Float32Array.from(t.threshold, (v, c) => v * s[c]);
    let lhs = x;
    if (anyFlip && !signsFolded) {
      lhs = this.g.op('Mul', [x, this.perChannel(`${base}.sign`, elem === 'int32' ? Int32Array.from(s) : Float32Array.from(s), shape)], `${base}.signed`);
    }
    const cond = this.g.op('GreaterOrEqual', [lhs, this.perChannel(`${base}.threshold`, scaled, shape)], `${base}.ge`);
    return this.signOf(cond, base);
  }

  private activation(y: string, a: ActivationParams, shape: readonly number[], base: string): string {
    switch (a.kind) {
      case 'none':
        return y;
      case 'relu':
        return this.g.op('Relu', [y], `${base}.relu`);
      case 'prelu':
        return this.g.op('PRelu', [y, this.perChannel(`${base}.slope`, a.slope, shape)], `${base}.prelu`);
      case 'rprelu': {
        const z = this.g.op('Sub', [y, this.perChannel(`${base}.shiftIn`, a.shiftIn, shape)], `${base}.z`);
        const p = this.g.op('PRelu', [z, this.perChannel(`${base}.slope`, a.slope, shape)], `${base}.prelu`);
        return this.g.op('Add', [p, this.perChannel(`${base}.shiftOut`, a.shiftOut, shape)], `${base}.rprelu`);
      }
    }
  }

  /** y = acc * mul + add (+ residual), then the activation (the order of src/cpu/transform.ts). */
  private affine(acc: string, t: Extract<TransformSpec, { kind: 'affine' }>, shape: readonly number[], base: string): string {
    const m = this.g.op('Mul', [acc, this.perChannel(`${base}.mul`, t.mul, shape)], `${base}.scaled`);
    let y = this.g.op('Add', [m, this.perChannel(`${base}.add`, t.add, shape)], `${base}.affine`);
    if (t.residual !== null) y = this.g.op('Add', [y, this.get(t.residual).name], `${base}.residual`);
    return this.activation(y, t.activation, shape, base);
  }

  private floatVal(name: string, shape: number[]): Val {
    return { name, kind: 'float', elem: 'float32', shape };
  }

  private bitsVal(name: string, shape: number[]): Val {
    return { name, kind: 'bits', elem: this.bitsElem(), shape };
  }

  /** Float input of a layer; a bits value in the int8 model is dequantised to float32 (+-1.0) first. */
  private asFloat(v: Val, base: string): string {
    if (v.elem === 'float32') return v.name;
    return this.g.op('DequantizeLinear', [v.name, this.g.constant(new Float32Array([1])), this.bitsZeroPoint()], `${base}.float`);
  }

  private flatten(v: Val, base: string): string {
    return v.shape.length === 1 ? v.name : this.g.op('Flatten', [v.name], `${base}.flat`, { axis: 1 });
  }

  private convAttrs(l: PlannedLayer, kernel: readonly [number, number], stride: readonly [number, number], padding: ConvGeometry['padding']): { attrs: Record<string, number[]>; pads: number[] } {
    const attrs = { kernel_shape: [kernel[0], kernel[1]], strides: [stride[0], stride[1]] };
    // ONNX pads are [top, left, bottom, right].
    if (typeof padding !== 'string') return { attrs, pads: [padding.top, padding.left, padding.bottom, padding.right] };
    const [h, w] = l.inputInfo.shape;
    const y = outputAxis(h, kernel[0], stride[0], padding);
    const x = outputAxis(w, kernel[1], stride[1], padding);
    const totalY = Math.max((y.out - 1) * stride[0] + kernel[0] - h, 0);
    const totalX = Math.max((x.out - 1) * stride[1] + kernel[1] - w, 0);
    const pads = padding === 'same' ? [y.padBefore, x.padBefore, totalY - y.padBefore, totalX - x.padBefore] : [0, 0, 0, 0];
    return { attrs, pads };
  }

  layer(l: PlannedLayer): void {
    const base = l.output;
    const op = l.op;
    const out = l.outputInfo.shape;
    const x = this.get(l.input);
    switch (op.type) {
      case 'conv_real': {
        const [, , i] = l.inputInfo.shape;
        const { kernel, stride, padding, outChannels } = op.geometry;
        const { attrs, pads } = this.convAttrs(l, kernel, stride, padding);
        const t = op.transform;
        const signs = t.kind === 'threshold' ? flipSigns(t.flip) : undefined;
        const w = this.g.initializer(`${base}.weight`, ohwiToOihw(op.weights, outChannels, kernel[0], kernel[1], i, signs), [outChannels, i, kernel[0], kernel[1]]);
        const acc = this.g.op('Conv', [x.name, w], `${base}.conv`, { ...attrs, pads });
        if (t.kind === 'threshold') this.set(l.output, this.bitsVal(this.threshold(acc, t, out, base, true, 'float32'), out));
        else this.set(l.output, this.floatVal(this.affine(acc, t, out, base), out));
        return;
      }
      case 'bconv': {
        const [, , i] = l.inputInfo.shape;
        const { kernel, stride, padding, outChannels } = op.geometry;
        const { attrs, pads } = this.convAttrs(l, kernel, stride, padding);
        // beenet pads binary maps with +1 (all-zero words); ONNX convolutions pad with 0: pad explicitly.
        let xin = x.name;
        if (pads.some((p) => p > 0)) {
          const one = this.bitConstant(1);
          xin = this.g.op('Pad', [x.name, this.g.constant(i64([0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]]), [8]), one], `${base}.pad`, { mode: 'constant' });
        }
        const t = op.transform;
        const signs = t.kind === 'threshold' ? flipSigns(t.flip) : undefined;
        const pm = unpackOihw(op.weights, outChannels, kernel[0], kernel[1], i, signs);
        const dims = [outChannels, i, kernel[0], kernel[1]];
        if (this.qdq) {
          const acc = this.qdqAcc(base, xin, pm, dims, 'Conv', attrs);
          if (t.kind === 'threshold') this.set(l.output, this.bitsVal(this.threshold(acc, t, out, base, true, 'float32'), out));
          else this.set(l.output, this.floatVal(this.affine(acc, t, out, base), out));
        } else if (this.int8) {
          const acc = this.g.op('ConvInteger', [xin, this.g.initializer(`${base}.weight`, pm, dims), this.bitsZeroPoint()], `${base}.acc`, attrs);
          if (t.kind === 'threshold') this.set(l.output, this.bitsVal(this.threshold(acc, t, out, base, true, 'int32'), out));
          else this.set(l.output, this.floatVal(this.affine(this.g.op('Cast', [acc], `${base}.accf`, { to: 1 }), t, out, base), out));
        } else if (t.kind === 'threshold') {
          // Integer accumulators: sign * acc >= sign * t  <=>  sign * acc - sign * t + 0.5 > 0, never 0, so Sign
          // gives exactly +-1, and the bias rides in the convolution.
          const s = flipSigns(t.flip);
          const bias = Float32Array.from(t.threshold, (v, c) => 0.5 - s[c] * v);
          const acc = this.g.op('Conv', [xin, this.g.initializer(`${base}.weight`, Float32Array.from(pm), dims), this.g.initializer(`${base}.bias`, bias, [outChannels])], `${base}.conv`, attrs);
          this.set(l.output, this.bitsVal(this.g.op('Sign', [acc], `${base}.sign`), out));
        } else {
          const acc = this.g.op('Conv', [xin, this.g.initializer(`${base}.weight`, Float32Array.from(pm), dims)], `${base}.conv`, attrs);
          this.set(l.output, this.floatVal(this.affine(acc, t, out, base), out));
        }
        return;
      }
      case 'pack':
        this.set(l.output, this.bitsVal(this.threshold(x.name, op.transform, out, base, false, 'float32'), out));
        return;
      case 'maxpool': {
        // On bits the max of +-1 values is beenet's AND of the words: MaxPool on +-1 (float32 or int8).
        const y = this.g.op('MaxPool', [x.name], base, { kernel_shape: [...op.window.kernel], strides: [...op.window.stride] });
        this.set(l.output, { ...x, name: y, shape: out });
        return;
      }
      case 'avgpool': {
        const y = this.g.op('AveragePool', [x.name], base, { kernel_shape: [...op.window.kernel], strides: [...op.window.stride] });
        this.set(l.output, this.floatVal(y, out));
        return;
      }
      case 'gap': {
        const p = this.g.op('GlobalAveragePool', [this.asFloat(x, base)], `${base}.pool`);
        this.set(l.output, this.floatVal(this.g.op('Flatten', [p], base, { axis: 1 }), out));
        return;
      }
      case 'dense': {
        const s = l.inputInfo.shape;
        const w = s.length === 3 ? denseNhwcToNchw(op.weights, op.outFeatures, s[0], s[1], s[2]) : op.weights;
        const y = this.g.op('Gemm', [this.flatten(x, base), this.g.initializer(`${base}.weight`, w, [op.outFeatures, op.inFeatures]), this.g.initializer(`${base}.bias`, op.bias, [op.outFeatures])], base, { transB: 1 });
        this.set(l.output, this.floatVal(y, out));
        return;
      }
      case 'bdense': {
        const xin = this.flatten(x, base);
        const t = op.transform;
        const s = t.kind === 'threshold' ? flipSigns(t.flip) : undefined;
        const pm = unpackRows(op.weights, op.outFeatures, op.inFeatures, s);
        if (this.qdq) {
          const acc = this.qdqAcc(base, xin, pm, [op.outFeatures, op.inFeatures], 'Gemm', { transB: 1 });
          if (t.kind === 'threshold') this.set(l.output, this.bitsVal(this.threshold(acc, t, out, base, true, 'float32'), out));
          else this.set(l.output, this.floatVal(this.affine(acc, t, out, base), out));
        } else if (this.int8) {
          const w = this.g.initializer(`${base}.weight`, transpose(pm, op.outFeatures, op.inFeatures), [op.inFeatures, op.outFeatures]);
          const acc = this.g.op('MatMulInteger', [xin, w, this.bitsZeroPoint()], `${base}.acc`);
          if (t.kind === 'threshold') this.set(l.output, this.bitsVal(this.threshold(acc, t, out, base, true, 'int32'), out));
          else this.set(l.output, this.floatVal(this.affine(this.g.op('Cast', [acc], `${base}.accf`, { to: 1 }), t, out, base), out));
        } else if (t.kind === 'threshold') {
          const bias = Float32Array.from(t.threshold, (v, c) => 0.5 - s![c] * v);
          const acc = this.g.op('Gemm', [xin, this.g.initializer(`${base}.weight`, Float32Array.from(pm), [op.outFeatures, op.inFeatures]), this.g.initializer(`${base}.bias`, bias, [op.outFeatures])], `${base}.acc`, { transB: 1 });
          this.set(l.output, this.bitsVal(this.g.op('Sign', [acc], `${base}.sign`), out));
        } else {
          const acc = this.g.op('Gemm', [xin, this.g.initializer(`${base}.weight`, Float32Array.from(pm), [op.outFeatures, op.inFeatures])], `${base}.acc`, { transB: 1 });
          this.set(l.output, this.floatVal(this.affine(acc, t, out, base), out));
        }
        return;
      }
    }
  }
}

/** The ONNX model of a `.bee` model (its description and tensors, as readBee returns them). */
export function exportOnnx(description: ModelDescription, tensors: TensorSource, options: OnnxExportOptions): OnnxExport {
  const plan = planModel(description, tensors);
  const g = new GraphBuilder();
  const lower = new Lowering(g, options.precision, options);
  const [h, w, c] = plan.inputShape;
  const input = g.input('features', 'float32', ['N', h, w, c]);
  // [N, H, W, C] -> [N, C, H, W]: with one channel the same memory, so a Reshape.
  const nchw = c === 1
    ? g.op('Reshape', [input, g.constant(i64([-1, 1, h, w]), [4])], 'input')
    : g.op('Transpose', [input], 'input', { perm: [0, 3, 1, 2] });
  lower.set('input', { name: nchw, kind: 'float', elem: 'float32', shape: [h, w, c] });
  const all = options.exits === 'all';
  const last = plan.stages.length - 1;
  const outputs: string[] = [];
  const exitOutputs: { value: string; name: string }[] = [];
  for (const s of plan.stages) {
    for (const l of s.layers) lower.layer(l);
    if (!all && s.index !== last) continue;
    for (const l of s.exitLayers) lower.layer(l);
    exitOutputs.push({ value: lower.get(s.logits).name, name: `exit${s.index}` });
  }
  g.output(lower.get(plan.stages[last].logits).name, 'logits', 'float32', ['N', plan.classes]);
  outputs.push('logits');
  if (all) {
    for (const e of exitOutputs) {
      g.output(e.value, e.name, 'float32', ['N', plan.classes]);
      outputs.push(e.name);
    }
  }
  const opset = options.opset ?? 13;
  const bytes = g.encode(description.name, {
    producer: 'beenet export-onnx',
    version: '1',
    docString: `${description.name} (${description.architecture}, ${description.task}) exported from a .bee file, ${options.precision}: ` +
      `input float32 features [N, ${h}, ${w}, ${c}] (the model's normalised front-end output), output logits [N, ${plan.classes}] of the last exit.`,
    opset,
    metadata: { labels: JSON.stringify(description.labels), precision: options.precision, architecture: description.architecture, task: description.task },
  });
  return { bytes, precision: options.precision, input, inputShape: [h, w, c], outputs, classes: plan.classes, ops: g.opCounts() };
}
