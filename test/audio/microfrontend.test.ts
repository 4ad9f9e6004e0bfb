import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FRONTEND, MICROFRONTEND_16K, audioToFeatures, featureShape, frameWriter } from '../../src/audio/frontend';
import { DEFAULT_MICROFRONTEND_PARAMS, MICROFRONTEND_MAX, Microfrontend, type MicrofrontendConfig } from '../../src/audio/microfrontend';
import { bitReverse, fftInPlace, twiddleTable } from '../../src/audio/spectrum';
import { decodeWav } from '../../src/audio/wav';
import { frontendHash } from '../../src/data/dataset';
import { isBeenetError } from '../../src/errors';
import { readBee, writeBee } from '../../src/format/bee';
import { FeatureStream } from '../../src/stream/feature-stream';
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

// ---- Bit-identity -------------------------------------------------------------------------------------------
// The expected hashes below were produced by the microfrontend as it was BEFORE the per-frame speed-up (issue 20:
// precomputed tables, no Math.round, the normalisation folded into the FFT's scale), on these exact inputs. They are the
// evidence that the faster code gives the same bits: every case must hash the same, for the clip path (compute),
// the streaming path (processFrame with one state carried over many frames, noise reduction / PCAN on), the
// in-place frameWriter and a chunked FeatureStream. A changed hash means changed output, never "update the hash".

/** SHA-256 of the bytes of a typed array, first 16 hex digits. */
function digest(...arrays: (Float32Array | Float64Array)[]): string {
  const h = createHash('sha256');
  for (const a of arrays) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex').slice(0, 16);
}

/** Deterministic signals of `n` samples at `rate` Hz. */
function signals(rate: number, n: number): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  const sine = (f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));
  out.silence = new Float32Array(n);
  // Noise from very quiet (under one int16 step) to clipped at int16.
  const levels = [1e-4, 1e-3, 0.03, 0.3, 1, 3];
  levels.forEach((amp, k) => (out[`noise${amp}`] = noise(11 + k, amp, n)));
  out.loudClippedTone = sine((i) => 4 * Math.sin(2 * Math.PI * 0.0625 * i)); // 1 kHz at 16 kHz
  // Linear chirp from 20 Hz to 0.49 * rate.
  out.chirp = sine((i) => 0.5 * Math.sin(2 * Math.PI * (20 * (i / rate) + ((0.49 * rate - 20) / 2) * (i / rate) ** 2 * (rate / n))));
  // Bursts of harmonics and noise with silent gaps: the block normalisation shift changes from frame to frame.
  const hiss = noise(5, 0.05, n);
  out.bursts = sine((i) => {
    const seg = Math.floor((8 * i) / rate);
    const on = seg % 3 !== 2;
    const level = [0.8, 0.02, 0.3, 1e-4, 0.6, 0.005][seg % 6];
    let v = 0;
    for (let h = 1; h <= 5; h++) v += Math.sin((2 * Math.PI * 180 * h * i) / rate) / h;
    return on ? level * (0.6 * v + hiss[i]) : 0;
  });
  // Exact half-steps of int16 (Math.round's ties) and values beyond the int16 range.
  let s = 99;
  out.halfSteps = sine(() => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return ((s % 90001) - 45000 + 0.5) / 32768;
  });
  return out;
}

/** Values audioToFeatures rejects but processFrame takes: NaN, infinities, -0, subnormals, huge. */
function oddValues(n: number): Float32Array {
  const x = noise(3, 0.2, n);
  const odd = [NaN, Infinity, -Infinity, -0, 1e-45, -1e-40, 1e30, -1e30, 0.5 / 32768, -0.5 / 32768, 1, -1];
  for (let i = 0; i < n; i += 37) x[i] = odd[(i / 37) % odd.length];
  return x;
}

type Case = { cfg: MicrofrontendConfig; seconds?: number };
const P = DEFAULT_MICROFRONTEND_PARAMS;
const M16: MicrofrontendConfig = { ...MICROFRONTEND_16K, microfrontend: P };
const CASES: Record<string, Case> = {
  m16k: { cfg: M16 },
  m16kNoiseReduction: { cfg: { ...M16, microfrontend: { ...P, noiseReductionEnabled: true } } },
  m16kPcan: { cfg: { ...M16, microfrontend: { ...P, pcanEnabled: true } } },
  m16kBoth: { cfg: { ...M16, microfrontend: { ...P, noiseReductionEnabled: true, pcanEnabled: true } } },
  tflmDefaults: { cfg: { ...M16, fMinHz: 125, fMaxHz: 7500, microfrontend: { ...P, noiseReductionEnabled: true, pcanEnabled: true, outputScale: 1, outputOffset: 0 } } },
  window400: { cfg: { ...M16, windowSamples: 400, fMinHz: 20 } },
  window512: { cfg: { ...M16, windowSamples: 512, fMaxHz: 8000, melBands: 64 } },
  bands128: { cfg: { ...M16, melBands: 128, fMaxHz: 8000 } }, // low channels hold no FFT bin
  r8k: { cfg: { ...M16, sampleRate: 8000, windowSamples: 200, hopSamples: 80, fftSize: 256, melBands: 32, fMaxHz: 4000 } },
  r22k: { cfg: { ...M16, sampleRate: 22050, windowSamples: 551, hopSamples: 220, fftSize: 1024, fMinHz: 50, fMaxHz: 8000, microfrontend: { ...P, noiseReductionEnabled: true } } },
  r44k: { cfg: { ...M16, sampleRate: 44100, windowSamples: 1323, hopSamples: 441, fftSize: 2048, fMaxHz: 22050, microfrontend: { ...P, noiseReductionEnabled: true, pcanEnabled: true } } },
  r48k: { cfg: { ...M16, sampleRate: 48000, windowSamples: 1440, hopSamples: 480, fftSize: 2048, melBands: 64, fMinHz: 100, fMaxHz: 20000 } },
  fft2: { cfg: { ...M16, sampleRate: 1000, windowSamples: 2, hopSamples: 1, fftSize: 2, melBands: 1, fMaxHz: 500 }, seconds: 0.2 },
  fft4: { cfg: { ...M16, sampleRate: 1000, windowSamples: 3, hopSamples: 2, fftSize: 4, melBands: 2, fMaxHz: 500 }, seconds: 0.2 },
  fft8: { cfg: { ...M16, sampleRate: 1000, windowSamples: 8, hopSamples: 3, fftSize: 8, melBands: 2, fMaxHz: 400 }, seconds: 0.2 },
  fft16: { cfg: { ...M16, sampleRate: 1000, windowSamples: 13, hopSamples: 5, fftSize: 16, melBands: 3, fMinHz: 50, fMaxHz: 500, microfrontend: { ...P, noiseReductionEnabled: true, pcanEnabled: true } }, seconds: 0.3 },
  oddParams: {
    cfg: {
      ...M16,
      microfrontend: {
        ...P, inputScale: 1000, noiseReductionEnabled: true, smoothingBits: 0, evenSmoothing: 1, oddSmoothing: 0, minSignalRemaining: 1,
        pcanEnabled: true, pcanStrength: 0.5, pcanOffset: 0.5, pcanGainBits: 30, logScaleShift: 10, outputScale: 0.015, outputOffset: -20,
      },
    },
  },
  oddParams2: {
    cfg: {
      ...M16,
      microfrontend: {
        ...P, inputScale: 123456.7, noiseReductionEnabled: true, smoothingBits: 16, evenSmoothing: 0.5, oddSmoothing: 0.001,
        minSignalRemaining: 0, logScaleShift: 0, outputScale: -8, outputOffset: 200,
      },
    },
  },
  oddParams3: { cfg: { ...M16, microfrontend: { ...P, pcanEnabled: true, pcanStrength: 0, pcanGainBits: 1, logScaleShift: 12, outputScale: 0.004, outputOffset: -5 } } },
};

/** Per case, per signal: the clip features' hash (pre-change code). */
const EXPECTED_CLIP: Record<string, Record<string, string>> = {
  m16k: {
    silence: 'd93736f6bee2f5c5', 'noise0.0001': 'db04902ba2328057', 'noise0.001': '82231dc97c24b16d',
    'noise0.03': 'e55893f6af532046', 'noise0.3': 'f051c094faf72168', noise1: '4820bb9c32293a25',
    noise3: '0c50467a715cc10d', loudClippedTone: 'd8f1b22ca3b315cc', chirp: 'd976110eea31e335',
    bursts: 'b1c544a4297a6bf7', halfSteps: '0d858c99cfb6a590', oddValues: '2a0f1ca00ffd2607',
  },
  m16kNoiseReduction: {
    silence: 'd93736f6bee2f5c5', 'noise0.0001': 'ef02070575336634', 'noise0.001': '324631433f563541',
    'noise0.03': 'a31049c5ab98c91b', 'noise0.3': '5c7545fd0c4a112b', noise1: '9a2f202534602312',
    noise3: 'a287f0f2bc7ba48a', loudClippedTone: '8b19ee5fd9270465', chirp: 'de85ead5c9a85c57',
    bursts: '2a24abdef3f989d8', halfSteps: '0f6d72306b4de1a5', oddValues: '48c416bbfe72ce0b',
  },
  m16kPcan: {
    silence: 'd93736f6bee2f5c5', 'noise0.0001': 'f88695cc3bf6f6f7', 'noise0.001': '4e8fcdfec5b609f5',
    'noise0.03': '7df802910d024214', 'noise0.3': 'c5215b2a061aac63', noise1: 'c1c603a3e0f93335',
    noise3: '7fdd8418d4017d6c', loudClippedTone: 'd468304cf692b26c', chirp: '6ce0db094bead530',
    bursts: 'fa0280666bd2b948', halfSteps: '1596b26de1231290', oddValues: '9051793090cb191e',
  },
  m16kBoth: {
    silence: 'd93736f6bee2f5c5', 'noise0.0001': '7c14b611fcdd835e', 'noise0.001': 'da02884d2a8ede28',
    'noise0.03': '025df4e4afecdd4f', 'noise0.3': 'bbbfac137855bd51', noise1: '2bbf93a063a6f0ff',
    noise3: '71d00d9f91b86dae', loudClippedTone: '0089b21f992a79c0', chirp: '22b73d69cdbae195',
    bursts: '84274e2861f44963', halfSteps: '704a167dec7142ba', oddValues: 'e405adaf22427283',
  },
  tflmDefaults: {
    silence: 'd93736f6bee2f5c5', 'noise0.0001': '4cc92c528c34ec48', 'noise0.001': 'c1ebdb3d3ece76da',
    'noise0.03': '863e280af0c58160', 'noise0.3': '71cc0312bf5e1527', noise1: '13fa43fbc9a2c15e',
    noise3: '465dc98e49d22050', loudClippedTone: '277aa25ad496e30b', chirp: '5faeb5d25b81c80b',
    bursts: '71192b4ea0cd17eb', halfSteps: 'ff04a4d4e198c925', oddValues: 'f9f9d4d8030a56ce',
  },
  window400: {
    silence: 'd93736f6bee2f5c5', 'noise0.0001': '4c82b9a7f3801688', 'noise0.001': '031f7396d67d9d3a',
    'noise0.03': '3514582848717e1e', 'noise0.3': 'd634bb29ec751565', noise1: '3110eade1da6aad8',
    noise3: 'e644a9ed06474cb3', loudClippedTone: 'f1670fc33b1a35c6', chirp: '6e43b4ac37ac9a8c',
    bursts: 'cec2cf4208858a58', halfSteps: '13dda5c0a5fb132d', oddValues: '3fe62df6212aba32',
  },
  window512: {
    silence: 'a6581a72112719ac', 'noise0.0001': 'b9e0dbc8be6aef64', 'noise0.001': '788661a48fef81df',
    'noise0.03': '7873521538b9f208', 'noise0.3': 'a16513f39cda1400', noise1: 'b708802c997ed1f1',
    noise3: '7db8c2abf54d35a8', loudClippedTone: '71670313dd8aad33', chirp: '594f73da65d79104',
    bursts: 'b09a206c7d52e4d9', halfSteps: 'd074aaa963b15635', oddValues: '59cffbb086e74cff',
  },
  bands128: {
    silence: '6182ba8a831d4fd5', 'noise0.0001': '47f9d07e096f2a47', 'noise0.001': '1dcfd6480d58c595',
    'noise0.03': 'd35d3c6eb7747cab', 'noise0.3': '1db24f6cc12b0b04', noise1: '8a0c800e999b016f',
    noise3: '53d2fe9100224ce2', loudClippedTone: 'be0b89e76a703684', chirp: '8bebe648ff2d0a18',
    bursts: '7bee6b29e8b97a55', halfSteps: 'a36c06a5d2824416', oddValues: '77b38309a46db9a6',
  },
  r8k: {
    silence: 'e927bd27935ebbe2', 'noise0.0001': '09fd7281087beafa', 'noise0.001': 'b3d648e67596ebb9',
    'noise0.03': '512b93cb2c255c8c', 'noise0.3': '6d5523a8d51cd2e3', noise1: 'f131c787d1c697fe',
    noise3: '90ca23eef0b02c48', loudClippedTone: '471e0ca4798acf38', chirp: 'fb332c0d0ff26f72',
    bursts: '46430e6d94b772cc', halfSteps: 'e9d159f6f1ff7aae', oddValues: '19f88dc97e76b58e',
  },
  r22k: {
    silence: 'd93736f6bee2f5c5', 'noise0.0001': '97c826c5271eda73', 'noise0.001': '7bcd57abee62f017',
    'noise0.03': 'aec8957dda23bfe6', 'noise0.3': '83af6c3c593aa323', noise1: '37cabce8fec4b904',
    noise3: '3f31d32c4888ce24', loudClippedTone: '72efe1c4e0c423fc', chirp: 'e0d39f9ca2da0907',
    bursts: '2d5c48915672980f', halfSteps: '3e679b3633eeb1e2', oddValues: 'fc2fab8bc949bb59',
  },
  r44k: {
    silence: 'd93736f6bee2f5c5', 'noise0.0001': '7215bf81cb71f3c4', 'noise0.001': '3c9c43511d7b4eee',
    'noise0.03': '066f402b61c51c80', 'noise0.3': '8fb8793f2dd9679f', noise1: 'd66305632ead5654',
    noise3: '0adc66d27b28df09', loudClippedTone: '922109db7c6ad6da', chirp: 'aa9661929db656d5',
    bursts: '2ab4e0e588031a8d', halfSteps: '7f1a881720f3bfaa', oddValues: '2341d1e7d0b2b55b',
  },
  r48k: {
    silence: 'd82ad1081dfe2e31', 'noise0.0001': '2837e77dd92b82cd', 'noise0.001': '72161ae4c5b6f5af',
    'noise0.03': 'cf0010a09036a849', 'noise0.3': '56b68713c4821563', noise1: 'abc5bb27775abfda',
    noise3: 'f1d9439ad04414c3', loudClippedTone: '24879c225b5a0c8f', chirp: '8945465862cb989b',
    bursts: '43e286665e38b342', halfSteps: 'e8bb405ec280e0fd', oddValues: '13484176d85070c4',
  },
  fft2: {
    silence: 'ff8a7cfd199be01b', 'noise0.0001': 'ff8a7cfd199be01b', 'noise0.001': 'ff8a7cfd199be01b',
    'noise0.03': 'ff8a7cfd199be01b', 'noise0.3': 'ff8a7cfd199be01b', noise1: 'ff8a7cfd199be01b',
    noise3: 'ff8a7cfd199be01b', loudClippedTone: 'ff8a7cfd199be01b', chirp: 'ff8a7cfd199be01b',
    bursts: 'ff8a7cfd199be01b', halfSteps: 'ff8a7cfd199be01b', oddValues: 'ff8a7cfd199be01b',
  },
  fft4: {
    silence: '52f033ec34066343', 'noise0.0001': '52f033ec34066343', 'noise0.001': 'e23d19ef143a3b3c',
    'noise0.03': 'b5c5fd0e682df148', 'noise0.3': '5483b846acd55dc9', noise1: 'cbea27dc370ee88e',
    noise3: 'fbf7fc9921a4dfe2', loudClippedTone: '44931c92890e4f88', chirp: '28f8c1309f1c2ac9',
    bursts: 'eff5414547615af5', halfSteps: '03b2821e345249dc', oddValues: '4514c0d6d19af529',
  },
  fft8: {
    silence: '20aa497d9bd4c19e', 'noise0.0001': '20aa497d9bd4c19e', 'noise0.001': 'b832d188e0c5e482',
    'noise0.03': '73b0a6648f348bc8', 'noise0.3': 'c4b2d91342ed33ee', noise1: 'c9b82cfd469ba687',
    noise3: '76a808714d25e1e0', loudClippedTone: 'cea8f1f474b8481c', chirp: 'dbca6990372010e4',
    bursts: 'a3e58ef5494e8e4c', halfSteps: 'd6fc09713fcd5075', oddValues: '53e957e0fbe25497',
  },
  fft16: {
    silence: '030dd256c2a1dda8', 'noise0.0001': '030dd256c2a1dda8', 'noise0.001': '030dd256c2a1dda8',
    'noise0.03': '22d88a63019cc34d', 'noise0.3': 'e8083f78af87d3e1', noise1: 'f40a08c6e5b835fa',
    noise3: 'e00eff31273f0e8e', loudClippedTone: '980f889c536e7998', chirp: '95f8ed823c897b95',
    bursts: '6d27f9a5b953bcce', halfSteps: '2ebb3b80dd3b609e', oddValues: '5424d28e6c7b417f',
  },
  oddParams: {
    silence: 'd93736f6bee2f5c5', 'noise0.0001': 'd93736f6bee2f5c5', 'noise0.001': 'd93736f6bee2f5c5',
    'noise0.03': 'd93736f6bee2f5c5', 'noise0.3': 'd93736f6bee2f5c5', noise1: '63010fcfb2c09e84',
    noise3: 'c50cf45a030b68e5', loudClippedTone: 'ec482c1a44914838', chirp: 'e4170f2fcc62248d',
    bursts: 'b15cf3f596ecf2f8', halfSteps: '47ae143fa2880efa', oddValues: '583ad5560d085222',
  },
  oddParams2: {
    silence: 'a1984b301583d848', 'noise0.0001': '7f46e7cdca277575', 'noise0.001': '6d7ef8ac8e3674f2',
    'noise0.03': '8ab629e7fdfdd809', 'noise0.3': '8c348097c4c2983f', noise1: '35fa463d4a32690f',
    noise3: '5ac251ca22d0a916', loudClippedTone: '4063680c461a44c1', chirp: '94ac0a45a6543036',
    bursts: 'bd44d9e86ba2a6bd', halfSteps: '1cd486dd7af735ec', oddValues: '28122e0a506fa650',
  },
  oddParams3: {
    silence: 'd93736f6bee2f5c5', 'noise0.0001': '844189bb4610a129', 'noise0.001': '6aa2d6feac503e1c',
    'noise0.03': '6490de3237b76e68', 'noise0.3': 'eb8224a05ff97816', noise1: 'c96ddda04dd45eb8',
    noise3: 'c96ddda04dd45eb8', loudClippedTone: '6dd94eebc440c9e7', chirp: '49b97c21079aad6a',
    bursts: '63d2adb805038d04', halfSteps: 'c96ddda04dd45eb8', oddValues: 'f478261ca1fae576',
  },
};

/** Streaming with one state over 3 s (state carried across frames): features and final noise estimate. */
const EXPECTED_STREAM: Record<string, string> = {
  m16kBoth: '39b390cf90d8f4ac', tflmDefaults: '7ba0c6ff7c01aec4', r44k: 'd0a489adaf7485c2',
  fft16: '1cd4cdb20bb6cba2', oddParams: '9dedd5599395fafd', featureStream: '9e1aa6194a9c2f17',
};

describe('microfrontend output is bit-identical to the pre-optimisation code', () => {
  // The spectral stage runs on its WebAssembly kernel or on its TypeScript twin: both must give these bits.
  const BOTH = Object.keys(CASES).flatMap((name) => (['wasm', 'twin'] as const).map((impl) => [name, impl] as const));
  it.each(BOTH)('clip features, %s, %s', (name, impl) => {
    const { cfg, seconds = 1 } = CASES[name];
    const mf = new Microfrontend(cfg, { spectrum: impl });
    const n = Math.round(cfg.sampleRate * seconds);
    const got: Record<string, string> = {};
    for (const [sig, x] of Object.entries({ ...signals(cfg.sampleRate, n), oddValues: oddValues(n) })) got[sig] = digest(mf.compute(x));
    expect(got).toEqual(EXPECTED_CLIP[name]);
  });

  it.each(['m16kBoth', 'tflmDefaults', 'r44k', 'fft16', 'oddParams'].flatMap((n) => [[n, 'wasm'], [n, 'twin']] as const))('streaming state over 3 s, %s, %s', (name, impl) => {
    const { cfg } = CASES[name];
    const mf = new Microfrontend(cfg, { spectrum: impl });
    const x = signals(cfg.sampleRate, 3 * cfg.sampleRate).bursts;
    const state = mf.newState();
    const frames = mf.frames(x.length);
    const out = new Float32Array(frames * cfg.melBands);
    for (let t = 0; t < frames; t++) mf.processFrame(x, t * cfg.hopSamples, state, out, t * cfg.melBands);
    expect(digest(out, state.estimate)).toBe(EXPECTED_STREAM[name]);
    // A fresh state per clip is the clip path.
    expect(mf.compute(x)).toEqual(out);
  });

  it.each(['m16k', 'r8k', 'r48k', 'fft2'])('frameWriter writes the clip features in place, %s', (name) => {
    const { cfg, seconds = 1 } = CASES[name];
    const fc: FrontendConfig = { ...MICROFRONTEND_16K, ...cfg, clipSamples: Math.round(cfg.sampleRate * seconds) };
    const x = signals(cfg.sampleRate, fc.clipSamples).chirp;
    const want = new Microfrontend(cfg).compute(x);
    expect(digest(want)).toBe(EXPECTED_CLIP[name].chirp);
    // Frames written in reverse order at a stride, into a buffer with sentinels between them.
    const write = frameWriter(fc);
    const bands = cfg.melBands;
    const frames = want.length / bands;
    const buf = new Float32Array(frames * (bands + 3) + 5).fill(-7);
    for (let t = frames - 1; t >= 0; t--) write(x, t * cfg.hopSamples, buf, 5 + t * (bands + 3));
    for (let t = 0; t < frames; t++) {
      expect(buf.subarray(5 + t * (bands + 3), 5 + t * (bands + 3) + bands)).toEqual(want.subarray(t * bands, (t + 1) * bands));
      expect(Array.from(buf.subarray(5 + t * (bands + 3) + bands, 5 + (t + 1) * (bands + 3)))).toEqual([-7, -7, -7]);
    }
  });

  // Rounding DFT / fftSize to integers hides almost any last-bit change in the FFT from the hashes above, so the
  // claim processFrame rests on is checked directly, every bit, signed zeros too: the FFT of an int16 frame scaled
  // by 2^k is the FFT of the frame, scaled by 2^k afterwards (what lets it skip the normalisation pass).
  it('the FFT commutes exactly with scaling the frame by a power of two', () => {
    let seed = 5;
    for (let size = 2; size <= 4096; size *= 2) {
      // The microfrontend's FFT (src/audio/spectrum.ts): size real samples as size / 2 complex ones.
      const m = size / 2;
      const rev = bitReverse(m);
      const tw = twiddleTable(m, 0, m >> 1);
      const transform = (x: Float64Array): Float64Array => {
        const z = new Float64Array(size);
        for (let i = 0; i < m; i++) {
          z[2 * rev[i]] = x[2 * i];
          z[2 * rev[i] + 1] = x[2 * i + 1];
        }
        fftInPlace(z, m, tw);
        return z;
      };
      for (let trial = 0; trial < 12; trial++) {
        const shift = trial % 8;
        const ints = new Float64Array(size);
        for (let i = 0; i < size; i++) {
          seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
          // Frames as the microfrontend feeds it: |v| < 2^(15 - shift), zero-padded tails, all zero.
          ints[i] = trial === 0 || i >= size - trial ? 0 : ((seed >> 16) - 32768) >> shift;
        }
        const plain = transform(ints);
        const scaled = transform(ints.map((v) => v * 2 ** shift));
        const differs = scaled.findIndex((v, i) => !Object.is(v, plain[i] * 2 ** shift));
        expect(differs, `size ${size}, trial ${trial}`).toBe(-1);
      }
    }
  });

  it('a chunked FeatureStream gives the whole-clip frames', () => {
    const x = signals(RATE, 3 * RATE).bursts;
    const fs = new FeatureStream(MICROFRONTEND_16K, RATE);
    const rows: Float32Array[] = [];
    const take = (end: number) => {
      if (end >= fs.windowFrames) {
        const w = fs.window(end);
        rows.push(end === fs.windowFrames ? w : w.subarray(w.length - 40));
      }
    };
    let at = 0;
    for (let k = 0; at < x.length; k++) {
      const len = [1, 37, 160, 999, 3200, 7][k % 6];
      fs.push(x.subarray(at, at + len), take);
      at += len;
    }
    const streamed = new Float32Array(rows.reduce((s, r) => s + r.length, 0));
    let o = 0;
    for (const r of rows) {
      streamed.set(r, o);
      o += r.length;
    }
    const whole = new Microfrontend(M16).compute(x);
    expect(streamed).toEqual(whole);
    expect(digest(streamed)).toBe(EXPECTED_STREAM.featureStream);
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
