// Every WASM kernel against its CPU twin on seeded random shapes: bit-exact, floats included.
import { beforeAll, describe, expect, it } from 'vitest';
import { bconvCpu } from '../../src/cpu/bconv';
import { convRealCpu } from '../../src/cpu/conv-real';
import { bdenseCpu, denseCpu } from '../../src/cpu/dense';
import { packCpu } from '../../src/cpu/pack';
import { gapBitsCpu, gapFloatCpu, maxpoolBitsCpu, poolFloatCpu } from '../../src/cpu/pool';
import { wordsFor } from '../../src/layout/bits';
import { convOutput, type ConvGeometry, type MapShape } from '../../src/layout/geometry';
import type { ActivationParams, OutputTransform } from '../../src/layout/transform';
import { createKernels, type WasmKernels, wasmSimdSupported } from '../../src/wasm/module';
import {
  bconvWasm,
  bdenseWasm,
  convRealWasm,
  denseWasm,
  gapBitsWasm,
  gapFloatWasm,
  maxpoolBitsWasm,
  packWasm,
  poolFloatWasm,
} from '../../src/wasm/ops';
import { Rng } from './rng';

/**
 * Index of the first element whose bits differ, or -1. Any NaN equals any NaN: WebAssembly leaves the sign and
 * payload of a NaN result unspecified (f32x4.max on x64 and JS's Math.max pick different ones), and no NaN's
 * bits change a later layer's result (a NaN is never >= a threshold, and stays NaN through sums and maxima).
 */
function firstDiff(a: Float32Array | Uint32Array, b: Float32Array | Uint32Array): number {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (ua.length !== ub.length) return -2;
  const floats = a instanceof Float32Array && b instanceof Float32Array;
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i] && !(floats && Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  return -1;
}

function expectSame(got: Float32Array | Uint32Array, want: Float32Array | Uint32Array, what: string): void {
  expect(got.constructor).toBe(want.constructor);
  const d = firstDiff(got, want);
  const detail = d >= 0 ? ` at ${d}: got ${got[d]}, want ${want[d]}` : d === -2 ? ` lengths ${got.length} vs ${want.length}` : '';
  expect(d, `${what}${detail}`).toBe(-1);
}

const ACTIVATIONS: ActivationParams['kind'][] = ['none', 'relu', 'prelu', 'rprelu'];

function activation(rng: Rng, kind: ActivationParams['kind'], c: number): ActivationParams {
  switch (kind) {
    case 'none':
    case 'relu':
      return { kind };
    case 'prelu':
      return { kind, slope: rng.floats(c, 0.5) };
    case 'rprelu':
      return { kind, shiftIn: rng.floats(c, 0.5), slope: rng.floats(c, 0.5), shiftOut: rng.floats(c, 0.5) };
  }
}

function affine(rng: Rng, c: number, pixels: number, residual: boolean, act: ActivationParams['kind']): OutputTransform {
  return {
    kind: 'affine',
    mul: rng.floats(c, 0.1),
    add: rng.floats(c, 1),
    residual: residual ? rng.floats(pixels * c, 2) : null,
    activation: activation(rng, act, c),
  };
}

/**
 * The output transforms a case cycles through: both thresholds' dtypes come from the layer, then every affine
 * variant (residual or not, each activation). The kernel runs the shipped models' variants in loops of their own
 * (src/wasm/transform.ts), the rest in a general loop, and every one of them must match the twin.
 */
const TRANSFORM_VARIANTS = 1 + 2 * ACTIVATIONS.length;

function transformFor(rng: Rng, variant: number, o: number, pixels: number, threshold: () => OutputTransform): OutputTransform {
  if (variant === 0) return threshold();
  const v = variant - 1;
  return affine(rng, o, pixels, v >= ACTIVATIONS.length, ACTIVATIONS[v % ACTIVATIONS.length]);
}

const CHANNELS = [1, 31, 32, 33, 100, 256];

/** `x` with NaN, signed zeros and infinities every `every` floats (sums and maxima must treat them as the twins do). */
function withSpecials(x: Float32Array, every: number): Float32Array {
  const special = [NaN, -0, 0, Infinity, -Infinity];
  for (let i = 0; i < x.length; i += every) x[i] = special[(i / every) % special.length];
  return x;
}

/** Both rules a model file can name, and explicit zeros per side (a planner's rewrites use them). */
const PADDINGS = ['same', 'valid', 'explicit'] as const;
function paddingFor(mode: (typeof PADDINGS)[number], rng: Rng): ConvGeometry['padding'] {
  return mode === 'explicit' ? { top: rng.int(0, 2), bottom: rng.int(0, 2), left: rng.int(0, 2), right: rng.int(0, 2) } : mode;
}

let k: WasmKernels;

beforeAll(async () => {
  k = await createKernels();
});

describe('wasm kernels vs CPU twins', () => {
  it('detects SIMD', () => {
    expect(wasmSimdSupported()).toBe(true);
  });

  it('bconv: channels, kernels, strides, paddings, every transform', () => {
    const rng = new Rng(1);
    const kernels: [number, number][] = [[3, 3], [1, 1], [1, 3], [3, 1], [2, 2], [5, 5]];
    let cases = 0;
    for (const c of CHANNELS) {
      for (const kernel of kernels) {
        for (const stride of [[1, 1], [2, 2], [1, 2]] as [number, number][]) {
          for (const mode of PADDINGS) {
            const padding = paddingFor(mode, rng);
            const h = rng.int(kernel[0], 9);
            const w = rng.int(kernel[1], 7);
            const o = rng.pick([1, 4, 8, 31, 32, 33, 40]);
            const shape: MapShape = { n: rng.int(1, 2), h, w, c };
            const g: ConvGeometry = { kernel, stride, padding, outChannels: o };
            const os = convOutput(shape, g).shape;
            const x = rng.bits(shape.n * h * w, c);
            const weights = rng.bits(o * kernel[0] * kernel[1], c);
            const kk = kernel[0] * kernel[1] * c;
            const spread = Math.max(1, Math.floor(kk / 4));
            const t = transformFor(rng, cases % TRANSFORM_VARIANTS, o, os.n * os.h * os.w, () => ({ kind: 'threshold', threshold: rng.ints(o, -spread, spread), flip: cases % 2 ? rng.flips(o) : new Uint32Array(o) }));
            const want = bconvCpu(x, shape, weights, g, t);
            const got = bconvWasm(k, x, shape, weights, g, t);
            expect(got.shape).toEqual(want.shape);
            expectSame(got.out, want.out, `bconv c=${c} o=${o} ${h}x${w} k=${kernel} s=${stride} ${JSON.stringify(padding)} ${t.kind}`);
            cases++;
          }
        }
      }
    }
    expect(cases).toBe(CHANNELS.length * 54);
  });

  it('bconv: threshold exactly at the dot product, both flips', () => {
    const rng = new Rng(2);
    const shape: MapShape = { n: 1, h: 5, w: 5, c: 64 };
    const g: ConvGeometry = { kernel: [3, 3], stride: [1, 1], padding: 'same', outChannels: 64 };
    const x = rng.bits(25, 64);
    const weights = rng.bits(64 * 9, 64);
    const flip = new Uint32Array(64).map((_, i) => i & 1);
    // Thresholds drawn from the actual dot products hit the equality case.
    const dots = bconvCpu(x, shape, weights, g, { kind: 'affine', mul: new Float32Array(64).fill(1), add: new Float32Array(64), residual: null, activation: { kind: 'none' } }).out;
    const threshold = new Int32Array(64).map((_, i) => dots[12 * 64 + i]);
    const t: OutputTransform = { kind: 'threshold', threshold, flip };
    expectSame(bconvWasm(k, x, shape, weights, g, t).out, bconvCpu(x, shape, weights, g, t).out, 'bconv ties');
  });

  it('conv_real: zero padding, strides, both transforms, bit-exact floats', () => {
    const rng = new Rng(3);
    let cases = 0;
    for (const c of [1, 3, 31, 32, 33]) {
      // 5x5 stride 4: a stem with its average pooling folded in (src/plan/fold-pool.ts).
      for (const kernel of [[3, 3], [1, 1], [5, 3], [2, 2], [5, 5]] as [number, number][]) {
        for (const stride of [[1, 1], [2, 2], [2, 1], [4, 4]] as [number, number][]) {
          for (const mode of PADDINGS) {
            const padding = paddingFor(mode, rng);
            const h = rng.int(kernel[0], 11);
            const w = rng.int(kernel[1], 13);
            const o = rng.pick([1, 5, 8, 16, 32, 33]);
            const shape: MapShape = { n: rng.int(1, 2), h, w, c };
            const g: ConvGeometry = { kernel, stride, padding, outChannels: o };
            const os = convOutput(shape, g).shape;
            const x = rng.floats(shape.n * h * w * c, 3);
            const weights = rng.floats(o * kernel[0] * kernel[1] * c, 1);
            const t = transformFor(rng, cases % TRANSFORM_VARIANTS, o, os.n * os.h * os.w, () => ({ kind: 'threshold', threshold: rng.floats(o, 0.5), flip: cases % 2 ? rng.flips(o) : new Uint32Array(o) }));
            const want = convRealCpu(x, shape, weights, g, t);
            const got = convRealWasm(k, x, shape, weights, g, t);
            expect(got.shape).toEqual(want.shape);
            expectSame(got.out, want.out, `conv_real c=${c} o=${o} ${h}x${w} k=${kernel} s=${stride} ${JSON.stringify(padding)} ${t.kind}`);
            cases++;
          }
        }
      }
    }
  });

  it('conv_real: signed zeros and infinities follow the twin (skipped border taps)', () => {
    const shape: MapShape = { n: 1, h: 4, w: 6, c: 2 };
    const x = new Float32Array(48).fill(-0);
    x[5] = Infinity;
    const weights = new Float32Array(8 * 9 * 2).map((_, i) => (i % 3 === 0 ? -1 : 0.5));
    const g: ConvGeometry = { kernel: [3, 3], stride: [1, 1], padding: 'same', outChannels: 8 };
    const t: OutputTransform = { kind: 'affine', mul: new Float32Array(8).fill(1), add: new Float32Array(8).fill(-0), residual: null, activation: { kind: 'none' } };
    expectSame(convRealWasm(k, x, shape, weights, g, t).out, convRealCpu(x, shape, weights, g, t).out, 'conv_real specials');
    // One input channel has its own four-pixel loop (wasm/assembly/conv.ts, fourPixelsC1): the same skipped
    // border taps, signed zeros and infinities.
    const s1: MapShape = { n: 1, h: 9, w: 11, c: 1 };
    const x1 = new Float32Array(99).map((_, i) => (i % 4 === 0 ? -0 : i % 7 === 0 ? -1 : 0));
    x1[40] = Infinity;
    x1[0] = -Infinity;
    const g1: ConvGeometry = { kernel: [5, 5], stride: [4, 4], padding: { top: 1, bottom: 2, left: 1, right: 2 }, outChannels: 8 };
    const w1 = new Float32Array(8 * 25).map((_, i) => (i % 5 === 0 ? -0.5 : i % 3 === 0 ? 0 : 0.25));
    expectSame(convRealWasm(k, x1, s1, w1, g1, t).out, convRealCpu(x1, s1, w1, g1, t).out, 'conv_real specials, one channel');
  });

  it('pack: thresholds, flips, ties, NaN and signed zeros, with and without flipped channels', () => {
    const rng = new Rng(4);
    for (const c of CHANNELS) {
      // Without any flipped channel the kernel takes a path of its own (one comparison a lane).
      for (const flipped of [true, false]) {
        const shape: MapShape = { n: 2, h: rng.int(1, 7), w: rng.int(1, 5), c };
        const x = withSpecials(rng.floats(shape.n * shape.h * shape.w * c, 1), 7);
        const threshold = rng.floats(c, 0.5);
        threshold[0] = x[1];
        threshold[c - 1] = 0;
        const t = { kind: 'threshold' as const, threshold, flip: flipped ? rng.flips(c) : new Uint32Array(c) };
        expectSame(packWasm(k, x, shape, t), packCpu(x, shape, t), `pack c=${c} ${flipped ? 'flips' : 'no flips'}`);
      }
    }
  });

  it('max pooling on bits and floats, average pooling', () => {
    const rng = new Rng(5);
    for (const c of CHANNELS) {
      for (const [kernel, stride] of [[[2, 2], [2, 2]], [[3, 3], [2, 2]], [[2, 1], [2, 1]], [[3, 2], [1, 1]]] as [number, number][][]) {
        const shape: MapShape = { n: 2, h: rng.int(kernel[0], 9), w: rng.int(kernel[1], 8), c };
        const win = { kernel, stride };
        const xb = rng.bits(shape.n * shape.h * shape.w, c);
        const wb = maxpoolBitsCpu(xb, shape, win);
        const gb = maxpoolBitsWasm(k, xb, shape, win);
        expect(gb.shape).toEqual(wb.shape);
        expectSame(gb.out, wb.out, `maxpool bits c=${c} k=${kernel}`);
        const xf = withSpecials(rng.floats(shape.n * shape.h * shape.w * c, 4), 11);
        for (const mode of ['max', 'avg'] as const) {
          expectSame(poolFloatWasm(k, xf, shape, win, mode).out, poolFloatCpu(xf, shape, win, mode).out, `${mode}pool c=${c} k=${kernel}`);
        }
      }
    }
  });

  it('global average pooling on bits and floats', () => {
    const rng = new Rng(6);
    for (const c of CHANNELS) {
      const shape: MapShape = { n: 2, h: rng.int(1, 9), w: rng.int(1, 7), c };
      const xb = rng.bits(shape.n * shape.h * shape.w, c);
      expectSame(gapBitsWasm(k, xb, shape), gapBitsCpu(xb, shape), `gap bits c=${c}`);
      const xf = withSpecials(rng.floats(shape.n * shape.h * shape.w * c, 4), 13);
      expectSame(gapFloatWasm(k, xf, shape), gapFloatCpu(xf, shape), `gap float c=${c}`);
    }
  });

  it('dense and binary dense', () => {
    const rng = new Rng(7);
    let i = 0;
    for (const inF of CHANNELS) {
      for (const outF of [1, 3, 12, 16, 35]) {
        const n = rng.int(1, 3);
        const x = rng.floats(n * inF, 2);
        const weights = rng.floats(outF * inF, 1);
        const bias = rng.floats(outF, 1);
        expectSame(denseWasm(k, x, n, inF, weights, bias), denseCpu(x, n, inF, weights, bias), `dense ${inF}->${outF}`);
        const xb = rng.bits(n, inF);
        const wb = rng.bits(outF, inF);
        const variant = i++ % 5;
        const t: OutputTransform =
          variant === 0
            ? { kind: 'threshold', threshold: rng.ints(outF, -Math.ceil(inF / 4), Math.ceil(inF / 4)), flip: rng.flips(outF) }
            : affine(rng, outF, n, variant === 2, ACTIVATIONS[variant - 1]);
        expectSame(bdenseWasm(k, xb, n, inF, wb, outF, t), bdenseCpu(xb, n, inF, wb, outF, t), `bdense ${inF}->${outF} ${t.kind}`);
      }
    }
  });

  it('bconv with large K (u8 popcount lanes widened before they overflow)', () => {
    const rng = new Rng(8);
    const c = 512;
    const shape: MapShape = { n: 1, h: 4, w: 3, c };
    const g: ConvGeometry = { kernel: [3, 3], stride: [1, 1], padding: 'same', outChannels: 9 };
    // All-ones inputs against all-zero weights: every bit mismatches, the worst case for the byte counters.
    const x = new Uint32Array(12 * wordsFor(c)).fill(0xffffffff);
    const weights = rng.bits(9 * 9, c).fill(0, 0, 9 * wordsFor(c) * 4);
    const t: OutputTransform = { kind: 'affine', mul: new Float32Array(9).fill(1), add: new Float32Array(9), residual: null, activation: { kind: 'none' } };
    expectSame(bconvWasm(k, x, shape, weights, g, t).out, bconvCpu(x, shape, weights, g, t).out, 'bconv 512');
  });
});
