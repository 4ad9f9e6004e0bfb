// Log-mel spectrogram: periodic Hann window, magnitude spectrum via fft.js, HTK-mel triangular filters laid out
// like tf.signal.linear_to_mel_weight_matrix, then log(mel + offset). Output is time-major [frames, melBands].

import FFT from 'fft.js';
import { BeenetError } from '../errors';
import type { FrontendConfig } from '../model/graph';

/** HTK mel scale (as TensorFlow). */
export function hzToMel(hz: number): number {
  return 1127 * Math.log(1 + hz / 700);
}

export function melToHz(mel: number): number {
  return 700 * (Math.exp(mel / 1127) - 1);
}

/** The spectral parameters of a front end (everything but the clip length and normalisation). */
export type LogMelConfig = Pick<
  FrontendConfig,
  'sampleRate' | 'windowSamples' | 'hopSamples' | 'fftSize' | 'melBands' | 'fMinHz' | 'fMaxHz' | 'logOffset'
>;

function badCfg(msg: string): BeenetError {
  return new BeenetError('BAD_INPUT', `invalid front end config: ${msg}`);
}

function checkConfig(c: LogMelConfig): void {
  const posInt = (name: keyof LogMelConfig) => {
    const v = c[name];
    if (!Number.isInteger(v) || v < 1) throw badCfg(`${name} must be a positive integer, got ${v}`);
  };
  posInt('sampleRate');
  posInt('windowSamples');
  posInt('hopSamples');
  posInt('fftSize');
  posInt('melBands');
  if (c.fftSize < 2 || (c.fftSize & (c.fftSize - 1)) !== 0) throw badCfg(`fftSize ${c.fftSize} is not a power of two`);
  if (c.fftSize < c.windowSamples) throw badCfg(`fftSize ${c.fftSize} < windowSamples ${c.windowSamples}`);
  if (!(c.fMinHz >= 0 && c.fMinHz < c.fMaxHz && c.fMaxHz <= c.sampleRate / 2)) {
    throw badCfg(`need 0 <= fMinHz < fMaxHz <= sampleRate / 2, got ${c.fMinHz}..${c.fMaxHz} at ${c.sampleRate} Hz`);
  }
  if (!(c.logOffset > 0 && Number.isFinite(c.logOffset))) throw badCfg(`logOffset must be > 0, got ${c.logOffset}`);
}

/**
 * Mel weight matrix [fftSize / 2 + 1, melBands] (row-major), identical in construction to
 * tf.signal.linear_to_mel_weight_matrix: triangles in mel space, the DC bin always zero.
 */
export function melWeightMatrix(
  melBands: number,
  fftSize: number,
  sampleRate: number,
  fMinHz: number,
  fMaxHz: number,
): Float64Array {
  const bins = fftSize / 2 + 1;
  const w = new Float64Array(bins * melBands);
  const lo = hzToMel(fMinHz);
  const hi = hzToMel(fMaxHz);
  const edges = new Float64Array(melBands + 2);
  for (let i = 0; i < melBands + 2; i++) edges[i] = lo + ((hi - lo) * i) / (melBands + 1);
  const nyquist = sampleRate / 2;
  for (let k = 1; k < bins; k++) {
    const mel = hzToMel((nyquist * k) / (bins - 1));
    for (let b = 0; b < melBands; b++) {
      const l = edges[b];
      const c = edges[b + 1];
      const u = edges[b + 2];
      const v = Math.min((mel - l) / (c - l), (u - mel) / (u - c));
      w[k * melBands + b] = v > 0 ? v : 0;
    }
  }
  return w;
}

/** A precomputed log-mel transform for one configuration. Not re-entrant (shares scratch buffers). */
export class LogMel {
  readonly config: Readonly<LogMelConfig>;
  /** Periodic Hann window, windowSamples long. */
  readonly window: Float64Array;
  private readonly fft: FFT;
  private readonly frameBuf: Float64Array;
  private readonly spec: number[];
  private readonly mag: Float64Array;
  /** Sparse filterbank: per band, the first bin and its weights. */
  private readonly bandStart: Int32Array;
  private readonly bandWeights: Float64Array[];

  constructor(config: LogMelConfig) {
    checkConfig(config);
    this.config = Object.freeze({ ...config });
    const { windowSamples: n, fftSize, melBands } = config;
    this.window = new Float64Array(n);
    for (let i = 0; i < n; i++) this.window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
    this.fft = new FFT(fftSize);
    this.frameBuf = new Float64Array(fftSize);
    this.spec = this.fft.createComplexArray();
    const bins = fftSize / 2 + 1;
    this.mag = new Float64Array(bins);
    const full = melWeightMatrix(melBands, fftSize, config.sampleRate, config.fMinHz, config.fMaxHz);
    this.bandStart = new Int32Array(melBands);
    this.bandWeights = [];
    for (let b = 0; b < melBands; b++) {
      let first = -1;
      let last = -1;
      for (let k = 0; k < bins; k++) {
        if (full[k * melBands + b] !== 0) {
          if (first < 0) first = k;
          last = k;
        }
      }
      const ws = new Float64Array(first < 0 ? 0 : last - first + 1);
      for (let k = 0; k < ws.length; k++) ws[k] = full[(first + k) * melBands + b];
      this.bandStart[b] = Math.max(first, 0);
      this.bandWeights.push(ws);
    }
  }

  /** Frames for a signal of `samples` samples: 1 + floor((samples - window) / hop), 0 if shorter than a window. */
  frames(samples: number): number {
    const { windowSamples, hopSamples } = this.config;
    return samples < windowSamples ? 0 : 1 + Math.floor((samples - windowSamples) / hopSamples);
  }

  /** Log-mel features [frames, melBands] of `samples`; writes into `out` when given. */
  compute(samples: Float32Array, out?: Float32Array): Float32Array {
    const { windowSamples: n, hopSamples, melBands, logOffset, fftSize } = this.config;
    const frames = this.frames(samples.length);
    if (frames === 0) {
      throw new BeenetError('BAD_INPUT', `audio of ${samples.length} samples is shorter than one window (${n})`);
    }
    const result = out ?? new Float32Array(frames * melBands);
    if (result.length < frames * melBands) {
      throw new BeenetError('BAD_INPUT', `output buffer holds ${result.length} values, need ${frames * melBands}`);
    }
    const { frameBuf, spec, mag, window } = this;
    const half = fftSize / 2;
    for (let t = 0; t < frames; t++) {
      const off = t * hopSamples;
      for (let i = 0; i < n; i++) frameBuf[i] = samples[off + i] * window[i];
      // frameBuf[n..fftSize) stays zero: frames are zero-padded at the end, as tf.signal.stft does.
      this.fft.realTransform(spec, frameBuf);
      for (let k = 0; k <= half; k++) {
        const re = spec[2 * k];
        const im = spec[2 * k + 1];
        mag[k] = Math.sqrt(re * re + im * im);
      }
      const row = t * melBands;
      for (let b = 0; b < melBands; b++) {
        const ws = this.bandWeights[b];
        const s = this.bandStart[b];
        let acc = 0;
        for (let k = 0; k < ws.length; k++) acc += ws[k] * mag[s + k];
        result[row + b] = Math.log(acc + logOffset);
      }
    }
    return result;
  }
}

/** Per-band normalisation with its parameters checked once: x[t, b] -> (x[t, b] - mean[b]) * (1 / std[b]). */
export class BandScaler {
  readonly bands: number;
  private readonly mean: Float32Array;
  private readonly inv: Float32Array;

  constructor(mean: Float32Array, std: Float32Array) {
    const bands = mean.length;
    if (std.length !== bands || bands === 0) {
      throw new BeenetError('BAD_INPUT', `normalisation shapes do not match: mean ${mean.length}, std ${std.length}`);
    }
    const inv = new Float32Array(bands);
    for (let b = 0; b < bands; b++) {
      if (!(std[b] > 0 && Number.isFinite(std[b]) && Number.isFinite(mean[b]))) {
        throw new BeenetError('BAD_INPUT', `normalisation band ${b}: std must be finite and > 0, got ${std[b]}`);
      }
      inv[b] = 1 / std[b];
    }
    this.bands = bands;
    this.mean = mean.slice();
    this.inv = inv;
  }

  /** In place over `length` floats of `x` from `offset` ([frames, bands], so a multiple of bands); returns x. */
  apply(x: Float32Array, offset = 0, length = x.length - offset): Float32Array {
    const { bands, mean, inv } = this;
    for (let i = offset; i < offset + length; i += bands) {
      for (let b = 0; b < bands; b++) x[i + b] = (x[i + b] - mean[b]) * inv[b];
    }
    return x;
  }
}

/** In place: x[t, b] = (x[t, b] - mean[b]) / std[b] over a [frames, melBands] array. */
export function normalizeBands(features: Float32Array, mean: Float32Array, std: Float32Array): Float32Array {
  if (std.length !== mean.length || mean.length === 0 || features.length % mean.length !== 0) {
    throw new BeenetError(
      'BAD_INPUT',
      `normalisation shapes do not match: mean ${mean.length}, std ${std.length}, features ${features.length}`,
    );
  }
  return new BandScaler(mean, std).apply(features);
}
