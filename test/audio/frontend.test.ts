import { describe, expect, it } from 'vitest';
import { clipStart, fitClip } from '../../src/audio/clip';
import { DEFAULT_FRONTEND, audioToFeatures, featureShape, getLogMel } from '../../src/audio/frontend';
import { hzToMel, melWeightMatrix } from '../../src/audio/logmel';
import { Resampler, resample } from '../../src/audio/resample';
import { isBeenetError, type BeenetErrorCode } from '../../src/errors';
import type { FrontendConfig } from '../../src/model/graph';

function tone(n: number, freq: number, rate: number, amp = 0.5): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = amp * Math.sin((2 * Math.PI * freq * i) / rate);
  return x;
}

function rms(x: Float32Array, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return Math.sqrt(s / (to - from));
}

function expectError(fn: () => unknown, code: BeenetErrorCode, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(isBeenetError(e, code), String(e)).toBe(true);
    expect((e as Error).message).toMatch(pattern);
    return;
  }
  throw new Error(`expected ${code}`);
}

/** Reference log-mel with a plain O(n^2) DFT. */
function referenceLogMel(x: Float32Array, cfg: FrontendConfig): Float64Array {
  const { windowSamples: n, hopSamples: hop, fftSize: N, melBands: M } = cfg;
  const frames = 1 + Math.floor((x.length - n) / hop);
  const bins = N / 2 + 1;
  const w = melWeightMatrix(M, N, cfg.sampleRate, cfg.fMinHz, cfg.fMaxHz);
  const out = new Float64Array(frames * M);
  const mag = new Float64Array(bins);
  for (let t = 0; t < frames; t++) {
    for (let k = 0; k < bins; k++) {
      let re = 0;
      let im = 0;
      for (let i = 0; i < n; i++) {
        const v = x[t * hop + i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
        re += v * Math.cos((2 * Math.PI * k * i) / N);
        im -= v * Math.sin((2 * Math.PI * k * i) / N);
      }
      mag[k] = Math.hypot(re, im);
    }
    for (let b = 0; b < M; b++) {
      let acc = 0;
      for (let k = 0; k < bins; k++) acc += w[k * M + b] * mag[k];
      out[t * M + b] = Math.log(acc + cfg.logOffset);
    }
  }
  return out;
}

describe('resampler', () => {
  it('keeps a tone below the new Nyquist and kills one above it (48k -> 16k)', () => {
    const n = 48000;
    const pass = resample(tone(n, 3000, 48000), 48000, 16000);
    expect(pass.length).toBe(16000);
    expect(rms(pass, 1000, 15000) / (0.5 / Math.SQRT2)).toBeGreaterThan(0.99);
    expect(rms(pass, 1000, 15000) / (0.5 / Math.SQRT2)).toBeLessThan(1.01);
    for (const f of [8800, 10000, 15000]) {
      const stop = resample(tone(n, f, 48000), 48000, 16000);
      const db = 20 * Math.log10(rms(stop, 1000, 15000) / (0.5 / Math.SQRT2));
      expect(db, `${f} Hz`).toBeLessThan(-60);
    }
  });

  it('44.1k -> 16k and 8k -> 16k: lengths round(n * out / in), tone preserved', () => {
    for (const [inRate, n] of [
      [44100, 44101],
      [8000, 7999],
      [22050, 12345],
      [11025, 1000],
    ]) {
      const y = resample(tone(n, 1000, inRate), inRate, 16000);
      expect(y.length).toBe(Math.round((n * 16000) / inRate));
      const mid = y.length >> 1;
      const r = rms(y, mid - 200, mid + 200) / (0.5 / Math.SQRT2);
      expect(Math.abs(r - 1), `${inRate}`).toBeLessThan(0.01);
    }
    // A tone above 8 kHz at 44.1 kHz must not alias into the 16 kHz output.
    const alias = resample(tone(44100, 12000, 44100), 44100, 16000);
    expect(20 * Math.log10(rms(alias, 2000, 14000) / (0.5 / Math.SQRT2))).toBeLessThan(-60);
  });

  it('is the identity when rates match, and processRange matches process', () => {
    const x = tone(1000, 440, 16000);
    const y = resample(x, 16000, 16000);
    expect(y).toEqual(x);
    expect(y).not.toBe(x);
    const r = new Resampler(48000, 16000);
    const full = r.process(tone(9000, 700, 48000));
    const part = r.processRange(tone(9000, 700, 48000), 1000, 500);
    expect(Array.from(part)).toEqual(Array.from(full.subarray(1000, 1500)));
  });

  it('uses the untabulated kernel for awkward ratios with the same result quality', () => {
    const y = resample(tone(16001, 1000, 16001), 16001, 16000);
    expect(y.length).toBe(16000);
    expect(Math.abs(rms(y, 4000, 12000) / (0.5 / Math.SQRT2) - 1)).toBeLessThan(0.01);
  });
});

describe('clip fitting', () => {
  it('centre-pads short audio and windows long audio', () => {
    const x = new Float32Array([1, 2, 3]);
    expect(Array.from(fitClip(x, 7))).toEqual([0, 0, 1, 2, 3, 0, 0]);
    expect(Array.from(fitClip(x, 6))).toEqual([0, 1, 2, 3, 0, 0]);
    const long = new Float32Array([0, 1, 2, 3, 4, 5, 6]);
    expect(Array.from(fitClip(long, 3))).toEqual([2, 3, 4]);
    expect(Array.from(fitClip(long, 3, 0))).toEqual([0, 1, 2]);
    expect(Array.from(fitClip(long, 3, 4))).toEqual([4, 5, 6]);
    expect(clipStart(7, 3, 4)).toBe(4);
    expectError(() => fitClip(long, 3, 5), 'BAD_INPUT', /offset 5 out of range \[0, 4\]/);
  });
});

describe('log-mel', () => {
  const cfg = DEFAULT_FRONTEND;

  it('has the paper shape: 98 frames x 40 bands for 1 s', () => {
    expect(featureShape(cfg)).toEqual([98, 40]);
    expect(audioToFeatures(tone(16000, 500, 16000), 16000, cfg).length).toBe(98 * 40);
    expect(featureShape({ ...cfg, melBands: 64, fftSize: 1024 })).toEqual([98, 64]);
  });

  it('matches a plain DFT (40 and 64 bands)', () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    const x = new Float32Array(1200);
    for (let i = 0; i < x.length; i++) x[i] = 0.3 * rnd() + 0.4 * Math.sin(i * 0.1);
    for (const bands of [40, 64]) {
      const c: FrontendConfig = { ...cfg, melBands: bands, clipSamples: 1200 };
      const got = getLogMel(c).compute(x);
      const want = referenceLogMel(x, c);
      expect(got.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) {
        expect(Math.abs(Math.exp(got[i]) - Math.exp(want[i])) / Math.exp(want[i])).toBeLessThan(1e-4);
      }
    }
  });

  it('puts a sine in the mel band whose centre is nearest', () => {
    for (const f of [250, 1000, 3000, 6500]) {
      const feats = audioToFeatures(tone(16000, f, 16000), 16000, cfg);
      const mean = new Float64Array(40);
      for (let t = 0; t < 98; t++) for (let b = 0; b < 40; b++) mean[b] += feats[t * 40 + b];
      let best = 0;
      for (let b = 1; b < 40; b++) if (mean[b] > mean[best]) best = b;
      const lo = hzToMel(60);
      const hi = hzToMel(7800);
      const centres = Array.from({ length: 40 }, (_, b) => lo + ((hi - lo) * (b + 1)) / 41);
      const m = hzToMel(f);
      let nearest = 0;
      for (let b = 1; b < 40; b++) if (Math.abs(centres[b] - m) < Math.abs(centres[nearest] - m)) nearest = b;
      expect(Math.abs(best - nearest), `${f} Hz -> band ${best}, nearest centre ${nearest}`).toBeLessThanOrEqual(1);
    }
  });

  it('silence gives log(1e-6) everywhere, never NaN', () => {
    const f = audioToFeatures(new Float32Array(16000), 16000, cfg);
    for (const v of f) expect(v).toBe(Math.fround(Math.log(1e-6)));
  });

  it('doubling the amplitude adds log(2) (magnitude, not power)', () => {
    const a = audioToFeatures(tone(16000, 1000, 16000, 0.25), 16000, cfg);
    const b = audioToFeatures(tone(16000, 1000, 16000, 0.5), 16000, cfg);
    let checked = 0;
    for (let i = 0; i < a.length; i++) {
      if (a[i] > 0) {
        expect(b[i] - a[i]).toBeCloseTo(Math.log(2), 3);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(98);
  });

  it('applies per-band normalisation and requires it when the config says so', () => {
    const mean = new Float32Array(40).fill(-5);
    const std = new Float32Array(40).fill(2);
    const raw = audioToFeatures(tone(16000, 1000, 16000), 16000, cfg);
    const normed = audioToFeatures(tone(16000, 1000, 16000), 16000, cfg, { mean, std });
    for (let i = 0; i < raw.length; i += 37) expect(normed[i]).toBeCloseTo((raw[i] + 5) / 2, 5);
    const needs: FrontendConfig = { ...cfg, normalization: { mean: 'm', std: 's' } };
    expectError(() => audioToFeatures(raw, 16000, needs), 'BAD_INPUT', /no mean\/std/);
    expectError(() => audioToFeatures(raw, 16000, cfg, { mean: new Float32Array(3), std }), 'BAD_INPUT', /40 values/);
    expectError(() => audioToFeatures(raw, 16000, cfg, { mean, std: new Float32Array(40) }), 'BAD_INPUT', /std must be/);
  });
});

describe('audioToFeatures', () => {
  const cfg = DEFAULT_FRONTEND;

  it('resamples: a 1 s tone at 44.1 kHz gives nearly the 16 kHz features', () => {
    const a = audioToFeatures(tone(44100, 1000, 44100), 44100, cfg);
    const b = audioToFeatures(tone(16000, 1000, 16000), 16000, cfg);
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) if (b[i] > 0) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    expect(maxDiff).toBeLessThan(0.05);
  });

  it('short audio is centred with zero padding at any rate', () => {
    const x = tone(4000, 1000, 8000);
    const f = audioToFeatures(x, 8000, cfg);
    // First and last frames fall in the padding: floor value.
    expect(f[0]).toBeCloseTo(Math.log(1e-6), 6);
    expect(f[97 * 40 + 39]).toBeCloseTo(Math.log(1e-6), 6);
  });

  it('handles 10 minutes at 48 kHz quickly, windowing before resampling', () => {
    const n = 48000 * 600;
    const x = new Float32Array(n);
    // Tone only in the centre second: the window must land there.
    const mid = n / 2 - 24000;
    const t = tone(48000, 2000, 48000);
    x.set(t, mid);
    const t0 = performance.now();
    const f = audioToFeatures(x, 48000, cfg);
    const ms = performance.now() - t0;
    const ref = audioToFeatures(t, 48000, cfg);
    let maxDiff = 0;
    for (let i = 40 * 5; i < f.length - 40 * 5; i++) if (ref[i] > 0) maxDiff = Math.max(maxDiff, Math.abs(f[i] - ref[i]));
    expect(maxDiff).toBeLessThan(1e-3);
    expect(ms).toBeLessThan(2000);
    // An explicit offset (model-rate samples) picks the first second: silence.
    const first = audioToFeatures(x, 48000, cfg, undefined, { offset: 0 });
    expect(first[500]).toBeCloseTo(Math.log(1e-6), 6);
  });

  it('accepts clipping values beyond [-1, 1] as they are', () => {
    const x = tone(16000, 1000, 16000, 3);
    const f = audioToFeatures(x, 16000, cfg);
    expect(f.every(Number.isFinite)).toBe(true);
  });

  it('rejects bad audio and bad rates with named problems', () => {
    expectError(() => audioToFeatures(new Float32Array(0), 16000, cfg), 'BAD_AUDIO', /empty audio/);
    const nan = new Float32Array(100);
    nan[42] = NaN;
    expectError(() => audioToFeatures(nan, 16000, cfg), 'BAD_AUDIO', /sample 42 is NaN/);
    const inf = new Float32Array(100);
    inf[7] = -Infinity;
    expectError(() => audioToFeatures(inf, 16000, cfg), 'BAD_AUDIO', /sample 7 is -Infinity/);
    const ok = new Float32Array(100);
    for (const r of [0, -16000, NaN, Infinity]) expectError(() => audioToFeatures(ok, r, cfg), 'BAD_INPUT', /finite positive/);
    expectError(() => audioToFeatures(ok, 999, cfg), 'BAD_INPUT', /outside \[1000, 384000\]/);
    expectError(() => audioToFeatures(ok, 400000, cfg), 'BAD_INPUT', /outside/);
    expectError(() => audioToFeatures(ok, 16000.5, cfg), 'BAD_INPUT', /whole number/);
    expectError(() => audioToFeatures(ok, 16000, { ...cfg, fftSize: 300 }), 'BAD_INPUT', /power of two/);
    expectError(() => audioToFeatures(ok, 16000, { ...cfg, fMaxHz: 9000 }), 'BAD_INPUT', /fMaxHz/);
  });

  it('never modifies the caller samples', () => {
    const x = tone(30000, 300, 22050);
    const copy = x.slice();
    audioToFeatures(x, 22050, cfg);
    audioToFeatures(x, 22050, cfg, undefined, { offset: 100 });
    expect(x).toEqual(copy);
  });
});
