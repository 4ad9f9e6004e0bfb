// pack, bit/float pooling, gap, dense and bdense against their CPU twins, on active subsets.
import { describe, expect, it } from 'vitest';
import { bdenseCpu, denseCpu } from '../../src/cpu/dense';
import { packCpu } from '../../src/cpu/pack';
import { gapBitsCpu, gapFloatCpu, maxpoolBitsCpu, poolFloatCpu } from '../../src/cpu/pool';
import { isBeenetError } from '../../src/errors';
import { wordsFor } from '../../src/layout/bits';
import type { MapShape, Window2d } from '../../src/layout/geometry';
import type { OutputTransform } from '../../src/layout/transform';
import { describeTransform, transformData } from '../../src/gpu/kernels/common';
import { bdenseDispatch, denseDispatch } from '../../src/gpu/kernels/dense';
import { packDispatch } from '../../src/gpu/kernels/pack';
import { gapDispatch, maxpoolBitsDispatch, poolFloatDispatch } from '../../src/gpu/kernels/pool';
import { closeTo } from '../helpers/compare';
import { filled, readU32, run, shuffledSubset, testGpu, upload, type TestGpu } from '../helpers/gpu';
import { mulberry32, randInt, randU32, uniform, type Rng } from '../helpers/rng';

const SENTINEL = 0xdeadbeef;
const CHANNELS = [1, 31, 32, 33, 100];

function floats(rng: Rng, n: number, lo = -1, hi = 1): Float32Array {
  return Float32Array.from({ length: n }, () => uniform(rng, lo, hi));
}

function bits(rng: Rng, pixels: number, c: number): Uint32Array {
  const words = wordsFor(c);
  const out = Uint32Array.from({ length: pixels * words }, () => randU32(rng));
  if (c % 32) for (let i = words - 1; i < out.length; i += words) out[i] &= (1 << (c % 32)) - 1;
  return out;
}

/**
 * Runs a dispatch on a sentinel-filled output and checks active clips against `expected` (exactly, or within
 * float tolerance when `scale` is given) and inactive clips untouched.
 */
async function check(
  t: TestGpu,
  n: number,
  active: number[],
  expected: Uint32Array | Float32Array,
  make: (out: GPUBuffer, activeBuf: GPUBuffer) => Promise<Parameters<typeof run>[1][number]>,
  label: string,
  scale?: number,
): Promise<void> {
  const out = filled(t, expected.length, SENTINEL);
  await run(t, [await make(out, upload(t, Uint32Array.from(active)))]);
  const got = await readU32(t, out);
  const gotF = new Float32Array(got.buffer);
  const expU = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  const per = expected.length / n;
  for (let i = 0; i < expected.length; i++) {
    const clip = Math.floor(i / per);
    if (!active.includes(clip)) {
      if (got[i] !== SENTINEL) throw new Error(`${label}: inactive clip ${clip} written at ${i}`);
    } else if (scale === undefined) {
      if (got[i] !== expU[i]) throw new Error(`${label}: at ${i} got ${got[i]} expected ${expU[i]}`);
    } else if (!closeTo(gotF[i], expected[i], scale)) {
      throw new Error(`${label}: at ${i} got ${gotF[i]} expected ${expected[i]}`);
    }
  }
}

function shapes(rng: Rng): MapShape[] {
  return CHANNELS.map((c) => ({ n: randInt(rng, 2, 4), h: randInt(rng, 2, 7) | 1, w: randInt(rng, 3, 9), c }));
}

describe('pack (GPU) vs packCpu', () => {
  it('matches bit-exactly, including values equal to the threshold and both flips', async () => {
    const t = await testGpu();
    const rng = mulberry32(1);
    for (const s of [...shapes(rng), { n: 2, h: 98, w: 64, c: 1 }]) {
      const x = floats(rng, s.n * s.h * s.w * s.c);
      const thr = floats(rng, s.c, -0.5, 0.5);
      for (let i = 0; i < x.length; i += 7) x[i] = thr[i % s.c]; // ties: >= / <= matter here
      const tr = { kind: 'threshold' as const, threshold: thr, flip: Uint32Array.from({ length: s.c }, () => (rng() < 0.5 ? 1 : 0)) };
      const active = shuffledSubset(s.n, rng);
      await check(t, s.n, active, packCpu(x, s, tr), (out, a) =>
        packDispatch(t.reg, t.pool, s, { x: upload(t, x), chan: upload(t, transformData(tr, s.c)), clips: a, out }, active.length),
      `pack ${JSON.stringify(s)}`);
    }
  });
});

describe('pooling (GPU) vs CPU twins', () => {
  const windows: Window2d[] = [
    { kernel: [2, 2], stride: [2, 2] },
    { kernel: [3, 3], stride: [1, 1] },
    { kernel: [2, 1], stride: [2, 1] },
    { kernel: [3, 2], stride: [2, 3] },
  ];

  it('maxpool_bits is the AND of the window, bit-exact', async () => {
    const t = await testGpu();
    const rng = mulberry32(2);
    for (const [i, s] of shapes(rng).entries()) {
      const win = windows[i % windows.length];
      const x = bits(rng, s.n * s.h * s.w, s.c);
      const active = shuffledSubset(s.n, rng);
      await check(t, s.n, active, maxpoolBitsCpu(x, s, win).out, (out, a) =>
        maxpoolBitsDispatch(t.reg, t.pool, s, win, { x: upload(t, x), clips: a, out }, active.length),
      `maxpool_bits ${JSON.stringify([s, win])}`);
    }
  });

  it('pool_float max is exact and avg within tolerance', async () => {
    const t = await testGpu();
    const rng = mulberry32(3);
    for (const [i, s] of shapes(rng).entries()) {
      const win = windows[(i + 1) % windows.length];
      const x = floats(rng, s.n * s.h * s.w * s.c, -3, 3);
      for (const mode of ['max', 'avg'] as const) {
        const active = shuffledSubset(s.n, rng);
        await check(t, s.n, active, poolFloatCpu(x, s, win, mode).out, (out, a) =>
          poolFloatDispatch(t.reg, t.pool, s, win, mode, { x: upload(t, x), clips: a, out }, active.length),
        `pool_float ${mode} ${JSON.stringify([s, win])}`, mode === 'max' ? undefined : 3);
      }
    }
  });

  it('gap on bits is exact and on floats within tolerance', async () => {
    const t = await testGpu();
    const rng = mulberry32(4);
    for (const s of [...shapes(rng), { n: 3, h: 12, w: 8, c: 256 }]) {
      const xb = bits(rng, s.n * s.h * s.w, s.c);
      const xf = floats(rng, s.n * s.h * s.w * s.c);
      let active = shuffledSubset(s.n, rng);
      await check(t, s.n, active, gapBitsCpu(xb, s), (out, a) =>
        gapDispatch(t.reg, t.pool, s, 'bits', { x: upload(t, xb), clips: a, out }, active.length), `gap bits ${JSON.stringify(s)}`);
      active = shuffledSubset(s.n, rng);
      await check(t, s.n, active, gapFloatCpu(xf, s), (out, a) =>
        gapDispatch(t.reg, t.pool, s, 'float', { x: upload(t, xf), clips: a, out }, active.length), `gap float ${JSON.stringify(s)}`, 1);
    }
  });

  it('rejects a window larger than the input', async () => {
    const t = await testGpu();
    const s = { n: 1, h: 2, w: 2, c: 8 };
    const b = upload(t, new Uint32Array(4));
    const e = await maxpoolBitsDispatch(t.reg, t.pool, s, { kernel: [3, 3], stride: [1, 1] }, { x: b, clips: b, out: filled(t, 4) }).catch((x: unknown) => x);
    expect(isBeenetError(e, 'BAD_INPUT')).toBe(true);
  });
});

describe('dense and bdense (GPU) vs CPU twins', () => {
  it('dense matches within tolerance', async () => {
    const t = await testGpu();
    const rng = mulberry32(5);
    for (const [inF, outF] of [[1, 1], [31, 12], [100, 33], [256, 12], [513, 70]]) {
      const n = randInt(rng, 2, 5);
      const x = floats(rng, n * inF);
      const w = floats(rng, outF * inF);
      const bias = floats(rng, outF);
      const active = shuffledSubset(n, rng);
      await check(t, n, active, denseCpu(x, n, inF, w, bias), (out, a) =>
        denseDispatch(t.reg, t.pool, { n, inFeatures: inF, outFeatures: outF }, { x: upload(t, x), wt: upload(t, w), bias: upload(t, bias), clips: a, out }, active.length),
      `dense ${inF}->${outF}`, inF);
    }
  });

  it('bdense matches with threshold (bit-exact) and every affine variant', async () => {
    const t = await testGpu();
    const rng = mulberry32(6);
    const cases: [number, number, string][] = [[1, 1, 'threshold'], [31, 33, 'threshold'], [100, 100, 'none'], [32, 12, 'relu'], [256, 31, 'prelu'], [33, 64, 'rprelu'], [70, 40, 'threshold']];
    for (const [inF, outF, kind] of cases) {
      const n = randInt(rng, 2, 5);
      const x = bits(rng, n, inF);
      const w = bits(rng, outF, inF);
      const o = outF;
      const tr: OutputTransform = kind === 'threshold'
        ? { kind: 'threshold', threshold: Int32Array.from({ length: o }, () => randInt(rng, -inF / 3, inF / 3)), flip: Uint32Array.from({ length: o }, () => (rng() < 0.5 ? 1 : 0)) }
        : {
          kind: 'affine', mul: floats(rng, o), add: floats(rng, o), residual: rng() < 0.5 ? floats(rng, n * o) : null,
          activation: kind === 'prelu' ? { kind, slope: floats(rng, o) }
            : kind === 'rprelu' ? { kind, slope: floats(rng, o), shiftIn: floats(rng, o), shiftOut: floats(rng, o) }
              : { kind: kind as 'none' | 'relu' },
        };
      const active = shuffledSubset(n, rng);
      await check(t, n, active, bdenseCpu(x, n, inF, w, outF, tr), (out, a) =>
        bdenseDispatch(t.reg, t.pool, { n, inFeatures: inF, outFeatures: outF }, describeTransform(tr), {
          x: upload(t, x), wt: upload(t, w), chan: upload(t, transformData(tr, o)),
          residual: tr.kind === 'affine' && tr.residual ? upload(t, tr.residual) : undefined, clips: a, out,
        }, active.length),
      `bdense ${inF}->${outF} ${kind}`, kind === 'threshold' ? undefined : inF + 3);
    }
  });
});
