// The kernel's log and pixel map (wasm/assembly/spectrum.ts, logPixels) against the JS expression it replaces,
// every bit: its tables (logPixelTable) are built with Math.log, and these tests check the result at every
// amplitude up to 2^20, at every threshold and bucket edge up to the cap, for several parameter sets, and the
// whole frame path (kernel pixels) against the twin (JS log) on long varied audio.
import { describe, expect, it } from 'vitest';
import { MICROFRONTEND_16K } from '../../src/audio/frontend';
import { DEFAULT_MICROFRONTEND_PARAMS, Microfrontend, logPixelTable, type MicrofrontendConfig } from '../../src/audio/microfrontend';
import { SpectrumKernel, spectrumKernelSupported } from '../../src/audio/spectrum-wasm';

const P = DEFAULT_MICROFRONTEND_PARAMS;
const M16: MicrofrontendConfig = { ...MICROFRONTEND_16K, microfrontend: P };
const CAP = 2 ** 31;

/** The JS path's pixel for an amplitude (src/audio/microfrontend.ts, processFrame), as the f32 it stores. */
function jsPixel(v: number, correctionScale: number, logScale: number, outputScale: number, outputOffset: number): number {
  const x = v * correctionScale;
  let raw = x > 1 ? Math.floor(Math.log(x) * logScale + 0.5) : 0;
  if (raw > 0xffff) raw = 0xffff;
  const px = outputScale * raw + outputOffset;
  return Math.fround(px < 0 ? 0 : px > 255 ? 255 : px);
}

interface Params {
  correctionScale: number;
  logScaleShift: number;
  outputScale: number;
  outputOffset: number;
}

const PARAMS: Record<string, Params> = {
  shipped: { correctionScale: 8, logScaleShift: 6, outputScale: 0.2808, outputOffset: -44.85 },
  identity: { correctionScale: 8, logScaleShift: 6, outputScale: 1, outputOffset: 0 },
  coarse: { correctionScale: 8, logScaleShift: 0, outputScale: -8, outputOffset: 200 },
  fine: { correctionScale: 2, logScaleShift: 9, outputScale: 0.004, outputOffset: -5 },
  smallFft: { correctionScale: 0.25, logScaleShift: 6, outputScale: 0.2808, outputOffset: -44.85 }, // fftSize 16
  tinyFft: { correctionScale: 2 ** -5, logScaleShift: 3, outputScale: 0.5, outputOffset: -0 }, // fftSize 2, a -0 offset
  flat: { correctionScale: 64, logScaleShift: 2, outputScale: 0, outputOffset: 17.3 },
};

/** Amplitudes at and around every threshold and bucket edge of the table, and all of [0, 2^20]. */
function probeAmplitudes(thresholds: Float64Array, bucketBits: number): Float64Array {
  const vs = new Set<number>();
  for (let v = 0; v <= 2 ** 20; v++) vs.add(v);
  for (const t of thresholds) for (const d of [-1, 0, 1]) if (Number.isFinite(t) && t + d >= 0 && t + d < CAP) vs.add(t + d);
  const per = 2 ** bucketBits;
  for (let e = 0; e < 31; e++) {
    for (let i = 0; i < per; i++) {
      const edge = Math.ceil(2 ** e * (1 + i / per));
      for (const d of [-1, 0, 1]) if (edge + d < CAP) vs.add(edge + d);
    }
  }
  vs.add(CAP - 1);
  return Float64Array.from(vs);
}

describe.skipIf(!spectrumKernelSupported())("the kernel's log and pixel map", () => {
  const tables = new Microfrontend(M16, { spectrum: 'twin' }).tables;

  it.each(Object.keys(PARAMS))('every pixel bit, at every amplitude up to 2^20 and every table edge, %s', (name) => {
    const p = PARAMS[name];
    const ls = 2 ** p.logScaleShift;
    const log = logPixelTable(p.correctionScale, ls, p.outputScale, p.outputOffset);
    expect(log).not.toBeNull();
    const kernel = SpectrumKernel.tryCreate(tables, log)!;
    const vs = probeAmplitudes(log!.thresholds, log!.bucketBits);
    const got = new Float32Array(vs.length);
    expect(kernel.pixelsOf(vs, got)).toBe(true);
    const bad = vs.findIndex((v, i) => !Object.is(got[i], jsPixel(v, p.correctionScale, ls, p.outputScale, p.outputOffset)));
    expect(bad, `amplitude ${vs[bad]}: ${got[bad]} vs ${jsPixel(vs[bad], p.correctionScale, ls, p.outputScale, p.outputOffset)}`).toBe(-1);
  });

  it('the thresholds are the smallest amplitudes reaching each output', () => {
    const raw = (v: number) => Math.min(0xffff, v * 8 > 1 ? Math.floor(Math.log(v * 8) * 64 + 0.5) : 0);
    const log = logPixelTable(8, 64, 0.2808, -44.85)!;
    const t = log.thresholds;
    expect(t[0]).toBe(0);
    expect(log.top).toBe(raw(CAP - 1));
    for (let j = 1; j < t.length; j++) {
      expect(t[j]).toBeGreaterThanOrEqual(t[j - 1]);
      expect(raw(t[j])).toBeGreaterThanOrEqual(j);
      expect(raw(t[j] - 1)).toBeLessThan(j);
    }
  });

  it('amplitudes at or past the cap are left to the JS log', () => {
    const log = logPixelTable(8, 64, 0.2808, -44.85)!;
    const kernel = SpectrumKernel.tryCreate(tables, log)!;
    const out = new Float32Array(3);
    expect(kernel.pixelsOf(Float64Array.of(5, CAP - 1, 7), out)).toBe(true);
    expect(kernel.pixelsOf(Float64Array.of(5, CAP, 7), out)).toBe(false);
    expect(kernel.pixelsOf(Float64Array.of(2 ** 40), out)).toBe(false);
  });

  it('a log scale too fine for a small table stays in JS', () => {
    expect(logPixelTable(8, 2 ** 10, 1, 0)).toBeNull();
    expect(logPixelTable(8, 2 ** 16, 1, 0)).toBeNull();
  });
});

/** Long varied audio: silence, noise at many levels, tones, clipping, +-1.0 full scale, tiny values, ties. */
function variedAudio(seconds: number): Float32Array {
  const n = 16000 * seconds;
  const x = new Float32Array(n);
  let s = 7;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  for (let i = 0; i < n; i++) {
    const seg = Math.floor(i / 2400);
    const kind = seg % 9;
    const level = 10 ** -(seg % 7);
    if (kind === 0) x[i] = 0;
    else if (kind === 1) x[i] = level * rand();
    else if (kind === 2) x[i] = 4 * Math.sin(i * 0.37); // clipped
    else if (kind === 3) x[i] = i % 2 ? 1 : -1; // full scale: the block shift -1
    else if (kind === 4) x[i] = rand() * 1e-6; // under one int16 step
    else if (kind === 5) x[i] = (Math.round(rand() * 60000) + 0.5) / 32768; // rounding ties
    else if (kind === 6) x[i] = level * Math.sin(i * 0.05 * (1 + (seg % 5)));
    else if (kind === 7) x[i] = rand() < 0 ? -1 : 1 - 2 ** -24;
    else x[i] = 0.8 * rand() + 0.2 * Math.sin(i * 0.9);
  }
  return x;
}

describe.skipIf(!spectrumKernelSupported())('kernel pixels against the twin', () => {
  it.each([
    ['m16k', M16],
    ['window400', { ...M16, windowSamples: 400, fMinHz: 20 }],
    ['nyquist', { ...M16, windowSamples: 512, fMaxHz: 8000, melBands: 64 }],
    ['fft16', { ...M16, sampleRate: 1000, windowSamples: 13, hopSamples: 5, fftSize: 16, melBands: 3, fMinHz: 50, fMaxHz: 500 }],
    ['fine log', { ...M16, microfrontend: { ...P, logScaleShift: 9, outputScale: 0.004, outputOffset: -5 } }],
  ] as [string, MicrofrontendConfig][])('every feature bit over 20 s of varied audio, %s', (_, cfg) => {
    const x = variedAudio(20);
    const wasm = new Microfrontend(cfg, { spectrum: 'wasm' }).compute(x);
    const twin = new Microfrontend(cfg, { spectrum: 'twin' }).compute(x);
    const bad = wasm.findIndex((v, i) => !Object.is(v, twin[i]));
    expect(bad, `feature ${bad}: ${wasm[bad]} vs ${twin[bad]}`).toBe(-1);
  });
});
