// bconv and conv_real against their CPU twins: random shapes, every transform, active subsets, borders.
import { describe, expect, it } from 'vitest';
import { isBeenetError } from '../../src/errors';
import { bconvCpu } from '../../src/cpu/bconv';
import { convRealCpu } from '../../src/cpu/conv-real';
import { wordsFor } from '../../src/layout/bits';
import type { ConvGeometry, MapShape } from '../../src/layout/geometry';
import type { ActivationParams, OutputTransform } from '../../src/layout/transform';
import { bconvDispatch, bconvWeightsForGpu, convLayoutFor, convRealDispatch, convRealWeightsForLanes, lanesFit, type ConvLayout } from '../../src/gpu/kernels/conv';
import { describeTransform, transformData } from '../../src/gpu/kernels/common';
import { filled, readU32, run, shuffledSubset, testGpu, upload, type TestGpu } from '../helpers/gpu';
import { mulberry32, pick, randInt, randU32, uniform, type Rng } from '../helpers/rng';
import { closeTo } from '../helpers/compare';

const SENTINEL = 0xdeadbeef;

interface Case {
  shape: MapShape;
  g: ConvGeometry;
  tkind: 'threshold' | ActivationParams['kind'];
  residual: boolean;
}

function floats(rng: Rng, n: number, lo = -1, hi = 1): Float32Array {
  return Float32Array.from({ length: n }, () => uniform(rng, lo, hi));
}

function makeTransform(rng: Rng, c: Case, outLen: number, k: number, binary: boolean): OutputTransform {
  const o = c.g.outChannels;
  if (c.tkind === 'threshold') {
    const spread = binary ? Math.max(1, Math.floor(k / 4)) : Math.sqrt(k) / 2;
    return {
      kind: 'threshold',
      threshold: binary
        ? Int32Array.from({ length: o }, () => randInt(rng, -spread, spread))
        : floats(rng, o, -spread, spread),
      flip: Uint32Array.from({ length: o }, () => (rng() < 0.4 ? 1 : 0)),
    };
  }
  const act: ActivationParams =
    c.tkind === 'prelu'
      ? { kind: 'prelu', slope: floats(rng, o, -0.5, 0.5) }
      : c.tkind === 'rprelu'
        ? { kind: 'rprelu', shiftIn: floats(rng, o), slope: floats(rng, o, -0.5, 0.5), shiftOut: floats(rng, o) }
        : { kind: c.tkind };
  return {
    kind: 'affine',
    mul: floats(rng, o, -0.2, 0.2),
    add: floats(rng, o),
    residual: c.residual ? floats(rng, outLen, -2, 2) : null,
    activation: act,
  };
}

function randomCase(rng: Rng, i: number): Case {
  const kernel = pick(rng, [[1, 1], [3, 3], [1, 3], [3, 1], [2, 2], [3, 3]] as [number, number][]);
  const stride = pick(rng, [[1, 1], [2, 2], [1, 2], [2, 1], [1, 1]] as [number, number][]);
  const mode = pick(rng, ['same', 'valid', 'explicit'] as const);
  // Explicit zeros per side: what the planner's folded stems use (src/plan/fold-pool.ts).
  const padding: ConvGeometry['padding'] =
    mode === 'explicit' ? { top: randInt(rng, 0, 2), bottom: randInt(rng, 0, 2), left: randInt(rng, 0, 2), right: randInt(rng, 0, 2) } : mode;
  const c = [1, 31, 32, 33, 100][i % 5];
  const o = [32, 1, 33, 100, 31, 64][i % 6];
  const h = randInt(rng, kernel[0], 9) | 1;
  const w = randInt(rng, kernel[1], 11) | 1;
  const tkinds = ['threshold', 'none', 'relu', 'prelu', 'rprelu', 'threshold'] as const;
  const tkind = tkinds[i % tkinds.length];
  return {
    shape: { n: randInt(rng, 2, 4), h, w, c },
    g: { kernel, stride, padding, outChannels: o },
    tkind,
    residual: tkind !== 'threshold' && rng() < 0.5,
  };
}

async function runConv(t: TestGpu, binary: boolean, c: Case, seed: number, layout: ConvLayout = 'tiled'): Promise<void> {
  const rng = mulberry32(seed);
  const { shape, g } = c;
  const words = wordsFor(shape.c);
  const [kh, kw] = g.kernel;
  const k = kh * kw * shape.c;
  const xBits = Uint32Array.from({ length: shape.n * shape.h * shape.w * words }, () => randU32(rng));
  // Bits past C are 0 in valid packed data.
  if (shape.c % 32) for (let i = words - 1; i < xBits.length; i += words) xBits[i] &= (1 << (shape.c % 32)) - 1 || 0xffffffff;
  const wBits = Uint32Array.from({ length: g.outChannels * kh * kw * words }, () => randU32(rng));
  if (shape.c % 32) for (let i = words - 1; i < wBits.length; i += words) wBits[i] &= (1 << (shape.c % 32)) - 1;
  const xF = floats(rng, shape.n * shape.h * shape.w * shape.c);
  const wF = floats(rng, g.outChannels * kh * kw * shape.c);

  const probe = binary ? bconvCpu(xBits, shape, wBits, g, { kind: 'threshold', threshold: new Int32Array(g.outChannels), flip: new Uint32Array(g.outChannels) }) : null;
  const os = probe?.shape ?? convRealCpu(xF, shape, wF, g, { kind: 'threshold', threshold: new Float32Array(g.outChannels), flip: new Uint32Array(g.outChannels) }).shape;
  const outPixels = os.n * os.h * os.w;
  const tr = makeTransform(rng, c, outPixels * g.outChannels, k, binary);
  const expected = binary ? bconvCpu(xBits, shape, wBits, g, tr).out : convRealCpu(xF, shape, wF, g, tr).out;

  const active = shuffledSubset(shape.n, rng);
  const perClip = expected.length / shape.n;
  const outBuf = filled(t, expected.length, SENTINEL);
  const buffers = {
    x: upload(t, binary ? xBits : xF),
    wt: upload(t, binary ? bconvWeightsForGpu(wBits, g, shape.c) : layout === 'lanes' ? convRealWeightsForLanes(wF, g, shape.c) : wF),
    chan: upload(t, transformData(tr, g.outChannels)),
    residual: tr.kind === 'affine' && tr.residual ? upload(t, tr.residual) : undefined,
    clips: upload(t, Uint32Array.from(active)),
    out: outBuf,
  };
  const d = binary
    ? await bconvDispatch(t.reg, t.pool, shape, g, describeTransform(tr), buffers, active.length, layout)
    : await convRealDispatch(t.reg, t.pool, shape, g, describeTransform(tr), buffers, active.length, layout);
  const kernel = binary ? 'bconv' : 'conv_real';
  expect(d.kernel).toBe(layout === 'lanes' ? `${kernel}_lanes` : kernel);
  await run(t, [d]);
  const got = await readU32(t, outBuf);
  const label = `${binary ? 'bconv' : 'conv_real'} (${layout}) ${JSON.stringify(c)}`;
  const expU = new Uint32Array(expected.buffer);
  const gotF = new Float32Array(got.buffer);
  // Only conv_real's float accumulators may differ slightly (FMA); compute them to judge threshold bits.
  const accs = !binary && tr.kind === 'threshold'
    ? (convRealCpu(xF, shape, wF, g, { kind: 'affine', mul: new Float32Array(g.outChannels).fill(1), add: new Float32Array(g.outChannels), residual: null, activation: { kind: 'none' } }).out as Float32Array)
    : null;
  for (let n = 0; n < shape.n; n++) {
    const on = active.includes(n);
    for (let i = n * perClip; i < (n + 1) * perClip; i++) {
      if (!on) {
        if (got[i] !== SENTINEL) throw new Error(`${label}: inactive clip ${n} written at ${i}`);
        continue;
      }
      if (tr.kind === 'threshold') {
        if (got[i] === expU[i]) continue;
        if (!accs) throw new Error(`${label}: word ${i} got ${got[i].toString(16)} expected ${expU[i].toString(16)}`);
        const diff = (got[i] ^ expU[i]) >>> 0;
        const ow = wordsFor(g.outChannels);
        const pix = Math.floor(i / ow);
        for (let b = 0; b < 32; b++) {
          if (!((diff >>> b) & 1)) continue;
          const o = (i % ow) * 32 + b;
          const a = accs[pix * g.outChannels + o];
          if (!closeTo(a, tr.threshold[o], k)) throw new Error(`${label}: bit ${o} of pixel ${pix} differs, acc ${a} t ${tr.threshold[o]}`);
        }
      } else {
        const scale = binary ? 0.2 * k + 3 : k;
        if (!closeTo(gotF[i], (expected as Float32Array)[i], scale)) {
          throw new Error(`${label}: element ${i} got ${gotF[i]} expected ${(expected as Float32Array)[i]}`);
        }
      }
    }
  }
}

describe('bconv (GPU) vs bconvCpu', () => {
  it('matches bit-exactly on random shapes, transforms and active subsets', async () => {
    const t = await testGpu();
    const rng = mulberry32(1234);
    for (let i = 0; i < 30; i++) await runConv(t, true, randomCase(rng, i), 100 + i);
  });

  it('handles one-padding borders on a medium shape (3x3 same, 98x64x32 -> 32)', async () => {
    const t = await testGpu();
    await runConv(t, true, { shape: { n: 2, h: 49, w: 32, c: 64 }, g: { kernel: [3, 3], stride: [1, 1], padding: 'same', outChannels: 64 }, tkind: 'threshold', residual: false }, 7);
    await runConv(t, true, { shape: { n: 3, h: 13, w: 9, c: 96 }, g: { kernel: [3, 3], stride: [2, 2], padding: 'same', outChannels: 40 }, tkind: 'rprelu', residual: true }, 8);
  });

  it('rejects a too-small buffer and a wrong shape with BeenetError', async () => {
    const t = await testGpu();
    const shape = { n: 2, h: 5, w: 5, c: 32 };
    const g: ConvGeometry = { kernel: [3, 3], stride: [1, 1], padding: 'same', outChannels: 32 };
    const bufs = {
      x: upload(t, new Uint32Array(2 * 25)),
      wt: upload(t, new Uint32Array(32 * 9 - 1)),
      chan: upload(t, new Uint32Array(64)),
      clips: upload(t, Uint32Array.of(0, 1)),
      out: filled(t, 2 * 25),
    };
    const small = await bconvDispatch(t.reg, t.pool, shape, g, { kind: 'threshold' }, bufs).catch((e: unknown) => e);
    expect(isBeenetError(small, 'KERNEL_BINDING')).toBe(true);
    expect(String((small as Error).message)).toMatch(/bconv.*'wt'.*too small/);
    const bad = await bconvDispatch(t.reg, t.pool, { ...shape, c: 0 }, g, { kind: 'threshold' }, bufs).catch((e: unknown) => e);
    expect(isBeenetError(bad, 'BAD_INPUT')).toBe(true);
    const noResidual = await bconvDispatch(t.reg, t.pool, shape, g, { kind: 'affine', activation: 'none', residual: true }, bufs).catch((e: unknown) => e);
    expect(isBeenetError(noResidual, 'BAD_INPUT')).toBe(true);
  });
});

describe('bconv_lanes (GPU, one channel per invocation) vs bconvCpu', () => {
  it('matches bit-exactly on random shapes, transforms and active subsets', async () => {
    const t = await testGpu();
    const rng = mulberry32(4321);
    for (let i = 0; i < 30; i++) await runConv(t, true, randomCase(rng, i), 300 + i, 'lanes');
  });

  it('handles one-padding borders, an odd pixel count and odd channel counts on medium shapes', async () => {
    const t = await testGpu();
    await runConv(t, true, { shape: { n: 2, h: 49, w: 32, c: 64 }, g: { kernel: [3, 3], stride: [1, 1], padding: 'same', outChannels: 64 }, tkind: 'threshold', residual: false }, 17, 'lanes');
    await runConv(t, true, { shape: { n: 3, h: 13, w: 9, c: 96 }, g: { kernel: [3, 3], stride: [2, 2], padding: 'same', outChannels: 40 }, tkind: 'rprelu', residual: true }, 18, 'lanes');
    // 6x5 pixels (15 pairs), 127 -> 97 channels: partial words in and out.
    await runConv(t, true, { shape: { n: 2, h: 6, w: 5, c: 127 }, g: { kernel: [3, 3], stride: [1, 1], padding: 'same', outChannels: 97 }, tkind: 'threshold', residual: false }, 19, 'lanes');
  });

  it('is the layout for hardware adapters; software ones keep the tiled kernel', () => {
    expect(convLayoutFor(false)).toBe('lanes');
    expect(convLayoutFor(true)).toBe('tiled');
  });

  it('refuses a map beyond its grid (over 131,070 output pixels) with BAD_INPUT; the tiled kernel takes it', async () => {
    const t = await testGpu();
    const shape = { n: 1, h: 1, w: 131_072, c: 32 };
    const g: ConvGeometry = { kernel: [1, 1], stride: [1, 1], padding: 'valid', outChannels: 32 };
    expect(lanesFit(shape, g)).toBe(false);
    expect(lanesFit({ ...shape, w: 131_070 }, g)).toBe(true);
    const bufs = {
      x: upload(t, new Uint32Array(131_072)),
      wt: upload(t, bconvWeightsForGpu(new Uint32Array(32), g, 32)),
      chan: upload(t, new Uint32Array(64)),
      clips: upload(t, Uint32Array.of(0)),
      out: filled(t, 131_072),
    };
    const lanes = await bconvDispatch(t.reg, t.pool, shape, g, { kind: 'threshold' }, bufs, 1, 'lanes').catch((e: unknown) => e);
    expect(isBeenetError(lanes, 'BAD_INPUT')).toBe(true);
    expect(String((lanes as Error).message)).toMatch(/more than 131070 pixels.*tiled layout/);
    const tiled = await bconvDispatch(t.reg, t.pool, shape, g, { kind: 'threshold' }, bufs, 1, 'tiled');
    expect(tiled.kernel).toBe('bconv');
  });
});

describe('conv_real (GPU) vs convRealCpu', () => {
  it('matches within float tolerance on random shapes and transforms', async () => {
    const t = await testGpu();
    const rng = mulberry32(99);
    for (let i = 0; i < 18; i++) await runConv(t, false, randomCase(rng, i), 500 + i);
  });

  it('matches on the stem shape (98x64x1 -> 32, 3x3 same)', async () => {
    const t = await testGpu();
    await runConv(t, false, { shape: { n: 2, h: 98, w: 64, c: 1 }, g: { kernel: [3, 3], stride: [1, 1], padding: 'same', outChannels: 32 }, tkind: 'threshold', residual: false }, 9);
  });
});

describe('conv_real_lanes (GPU, one channel per invocation) vs convRealCpu', () => {
  it('matches within float tolerance on random shapes and transforms', async () => {
    const t = await testGpu();
    const rng = mulberry32(77);
    for (let i = 0; i < 18; i++) await runConv(t, false, randomCase(rng, i), 700 + i, 'lanes');
  });

  it('matches on the stem shape (98x40x1 -> 32, 3x3 stride 2 same) and a 1x1 shortcut (6x5x64 -> 97)', async () => {
    const t = await testGpu();
    await runConv(t, false, { shape: { n: 2, h: 98, w: 40, c: 1 }, g: { kernel: [3, 3], stride: [2, 2], padding: 'same', outChannels: 32 }, tkind: 'threshold', residual: false }, 10, 'lanes');
    // The stem with its 2x2 average pooling folded in: 5x5 stride 4, one zero column on the right.
    const folded: ConvGeometry = { kernel: [5, 5], stride: [4, 4], padding: { top: 0, bottom: 0, left: 0, right: 1 }, outChannels: 32 };
    await runConv(t, false, { shape: { n: 2, h: 98, w: 40, c: 1 }, g: folded, tkind: 'none', residual: false }, 12, 'lanes');
    await runConv(t, false, { shape: { n: 2, h: 98, w: 40, c: 1 }, g: folded, tkind: 'none', residual: false }, 13, 'tiled');
    await runConv(t, false, { shape: { n: 3, h: 6, w: 5, c: 64 }, g: { kernel: [1, 1], stride: [1, 1], padding: 'valid', outChannels: 97 }, tkind: 'none', residual: false }, 11, 'lanes');
  });
});
