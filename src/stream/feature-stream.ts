// Incremental features for a live stream: chunks of any size at any rate go in; each model-rate sample is
// resampled once and each frame computed once, so a window of frames costs nothing beyond its new frames. For a
// front end whose frames are independent (framesAreIndependent), a window equals the clip features of the same
// samples; otherwise each window is recomputed from its samples.
import { audioToFeatures, checkSampleRate, frameWriter, framesAreIndependent, type BandNormalization, type FrameWriter } from '../audio/frontend';
import { BandScaler } from '../audio/logmel';
import { getResampler, type Resampler } from '../audio/resample';
import { BeenetError } from '../errors';
import { firstNonFinite } from '../finite';
import type { FrontendConfig } from '../model/graph';

/**
 * A growable window onto a stream: holds samples [start, start + length) of it, sample i at buf[i - base].
 * Dropped samples stay in place until an append needs their room (then the kept ones move to the front, and the
 * buffer grows to twice what it keeps): one move per buffer's worth of samples, where moving the kept second
 * on every push cost as much as a frame's features.
 */
class Tail {
  buf = new Float32Array(4096);
  /** Absolute index of buf[0]. */
  base = 0;
  start = 0;
  length = 0;

  get end(): number {
    return this.start + this.length;
  }

  append(x: Float32Array): void {
    if (this.end - this.base + x.length > this.buf.length) {
      const need = this.length + x.length;
      const kept = this.buf.subarray(this.start - this.base, this.end - this.base);
      if (2 * need > this.buf.length) {
        const grown = new Float32Array(Math.max(2 * this.buf.length, 2 * need));
        grown.set(kept);
        this.buf = grown;
      } else {
        this.buf.copyWithin(0, this.start - this.base, this.end - this.base);
      }
      this.base = this.start;
    }
    this.buf.set(x, this.end - this.base);
    this.length += x.length;
  }

  /** Forgets samples before absolute index `from`. */
  dropBefore(from: number): void {
    const k = Math.min(Math.max(0, from - this.start), this.length);
    this.length -= k;
    this.start += k;
  }

  slice(from: number, to: number): Float32Array {
    return this.buf.slice(from - this.base, to - this.base);
  }

  view(): Float32Array {
    return this.buf.subarray(this.start - this.base, this.end - this.base);
  }
}

export class FeatureStream {
  readonly cfg: FrontendConfig;
  readonly inputRate: number;
  /** Frames in one model window (the clip length's frames). */
  readonly windowFrames: number;
  private readonly resampler: Resampler | null;
  private readonly input = new Tail();
  private readonly samples = new Tail();
  /** Computes one frame in place; null when frames are not independent (windows are recomputed from samples). */
  private readonly writer: FrameWriter | null;
  /** Frames [firstFrame, computed), oldest first, [frame, band] contiguous: a window is one slice of it. */
  private frameData: Float32Array;
  private firstFrame = 0;
  /** Oldest frame a window may start at once a push returns (one window is kept). */
  private oldestKept = 0;
  private computed = 0;
  /** Input samples accepted so far (for error messages). */
  private received = 0;

  /** Per-band normalisation applied to each frame as it is computed (windows come out as the model's input). */
  private readonly norm: BandNormalization | undefined;
  private readonly scaler: BandScaler | null;

  constructor(cfg: FrontendConfig, inputRate: number, options: { normalization?: BandNormalization } = {}) {
    checkSampleRate(inputRate);
    this.cfg = cfg;
    this.inputRate = inputRate;
    this.norm = options.normalization;
    this.scaler = this.norm ? new BandScaler(this.norm.mean, this.norm.std) : null;
    if (this.scaler && this.scaler.bands !== cfg.melBands) {
      throw new BeenetError('BAD_INPUT', `normalisation has ${this.scaler.bands} bands, the front end ${cfg.melBands}`);
    }
    this.windowFrames = Math.floor((cfg.clipSamples - cfg.windowSamples) / cfg.hopSamples) + 1;
    this.resampler = inputRate === cfg.sampleRate ? null : getResampler(inputRate, cfg.sampleRate);
    this.writer = framesAreIndependent(cfg) ? frameWriter(cfg) : null;
    // Room for two windows of frames, so that dropping old ones (a copy) happens once per window's worth.
    this.frameData = new Float32Array(this.writer ? 2 * this.windowFrames * cfg.melBands : 0);
  }

  /** Frames computed so far (frame f covers model-rate samples [f * hop, f * hop + window)). */
  get framesDone(): number {
    return this.computed;
  }

  /** Model-rate samples received so far. */
  get samplesDone(): number {
    return this.samples.end;
  }

  /**
   * Appends a chunk (mono, at the input rate) and computes every frame it completes; returns how many.
   * `onFrame(framesDone)` runs after each new frame, while every window ending there can still be read.
   */
  push(chunk: Float32Array, onFrame?: (framesDone: number) => void): number {
    if (!(chunk instanceof Float32Array)) throw new BeenetError('BAD_INPUT', 'stream chunks must be Float32Array');
    const bad = firstNonFinite(chunk);
    if (bad >= 0) throw new BeenetError('BAD_AUDIO', `stream sample ${this.received + bad} is ${chunk[bad]}`);
    this.received += chunk.length;
    if (this.resampler) {
      this.input.append(chunk);
      // Output sample j is final once every input sample it reads has arrived.
      let j = this.samples.end;
      let n = 0;
      while (this.resampler.inputSpan(j + n)[1] < this.input.end) n++;
      if (n > 0) {
        this.samples.append(this.resampler.processRange(this.input.view(), j, n, this.input.start));
        j += n;
      }
      this.input.dropBefore(this.resampler.inputSpan(j)[0]);
    } else {
      this.samples.append(chunk);
    }
    const { hopSamples: hop, windowSamples: win, melBands: bands } = this.cfg;
    const before = this.computed;
    const cap = this.frameData.length / bands;
    while (this.computed * hop + win <= this.samples.end) {
      if (this.writer) {
        if (this.computed - this.firstFrame === cap) {
          // Full: keep the newest windowFrames - 1 frames, so the window ending at this new frame is whole.
          const drop = cap - this.windowFrames + 1;
          this.frameData.copyWithin(0, drop * bands);
          this.firstFrame += drop;
        }
        const at = (this.computed - this.firstFrame) * bands;
        this.writer(this.samples.buf, this.computed * hop - this.samples.base, this.frameData, at);
        // Once per frame, where a window would normalise each frame once for every window holding it.
        this.scaler?.apply(this.frameData, at, bands);
      }
      this.computed++;
      onFrame?.(this.computed);
    }
    // Keep one window of frames and the samples of one window (the dependent case recomputes from them).
    this.oldestKept = Math.max(0, this.computed - this.windowFrames);
    this.samples.dropBefore((this.computed - this.windowFrames) * hop);
    return this.computed - before;
  }

  /**
   * Features [windowFrames, bands] of the window ending at frame `endFrame` (exclusive; the latest if omitted),
   * raw or normalised with the stream's `normalization`, a new array, or written into `into` (windowFrames * bands
   * floats) and returned, where frames are independent.
   */
  window(endFrame = this.computed, into?: Float32Array): Float32Array {
    const { hopSamples: hop, melBands: bands } = this.cfg;
    const start = endFrame - this.windowFrames;
    const oldest = Math.max(this.firstFrame, this.oldestKept);
    if (start < 0 || endFrame > this.computed || start < oldest) {
      throw new BeenetError('BAD_INPUT', `window ending at frame ${endFrame} is not available (frames ${oldest}..${this.computed})`);
    }
    if (!this.writer) {
      const from = start * hop;
      // Raw unless the stream normalises, whatever the config asks for.
      const cfg = this.norm ? this.cfg : { ...this.cfg, normalization: null };
      return audioToFeatures(this.samples.slice(from, from + this.cfg.clipSamples), this.cfg.sampleRate, cfg, this.norm);
    }
    const from = (start - this.firstFrame) * bands;
    const to = (endFrame - this.firstFrame) * bands;
    if (!into) return this.frameData.slice(from, to);
    if (into.length !== to - from) throw new BeenetError('BAD_INPUT', `a window is ${to - from} floats, the buffer holds ${into.length}`);
    into.set(this.frameData.subarray(from, to));
    return into;
  }

  /** Whether windows are slices of frames computed once (else each window is recomputed from samples). */
  get incrementalFrames(): boolean {
    return this.writer !== null;
  }

  /** A view of frames [from, to) as the stream holds them (normalised with its `normalization`); valid until the next push. */
  frames(from: number, to: number): Float32Array {
    const bands = this.cfg.melBands;
    if (!this.writer) throw new BeenetError('UNSUPPORTED', "this front end's frames depend on the stream's history: windows are recomputed, not sliced");
    if (!(Number.isInteger(from) && Number.isInteger(to) && from >= this.firstFrame && from <= to && to <= this.computed)) {
      throw new BeenetError('BAD_INPUT', `frames ${from}..${to} are not available (frames ${this.firstFrame}..${this.computed})`);
    }
    return this.frameData.subarray((from - this.firstFrame) * bands, (to - this.firstFrame) * bands);
  }

  /** RMS level in dBFS of the model-rate samples of the last `frames` hops of the window ending at frame `endFrame`. */
  levelDb(endFrame: number, frames: number): number {
    const { hopSamples: hop, windowSamples: win } = this.cfg;
    const to = Math.min(this.samples.end, (endFrame - 1) * hop + win);
    const from = Math.max(this.samples.start, to - frames * hop);
    let s = 0;
    for (let i = from; i < to; i++) s += this.samples.buf[i - this.samples.base] ** 2;
    return 10 * Math.log10(s / Math.max(1, to - from) + 1e-20);
  }
}
