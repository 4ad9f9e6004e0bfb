// A small typed layer over onnx-proto (the ONNX protobuf schema compiled by protobufjs): graph nodes,
// initializers, inputs and outputs, and the serialised ModelProto.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** The ONNX element types the exporter writes. */
export type ElemType = 'float32' | 'int8' | 'uint8' | 'int32' | 'int64' | 'bool';

const ELEM: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int8: onnx.TensorProto.DataType.INT8,
  uint8: onnx.TensorProto.DataType.UINT8,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

export type TensorArray = Float32Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;

function elemOf(data: TensorArray): ElemType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int32Array) return 'int32';
  return 'int64';
}

/** Attribute values: numbers are INT unless wrapped as { float }, arrays of numbers are INTS. */
export type AttrValue = number | { float: number } | number[] | string;

function attribute(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return { name, type: T.INT, i: v };
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  return { name, type: T.FLOAT, f: v.float };
}

/** A dimension: a fixed size or a symbolic one (the batch axis). */
export type Dim = number | string;

export interface OnnxModelInfo {
  producer: string;
  version: string;
  docString: string;
  opset: number;
  metadata: Record<string, string>;
}

/** Builds one ONNX graph; every name it hands out is unique. */
export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private readonly constants = new Map<string, string>();

  /** A fresh tensor name derived from `base` (ONNX names may hold any characters; keep them readable). */
  name(base: string): string {
    let n = base;
    for (let i = 1; this.used.has(n); i++) n = `${base}_${i}`;
    this.used.add(n);
    return n;
  }

  /** An initializer (constant tensor); returns its name. */
  initializer(base: string, data: TensorArray, dims: readonly number[]): string {
    const name = this.name(base);
    let count = 1;
    for (const d of dims) count *= d;
    if (count !== data.length) throw new Error(`initializer ${name}: ${data.length} values for dims [${dims.join(',')}]`);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    // raw_data is little-endian, as every typed array here is on the platforms ONNX Runtime runs on.
    this.initializers.push({ name, dims: [...dims], dataType: ELEM[elemOf(data)], rawData: bytes.slice() });
    return name;
  }

  /** A scalar or small constant, shared between nodes that use the same value. */
  constant(data: TensorArray, dims: readonly number[] = []): string {
    const key = `${elemOf(data)}:${dims.join(',')}:${Array.prototype.join.call(data, ',')}`;
    const known = this.constants.get(key);
    if (known !== undefined) return known;
    const name = this.initializer(`const_${elemOf(data)}`, data, dims);
    this.constants.set(key, name);
    return name;
  }

  /** Adds a node; returns the names of its outputs (fresh names from `outBase`, or exactly `outNames`). */
  node(op: string, inputs: readonly string[], outBase: string, attrs: Record<string, AttrValue> = {}, outputs = 1, domain = ''): string[] {
    const outs = Array.from({ length: outputs }, (_, i) => this.name(outputs === 1 ? outBase : `${outBase}_${i}`));
    this.nodes.push({
      opType: op,
      domain,
      name: this.name(`${op}:${outBase}`),
      input: [...inputs],
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  /** One-output node. */
  op(op: string, inputs: readonly string[], outBase: string, attrs: Record<string, AttrValue> = {}): string {
    return this.node(op, inputs, outBase, attrs)[0];
  }

  private valueInfo(name: string, elem: ElemType, dims: readonly Dim[]): onnxProto.onnx.IValueInfoProto {
    return {
      name,
      type: {
        tensorType: {
          elemType: ELEM[elem],
          shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
        },
      },
    };
  }

  input(base: string, elem: ElemType, dims: readonly Dim[]): string {
    const name = this.name(base);
    this.inputs.push(this.valueInfo(name, elem, dims));
    return name;
  }

  /** Declares `value` a graph output under the name `name` (an Identity node renames it when needed). */
  output(value: string, name: string, elem: ElemType, dims: readonly Dim[]): void {
    let out = value;
    if (value !== name) {
      if (this.used.has(name)) throw new Error(`output name ${name} is already taken`);
      this.used.add(name);
      this.nodes.push({ opType: 'Identity', domain: '', name: this.name(`Identity:${name}`), input: [value], output: [name] });
      out = name;
    }
    this.outputs.push(this.valueInfo(out, elem, dims));
  }

  /** Operator counts by type, for reports. */
  opCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const n of this.nodes) counts[n.opType ?? '?'] = (counts[n.opType ?? '?'] ?? 0) + 1;
    return counts;
  }

  /** The serialised ModelProto. */
  encode(graphName: string, info: OnnxModelInfo): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: info.producer,
      producerVersion: info.version,
      docString: info.docString,
      opsetImport: [{ domain: '', version: info.opset }],
      metadataProps: Object.entries(info.metadata).map(([key, value]) => ({ key, value })),
      graph: {
        name: graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
