// Planned layers prepared for the WASM kernels: parameters reorganised and copied into the kernels' memory
// once, then `run` on byte addresses of one clip's tensors (no allocation per call).
import { BeenetError } from '../errors';
import { wordsFor } from '../layout/bits';
import { convOutput, poolOutput, type MapShape } from '../layout/geometry';
import { activationCode, type ThresholdParams } from '../layout/transform';
import type { ValueInfo } from '../model/shapes';
import type { PlannedOp, TransformSpec } from '../plan/plan';
import type { RowGeometry } from '../plan/stream-rows';
import type { WasmKernels } from './module';

/** One clip's tensor description: a map [h, w, c] (vectors are 1 x 1 x c). */
export interface TensorInfo {
  kind: 'float' | 'bits';
  shape: MapShape;
}

export function tensorInfo(v: ValueInfo): TensorInfo {
  const s = v.shape;
  return { kind: v.kind, shape: s.length === 3 ? { n: 1, h: s[0], w: s[1], c: s[2] } : { n: 1, h: 1, w: 1, c: s[0] } };
}

/** Bytes of one clip of a value. */
export function tensorBytes(t: TensorInfo): number {
  const pixels = t.shape.h * t.shape.w;
  return 4 * pixels * (t.kind === 'bits' ? wordsFor(t.shape.c) : t.shape.c);
}

export interface PreparedOp {
  /** Scratch bytes `run` needs. */
  readonly scratchBytes: number;
  readonly output: TensorInfo;
  /** Whether `run` reads a residual. */
  readonly hasResidual: boolean;
  /** A second output some fused ops also write (conv-pool-pack's pooled floats), or null. */
  readonly auxOutput?: TensorInfo | null;
  /**
   * Runs one clip: input at `x`, output to `out`, the residual (or 0) at `residual`, scratch at `scratch`, the
   * second output (if any) at `aux`.
   */
  run(x: number, out: number, residual: number, scratch: number, aux?: number): void;
  /** Time-axis geometry on the planned input (ops a stream can run a band of rows of; src/wasm/stream-prefix.ts). */
  readonly rows?: RowGeometry;
  /**
   * Runs a band of rows: `inRows` input rows at `x`, `padTop` rows of padding before them and padding after,
   * `outRows` output rows to `out` (the residual's and the second output's rows line up with them). `run` is
   * the band of the whole map: each output row gets the same bits either way.
   */
  runRows?(x: number, inRows: number, padTop: number, outRows: number, out: number, residual: number, scratch: number, aux?: number): void;
}

const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;

/** Pads a per-channel array with zeros to `size` entries, in the same element type. */
function padded<T extends Float32Array | Int32Array | Uint32Array>(a: T, size: number, ctor: new (n: number) => T): T {
  const out = new ctor(size);
  out.set(a.subarray(0, Math.min(a.length, size)));
  return out;
}

// Word offsets of the transform block (wasm/assembly/transform.ts).
const T_WORDS = 10;
const T_RESIDUAL = 5;

/** Writes a transform block for `channels` outputs; `floatAcc` when the accumulators are f32. */
function prepareTransform(k: WasmKernels, t: TransformSpec | ThresholdParams, channels: number, floatAcc: boolean): number {
  const size = roundUp(channels, 8);
  const block = new Int32Array(T_WORDS);
  const f32 = (a: Float32Array): number => k.put(padded(a, size, Float32Array));
  if (t.kind === 'threshold') {
    if ((t.threshold instanceof Float32Array) !== floatAcc) {
      throw new BeenetError('KERNEL_BINDING', `threshold dtype ${t.threshold.constructor.name} does not match a ${floatAcc ? 'float' : 'integer'} accumulator`);
    }
    block[0] = floatAcc ? 1 : 0;
    block[1] = t.threshold instanceof Float32Array ? f32(t.threshold) : k.put(padded(t.threshold, size, Int32Array));
    const mask = new Int32Array(size);
    for (let c = 0; c < channels; c++) mask[c] = t.flip[c] ? -1 : 0;
    // No flipped channel (every shipped pack but one): a null mask, and the kernel skips the second comparison.
    block[2] = mask.some((m) => m !== 0) ? k.put(mask) : 0;
  } else {
    block[0] = floatAcc ? 3 : 2;
    block[3] = f32(t.mul);
    block[4] = f32(t.add);
    const a = t.activation;
    block[6] = activationCode(a);
    if (a.kind === 'prelu') block[7] = f32(a.slope);
    if (a.kind === 'rprelu') {
      block[7] = f32(a.slope);
      block[8] = f32(a.shiftIn);
      block[9] = f32(a.shiftOut);
    }
  }
  return k.put(block);
}

function hasResidual(t: TransformSpec): boolean {
  return t.kind === 'affine' && t.residual !== null;
}

function setResidual(k: WasmKernels, tp: number, residual: number): void {
  k.i32[(tp >>> 2) + T_RESIDUAL] = residual;
}

function bits(shape: MapShape): TensorInfo {
  return { kind: 'bits', shape };
}

function floats(shape: MapShape): TensorInfo {
  return { kind: 'float', shape };
}

/** Reorganises OHWI packed weights [o][l] to [l][opad] (output channels innermost, zero-padded). */
function bconvWeights(weights: Uint32Array, o: number, l: number): { data: Uint32Array; opad: number; scratchWords: number } {
  const opad = roundUp(o, 8);
  if (weights.length < o * l) throw new BeenetError('KERNEL_BINDING', `binary weights hold ${weights.length} words, need ${o * l}`);
  const data = new Uint32Array(l * opad);
  for (let r = 0; r < o; r++) {
    for (let t = 0; t < l; t++) data[t * opad + r] = weights[r * l + t];
  }
  return { data, opad, scratchWords: roundUp(l, 4) };
}

/** Reorganises OHWI float weights to [opad / 8][kh][kw][cin][8]. */
function convWeights(weights: Float32Array, o: number, taps: number, cin: number): { data: Float32Array; opad: number } {
  const opad = roundUp(o, 8);
  if (weights.length < o * taps * cin) throw new BeenetError('KERNEL_BINDING', `conv weights hold ${weights.length} floats, need ${o * taps * cin}`);
  const data = new Float32Array(opad * taps * cin);
  for (let oc = 0; oc < o; oc++) {
    const base = (oc >> 3) * taps * cin * 8 + (oc & 7);
    for (let i = 0; i < taps * cin; i++) data[base + i * 8] = weights[oc * taps * cin + i];
  }
  return { data, opad };
}

/** Prepares one planned op for an input of `input`; parameters go into `k`'s arena. */
export function prepareOp(k: WasmKernels, op: PlannedOp, input: TensorInfo): PreparedOp {
  const e = k.exports;
  const s = input.shape;
  switch (op.type) {
    case 'bconv': {
      const g = op.geometry;
      const { shape: os, padTop, padLeft } = convOutput(s, g);
      const [kh, kw] = g.kernel;
      const { data, opad, scratchWords } = bconvWeights(op.weights, g.outChannels, kh * kw * wordsFor(s.c));
      const wt = k.put(data);
      const tp = prepareTransform(k, op.transform, os.c, false);
      const output = op.transform.kind === 'threshold' ? bits(os) : floats(os);
      return {
        scratchBytes: 4 * (scratchWords + os.w * opad) + 32,
        output,
        hasResidual: hasResidual(op.transform),
        run(x, out, residual, scratch) {
          setResidual(k, tp, residual);
          e.bconv(x, s.h, s.w, s.c, wt, os.c, opad, kh, kw, g.stride[0], g.stride[1], padTop, padLeft, os.h, os.w, tp, out, align16(scratch));
        },
        rows: { kernel: kh, stride: g.stride[0], padTop, inRows: s.h, outRows: os.h },
        runRows(x, inRows, top, outRows, out, residual, scratch) {
          setResidual(k, tp, residual);
          e.bconv(x, inRows, s.w, s.c, wt, os.c, opad, kh, kw, g.stride[0], g.stride[1], top, padLeft, outRows, os.w, tp, out, align16(scratch));
        },
      };
    }
    case 'bdense': {
      // A 1 x 1 binary convolution of one pixel holding inFeatures channels (as the twin reads it).
      const c = op.inFeatures;
      const { data, opad, scratchWords } = bconvWeights(op.weights, op.outFeatures, wordsFor(c));
      const wt = k.put(data);
      const tp = prepareTransform(k, op.transform, op.outFeatures, false);
      const os: MapShape = { n: 1, h: 1, w: 1, c: op.outFeatures };
      return {
        scratchBytes: 4 * (scratchWords + opad) + 32,
        output: op.transform.kind === 'threshold' ? bits(os) : floats(os),
        hasResidual: hasResidual(op.transform),
        run(x, out, residual, scratch) {
          setResidual(k, tp, residual);
          e.bconv(x, 1, 1, c, wt, op.outFeatures, opad, 1, 1, 1, 1, 0, 0, 1, 1, tp, out, align16(scratch));
        },
      };
    }
    case 'conv_real': {
      const g = op.geometry;
      const { shape: os, padTop, padLeft } = convOutput(s, g);
      const [kh, kw] = g.kernel;
      const { data, opad } = convWeights(op.weights, g.outChannels, kh * kw, s.c);
      const wt = k.put(data);
      const tp = prepareTransform(k, op.transform, os.c, true);
      // A pointwise conv (1 x 1, stride 1, no padding: the shortcuts) is one row of h * w pixels in NHWC, so the
      // kernel's four-pixel loop runs over the whole map instead of stopping at every row's end (a 5-wide map:
      // one group of four and a slow single pixel per row). The same sums, in the same order.
      const pointwise = kh === 1 && kw === 1 && g.stride[0] === 1 && g.stride[1] === 1 && padTop === 0 && padLeft === 0;
      const [rh, rw] = pointwise ? [1, s.h * s.w] : [s.h, s.w];
      const [roh, row] = pointwise ? [1, os.h * os.w] : [os.h, os.w];
      return {
        scratchBytes: 4 * row * opad + 32,
        output: op.transform.kind === 'threshold' ? bits(os) : floats(os),
        hasResidual: hasResidual(op.transform),
        run(x, out, residual, scratch) {
          setResidual(k, tp, residual);
          e.convReal(x, rh, rw, s.c, wt, os.c, opad, kh, kw, g.stride[0], g.stride[1], padTop, padLeft, roh, row, tp, out, align16(scratch));
        },
        rows: { kernel: kh, stride: g.stride[0], padTop, inRows: s.h, outRows: os.h },
        runRows(x, inRows, top, outRows, out, residual, scratch) {
          setResidual(k, tp, residual);
          if (pointwise) {
            e.convReal(x, 1, inRows * s.w, s.c, wt, os.c, opad, 1, 1, 1, 1, 0, 0, 1, outRows * os.w, tp, out, align16(scratch));
          } else {
            e.convReal(x, inRows, s.w, s.c, wt, os.c, opad, kh, kw, g.stride[0], g.stride[1], top, padLeft, outRows, os.w, tp, out, align16(scratch));
          }
        },
      };
    }
    case 'pack': {
      const tp = prepareTransform(k, op.transform, s.c, true);
      const pixels = s.h * s.w;
      return {
        scratchBytes: 0,
        output: bits(s),
        hasResidual: false,
        run(x, out) {
          e.emitRows(tp, x, s.c, pixels, s.c, out, 0);
        },
        rows: { kernel: 1, stride: 1, padTop: 0, inRows: s.h, outRows: s.h },
        runRows(x, _inRows, _top, outRows, out) {
          e.emitRows(tp, x, s.c, outRows * s.w, s.c, out, 0);
        },
      };
    }
    case 'maxpool':
    case 'avgpool': {
      const os = poolOutput(s, op.window);
      const [kh, kw] = op.window.kernel;
      const [sy, sx] = op.window.stride;
      if (input.kind === 'bits') {
        if (op.type === 'avgpool') throw new BeenetError('UNSUPPORTED', 'average pooling on packed bits');
        return {
          scratchBytes: 0,
          output: bits(os),
          hasResidual: false,
          run(x, out) {
            e.maxpoolBits(x, s.h, s.w, wordsFor(s.c), kh, kw, sy, sx, os.h, os.w, out);
          },
          rows: { kernel: kh, stride: sy, padTop: 0, inRows: s.h, outRows: os.h },
          runRows(x, inRows, _top, outRows, out) {
            e.maxpoolBits(x, inRows, s.w, wordsFor(s.c), kh, kw, sy, sx, outRows, os.w, out);
          },
        };
      }
      const mode = op.type === 'maxpool' ? 0 : 1;
      return {
        scratchBytes: 0,
        output: floats(os),
        hasResidual: false,
        run(x, out) {
          e.poolFloat(x, s.h, s.w, s.c, kh, kw, sy, sx, os.h, os.w, mode, out);
        },
        rows: { kernel: kh, stride: sy, padTop: 0, inRows: s.h, outRows: os.h },
        runRows(x, inRows, _top, outRows, out) {
          e.poolFloat(x, inRows, s.w, s.c, kh, kw, sy, sx, outRows, os.w, mode, out);
        },
      };
    }
    case 'gap': {
      const os: MapShape = { n: 1, h: 1, w: 1, c: s.c };
      const hw = s.h * s.w;
      if (input.kind === 'bits') {
        return {
          scratchBytes: 4 * s.c + 32,
          output: floats(os),
          hasResidual: false,
          run(x, out, _r, scratch) {
            e.gapBits(x, hw, s.c, out, align16(scratch));
          },
        };
      }
      return {
        scratchBytes: 0,
        output: floats(os),
        hasResidual: false,
        run(x, out) {
          e.gapFloat(x, hw, s.c, out);
        },
      };
    }
    case 'dense': {
      const opad = roundUp(op.outFeatures, 16);
      const t = new Float32Array(op.inFeatures * opad);
      for (let o = 0; o < op.outFeatures; o++) {
        for (let i = 0; i < op.inFeatures; i++) t[i * opad + o] = op.weights[o * op.inFeatures + i];
      }
      const wt = k.put(t);
      const bias = k.put(padded(op.bias, opad, Float32Array));
      return {
        scratchBytes: 0,
        output: floats({ n: 1, h: 1, w: 1, c: op.outFeatures }),
        hasResidual: false,
        run(x, out) {
          e.dense(x, op.inFeatures, wt, bias, op.outFeatures, opad, out);
        },
      };
    }
  }
}

/**
 * A float convolution, the pooling after it and the pack after that as one kernel (wasm/assembly/
 * conv-pool-pack.ts): `input` is the convolution's input; the output is the pack's bits, and with
 * `keepPooled` the pooled floats are the second output.
 */
export function prepareConvPoolPack(k: WasmKernels, conv: PlannedOp, pool: PlannedOp, pack: PlannedOp, input: TensorInfo, keepPooled: boolean): PreparedOp {
  if (conv.type !== 'conv_real' || conv.transform.kind !== 'affine' || (pool.type !== 'avgpool' && pool.type !== 'maxpool') || pack.type !== 'pack') {
    throw new BeenetError('KERNEL_BINDING', `conv-pool-pack fuses conv_real (affine), a float pool and pack, not ${conv.type}, ${pool.type}, ${pack.type}`);
  }
  const e = k.exports;
  const s = input.shape;
  const g = conv.geometry;
  const { shape: cs, padTop, padLeft } = convOutput(s, g);
  const ps = poolOutput(cs, pool.window);
  const [kh, kw] = g.kernel;
  const [pkh, pkw] = pool.window.kernel;
  const [psy, psx] = pool.window.stride;
  const { data, opad } = convWeights(conv.weights, g.outChannels, kh * kw, s.c);
  const wt = k.put(data);
  const tpConv = prepareTransform(k, conv.transform, cs.c, true);
  const tpPack = prepareTransform(k, pack.transform, cs.c, true);
  const mode = pool.type === 'maxpool' ? 0 : 1;
  // Accumulators for one row, a band of pkh transformed rows, one pooled row (each with 16 bytes of slack).
  const part = (bytes: number): number => align16(bytes + 16);
  const scratchBytes = part(4 * cs.w * opad) + part(4 * pkh * cs.w * cs.c) + part(4 * ps.w * cs.c) + 32;
  return {
    scratchBytes,
    output: bits(ps),
    auxOutput: keepPooled ? floats(ps) : null,
    hasResidual: false,
    run(x, out, _residual, scratch, aux) {
      e.convPoolPack(
        x, s.h, s.w, s.c, wt, cs.c, opad, kh, kw, g.stride[0], g.stride[1], padTop, padLeft, cs.w,
        tpConv, pkh, pkw, psy, psx, ps.h, ps.w, mode, tpPack, out, keepPooled ? (aux ?? 0) : 0, align16(scratch),
      );
    },
    // A pooled row reads pkh convolution rows, each reading kh input rows.
    rows: { kernel: g.stride[0] * (pkh - 1) + kh, stride: g.stride[0] * psy, padTop, inRows: s.h, outRows: ps.h },
    runRows(x, inRows, top, outRows, out, _residual, scratch, aux) {
      e.convPoolPack(
        x, inRows, s.w, s.c, wt, cs.c, opad, kh, kw, g.stride[0], g.stride[1], top, padLeft, cs.w,
        tpConv, pkh, pkw, psy, psx, outRows, ps.w, mode, tpPack, out, keepPooled ? (aux ?? 0) : 0, align16(scratch),
      );
    },
  };
}

function align16(p: number): number {
  return (p + 15) & ~15;
}
