// The microfrontend's spectral stage: the WebAssembly kernel (wasm/assembly/spectrum.ts) against its TypeScript
// twin (src/audio/spectrum.ts), every accumulator bit and the block shift, on random frames of many shapes.
import { describe, expect, it, vi } from 'vitest';
import { MICROFRONTEND_16K } from '../../src/audio/frontend';
import { DEFAULT_MICROFRONTEND_PARAMS, Microfrontend, type MicrofrontendConfig } from '../../src/audio/microfrontend';
import { spectrumFrame, spectrumScratch } from '../../src/audio/spectrum';
import { SpectrumKernel, spectrumKernelSupported } from '../../src/audio/spectrum-wasm';

const P = DEFAULT_MICROFRONTEND_PARAMS;
const M16: MicrofrontendConfig = { ...MICROFRONTEND_16K, microfrontend: P };

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A frame of `n` samples of one of several kinds: noise at a level, full scale, silence, ties, odd values. */
function frame(r: () => number, n: number, kind: number): Float32Array {
  const x = new Float32Array(n);
  const level = [1e-5, 1e-3, 0.05, 0.5, 1, 4][kind % 6];
  for (let i = 0; i < n; i++) x[i] = level * (2 * r() - 1);
  if (kind === 6) x.fill(0);
  if (kind === 7) for (let i = 0; i < n; i++) x[i] = (Math.round((2 * r() - 1) * 30000) + 0.5) / 32768; // Math.round ties
  if (kind === 8) {
    const odd = [NaN, Infinity, -Infinity, -0, 1e-45, 1e30, -1e30, 1, -1, 0.5 / 32768];
    for (let i = 0; i < n; i += 7) x[i] = odd[(i / 7) % odd.length];
  }
  if (kind === 9) x.fill(1); // the full-scale frame: shift -1
  return x;
}

const CONFIGS: Record<string, MicrofrontendConfig> = {
  m16k: M16,
  window400: { ...M16, windowSamples: 400, fMinHz: 20 },
  full8k: { ...M16, windowSamples: 512, fMaxHz: 8000, melBands: 64 },
  r8k: { ...M16, sampleRate: 8000, windowSamples: 200, hopSamples: 80, fftSize: 256, melBands: 32, fMaxHz: 4000 },
  r44k: { ...M16, sampleRate: 44100, windowSamples: 1323, hopSamples: 441, fftSize: 2048, fMaxHz: 22050 },
  fft2: { ...M16, sampleRate: 1000, windowSamples: 2, hopSamples: 1, fftSize: 2, melBands: 1, fMaxHz: 500 },
  fft4odd: { ...M16, sampleRate: 1000, windowSamples: 3, hopSamples: 2, fftSize: 4, melBands: 2, fMaxHz: 500 },
  fft16: { ...M16, sampleRate: 1000, windowSamples: 13, hopSamples: 5, fftSize: 16, melBands: 3, fMinHz: 50, fMaxHz: 500 },
  scale: { ...M16, windowSamples: 479, microfrontend: { ...P, inputScale: 123456.7 } },
};

describe.skipIf(!spectrumKernelSupported())('spectral stage: kernel against twin', () => {
  it.each(Object.keys(CONFIGS))('every accumulator bit and the shift, %s', (name) => {
    const t = new Microfrontend(CONFIGS[name], { spectrum: 'twin' }).tables;
    const kernel = SpectrumKernel.tryCreate(t);
    expect(kernel).not.toBeNull();
    const scratch = spectrumScratch(t);
    const r = rng(name.length * 7919);
    const accumulators = t.chanEnd.length;
    const shifts = new Set<number>();
    for (let trial = 0; trial < 40; trial++) {
      // The frame starts at an offset inside a longer buffer, as a stream's frames do.
      const offset = trial % 5;
      const x = new Float32Array(offset + t.n + 3);
      x.set(frame(r, t.n, trial % 10), offset);
      const want = new Float64Array(accumulators);
      const got = new Float64Array(accumulators).fill(-1);
      const wantAmp = new Float64Array(accumulators - 1);
      const gotAmp = new Float64Array(accumulators - 1).fill(-1);
      const ws = spectrumFrame(t, scratch, x, offset, want, wantAmp);
      const gs = kernel!.frame(x, offset, got, gotAmp);
      expect(gs, `trial ${trial}`).toBe(ws);
      shifts.add(ws);
      const differs = Array.from(got).findIndex((v, i) => !Object.is(v, want[i]));
      expect(differs, `trial ${trial}: accumulator ${differs}: ${got[differs]} vs ${want[differs]}`).toBe(-1);
      const ampDiffers = Array.from(gotAmp).findIndex((v, i) => !Object.is(v, wantAmp[i]));
      expect(ampDiffers, `trial ${trial}: amplitude ${ampDiffers}`).toBe(-1);
    }
    // The trials reach silence (15), ordinary levels and, where the window reaches 1.0, the full-scale frame (-1).
    const fullScale = Math.max(...t.window) === 4096;
    expect([shifts.has(-1) || !fullScale, shifts.has(15), shifts.size >= 3]).toEqual([true, true, true]);
  });

  it('a frame running past the end of the samples reads zeros, as the twin does', () => {
    const t = new Microfrontend(M16).tables;
    const kernel = SpectrumKernel.tryCreate(t)!;
    const x = frame(rng(4), t.n, 3);
    const acc = t.chanEnd.length;
    // A full frame first, so that stale samples would show.
    kernel.frame(x, 0, new Float64Array(acc), new Float64Array(acc - 1));
    const short = x.subarray(0, t.n - 100);
    const want = [new Float64Array(acc), new Float64Array(acc - 1)] as const;
    const got = [new Float64Array(acc), new Float64Array(acc - 1)] as const;
    const ws = spectrumFrame(t, spectrumScratch(t), short, 0, ...want);
    expect(kernel.frame(short, 0, ...got)).toBe(ws);
    expect(got).toEqual(want);
  });

  it("the kernel's input is not modified and its output is only the accumulators", () => {
    const t = new Microfrontend(M16).tables;
    const kernel = SpectrumKernel.tryCreate(t)!;
    const x = frame(rng(3), t.n, 3);
    const copy = x.slice();
    const out = new Float64Array(t.chanEnd.length + 4).fill(7);
    const amp = new Float64Array(t.chanEnd.length + 3).fill(7);
    kernel.frame(x, 0, out.subarray(0, t.chanEnd.length), amp.subarray(0, t.chanEnd.length - 1));
    expect(x).toEqual(copy);
    expect(Array.from(out.subarray(t.chanEnd.length))).toEqual([7, 7, 7, 7]);
    expect(Array.from(amp.subarray(t.chanEnd.length - 1))).toEqual([7, 7, 7, 7]);
  });
});

describe('spectral stage without the kernel', () => {
  it('a page that may not compile WebAssembly (CSP) gets the twin, the same features', async () => {
    const want = new Microfrontend(M16, { spectrum: 'twin' }).compute(frame(rng(9), 16000, 3));
    vi.resetModules();
    // A Content-Security-Policy without 'wasm-unsafe-eval' makes compiling throw.
    vi.stubGlobal('WebAssembly', { ...WebAssembly, validate: () => true, Module: class { constructor() { throw new EvalError('refused by CSP'); } } });
    try {
      const fresh = await import('../../src/audio/microfrontend');
      const mf = new fresh.Microfrontend(M16);
      expect(mf.compute(frame(rng(9), 16000, 3))).toEqual(want);
      expect(() => new fresh.Microfrontend(M16, { spectrum: 'wasm' })).toThrow(/WebAssembly SIMD/);
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });
});
