// One-shot WASM kernels with the CPU twins' signatures (src/cpu/*.ts): copy in, run, copy out. For tests,
// benchmarks and tools; the executor prepares layers once instead (src/wasm/layers.ts).
import type { ConvGeometry, MapShape, Window2d } from '../layout/geometry';
import type { OutputTransform, ThresholdParams } from '../layout/transform';
import type { PlannedOp, TransformSpec } from '../plan/plan';
import { prepareOp, tensorBytes, type TensorInfo } from './layers';
import type { WasmKernels } from './module';

type Data = Float32Array | Uint32Array;

function spec(t: OutputTransform): TransformSpec {
  return t.kind === 'threshold' ? t : { ...t, residual: t.residual ? 'residual' : null };
}

/** Runs `op` on each of `shape.n` images of `x`, with an optional per-image residual; frees what it allocated. */
function runOnce(k: WasmKernels, op: PlannedOp, kind: TensorInfo['kind'], shape: MapShape, x: Data, residual: Float32Array | null): { out: Data; shape: MapShape } {
  const mark = k.mark;
  try {
    const input: TensorInfo = { kind, shape: { ...shape, n: 1 } };
    const p = prepareOp(k, op, input);
    const inBytes = tensorBytes(input);
    const outBytes = tensorBytes(p.output);
    const xp = k.put(x);
    const rp = residual ? k.put(residual) : 0;
    const outp = k.alloc(outBytes * shape.n);
    const scratch = k.alloc(p.scratchBytes);
    for (let n = 0; n < shape.n; n++) {
      p.run(xp + n * inBytes, outp + n * outBytes, rp ? rp + n * outBytes : 0, scratch);
    }
    const len = (outBytes * shape.n) / 4;
    const out = p.output.kind === 'bits' ? k.u32.slice(outp / 4, outp / 4 + len) : k.f32.slice(outp / 4, outp / 4 + len);
    return { out, shape: { ...p.output.shape, n: shape.n } };
  } finally {
    k.release(mark);
  }
}

export function bconvWasm(k: WasmKernels, x: Uint32Array, shape: MapShape, weights: Uint32Array, g: ConvGeometry, t: OutputTransform): { out: Data; shape: MapShape } {
  return runOnce(k, { type: 'bconv', geometry: g, weights, transform: spec(t) }, 'bits', shape, x, t.kind === 'affine' ? t.residual : null);
}

export function convRealWasm(k: WasmKernels, x: Float32Array, shape: MapShape, weights: Float32Array, g: ConvGeometry, t: OutputTransform): { out: Data; shape: MapShape } {
  return runOnce(k, { type: 'conv_real', geometry: g, weights, transform: spec(t) }, 'float', shape, x, t.kind === 'affine' ? t.residual : null);
}

export function packWasm(k: WasmKernels, x: Float32Array, shape: MapShape, t: ThresholdParams<Float32Array>): Uint32Array {
  return runOnce(k, { type: 'pack', transform: t }, 'float', shape, x, null).out as Uint32Array;
}

export function maxpoolBitsWasm(k: WasmKernels, x: Uint32Array, shape: MapShape, win: Window2d): { out: Uint32Array; shape: MapShape } {
  const r = runOnce(k, { type: 'maxpool', window: win }, 'bits', shape, x, null);
  return { out: r.out as Uint32Array, shape: r.shape };
}

export function poolFloatWasm(k: WasmKernels, x: Float32Array, shape: MapShape, win: Window2d, mode: 'max' | 'avg'): { out: Float32Array; shape: MapShape } {
  const r = runOnce(k, { type: mode === 'max' ? 'maxpool' : 'avgpool', window: win }, 'float', shape, x, null);
  return { out: r.out as Float32Array, shape: r.shape };
}

export function gapBitsWasm(k: WasmKernels, x: Uint32Array, shape: MapShape): Float32Array {
  return runOnce(k, { type: 'gap' }, 'bits', shape, x, null).out as Float32Array;
}

export function gapFloatWasm(k: WasmKernels, x: Float32Array, shape: MapShape): Float32Array {
  return runOnce(k, { type: 'gap' }, 'float', shape, x, null).out as Float32Array;
}

export function denseWasm(k: WasmKernels, x: Float32Array, n: number, inFeatures: number, weights: Float32Array, bias: Float32Array): Float32Array {
  const op: PlannedOp = { type: 'dense', weights, bias, inFeatures, outFeatures: bias.length };
  return runOnce(k, op, 'float', { n, h: 1, w: 1, c: inFeatures }, x, null).out as Float32Array;
}

export function bdenseWasm(
  k: WasmKernels,
  x: Uint32Array,
  n: number,
  inFeatures: number,
  weights: Uint32Array,
  outFeatures: number,
  t: OutputTransform,
): Float32Array | Uint32Array {
  const op: PlannedOp = { type: 'bdense', weights, inFeatures, outFeatures, transform: spec(t) };
  return runOnce(k, op, 'bits', { n, h: 1, w: 1, c: inFeatures }, x, t.kind === 'affine' ? t.residual : null).out;
}
