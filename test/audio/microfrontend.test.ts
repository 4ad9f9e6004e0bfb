import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FRONTEND, MICROFRONTEND_16K, audioToFeatures, featureShape } from '../../src/audio/frontend';
import { DEFAULT_MICROFRONTEND_PARAMS, MICROFRONTEND_MAX, Microfrontend, type MicrofrontendConfig } from '../../src/audio/microfrontend';
import { decodeWav } from '../../src/audio/wav';
import { frontendHash } from '../../src/data/dataset';
import { isBeenetError } from '../../src/errors';
import { readBee, writeBee } from '../../src/format/bee';
import type { FrontendConfig, MicrofrontendParams } from '../../src/model/graph';
import { listPairs, pearson, readImage } from '../../scripts/frontend-match';
import { tinyModel } from '../helpers/random-model';
import { editModel, type JsonObject } from '../format/mutate';

const RATE = 16000;

function tone(freq: number, amp: number, n = RATE): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = amp * Math.sin((2 * Math.PI * freq * i) / RATE);
  return x;
}

function noise(seed: number, amp: number, n = RATE): Float32Array {
  let s = seed >>> 0;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = amp * (s / 2 ** 32 - 0.5);
  }
  return x;
}

const bandMean = (f: Float32Array, band: number, bands = 40) => {
  let s = 0;
  for (let t = 0; t < f.length / bands; t++) s += f[t * bands + band];
  return s / (f.length / bands);
};

/** Centre frequency of microfrontend channel k (mel-spaced, HTK mel). */
function centreHz(cfg: FrontendConfig, k: number): number {
  const mel = (h: number) => 1127 * Math.log1p(h / 700);
  const lo = mel(cfg.fMinHz);
  const hi = mel(cfg.fMaxHz);
  return 700 * (Math.exp((lo + ((hi - lo) * (k + 1)) / (cfg.melBands + 1)) / 1127) - 1);
}

describe('microfrontend features', () => {
  it('gives [98, 40] for a 1 s clip', () => {
    expect(featureShape(MICROFRONTEND_16K)).toEqual([98, 40]);
    const f = audioToFeatures(noise(1, 0.1), RATE, MICROFRONTEND_16K);
    expect(f.length).toBe(98 * 40);
    expect(f.every((v) => Number.isFinite(v))).toBe(true);
  });

  it('maps silence to a constant low map', () => {
    const f = audioToFeatures(new Float32Array(RATE), RATE, MICROFRONTEND_16K);
    const v = f[0];
    expect(f.every((x) => x === v)).toBe(true);
    expect(v).toBeLessThan(20);
  });

  it('lights the channels around a pure tone', () => {
    const cfg = MICROFRONTEND_16K;
    for (const hz of [500, 1500, 3000]) {
      const f = audioToFeatures(tone(hz, 0.3), RATE, cfg);
      const means = Array.from({ length: 40 }, (_, b) => bandMean(f, b));
      const peak = means.indexOf(Math.max(...means));
      // The nearest channel centre to the tone.
      let nearest = 0;
      for (let k = 1; k < 40; k++) if (Math.abs(centreHz(cfg, k) - hz) < Math.abs(centreHz(cfg, nearest) - hz)) nearest = k;
      expect(Math.abs(peak - nearest), `${hz} Hz: peak ${peak}, nearest centre ${nearest}`).toBeLessThanOrEqual(1);
      // Far channels stay well below the peak.
      const far = means.filter((_, k) => Math.abs(k - peak) > 6);
      expect(Math.max(...far)).toBeLessThan(means[peak] - 40);
    }
  });

  it('clamps loud input to at most 255', () => {
    const cfg: FrontendConfig = {
      ...MICROFRONTEND_16K,
      microfrontend: { ...DEFAULT_MICROFRONTEND_PARAMS, outputScale: 1, outputOffset: 0 },
    };
    const loud = tone(1000, 1);
    for (let i = 0; i < loud.length; i++) loud[i] = loud[i] * 4; // clips at int16
    const f = audioToFeatures(loud, RATE, cfg);
    expect(Math.max(...f)).toBe(MICROFRONTEND_MAX);
    expect(Math.min(...f)).toBeGreaterThanOrEqual(0);
    const g = audioToFeatures(tone(1000, 1), RATE, MICROFRONTEND_16K);
    expect(Math.max(...g)).toBeLessThanOrEqual(255);
  });

  it('starts noise-reduction / PCAN state fresh per clip', () => {
    const p: MicrofrontendParams = { ...DEFAULT_MICROFRONTEND_PARAMS, noiseReductionEnabled: true, pcanEnabled: true };
    const cfg: FrontendConfig = { ...MICROFRONTEND_16K, microfrontend: p };
    const x = noise(7, 0.2);
    const a = audioToFeatures(x, RATE, cfg);
    audioToFeatures(noise(8, 0.9), RATE, cfg); // a different clip in between must not leak state
    const b = audioToFeatures(x, RATE, cfg);
    expect(b).toEqual(a);
    // Streaming with one state over two clips differs from clip-at-a-time: the state really is carried.
    const mc: MicrofrontendConfig = { ...MICROFRONTEND_16K, microfrontend: p };
    const mf = new Microfrontend(mc);
    const state = mf.newState();
    const out = new Float32Array(40);
    for (let t = 0; t < 98; t++) mf.processFrame(x, t * 160, state, out, 0);
    const frame0 = new Float32Array(40);
    mf.processFrame(x, 0, state, frame0, 0);
    expect(Array.from(frame0)).not.toEqual(Array.from(a.subarray(0, 40)));
  });

  it('noise reduction suppresses a stationary tone over time', () => {
    const cfg: FrontendConfig = {
      ...MICROFRONTEND_16K,
      microfrontend: { ...DEFAULT_MICROFRONTEND_PARAMS, noiseReductionEnabled: true },
    };
    const f = audioToFeatures(tone(1000, 0.3), RATE, cfg);
    const plain = audioToFeatures(tone(1000, 0.3), RATE, MICROFRONTEND_16K);
    const peak = 40 * 97 + Array.from(plain.subarray(0, 40)).indexOf(Math.max(...plain.subarray(0, 40)));
    expect(f[peak]).toBeLessThan(plain[peak] - 10);
  });
});

describe('microfrontend config in the model format', () => {
  const base = writeBee(tinyModel(1));
  const bands = (readBee(base).description.frontend.melBands);
  const params = { ...DEFAULT_MICROFRONTEND_PARAMS };
  const asMicro = (m: JsonObject) => {
    const f = m.frontend as JsonObject;
    f.kind = 'microfrontend';
    f.microfrontend = { ...params };
  };

  function rejects(edit: (m: JsonObject) => void, pattern: RegExp): void {
    let err: unknown;
    try {
      readBee(editModel(base, edit));
    } catch (e) {
      err = e;
    }
    expect(isBeenetError(err, 'MODEL_FORMAT'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(pattern);
  }

  it('accepts a microfrontend config and round-trips it through writeBee / readBee', () => {
    const d = readBee(editModel(base, asMicro)).description;
    expect(d.frontend.kind).toBe('microfrontend');
    expect(d.frontend.microfrontend).toEqual(params);
    expect(d.frontend.melBands).toBe(bands);
    const again = readBee(writeBee({ description: d, tensors: readBee(base).tensors })).description;
    expect(again.frontend).toEqual(d.frontend);
  });

  it('keeps files without a kind unchanged', () => {
    const d = readBee(base).description;
    expect('kind' in d.frontend).toBe(false);
    expect(readBee(editModel(base, (m) => { (m.frontend as JsonObject).kind = 'logmel'; })).description.frontend.kind).toBe('logmel');
  });

  it('rejects bad microfrontend fields, naming them', () => {
    const micro = (m: JsonObject) => (m.frontend as JsonObject).microfrontend as JsonObject;
    rejects((m) => { asMicro(m); (m.frontend as JsonObject).kind = 'mfcc'; }, /model\.frontend\.kind/);
    rejects((m) => { asMicro(m); delete (m.frontend as JsonObject).microfrontend; }, /model\.frontend\.microfrontend: required/);
    rejects((m) => { (m.frontend as JsonObject).microfrontend = { ...params }; }, /model\.frontend\.microfrontend: only allowed/);
    rejects((m) => { asMicro(m); micro(m).evenSmoothing = 1.5; }, /model\.frontend\.microfrontend\.evenSmoothing/);
    rejects((m) => { asMicro(m); micro(m).pcanEnabled = 1; }, /model\.frontend\.microfrontend\.pcanEnabled/);
    rejects((m) => { asMicro(m); micro(m).smoothingBits = 2.5; }, /model\.frontend\.microfrontend\.smoothingBits/);
    rejects((m) => { asMicro(m); micro(m).inputScale = 0; }, /model\.frontend\.microfrontend\.inputScale/);
    rejects((m) => { asMicro(m); delete micro(m).outputScale; }, /model\.frontend\.microfrontend\.outputScale/);
    rejects((m) => { asMicro(m); micro(m).extra = 1; }, /model\.frontend\.microfrontend: unknown field 'extra'/);
  });
});

describe('frontendHash', () => {
  it('keeps the hash of the default log-mel config', () => {
    expect(frontendHash(DEFAULT_FRONTEND)).toBe('f000f4b19816');
    expect(frontendHash({ ...DEFAULT_FRONTEND, kind: 'logmel' })).toBe('f000f4b19816');
  });

  it('depends on the kind and the microfrontend params', () => {
    const h = frontendHash(MICROFRONTEND_16K);
    expect(h).not.toBe(frontendHash({ ...MICROFRONTEND_16K, kind: undefined, microfrontend: undefined }));
    const p = { ...DEFAULT_MICROFRONTEND_PARAMS, outputOffset: 0 };
    expect(frontendHash({ ...MICROFRONTEND_16K, microfrontend: p })).not.toBe(h);
  });
});

// Real Speech Commands images, when the shared data is there (never copied into the project).
const DATASET = join(resolve(__dirname, '../..'), '..', 'shared', 'data', 'speech-commands-v2');
const HAVE_DATA = existsSync(join(DATASET, 'test-wav-40pct'));

describe('match to the Speech Commands spectrogram images', () => {
  it.skipIf(!HAVE_DATA)(`median pair correlation on 50 pairs${HAVE_DATA ? '' : ' (skipped: no data at ../shared/data)'}`, () => {
    const all = listPairs(DATASET);
    const step = Math.floor(all.length / 50);
    const rs: number[] = [];
    for (let i = 0; i < 50; i++) {
      const pr = all[i * step];
      const wav = decodeWav(readFileSync(pr.wav));
      const f = audioToFeatures(wav.samples, wav.sampleRate, MICROFRONTEND_16K);
      rs.push(pearson(f, readImage(readFileSync(pr.image))));
    }
    rs.sort((a, b) => a - b);
    // Measured 0.994 over all 1,559 pairs (JPEG floor 0.995).
    expect(rs[25]).toBeGreaterThan(0.985);
  });
});
