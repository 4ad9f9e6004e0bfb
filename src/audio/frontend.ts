// The one audio front end, shared by training (src/data) and inference: resample -> fit to clip -> features
// (log-mel, or the TFLM-style microfrontend when the config's kind says so) -> optional per-band normalisation.

import { BeenetError } from '../errors';
import { firstNonFinite } from '../finite';
import type { FrontendConfig } from '../model/graph';
import { clipStart, fitClip } from './clip';
import { LogMel, normalizeBands, type LogMelConfig } from './logmel';
import { DEFAULT_MICROFRONTEND_PARAMS, Microfrontend, type MicrofrontendConfig } from './microfrontend';
import { getResampler } from './resample';

/** The paper's seed front end: 1 s at 16 kHz, 25 ms Hann / 10 ms hop, FFT 512, 40 mel bands 60-7800 Hz. */
export const DEFAULT_FRONTEND: Readonly<FrontendConfig> = Object.freeze({
  sampleRate: 16000,
  clipSamples: 16000,
  windowSamples: 400,
  hopSamples: 160,
  fftSize: 512,
  melBands: 40,
  fMinHz: 60,
  fMaxHz: 7800,
  logOffset: 1e-6,
  normalization: null,
});

/**
 * The microfrontend as measured against the Speech Commands spectrogram images: 30 ms Hann / 10 ms hop, FFT 512,
 * 40 mel channels 0-4000 Hz, log amplitude (no noise reduction, no PCAN), in 0..255 pixel units (docs/frontend.md).
 */
export const MICROFRONTEND_16K: Readonly<FrontendConfig> = Object.freeze({
  kind: 'microfrontend',
  sampleRate: 16000,
  clipSamples: 16000,
  windowSamples: 480,
  hopSamples: 160,
  fftSize: 512,
  melBands: 40,
  fMinHz: 0,
  fMaxHz: 4000,
  logOffset: 1e-6,
  microfrontend: DEFAULT_MICROFRONTEND_PARAMS,
  normalization: null,
});

export const MIN_SAMPLE_RATE = 1000;
export const MAX_SAMPLE_RATE = 384000;

export interface BandNormalization {
  mean: Float32Array;
  std: Float32Array;
}

export interface FeatureOptions {
  /** Start of the clip window, in samples at the model's rate, for audio longer than a clip (default: centred). */
  offset?: number;
}

const logMels = new Map<string, LogMel>();

function logMelKey(c: LogMelConfig): string {
  return [c.sampleRate, c.windowSamples, c.hopSamples, c.fftSize, c.melBands, c.fMinHz, c.fMaxHz, c.logOffset].join(',');
}

/** A transform from a small cache (at most 8 configurations live; building one precomputes its tables). */
function cached<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let t = cache.get(key);
  if (!t) {
    t = make();
    if (cache.size >= 8) cache.clear();
    cache.set(key, t);
  }
  return t;
}

/** The (cached) log-mel transform for a front end config. */
export function getLogMel(cfg: LogMelConfig): LogMel {
  return cached(logMels, logMelKey(cfg), () => new LogMel(cfg));
}

const microfrontends = new Map<string, Microfrontend>();

/** The microfrontend part of a config; throws BAD_INPUT when the config is not a complete microfrontend one. */
function microfrontendConfig(cfg: FrontendConfig): MicrofrontendConfig {
  if (!cfg.microfrontend) throw new BeenetError('BAD_INPUT', "invalid front end config: kind 'microfrontend' needs microfrontend params");
  const { sampleRate, windowSamples, hopSamples, fftSize, melBands, fMinHz, fMaxHz } = cfg;
  return { sampleRate, windowSamples, hopSamples, fftSize, melBands, fMinHz, fMaxHz, microfrontend: cfg.microfrontend };
}

/** The (cached) microfrontend for a config of kind 'microfrontend'. Its state lives per call, not in the cache. */
export function getMicrofrontend(cfg: FrontendConfig): Microfrontend {
  const mc = microfrontendConfig(cfg);
  return cached(microfrontends, JSON.stringify(mc), () => new Microfrontend(mc));
}

/** The feature transform a config names: frames() and compute() are all the callers here need. */
function getTransform(cfg: FrontendConfig): LogMel | Microfrontend {
  const kind = cfg.kind ?? 'logmel';
  if (kind === 'microfrontend') return getMicrofrontend(cfg);
  if (kind !== 'logmel') throw new BeenetError('BAD_INPUT', `invalid front end config: unknown kind '${String(kind)}'`);
  return getLogMel(cfg);
}

/** Feature shape [frames, melBands] for a config (the model input is [frames, melBands, 1]). */
export function featureShape(cfg: FrontendConfig): [number, number] {
  return [getTransform(cfg).frames(cfg.clipSamples), cfg.melBands];
}

/** Throws BAD_INPUT unless `sampleRate` is an integer in [1000, 384000]. */
export function checkSampleRate(sampleRate: number): void {
  if (!Number.isFinite(sampleRate) || sampleRate <= 0) {
    throw new BeenetError('BAD_INPUT', `sample rate must be a finite positive number, got ${sampleRate}`);
  }
  if (sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
    throw new BeenetError('BAD_INPUT', `sample rate ${sampleRate} Hz outside [${MIN_SAMPLE_RATE}, ${MAX_SAMPLE_RATE}]`);
  }
  if (!Number.isInteger(sampleRate)) {
    throw new BeenetError('BAD_INPUT', `sample rate must be a whole number of Hz, got ${sampleRate}`);
  }
}

/** Throws BAD_AUDIO for empty audio or a NaN / infinite sample (naming the first one). */
export function checkSamples(samples: Float32Array): void {
  if (!(samples instanceof Float32Array)) throw new BeenetError('BAD_INPUT', 'audio samples must be a Float32Array');
  if (samples.length === 0) throw new BeenetError('BAD_AUDIO', 'empty audio');
  const bad = firstNonFinite(samples);
  if (bad >= 0) throw new BeenetError('BAD_AUDIO', `audio sample ${bad} is ${samples[bad]} (samples must be finite)`);
}

/**
 * The stretch of `length` samples at `sampleRate` that the model's clip covers, in seconds of that audio:
 * all of it when it is shorter than a clip (zero-padded), else the centred (or `offset`) window.
 */
export function clipWindowSeconds(length: number, sampleRate: number, cfg: FrontendConfig, options: FeatureOptions = {}): { audioSeconds: number; startSeconds: number; endSeconds: number } {
  const modelLength = sampleRate === cfg.sampleRate ? length : getResampler(sampleRate, cfg.sampleRate).outputLength(length);
  const start = Math.max(0, clipStart(modelLength, cfg.clipSamples, options.offset));
  const end = Math.min(modelLength, start + cfg.clipSamples);
  return { audioSeconds: length / sampleRate, startSeconds: start / cfg.sampleRate, endSeconds: end / cfg.sampleRate };
}

/** The model-rate clip for some audio: only the samples under the clip window are resampled. */
export function audioToClip(
  samples: Float32Array,
  sampleRate: number,
  cfg: FrontendConfig,
  options: FeatureOptions = {},
): Float32Array {
  checkSampleRate(sampleRate);
  checkSamples(samples);
  const clip = cfg.clipSamples;
  if (!Number.isInteger(clip) || clip < cfg.windowSamples) {
    throw new BeenetError('BAD_INPUT', `invalid front end config: clipSamples ${clip} < windowSamples ${cfg.windowSamples}`);
  }
  if (sampleRate === cfg.sampleRate) return fitClip(samples, clip, options.offset);
  const r = getResampler(sampleRate, cfg.sampleRate);
  const start = clipStart(r.outputLength(samples.length), clip, options.offset);
  // Padding must be exact zeros, so short audio is resampled whole and then padded.
  if (start < 0) return fitClip(r.process(samples), clip);
  return r.processRange(samples, start, clip);
}

/**
 * Features [frames, melBands] (log-mel or microfrontend, per the config's kind) (time-major; the model input is [frames, melBands, 1] NHWC) for mono audio
 * at any rate. Applies `norm` when given; a config that asks for normalisation requires it.
 */
export function audioToFeatures(
  samples: Float32Array,
  sampleRate: number,
  cfg: FrontendConfig,
  norm?: BandNormalization,
  options: FeatureOptions = {},
): Float32Array {
  const transform = getTransform(cfg);
  if (cfg.normalization && !norm) {
    throw new BeenetError('BAD_INPUT', 'the front end config asks for normalisation, but no mean/std were given');
  }
  if (norm && (norm.mean.length !== cfg.melBands || norm.std.length !== cfg.melBands)) {
    throw new BeenetError(
      'BAD_INPUT',
      `normalisation needs ${cfg.melBands} values per band, got mean ${norm.mean.length}, std ${norm.std.length}`,
    );
  }
  const features = transform.compute(audioToClip(samples, sampleRate, cfg, options));
  return norm ? normalizeBands(features, norm.mean, norm.std) : features;
}

/**
 * Whether each frame's features depend only on that frame's samples (log-mel; the microfrontend without its
 * adaptive noise reduction and gain control), so that a stream computes every frame once and a window of frames
 * equals the features of the same samples as a clip.
 */
export function framesAreIndependent(cfg: FrontendConfig): boolean {
  if ((cfg.kind ?? 'logmel') === 'logmel') return true;
  return !!cfg.microfrontend && !cfg.microfrontend.noiseReductionEnabled && !cfg.microfrontend.pcanEnabled;
}

/** Writes one frame's raw features: the `windowSamples` samples from `samples[offset]` -> `out[outOffset..+melBands)`. */
export type FrameWriter = (samples: Float32Array, offset: number, out: Float32Array, outOffset: number) => void;

/**
 * A frame-at-a-time writer for a config whose frames are independent (see framesAreIndependent), resolved once:
 * the same numbers as frameFeatures and the clip features, without a cache lookup, a copy or an allocation per
 * frame (a stream computes 100 frames a second, and that per-frame overhead cost as much as the frame itself).
 */
export function frameWriter(cfg: FrontendConfig): FrameWriter {
  if (!framesAreIndependent(cfg)) throw new BeenetError('BAD_INPUT', 'frameWriter needs a front end whose frames are independent');
  const t = getTransform(cfg);
  const { windowSamples: n, melBands: bands } = cfg;
  if (t instanceof Microfrontend) {
    // Without noise reduction and PCAN the state is never read: one serves every frame.
    const state = t.newState();
    return (samples, offset, out, outOffset) => t.processFrame(samples, offset, state, out, outOffset);
  }
  return (samples, offset, out, outOffset) => {
    t.compute(samples.subarray(offset, offset + n), out.subarray(outOffset, outOffset + bands));
  };
}

/** Raw (unnormalised) features of one frame: `window` holds `windowSamples` model-rate samples. */
export function frameFeatures(cfg: FrontendConfig, window: Float32Array): Float32Array {
  if (window.length !== cfg.windowSamples) {
    throw new BeenetError('BAD_INPUT', `a frame needs ${cfg.windowSamples} samples, got ${window.length}`);
  }
  return getTransform(cfg).compute(window);
}
