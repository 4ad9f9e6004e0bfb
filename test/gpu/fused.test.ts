// Fused kernels against the unfused ones and the CPU twins. The pack fused into the kernel before it (conv
// `signBits`, pool_float_pack): the floats are the unfused kernel's bit for bit, the packed words are packCpu of
// those floats bit for bit, and both agree with the CPU reference (conv/pool twin, then packCpu) as the conv tests
// allow. exit_head: the records of gap -> dense -> exit_result bit for bit. Random shapes with odd channel counts,
// padding, strides, batch > 1, active subsets; then whole shipped models, fused vs unfused vs the CPU executor.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bconvCpu } from '../../src/cpu/bconv';
import { convRealCpu } from '../../src/cpu/conv-real';
import { CpuExecutor } from '../../src/cpu/executor';
import { packCpu } from '../../src/cpu/pack';
import { gapBitsCpu, gapFloatCpu, poolFloatCpu } from '../../src/cpu/pool';
import { denseCpu } from '../../src/cpu/dense';
import { exitResultCpu } from '../../src/cpu/exit-result';
import { gapDispatch } from '../../src/gpu/kernels/pool';
import { denseDispatch } from '../../src/gpu/kernels/dense';
import { exitHeadDispatch, exitResultDispatch } from '../../src/gpu/kernels/exit';
import { readBee } from '../../src/format/bee';
import { GpuExecutor } from '../../src/gpu/executor';
import { describeTransform, fusedPackData, transformData } from '../../src/gpu/kernels/common';
import { bconvDispatch, bconvWeightsForGpu, convRealDispatch, convRealWeightsForLanes, type ConvLayout } from '../../src/gpu/kernels/conv';
import { poolFloatDispatch, poolFloatPackDispatch } from '../../src/gpu/kernels/pool';
import { isBeenetError } from '../../src/errors';
import { wordsFor } from '../../src/layout/bits';
import { convOutput, poolOutput, type ConvGeometry, type MapShape, type Window2d } from '../../src/layout/geometry';
import type { ActivationParams, OutputTransform, ThresholdParams } from '../../src/layout/transform';
import { planModel } from '../../src/plan/plan';
import { closeTo } from '../helpers/compare';
import { filled, readU32, run, shuffledSubset, testGpu, upload, type TestGpu } from '../helpers/gpu';
import { mulberry32, pick, randInt, randU32, uniform, type Rng } from '../helpers/rng';

const SENTINEL = 0xdeadbeef;

function floats(rng: Rng, n: number, lo = -1, hi = 1): Float32Array {
  return Float32Array.from({ length: n }, () => uniform(rng, lo, hi));
}

/** A pack's F32 thresholds: some exactly 0 (the sign itself, ties at 0 go to +1), flips random. */
function packTransform(rng: Rng, c: number, spread: number): ThresholdParams<Float32Array> & { kind: 'threshold' } {
  return {
    kind: 'threshold',
    threshold: Float32Array.from({ length: c }, () => (rng() < 0.3 ? 0 : uniform(rng, -spread, spread))),
    flip: Uint32Array.from({ length: c }, () => (rng() < 0.3 ? 1 : 0)),
  };
}

/** Words of clip n's part of a per-clip buffer are all SENTINEL (inactive) or none is checked here. */
function checkInactive(label: string, got: Uint32Array, n: number, active: number[], what: string): void {
  const per = got.length / n;
  for (let c = 0; c < n; c++) {
    if (active.includes(c)) continue;
    for (let i = c * per; i < (c + 1) * per; i++) if (got[i] !== SENTINEL) throw new Error(`${label}: inactive clip ${c} written in ${what} at ${i}`);
  }
}

/** The packed words must be packCpu of the floats the same dispatch wrote, bit for bit, on active clips. */
function checkBitsOfFloats(label: string, floatsOut: Uint32Array, bits: Uint32Array, os: MapShape, pack: ThresholdParams<Float32Array>, active: number[]): void {
  const expected = packCpu(new Float32Array(floatsOut.buffer.slice(0)), os, pack);
  const per = expected.length / os.n;
  for (const c of active) {
    for (let i = c * per; i < (c + 1) * per; i++) {
      if (bits[i] !== expected[i]) throw new Error(`${label}: packed word ${i} got ${bits[i].toString(16)}, packCpu of its floats ${expected[i].toString(16)}`);
    }
  }
}

/** Against the CPU reference: floats within the conv tests' tolerance, bits equal unless the float is at its threshold. */
function checkCpu(label: string, floatsOut: Float32Array, bits: Uint32Array, ref: Float32Array, os: MapShape, pack: ThresholdParams<Float32Array>, active: number[], scale: number): void {
  const refBits = packCpu(ref, os, pack);
  const per = ref.length / os.n;
  const words = wordsFor(os.c);
  for (const c of active) {
    for (let i = c * per; i < (c + 1) * per; i++) {
      if (!closeTo(floatsOut[i], ref[i], scale)) throw new Error(`${label}: element ${i} got ${floatsOut[i]} expected ${ref[i]}`);
    }
    for (let i = c * (per / os.c) * words; i < (c + 1) * (per / os.c) * words; i++) {
      const diff = (bits[i] ^ refBits[i]) >>> 0;
      for (let b = 0; b < 32; b++) {
        if (!((diff >>> b) & 1)) continue;
        const ch = (i % words) * 32 + b;
        const v = ref[Math.floor(i / words) * os.c + ch];
        if (!closeTo(v, pack.threshold[ch], scale)) throw new Error(`${label}: bit ${ch} of word ${i} differs from the CPU reference, value ${v} threshold ${pack.threshold[ch]}`);
      }
    }
  }
}

interface ConvCase {
  shape: MapShape;
  g: ConvGeometry;
  act: ActivationParams['kind'];
  residual: boolean;
}

function randomConvCase(rng: Rng, i: number): ConvCase {
  const kernel = pick(rng, [[1, 1], [3, 3], [1, 3], [3, 1], [2, 2]] as [number, number][]);
  const stride = pick(rng, [[1, 1], [2, 2], [1, 2], [2, 1]] as [number, number][]);
  const mode = pick(rng, ['same', 'valid', 'explicit'] as const);
  const padding: ConvGeometry['padding'] =
    mode === 'explicit' ? { top: randInt(rng, 0, 2), bottom: randInt(rng, 0, 2), left: randInt(rng, 0, 2), right: randInt(rng, 0, 2) } : mode;
  return {
    shape: { n: randInt(rng, 2, 4), h: randInt(rng, kernel[0], 9) | 1, w: randInt(rng, kernel[1], 11) | 1, c: [1, 31, 32, 33, 70][i % 5] },
    g: { kernel, stride, padding, outChannels: [33, 1, 32, 100, 31, 64][i % 6] },
    act: (['none', 'relu', 'prelu', 'rprelu'] as const)[i % 4],
    residual: rng() < 0.5,
  };
}

async function runConvPack(t: TestGpu, binary: boolean, c: ConvCase, seed: number, layout: ConvLayout): Promise<void> {
  const rng = mulberry32(seed);
  const { shape, g } = c;
  const words = wordsFor(shape.c);
  const [kh, kw] = g.kernel;
  const k = kh * kw * shape.c;
  const o = g.outChannels;
  const mask = (b: Uint32Array): Uint32Array => {
    if (shape.c % 32) for (let i = words - 1; i < b.length; i += words) b[i] &= (1 << (shape.c % 32)) - 1;
    return b;
  };
  const xBits = mask(Uint32Array.from({ length: shape.n * shape.h * shape.w * words }, () => randU32(rng)));
  const wBits = mask(Uint32Array.from({ length: o * kh * kw * words }, () => randU32(rng)));
  const xF = floats(rng, shape.n * shape.h * shape.w * shape.c);
  const wF = floats(rng, o * kh * kw * shape.c);
  const { shape: os } = convOutput(shape, g);
  const outLen = os.n * os.h * os.w * o;
  const act: ActivationParams =
    c.act === 'prelu' ? { kind: 'prelu', slope: floats(rng, o, -0.5, 0.5) }
      : c.act === 'rprelu' ? { kind: 'rprelu', shiftIn: floats(rng, o), slope: floats(rng, o, -0.5, 0.5), shiftOut: floats(rng, o) }
        : { kind: c.act };
  const tr: OutputTransform & { kind: 'affine' } = {
    kind: 'affine',
    mul: floats(rng, o, -0.2, 0.2),
    add: floats(rng, o),
    residual: c.residual ? floats(rng, outLen, -2, 2) : null,
    activation: act,
  };
  const pack = packTransform(rng, o, 1);
  const ref = (binary ? bconvCpu(xBits, shape, wBits, g, tr).out : convRealCpu(xF, shape, wF, g, tr).out) as Float32Array;
  const active = shuffledSubset(shape.n, rng);
  const common = {
    x: upload(t, binary ? xBits : xF),
    wt: upload(t, binary ? bconvWeightsForGpu(wBits, g, shape.c) : layout === 'lanes' ? convRealWeightsForLanes(wF, g, shape.c) : wF),
    residual: tr.residual ? upload(t, tr.residual) : undefined,
    clips: upload(t, Uint32Array.from(active)),
  };
  const plainOut = filled(t, outLen, SENTINEL);
  const fusedOut = filled(t, outLen, SENTINEL);
  const bitsBuf = filled(t, os.n * os.h * os.w * wordsFor(o), SENTINEL);
  const dispatch = binary ? bconvDispatch : convRealDispatch;
  const plain = await dispatch(t.reg, t.pool, shape, g, describeTransform(tr), { ...common, chan: upload(t, transformData(tr, o)), out: plainOut }, active.length, layout);
  const fused = await dispatch(t.reg, t.pool, shape, g, describeTransform(tr), {
    ...common, chan: upload(t, fusedPackData(tr, pack, o)), out: fusedOut, signBits: bitsBuf,
  }, active.length, layout);
  expect(fused.kernel).toBe(plain.kernel);
  await run(t, [plain, fused]);
  const label = `${binary ? 'bconv' : 'conv_real'} + pack (${layout}) ${JSON.stringify(c)}`;
  const gotPlain = await readU32(t, plainOut);
  const gotFused = await readU32(t, fusedOut);
  const bits = await readU32(t, bitsBuf);
  for (let i = 0; i < outLen; i++) {
    if (gotFused[i] !== gotPlain[i]) throw new Error(`${label}: float ${i} is ${gotFused[i].toString(16)} fused, ${gotPlain[i].toString(16)} unfused`);
  }
  checkInactive(label, gotFused, shape.n, active, 'out');
  checkInactive(label, bits, shape.n, active, 'signBits');
  checkBitsOfFloats(label, gotFused, bits, os, pack, active);
  checkCpu(label, new Float32Array(gotFused.buffer), bits, ref, os, pack, active, binary ? 0.2 * k + 3 : k);
}

describe('conv kernels with the pack fused (signBits)', () => {
  for (const layout of ['tiled', 'lanes'] as const) {
    it(`bconv (${layout}): the unfused floats and packCpu of them, bit-exactly`, async () => {
      const t = await testGpu();
      const rng = mulberry32(layout === 'tiled' ? 71 : 72);
      for (let i = 0; i < 14; i++) await runConvPack(t, true, randomConvCase(rng, i), 500 + i, layout);
    });
    it(`conv_real (${layout}): the unfused floats and packCpu of them, bit-exactly`, async () => {
      const t = await testGpu();
      const rng = mulberry32(layout === 'tiled' ? 73 : 74);
      for (let i = 0; i < 14; i++) await runConvPack(t, false, randomConvCase(rng, i), 600 + i, layout);
    });
  }

  it('medium shapes: 3x3 same 13x9x96 -> 40 stride 2, residual + RPReLU (both layouts)', async () => {
    const t = await testGpu();
    const c: ConvCase = { shape: { n: 3, h: 13, w: 9, c: 96 }, g: { kernel: [3, 3], stride: [2, 2], padding: 'same', outChannels: 40 }, act: 'rprelu', residual: true };
    for (const layout of ['tiled', 'lanes'] as const) {
      await runConvPack(t, true, c, 41, layout);
      await runConvPack(t, false, c, 42, layout);
    }
  });

  it('refuses signBits on a threshold output, and a chan buffer without the pack parameters', async () => {
    const t = await testGpu();
    const shape = { n: 2, h: 4, w: 4, c: 32 };
    const g: ConvGeometry = { kernel: [3, 3], stride: [1, 1], padding: 'same', outChannels: 32 };
    const bufs = {
      x: upload(t, new Uint32Array(2 * 16)),
      wt: upload(t, bconvWeightsForGpu(new Uint32Array(32 * 9), g, 32)),
      clips: upload(t, Uint32Array.of(0, 1)),
      out: filled(t, 2 * 16 * 32),
      signBits: filled(t, 2 * 16),
    };
    const thr = await bconvDispatch(t.reg, t.pool, shape, g, { kind: 'threshold' }, { ...bufs, chan: upload(t, new Uint32Array(64)) }).catch((e: unknown) => e);
    expect(isBeenetError(thr, 'BAD_INPUT')).toBe(true);
    const short = await bconvDispatch(t.reg, t.pool, shape, g, { kind: 'affine', activation: 'none', residual: false }, { ...bufs, chan: upload(t, new Uint32Array(5 * 32)) }).catch((e: unknown) => e);
    expect(isBeenetError(short, 'KERNEL_BINDING')).toBe(true);
  });
});

describe('pool_float_pack vs pool_float + packCpu', () => {
  it('max and avg on random shapes: the unfused floats and packCpu of them, bit-exactly', async () => {
    const t = await testGpu();
    const rng = mulberry32(77);
    for (let i = 0; i < 16; i++) {
      const win: Window2d = { kernel: pick(rng, [[2, 2], [3, 3], [1, 3], [2, 1], [1, 1]] as [number, number][]), stride: pick(rng, [[2, 2], [1, 1], [1, 2], [2, 1]] as [number, number][]) };
      const s: MapShape = { n: randInt(rng, 2, 4), h: randInt(rng, win.kernel[0], 13), w: randInt(rng, win.kernel[1], 11), c: [1, 31, 32, 33, 64, 70, 100][i % 7] };
      const mode = i % 2 ? 'avg' : 'max';
      const os = poolOutput(s, win);
      const x = floats(rng, s.n * s.h * s.w * s.c, -2, 2);
      const pack = packTransform(rng, s.c, 1);
      const active = shuffledSubset(s.n, rng);
      const clips = upload(t, Uint32Array.from(active));
      const xb = upload(t, x);
      const outLen = os.n * os.h * os.w * s.c;
      const plainOut = filled(t, outLen, SENTINEL);
      const fusedOut = filled(t, outLen, SENTINEL);
      const bitsBuf = filled(t, os.n * os.h * os.w * wordsFor(s.c), SENTINEL);
      const plain = await poolFloatDispatch(t.reg, t.pool, s, win, mode, { x: xb, clips, out: plainOut }, active.length);
      const fused = await poolFloatPackDispatch(t.reg, t.pool, s, win, mode, { x: xb, chan: upload(t, transformData(pack, s.c)), clips, out: fusedOut, signBits: bitsBuf }, active.length);
      await run(t, [plain, fused]);
      const label = `pool_float_pack ${mode} ${JSON.stringify([s, win])}`;
      const gotPlain = await readU32(t, plainOut);
      const gotFused = await readU32(t, fusedOut);
      const bits = await readU32(t, bitsBuf);
      for (let j = 0; j < outLen; j++) {
        if (gotFused[j] !== gotPlain[j]) throw new Error(`${label}: float ${j} differs from pool_float`);
      }
      checkInactive(label, gotFused, s.n, active, 'out');
      checkInactive(label, bits, s.n, active, 'signBits');
      checkBitsOfFloats(label, gotFused, bits, os, pack, active);
      checkCpu(label, new Float32Array(gotFused.buffer), bits, poolFloatCpu(x, s, win, mode).out, os, pack, active, mode === 'max' ? 1 : 3);
    }
  });
});

describe('exit_head vs gap + dense + exit_result', () => {
  it('bits and floats, random sizes: the unfused records bit for bit, the CPU twins within tolerance', async () => {
    const t = await testGpu();
    const rng = mulberry32(79);
    for (let i = 0; i < 12; i++) {
      const kind = i % 2 ? 'float' : 'bits';
      const s: MapShape = { n: randInt(rng, 2, 5), h: randInt(rng, 1, 7), w: randInt(rng, 1, 6), c: [1, 31, 32, 33, 70, 128, 200][i % 7] };
      const classes = [12, 1, 2, 10, 65, 3][i % 6];
      const words = wordsFor(s.c);
      const px = s.n * s.h * s.w;
      const xBits = Uint32Array.from({ length: px * words }, () => randU32(rng));
      if (s.c % 32) for (let j = words - 1; j < xBits.length; j += words) xBits[j] &= (1 << (s.c % 32)) - 1;
      const xF = floats(rng, px * s.c, -2, 2);
      const wt = floats(rng, classes * s.c);
      const bias = floats(rng, classes);
      const active = shuffledSubset(s.n, rng);
      const clips = upload(t, Uint32Array.from(active));
      const x = upload(t, kind === 'bits' ? xBits : xF);
      const [wb, bb] = [upload(t, wt), upload(t, bias)];
      const pooled = filled(t, s.n * s.c);
      const logits = filled(t, s.n * classes);
      const plainRec = filled(t, s.n * (classes + 3), SENTINEL);
      const fusedRec = filled(t, s.n * (classes + 3), SENTINEL);
      const chain = [
        await gapDispatch(t.reg, t.pool, s, kind, { x, clips, out: pooled }, active.length),
        await denseDispatch(t.reg, t.pool, { n: s.n, inFeatures: s.c, outFeatures: classes }, { x: pooled, wt: wb, bias: bb, clips, out: logits }, active.length),
        await exitResultDispatch(t.reg, t.pool, s.n, classes, { logits, clips, records: plainRec }, active.length),
      ];
      const head = await exitHeadDispatch(t.reg, t.pool, s, kind, classes, { x, wt: wb, bias: bb, clips, records: fusedRec }, active.length);
      await run(t, [...chain, head]);
      const label = `exit_head ${kind} ${JSON.stringify(s)} -> ${classes}`;
      const plain = await readU32(t, plainRec);
      const fused = await readU32(t, fusedRec);
      for (let j = 0; j < fused.length; j++) if (fused[j] !== plain[j]) throw new Error(`${label}: record word ${j} is ${fused[j].toString(16)} fused, ${plain[j].toString(16)} unfused`);
      checkInactive(label, fused, s.n, active, 'records');
      const ref = exitResultCpu(denseCpu(kind === 'bits' ? gapBitsCpu(xBits, s) : gapFloatCpu(xF, s), s.n, s.c, wt, bias), s.n, classes);
      const got = new Float32Array(fused.buffer);
      const stride = classes + 3;
      for (const c of active) {
        for (let j = c * stride; j < c * stride + classes + 2; j++) {
          if (!closeTo(got[j], ref[j], s.c)) throw new Error(`${label}: record ${j} got ${got[j]} expected ${ref[j]}`);
        }
      }
    }
  });

  it('cells (average pooling with window = stride): the records of avgpool + dense + exit_result bit for bit', async () => {
    const t = await testGpu();
    const rng = mulberry32(83);
    for (let i = 0; i < 10; i++) {
      // Cells that tile the map and cells that leave rows and columns out (VALID), odd channel counts.
      const grid: [number, number] = [randInt(rng, 1, 4), randInt(rng, 1, 3)];
      const kernel: [number, number] = [randInt(rng, 1, 5), randInt(rng, 1, 4)];
      const s: MapShape = { n: randInt(rng, 2, 5), h: grid[0] * kernel[0] + randInt(rng, 0, 2), w: grid[1] * kernel[1] + randInt(rng, 0, 2), c: [1, 31, 32, 33, 70][i % 5] };
      const classes = [12, 1, 3, 10, 65][i % 5];
      const win: Window2d = { kernel, stride: kernel };
      const os = poolOutput(s, win);
      const features = os.h * os.w * s.c;
      const xF = floats(rng, s.n * s.h * s.w * s.c, -2, 2);
      const wt = floats(rng, classes * features);
      const bias = floats(rng, classes);
      const active = shuffledSubset(s.n, rng);
      const clips = upload(t, Uint32Array.from(active));
      const x = upload(t, xF);
      const [wb, bb] = [upload(t, wt), upload(t, bias)];
      const pooled = filled(t, s.n * features);
      const logits = filled(t, s.n * classes);
      const plainRec = filled(t, s.n * (classes + 3), SENTINEL);
      const fusedRec = filled(t, s.n * (classes + 3), SENTINEL);
      const chain = [
        await poolFloatDispatch(t.reg, t.pool, s, win, 'avg', { x, clips, out: pooled }, active.length),
        await denseDispatch(t.reg, t.pool, { n: s.n, inFeatures: features, outFeatures: classes }, { x: pooled, wt: wb, bias: bb, clips, out: logits }, active.length),
        await exitResultDispatch(t.reg, t.pool, s.n, classes, { logits, clips, records: plainRec }, active.length),
      ];
      const head = await exitHeadDispatch(t.reg, t.pool, s, 'float', classes, { x, wt: wb, bias: bb, clips, records: fusedRec }, active.length, { kernel, grid: [os.h, os.w] });
      await run(t, [...chain, head]);
      const label = `exit_head cells ${JSON.stringify(s)} ${kernel} x ${grid} -> ${classes}`;
      const plain = await readU32(t, plainRec);
      const fused = await readU32(t, fusedRec);
      for (let j = 0; j < fused.length; j++) if (fused[j] !== plain[j]) throw new Error(`${label}: record word ${j} is ${fused[j].toString(16)} fused, ${plain[j].toString(16)} unfused`);
      checkInactive(label, fused, s.n, active, 'records');
      const ref = exitResultCpu(denseCpu(poolFloatCpu(xF, s, win, 'avg').out, s.n, features, wt, bias), s.n, classes);
      const got = new Float32Array(fused.buffer);
      const stride = classes + 3;
      for (const c of active) {
        for (let j = c * stride; j < c * stride + classes + 2; j++) {
          if (!closeTo(got[j], ref[j], features)) throw new Error(`${label}: record ${j} got ${got[j]} expected ${ref[j]}`);
        }
      }
    }
  });

  it('refuses a head wider than its workgroup arrays, and cells that do not fit the map or a bit map', async () => {
    const t = await testGpu();
    const s = { n: 1, h: 1, w: 1, c: 1025 };
    const b = filled(t, 1025 * 2);
    const e = await exitHeadDispatch(t.reg, t.pool, s, 'float', 2, { x: b, wt: b, bias: b, clips: b, records: b }).catch((err: unknown) => err);
    expect(isBeenetError(e, 'BAD_INPUT')).toBe(true);
    const m = { n: 1, h: 4, w: 4, c: 8 };
    for (const [kind, cells] of [['float', { kernel: [3, 2], grid: [2, 2] }], ['bits', { kernel: [2, 2], grid: [2, 2] }], ['float', { kernel: [2, 2], grid: [12, 2] }]] as const) {
      const err = await exitHeadDispatch(t.reg, t.pool, m, kind, 2, { x: b, wt: b, bias: b, clips: b, records: b }, 1, { kernel: [...cells.kernel], grid: [...cells.grid] }).catch((x: unknown) => x);
      expect(isBeenetError(err, 'BAD_INPUT'), `${kind} ${JSON.stringify(cells)}`).toBe(true);
    }
  });
});

describe('shipped models: fused vs unfused vs the CPU executor', () => {
  const dispatches: Record<string, [number, number]> = {};
  for (const name of ['kws-reactnet', 'kws-xnornet', 'kws-birealnet', 'kws-binarynet', 'digits-reactnet']) {
    it(`${name}: identical logits at every exit, fused vs unfused vs CPU (both layouts)`, async () => {
      const t = await testGpu();
      const bee = readBee(readFileSync(`models/${name}.bee`));
      const plan = planModel(bee.description, bee.tensors);
      const n = 4;
      const rng = mulberry32(9);
      const x = Float32Array.from({ length: n * plan.inputElements }, () => (rng() + rng() + rng() - 1.5) * 1.5);
      const cpu = new CpuExecutor(plan);
      await cpu.setInput(x, n);
      const all = Uint32Array.from({ length: n }, (_, i) => i);
      const want: Float32Array[] = [];
      for (let s = 0; s < plan.stages.length; s++) want.push(await cpu.runStage(s, all));
      const k = plan.classes;
      const thresholds = want.map((r) => {
        const e = Array.from({ length: n }, (_, i) => r[i * (k + 3) + k]).sort((a, b) => a - b);
        return e[Math.floor(n / 2)];
      });
      const gatedDecisions: number[] = [];
      for (const convLayout of ['tiled', 'lanes'] as const) {
        const runs: Float32Array[][] = [];
        const gatedRuns: { decisions: Uint32Array; records: Float32Array[] }[] = [];
        for (const fuse of [true, false]) {
          const ex = await GpuExecutor.create(t.ctx, plan, { maxBatch: 4, convLayout, fusePack: fuse, fuseExitHead: fuse });
          try {
            dispatches[name] = dispatches[name] ?? [0, 0];
            dispatches[name][fuse ? 0 : 1] = ex.dispatchPlan().reduce((a, st) => a + st.length, 0);
            await ex.setInput(x, n);
            const got: Float32Array[] = [];
            for (let s = 0; s < plan.stages.length; s++) got.push(await ex.runStage(s, all));
            runs.push(got);
            // The gated path runs the same dispatches; exits decided on the device must match too.
            const gated = await ex.runGated('entropy', plan.stages.map(() => 0), n);
            for (let s = 0; s < plan.stages.length; s++) expect(Array.from(gated.records[s])).toEqual(Array.from(got[s]));
            // Early exits: about half the clips leave at each exit (threshold: the median entropy there), so later
            // stages run on shorter active lists, including packs fused into an earlier stage's last convolution.
            const early = await ex.runGated('entropy', thresholds, n);
            gatedRuns.push(early);
          } finally {
            ex.dispose();
          }
        }
        const [gf, gu] = gatedRuns;
        gatedDecisions.push(...gf.decisions);
        expect(Array.from(gf.decisions), `${name} ${convLayout}: early-exit decisions fused vs unfused`).toEqual(Array.from(gu.decisions));
        for (let s = 0; s < plan.stages.length; s++) {
          for (let r = 0; r < n; r++) {
            if (gf.decisions[r] < s) continue; // rows of clips that left earlier are unspecified
            const row = (g: Float32Array): number[] => Array.from(g.subarray(r * (k + 3), (r + 1) * (k + 3)));
            expect(row(gf.records[s]), `${name} ${convLayout} gated exit ${s} clip ${r}: fused vs unfused`).toEqual(row(gu.records[s]));
            expect(row(gf.records[s]), `${name} ${convLayout} gated exit ${s} clip ${r}: vs the full run`).toEqual(row(runs[0][s]));
          }
        }
        for (let s = 0; s < plan.stages.length; s++) {
          expect(Array.from(runs[0][s]), `${name} ${convLayout} exit ${s}: fused vs unfused`).toEqual(Array.from(runs[1][s]));
          // Against the CPU: logits and argmax bit for bit; entropy and max probability go through the GPU's exp and
          // log, so those two are compared within 1e-5.
          for (let r = 0; r < n; r++) {
            const got = runs[0][s].subarray(r * (k + 3), (r + 1) * (k + 3));
            const ref = want[s].subarray(r * (k + 3), (r + 1) * (k + 3));
            const where = `${name} ${convLayout} exit ${s} clip ${r}: fused vs CPU`;
            expect(Array.from(got.subarray(0, k)), where).toEqual(Array.from(ref.subarray(0, k)));
            expect(got[k + 2], where).toBe(ref[k + 2]);
            expect(closeTo(got[k], ref[k]) && closeTo(got[k + 1], ref[k + 1]), `${where}: entropy ${got[k]} / ${ref[k]}, max probability ${got[k + 1]} / ${ref[k + 1]}`).toBe(true);
          }
        }
      }
      // The thresholds must have made clips leave early somewhere, or the gated check above proved little.
      expect(new Set(gatedDecisions).size).toBeGreaterThan(1);
      const packs = plan.stages.flatMap((st) => [...st.layers, ...st.exitLayers]).filter((l) => l.op.type === 'pack').length;
      // Every pack and, per stage, pooling + dense + exit_result -> exit_head (kws-reactnet's first exit pools
      // cells): two dispatches fewer.
      expect(dispatches[name][1] - dispatches[name][0]).toBe(packs + 2 * plan.stages.length);
    });
  }
});
