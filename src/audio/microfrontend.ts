// The TensorFlow Lite Micro "microfrontend" feature pipeline (as in the micro_speech example and Silicon Labs MLTK),
// re-implemented from its published description with the same integer arithmetic:
//   int16 audio -> Hann window (Q12) -> block-normalised FFT -> power -> mel filterbank (Q12 weights) -> sqrt
//   -> per-channel noise reduction -> PCAN gain control -> fixed-point log -> uint16
// then an affine map into 8-bit pixel units (clamped to [0, 255]). The FFT itself is computed in floating point and
// rounded to int16 the way the fixed-point FFT scales it (by 1 / fftSize); everything after it is exact integer math.
// Output is time-major [frames, melBands]. See docs/frontend.md for the parameters and how they were measured.
//
// A stream runs processFrame 100 times per audio second, so it is written for speed (issue 20) while giving the
// same bits (test/audio/microfrontend.test.ts holds hashes of the plain version's output). The spectral stage
// (window, FFT, power, filterbank: src/audio/spectrum.ts) runs on a WebAssembly SIMD kernel with its own FFT,
// about 2x faster than the fft.js version it replaced, and returns each channel's amplitude; its TypeScript twin
// gives the same bits where the kernel cannot run. Without noise reduction and PCAN the kernel also writes the
// pixels, from tables built here with Math.log (logPixelTable); otherwise what is left here is per channel:
// noise reduction, PCAN, log and the pixel map.

import { BeenetError } from '../errors';
import { bitReverse, spectrumFrame, spectrumScratch, twiddleTable, type LogPixelTable, type SpectrumScratch, type SpectrumTables } from './spectrum';
import { SpectrumKernel } from './spectrum-wasm';
import type { FrontendConfig, MicrofrontendParams } from '../model/graph';

export type { MicrofrontendParams };

/** The spectral settings a microfrontend needs from a front end config, plus its own parameters. */
export type MicrofrontendConfig = Pick<
  FrontendConfig,
  'sampleRate' | 'windowSamples' | 'hopSamples' | 'fftSize' | 'melBands' | 'fMinHz' | 'fMaxHz'
> & { microfrontend: MicrofrontendParams };

/**
 * Defaults measured against the Speech Commands spectrogram images (docs/frontend.md): noise reduction and PCAN
 * are off there (their constants are TFLM's defaults, for when they are turned on), and the output map is the
 * least-squares fit of the images' pixels to the uint16 log output.
 */
export const DEFAULT_MICROFRONTEND_PARAMS: Readonly<MicrofrontendParams> = Object.freeze({
  inputScale: 32768,
  noiseReductionEnabled: false,
  smoothingBits: 10,
  evenSmoothing: 0.025,
  oddSmoothing: 0.06,
  minSignalRemaining: 0.05,
  pcanEnabled: false,
  pcanStrength: 0.95,
  pcanOffset: 80,
  pcanGainBits: 21,
  logScaleShift: 6,
  outputScale: 0.2808,
  outputOffset: -44.85,
});

/**
 * Which implementation runs the spectral stage (window, FFT, power, filterbank): the WebAssembly SIMD kernel when
 * it can be had ('auto', the default), always the TypeScript twin, or always the kernel (an error without SIMD).
 * They give the same bits.
 */
export type SpectrumImplementation = 'auto' | 'twin' | 'wasm';

/** Upper end of the pixel range the output is clamped to. */
export const MICROFRONTEND_MAX = 255;

const WINDOW_BITS = 12;
const FILTERBANK_BITS = 12;
const NOISE_BITS = 14;
const PCAN_SNR_BITS = 12;
const PCAN_OUTPUT_BITS = 6;
const WDF_BITS = 32;
const UINT16_MAX = 0xffff;
const PCAN_SQUARE_SCALE = 2 ** (2 + 2 * PCAN_SNR_BITS - PCAN_OUTPUT_BITS);
const PCAN_LINEAR_SCALE = 2 ** (PCAN_SNR_BITS - PCAN_OUTPUT_BITS);

function badCfg(msg: string): BeenetError {
  return new BeenetError('BAD_INPUT', `invalid microfrontend config: ${msg}`);
}

/** Position of the highest set bit, 1-based (0 for 0), as TFLM's MostSignificantBit32. */
function msb(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x);
}

/** The log output for x = amplitude << correctionBits: round(ln(x) * logScale) as uint16, 0 for x <= 1. */
function logRaw(x: number, logScale: number): number {
  const raw = x > 1 ? Math.floor(Math.log(x) * logScale + 0.5) : 0;
  return raw > UINT16_MAX ? UINT16_MAX : raw;
}

/** The pixel of a log output: the affine map (f64), clamped to [0, 255]; stored as f32 by the caller. */
function pixelOf(raw: number, outputScale: number, outputOffset: number): number {
  const px = outputScale * raw + outputOffset;
  return px < 0 ? 0 : px > MICROFRONTEND_MAX ? MICROFRONTEND_MAX : px;
}

/** Amplitudes the log tables cover, [0, 2^31): past this (never reached from int16 audio) the JS log runs. */
const LOG_TABLE_CAP = 2 ** 31;
/** Largest threshold table the kernel gets (entries); a config needing more (logScaleShift >= 10) logs in JS. */
const LOG_TABLE_MAX = 1 << 14;

/**
 * The log and pixel map as the kernel's tables (see LogPixelTable), or null where they would be too large. Each
 * threshold is exp's estimate moved to the exact smallest amplitude with Math.log: raw is non-decreasing in the
 * amplitude (consecutive integers' logs differ by about 1/v, far more than Math.log's error). Buckets 2^-bucketBits
 * wide (relative) span at most logScale * 2^-bucketBits = 0.5 of the exact log output, so raw takes at most two
 * values in one; each bucket is checked for that (its last integer's raw against its first's).
 */
export function logPixelTable(correctionScale: number, logScale: number, outputScale: number, outputOffset: number): LogPixelTable | null {
  const raw = (v: number) => logRaw(v * correctionScale, logScale);
  const top = raw(LOG_TABLE_CAP - 1);
  const bucketBits = Math.max(0, Math.ceil(Math.log2(logScale))) + 1;
  const exponents = Math.log2(LOG_TABLE_CAP);
  if (top + 2 > LOG_TABLE_MAX || bucketBits > 10) return null;
  const thresholds = new Float64Array(top + 2);
  for (let j = 1; j <= top + 1; j++) {
    if (j > UINT16_MAX) {
      thresholds[j] = Infinity;
      continue;
    }
    let v = Math.max(0, Math.ceil(Math.exp((j - 0.5) / logScale) / correctionScale));
    while (v > 0 && raw(v - 1) >= j) v--;
    while (raw(v) < j) v++;
    thresholds[j] = v;
  }
  const pixels = new Float32Array(top + 2);
  for (let j = 0; j <= top + 1; j++) pixels[j] = pixelOf(Math.min(j, UINT16_MAX), outputScale, outputOffset);
  const per = 2 ** bucketBits;
  const buckets = new Uint16Array(exponents * per);
  for (let b = 0; b < buckets.length; b++) {
    // Bucket b: [2^e (1 + i / per), 2^e (1 + (i + 1) / per)), e = b / per, i = b % per; its integers first..last.
    const e = 2 ** Math.floor(b / per);
    const first = Math.ceil(e * (1 + (b % per) / per));
    const last = Math.ceil(e * (1 + ((b % per) + 1) / per)) - 1;
    if (first > last) continue; // no integer in it: never looked up
    buckets[b] = raw(first);
    if (raw(last) > buckets[b] + 1) return null;
  }
  return { top, thresholds, pixels, buckets, bucketBits, amplitudeCap: LOG_TABLE_CAP };
}

/** TFLM's mel scale (HTK). */
function freqToMel(hz: number): number {
  return Math.fround(1127 * Math.log1p(hz / 700));
}

/** Throws BAD_INPUT naming the first invalid field. */
export function checkMicrofrontendParams(p: MicrofrontendParams): void {
  const fin = (name: keyof MicrofrontendParams, ok: boolean, want: string) => {
    if (!ok) throw badCfg(`${name} must be ${want}, got ${String(p[name])}`);
  };
  const unit = (v: number) => Number.isFinite(v) && v >= 0 && v <= 1;
  fin('inputScale', Number.isFinite(p.inputScale) && p.inputScale > 0, 'a positive number');
  fin('noiseReductionEnabled', typeof p.noiseReductionEnabled === 'boolean', 'a boolean');
  fin('smoothingBits', Number.isInteger(p.smoothingBits) && p.smoothingBits >= 0 && p.smoothingBits <= 16, 'an integer in [0, 16]');
  fin('evenSmoothing', unit(p.evenSmoothing), 'in [0, 1]');
  fin('oddSmoothing', unit(p.oddSmoothing), 'in [0, 1]');
  fin('minSignalRemaining', unit(p.minSignalRemaining), 'in [0, 1]');
  fin('pcanEnabled', typeof p.pcanEnabled === 'boolean', 'a boolean');
  fin('pcanStrength', Number.isFinite(p.pcanStrength) && p.pcanStrength >= 0, 'a number >= 0');
  fin('pcanOffset', Number.isFinite(p.pcanOffset) && p.pcanOffset > 0, 'a positive number');
  fin('pcanGainBits', Number.isInteger(p.pcanGainBits) && p.pcanGainBits >= 1 && p.pcanGainBits <= 30, 'an integer in [1, 30]');
  fin('logScaleShift', Number.isInteger(p.logScaleShift) && p.logScaleShift >= 0 && p.logScaleShift <= 16, 'an integer in [0, 16]');
  fin('outputScale', Number.isFinite(p.outputScale), 'a finite number');
  fin('outputOffset', Number.isFinite(p.outputOffset), 'a finite number');
}

function checkConfig(c: MicrofrontendConfig): void {
  for (const name of ['sampleRate', 'windowSamples', 'hopSamples', 'fftSize', 'melBands'] as const) {
    if (!Number.isInteger(c[name]) || c[name] < 1) throw badCfg(`${name} must be a positive integer, got ${c[name]}`);
  }
  if (c.fftSize < 2 || (c.fftSize & (c.fftSize - 1)) !== 0) throw badCfg(`fftSize ${c.fftSize} is not a power of two`);
  if (c.fftSize < c.windowSamples) throw badCfg(`fftSize ${c.fftSize} < windowSamples ${c.windowSamples}`);
  if (!(c.fMinHz >= 0 && c.fMinHz < c.fMaxHz && c.fMaxHz <= c.sampleRate / 2)) {
    throw badCfg(`need 0 <= fMinHz < fMaxHz <= sampleRate / 2, got ${c.fMinHz}..${c.fMaxHz} at ${c.sampleRate} Hz`);
  }
  checkMicrofrontendParams(c.microfrontend);
}

/**
 * Per-stream state: the noise estimate that noise reduction and PCAN carry from frame to frame. A fresh state per
 * clip gives clip-at-a-time features; keeping one across frames gives streaming features.
 */
export class MicrofrontendState {
  /** Per-channel noise estimate, in signal units << smoothingBits. */
  readonly estimate: Float64Array;

  constructor(channels: number) {
    this.estimate = new Float64Array(channels);
  }

  reset(): void {
    this.estimate.fill(0);
  }
}

/** Precomputed tables for one microfrontend configuration. Not re-entrant (shares scratch buffers). */
export class Microfrontend {
  readonly config: Readonly<MicrofrontendConfig>;
  /** Q12 window coefficients (TFLM's Hann: sampled at half-sample offsets). */
  readonly window: Int32Array;
  /** The spectral stage's tables (src/audio/spectrum.ts). */
  readonly tables: Readonly<SpectrumTables>;
  private readonly scratch: SpectrumScratch;
  /** The WebAssembly kernel of the spectral stage (null: the twin runs; the same bits). */
  private readonly kernel: SpectrumKernel | null;
  /** The filterbank's melBands + 1 accumulators and melBands channel amplitudes of the current frame. */
  private readonly work: Float64Array;
  private readonly amplitudes: Float64Array;
  private readonly gainLut: Int32Array;
  private readonly snrShift: number;
  private readonly correctionBits: number;
  private readonly evenQ: number;
  private readonly oddQ: number;
  private readonly minQ: number;
  // Per-config constants that processFrame used to recompute (the same expressions, evaluated once).
  private readonly correctionScale: number;
  private readonly logScale: number;
  private readonly smoothingScale: number;
  private readonly snrScale: number;
  private readonly outputScale: number;
  private readonly outputOffset: number;
  private readonly noiseReduction: boolean;
  private readonly pcan: boolean;

  constructor(config: MicrofrontendConfig, options: { spectrum?: SpectrumImplementation } = {}) {
    checkConfig(config);
    this.config = Object.freeze({ ...config, microfrontend: Object.freeze({ ...config.microfrontend }) });
    const { windowSamples: n, fftSize, melBands, sampleRate, fMinHz, fMaxHz } = config;
    const p = config.microfrontend;

    this.window = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / n);
      this.window[i] = Math.floor(v * (1 << WINDOW_BITS) + 0.5);
    }

    // Filterbank: melBands + 1 accumulators between melBands + 1 centres; each bin adds `weight` to the accumulator
    // whose range it falls in and `1 - weight` to the next, so output channel k is a triangle around centre k.
    const spectrum = fftSize / 2 + 1;
    const hzPerBin = (0.5 * sampleRate) / (spectrum - 1);
    const melLo = freqToMel(fMinHz);
    const melHi = freqToMel(fMaxHz);
    const spacing = Math.fround((melHi - melLo) / (melBands + 1));
    const centres = new Float64Array(melBands + 1);
    for (let i = 0; i <= melBands; i++) centres[i] = Math.fround(melLo + spacing * (i + 1));
    // Bins [binStart, chanEnd[melBands]) in order; accumulator c takes bins up to chanEnd[c]; Q12 weights and
    // unweights per bin, indexed by bin - binStart.
    const binStart = Math.trunc(1.5 + fMinHz / hzPerBin); // always skips DC
    const chanEnd = new Int32Array(melBands + 1);
    const ws: number[] = [];
    const uws: number[] = [];
    let bin = binStart;
    for (let c = 0; c <= melBands; c++) {
      const lower = c === 0 ? melLo : centres[c - 1];
      while (bin < spectrum && freqToMel(bin * hzPerBin) <= centres[c]) {
        const w = Math.fround((centres[c] - freqToMel(bin * hzPerBin)) / (centres[c] - lower));
        ws.push(Math.floor(w * (1 << FILTERBANK_BITS) + 0.5));
        uws.push(Math.floor((1 - w) * (1 << FILTERBANK_BITS) + 0.5));
        bin++;
      }
      chanEnd[c] = bin;
    }
    this.work = new Float64Array(melBands + 1);
    this.amplitudes = new Float64Array(melBands);
    const m = fftSize >> 1;
    this.tables = {
      n,
      fftSize,
      window: this.window,
      reverse: bitReverse(m),
      twiddles: twiddleTable(m, 0, m >> 1),
      splitTwiddles: twiddleTable(fftSize, binStart, Math.max(binStart, bin)),
      binStart,
      chanEnd,
      weights: Int32Array.from(ws),
      unweights: Int32Array.from(uws),
      inputScale: p.inputScale,
    };
    this.scratch = spectrumScratch(this.tables);

    // The log input is shifted so that the FFT's 1/fftSize scaling and the Q12 filterbank cancel out.
    this.correctionBits = msb(fftSize) - 1 - FILTERBANK_BITS / 2;
    this.snrShift = p.pcanGainBits - this.correctionBits - PCAN_SNR_BITS;
    this.gainLut = buildGainLut(p, p.smoothingBits - this.correctionBits);
    this.evenQ = Math.trunc(p.evenSmoothing * (1 << NOISE_BITS));
    this.oddQ = Math.trunc(p.oddSmoothing * (1 << NOISE_BITS));
    this.minQ = Math.trunc(p.minSignalRemaining * (1 << NOISE_BITS));

    this.correctionScale = 2 ** this.correctionBits;
    this.logScale = 2 ** p.logScaleShift;
    this.smoothingScale = 2 ** p.smoothingBits;
    this.snrScale = 2 ** this.snrShift;
    this.outputScale = p.outputScale;
    this.outputOffset = p.outputOffset;
    this.noiseReduction = p.noiseReductionEnabled;
    this.pcan = p.pcanEnabled;

    const impl = options.spectrum ?? 'auto';
    // Without noise reduction and PCAN a pixel depends on its amplitude alone: the kernel writes the pixels too.
    const log = this.noiseReduction || this.pcan ? null : logPixelTable(this.correctionScale, this.logScale, this.outputScale, this.outputOffset);
    this.kernel = impl === 'twin' ? null : SpectrumKernel.tryCreate(this.tables, log);
    if (impl === 'wasm' && !this.kernel) {
      throw new BeenetError('UNSUPPORTED', "the microfrontend's spectral kernel cannot run here (it needs WebAssembly SIMD, and a page whose CSP allows compiling WebAssembly)");
    }
  }

  /** Frames for a signal of `samples` samples: 1 + floor((samples - window) / hop), 0 if shorter than a window. */
  frames(samples: number): number {
    const { windowSamples, hopSamples } = this.config;
    return samples < windowSamples ? 0 : 1 + Math.floor((samples - windowSamples) / hopSamples);
  }

  /** A fresh per-stream state for this configuration. */
  newState(): MicrofrontendState {
    return new MicrofrontendState(this.config.melBands);
  }

  /**
   * One frame: the window starting at `samples[offset]` (float, [-1, 1]) -> melBands pixel values written to
   * `out[outOffset..]`. Advances `state`.
   */
  processFrame(samples: Float32Array, offset: number, state: MicrofrontendState, out: Float32Array, outOffset: number): void {
    let amp = this.amplitudes;
    if (this.kernel) {
      // The kernel's own pixels where it has them; else its amplitudes, read in place.
      if (this.kernel.pixelFrame(samples, offset, out, outOffset)) return;
      amp = this.kernel.amplitudes;
    } else {
      spectrumFrame(this.tables, this.scratch, samples, offset, this.work, amp);
    }
    const melBands = amp.length;
    const { correctionScale, logScale, outputScale, outputOffset } = this;
    if (!this.noiseReduction && !this.pcan) {
      // Amplitude (the block normalisation undone), then log and the pixel map.
      for (let c = 0; c < melBands; c++) out[outOffset + c] = pixelOf(logRaw(amp[c] * correctionScale, logScale), outputScale, outputOffset);
      return;
    }

    const est = state.estimate;
    const sb = this.smoothingScale;
    const one = 1 << NOISE_BITS;
    for (let c = 0; c < melBands; c++) {
      let v = amp[c];
      if (this.noiseReduction) {
        // Noise reduction: a slow per-channel low-pass estimate is subtracted, keeping at least a floor.
        const sm = (c & 1) === 0 ? this.evenQ : this.oddQ;
        const scaled = v * sb;
        let e = Math.floor((scaled * sm + est[c] * (one - sm)) / one);
        est[c] = e;
        if (e > scaled) e = scaled;
        const floor = Math.floor((v * this.minQ) / one);
        const sub = Math.floor((scaled - e) / sb);
        v = sub > floor ? sub : floor;
      }
      if (this.pcan) {
        // PCAN: divide by a power of the noise estimate, then compress the SNR.
        const gain = wideDynamic(est[c], this.gainLut);
        const snr = Math.floor((v * gain) / this.snrScale);
        v = snr < 2 << PCAN_SNR_BITS
          ? Math.floor((snr * snr) / PCAN_SQUARE_SCALE)
          : Math.floor(snr / PCAN_LINEAR_SCALE) - (1 << PCAN_OUTPUT_BITS);
      }
      out[outOffset + c] = pixelOf(logRaw(v * correctionScale, logScale), outputScale, outputOffset);
    }
  }

  /** Features [frames, melBands] of one clip with a fresh state; writes into `out` when given. */
  compute(samples: Float32Array, out?: Float32Array): Float32Array {
    const { windowSamples, hopSamples, melBands } = this.config;
    const frames = this.frames(samples.length);
    if (frames === 0) {
      throw new BeenetError('BAD_INPUT', `audio of ${samples.length} samples is shorter than one window (${windowSamples})`);
    }
    const result = out ?? new Float32Array(frames * melBands);
    if (result.length < frames * melBands) {
      throw new BeenetError('BAD_INPUT', `output buffer holds ${result.length} values, need ${frames * melBands}`);
    }
    const state = this.newState();
    for (let t = 0; t < frames; t++) this.processFrame(samples, t * hopSamples, state, result, t * melBands);
    return result;
  }
}

/** PCAN gain for a noise estimate x (in units << inputBits): 2^gainBits * (x + offset)^-strength, int16-clamped. */
function gainAt(p: MicrofrontendParams, inputBits: number, x: number): number {
  const g = Math.fround(2 ** p.pcanGainBits * Math.fround(Math.pow(Math.fround(x / 2 ** inputBits) + p.pcanOffset, -p.pcanStrength)));
  return g > 0x7fff ? 0x7fff : Math.trunc(g + 0.5);
}

/**
 * The gain table TFLM interpolates: exact values at 0, 1, 2, then per power-of-two interval [x0, 2 x0) the value
 * at x0 and two quadratic coefficients through x0, 1.5 x0 and 2 x0. Index layout: 4 * interval - 6 + {0, 1, 2}.
 */
function buildGainLut(p: MicrofrontendParams, inputBits: number): Int32Array {
  const lut = new Int32Array(4 * WDF_BITS - 3);
  lut[0] = gainAt(p, inputBits, 0);
  lut[1] = gainAt(p, inputBits, 1);
  for (let interval = 2; interval <= WDF_BITS; interval++) {
    const x0 = 2 ** (interval - 1);
    const x1 = x0 + x0 / 2;
    const x2 = interval === WDF_BITS ? x0 + (x0 - 1) : 2 * x0;
    const y0 = gainAt(p, inputBits, x0);
    const d1 = gainAt(p, inputBits, x1) - y0;
    const d2 = gainAt(p, inputBits, x2) - y0;
    const a1 = 4 * d1 - d2;
    const base = 4 * interval - 6;
    lut[base] = y0;
    lut[base + 1] = (a1 << 16) >> 16;
    lut[base + 2] = ((d2 - a1) << 16) >> 16;
  }
  return lut;
}

/** Piecewise-quadratic interpolation in the gain table, with TFLM's fixed-point steps. */
function wideDynamic(x: number, lut: Int32Array): number {
  if (x <= 2) return lut[x];
  if (x > 0xffffffff) x = 0xffffffff; // the C estimate is a uint32
  const interval = msb(x);
  const base = 4 * interval - 6;
  const frac = (interval < 11 ? x * 2 ** (11 - interval) : Math.floor(x / 2 ** (interval - 11))) % 1024;
  let r = Math.floor((lut[base + 2] * frac) / 32) + lut[base + 1] * 32;
  r = Math.floor((r * frac + (1 << 14)) / 32768) + lut[base];
  return (r << 16) >> 16;
}
