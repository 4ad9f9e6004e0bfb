// Always-on keyword spotting on a live stream: overlapping windows of incrementally computed features go
// through the early-exit scheduler in batches (so silence and noise leave at the first exit), posteriors are
// averaged over recent windows, and a keyword whose smoothed probability passes the threshold for a few windows
// in a row becomes one event per utterance (a refractory period). A window that would fire from an early exit is
// confirmed at the last exit first (early exits are confident about some noise the full network rejects). The
// same code runs in browsers and Node: it takes Float32Array chunks.
import { BeenetError } from '../errors';
import type { PrefixWindow, StreamPrefix } from '../plan/executor';
import type { ExitOptions } from '../runtime/exit-policy';
import type { BeenetModel, ClassifyResult } from '../runtime/model';
import { FeatureStream } from './feature-stream';

export interface DetectorOptions {
  /** Rate of the chunks pushed (Hz). */
  sampleRate: number;
  /** Hop between windows in ms (rounded to whole frames; default 120). */
  hopMs?: number;
  /** Windows averaged for the posterior (default 6). */
  smoothing?: number;
  /** Smoothed probability a keyword needs, as the leading class, for an event (default 0.3). */
  probabilityThreshold?: number;
  /** Consecutive windows whose smoothed posterior must pass the threshold for the same keyword (default 4). */
  minWindows?: number;
  /** After an event, no other for this long (ms, default 1500). */
  refractoryMs?: number;
  /** Labels never reported (default: `_silence_` and `_unknown_`). */
  ignore?: readonly string[];
  /**
   * A window that leaves at an early exit and would pass the threshold for a keyword (out of the refractory
   * period) is run again to the last exit, whose posterior replaces the early one: early exits reject noise
   * cheaply, the full network accepts (default true; only those rare windows pay for the full network).
   */
  confirm?: boolean;
  /** Windows whose newest hop is quieter than this (dBFS) skip the model and count as silence (default: off). */
  energyGateDb?: number | null;
  /** Early-exit options for every window (default: the model's calibrated thresholds). */
  exit?: ExitOptions;
  /** At most this many windows wait for the model; older ones are dropped and counted (default 16). */
  maxQueuedWindows?: number;
  /** Windows per model call when several are waiting (default 8). */
  batch?: number;
  /**
   * Compute stage 0 (the stem and first block, which every window runs) once per row of the stream and share it
   * between overlapping windows, where the backend and the hop allow: the WASM backend, a hop that is a multiple
   * of stage 0's time stride (4 frames, 40 ms, for the shipped models; the default 120 ms is one). The same
   * results with less work (default true; `stats().sharedStage0` says whether it is on, and why not).
   */
  shareStage0?: boolean;
  signal?: AbortSignal;
  /** Every event, as it happens. */
  onDetection?: (d: Detection) => void;
  /** Every window's outcome (live displays). */
  onWindow?: (w: WindowOutcome) => void;
}

export interface Detection {
  label: string;
  /** End of the window that fired (its first frame's start + one clip), in seconds from the start of the stream. */
  time: number;
  /** Smoothed probability of the label. */
  probability: number;
  /** Exit the firing window took (0-based). */
  exit: number;
  /** Binary operations that window used, as a fraction of the full network's. */
  binaryOpsFraction: number;
}

export interface WindowOutcome {
  time: number;
  /** null for a window the energy gate skipped. */
  result: ClassifyResult | null;
  smoothed: Float32Array;
}

export interface DetectorStats {
  audioSeconds: number;
  windows: number;
  /** Windows the energy gate skipped. */
  gated: number;
  /** Windows dropped because the model fell behind (never silently: counted here). */
  dropped: number;
  detections: number;
  /** Windows per exit taken. */
  exits: number[];
  /** Windows run again to the last exit to confirm an early exit's keyword (see `confirm`). */
  confirmations: number;
  /** Mean binary-ops fraction over the windows the model ran (confirmation runs included). */
  meanBinaryOpsFraction: number;
  /** Wall time (ms) in the model (classifyBatch, early exits included; with `shareStage0`, the shared stage 0 too). */
  inferenceMs: number;
  /** Wall time (ms) computing frames: resampling and the front end. */
  frontEndMs: number;
  /** Wall time (ms) assembling windows from frames and normalising them for the model. */
  windowMs: number;
  /** Wall time (ms) in smoothing, deciding and the onWindow / onDetection callbacks. */
  decisionMs: number;
  /** Whether windows share stage 0 (see `shareStage0`); when not, why. */
  sharedStage0: { on: boolean; why?: string };
}

/** The decision's settings (the detector's options of the same names); `confirm` is applied around EventRule. */
export interface DecisionOptions {
  smoothing: number;
  probabilityThreshold: number;
  minWindows: number;
  refractoryMs: number;
  ignore: readonly string[];
  confirm: boolean;
}

/**
 * The detector's defaults, chosen with `npm run bench:stream-sweep` on long streams of real recordings (seed 1,
 * checked on seed 2; docs/benchmarks.md) among hops that are multiples of 40 ms, so that windows share stage 0:
 * a keyword leading for 4 windows in a row (480 ms) rejects the short bursts noise gives, so a low threshold
 * keeps detection at the model's ceiling, with the fewest false alarms on speech of the points that keep 90 %.
 */
export const DETECTOR_DEFAULTS: Readonly<DecisionOptions & { hopMs: number }> = Object.freeze({
  hopMs: 120,
  smoothing: 6,
  probabilityThreshold: 0.3,
  minWindows: 4,
  refractoryMs: 1500,
  ignore: Object.freeze(['_silence_', '_unknown_']),
  confirm: true,
});

export interface RuleEvent {
  label: string;
  classIndex: number;
  probability: number;
}

/**
 * The decision on its own, window by window: posteriors are averaged over the last `smoothing` windows, and a
 * keyword leading the average with at least `probabilityThreshold` for `minWindows` windows in a row fires, at
 * most once per refractory period. Offline tuning replays cached windows through this same class.
 */
export class EventRule {
  private readonly labels: readonly string[];
  private readonly o: DecisionOptions;
  private readonly ignored: Uint8Array;
  private readonly silence: number;
  private readonly recent: Float32Array[] = [];
  private readonly sum: Float64Array;
  private run = 0;
  private runClass = -1;
  private lastEventTime = -Infinity;

  constructor(labels: readonly string[], options: DecisionOptions) {
    this.labels = labels;
    this.o = options;
    const ignore = new Set(options.ignore);
    this.ignored = Uint8Array.from(labels, (l) => (ignore.has(l) ? 1 : 0));
    this.silence = labels.indexOf('_silence_');
    this.sum = new Float64Array(labels.length);
  }

  /** Smooths with `p` as the newest window (without keeping it): the leading class and its mean probability. */
  private average(p: Float32Array | null): { best: number; prob: number } {
    const classes = this.labels.length;
    // The window `p` would push out is left out; sums are formed afresh (a few windows): no drift to break ties.
    const keep = Math.min(this.recent.length, this.o.smoothing - 1);
    const n = keep + 1;
    this.sum.fill(0);
    for (let k = this.recent.length - keep; k < this.recent.length; k++) for (let c = 0; c < classes; c++) this.sum[c] += this.recent[k][c];
    if (p) for (let c = 0; c < classes; c++) this.sum[c] += p[c];
    else if (this.silence >= 0) this.sum[this.silence] += 1; // a gated window: certain silence (or nothing)
    let best = 0;
    for (let c = 1; c < classes; c++) if (this.sum[c] > this.sum[best]) best = c;
    for (let c = 0; c < classes; c++) this.sum[c] /= n;
    return { best, prob: this.sum[best] };
  }

  /** Would this window's probabilities pass the threshold for a keyword, out of the refractory period? (No state changes.) */
  passes(p: Float32Array, time: number): boolean {
    const { best, prob } = this.average(p);
    return !this.ignored[best] && prob >= this.o.probabilityThreshold && (time - this.lastEventTime) * 1000 >= this.o.refractoryMs;
  }

  /**
   * The next window's probabilities (null: a gated window, certain silence, which never fires) at `time` (s).
   * Writes the smoothed posterior into `smoothed` when given; returns the event this window fires, if any.
   */
  next(p: Float32Array | null, time: number, smoothed?: Float32Array): RuleEvent | null {
    const { best, prob } = this.average(p);
    if (smoothed) smoothed.set(this.sum);
    let v = p;
    if (!v) {
      v = new Float32Array(this.labels.length);
      if (this.silence >= 0) v[this.silence] = 1;
    }
    this.recent.push(v);
    if (this.recent.length > this.o.smoothing) this.recent.shift();
    const passes = p !== null && !this.ignored[best] && prob >= this.o.probabilityThreshold;
    this.run = passes ? (best === this.runClass ? this.run + 1 : 1) : 0;
    this.runClass = passes ? best : -1;
    if (this.run < this.o.minWindows || (time - this.lastEventTime) * 1000 < this.o.refractoryMs) return null;
    this.lastEventTime = time;
    this.run = 0;
    this.runClass = -1;
    return { label: this.labels[best], classIndex: best, probability: prob };
  }
}

interface PendingWindow {
  endFrame: number;
  time: number;
  /** The window's features, or its stage 0 from the stream prefix; both null: below the energy gate, the model is skipped. */
  features: Float32Array | null;
  prefixed: PrefixWindow | null;
}

export class KeywordDetector {
  private readonly model: BeenetModel;
  private readonly stream: FeatureStream;
  private readonly hopFrames: number;
  private readonly o: Required<Omit<DetectorOptions, 'signal' | 'onDetection' | 'onWindow' | 'exit' | 'energyGateDb' | 'shareStage0'>> & DetectorOptions;
  private readonly rule: EventRule;
  private readonly lastExit: number;
  private nextWindowEnd: number;
  private queue: PendingWindow[] = [];
  /** Buffers of decided windows, for the next windows (see takeWindow). */
  private readonly spareWindows: Float32Array[] = [];
  private running: Promise<void> = Promise.resolve();
  /** Time spent in takeWindow during the current push (taken out of the front end's share), and of that in the shared stage 0. */
  private windowTime = 0;
  private stage0Time = 0;
  private stopped = false;
  private opsSum = 0;
  /** Stage 0 shared between windows (null: every window runs whole), and the frames given to it so far. */
  private readonly prefix: StreamPrefix | null = null;
  private prefixFrames = 0;
  private readonly counters: Omit<DetectorStats, 'meanBinaryOpsFraction' | 'audioSeconds'>;

  constructor(model: BeenetModel, options: DetectorOptions) {
    this.model = model;
    const fe = model.description.frontend;
    // Frames are normalised once as they are computed, not in every window that holds them.
    this.stream = new FeatureStream(fe, options.sampleRate, { normalization: model.bandNormalization });
    const frameMs = (1000 * fe.hopSamples) / fe.sampleRate;
    this.o = {
      ...DETECTOR_DEFAULTS,
      maxQueuedWindows: 16,
      batch: 8,
      // An option given as undefined keeps its default.
      ...(Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as DetectorOptions),
    };
    const positive = (name: string, v: number) => {
      if (!(Number.isFinite(v) && v > 0)) throw new BeenetError('BAD_INPUT', `${name} must be a positive number, got ${v}`);
    };
    positive('hopMs', this.o.hopMs);
    positive('smoothing', this.o.smoothing);
    positive('maxQueuedWindows', this.o.maxQueuedWindows);
    positive('batch', this.o.batch);
    positive('minWindows', this.o.minWindows);
    if (!(this.o.probabilityThreshold >= 0 && this.o.probabilityThreshold <= 1)) {
      throw new BeenetError('BAD_INPUT', `probabilityThreshold must be in [0, 1], got ${this.o.probabilityThreshold}`);
    }
    if (!(this.o.refractoryMs >= 0)) throw new BeenetError('BAD_INPUT', `refractoryMs must be >= 0, got ${this.o.refractoryMs}`);
    this.hopFrames = Math.max(1, Math.round(this.o.hopMs / frameMs));
    this.rule = new EventRule(model.labels, this.o);
    this.lastExit = model.plan.stages.length - 1;
    this.nextWindowEnd = this.stream.windowFrames;
    this.counters = {
      windows: 0,
      gated: 0,
      dropped: 0,
      detections: 0,
      exits: new Array<number>(model.plan.stages.length).fill(0),
      confirmations: 0,
      inferenceMs: 0,
      frontEndMs: 0,
      windowMs: 0,
      decisionMs: 0,
      sharedStage0: { on: false, why: 'turned off (shareStage0: false)' },
    };
    if (this.o.shareStage0 !== false) {
      const shared = this.sharedStage0(model);
      if ('unsupported' in shared) {
        this.counters.sharedStage0 = { on: false, why: shared.unsupported };
      } else {
        this.prefix = shared;
        this.counters.sharedStage0 = { on: true };
      }
    }
    if (options.signal?.aborted) this.stop();
    options.signal?.addEventListener('abort', () => this.stop(), { once: true });
  }

  /** A stream prefix for this detector's windows, or why there is none. */
  private sharedStage0(model: BeenetModel): StreamPrefix | { unsupported: string } {
    const windowFrames = this.stream.windowFrames;
    if (!this.stream.incrementalFrames) return { unsupported: "the front end's frames depend on the stream's history" };
    if (this.hopFrames >= windowFrames) return { unsupported: 'windows do not overlap' };
    // Every queued window and a batch in flight (with a confirmation) hold one.
    return model.createStreamPrefix({ windowFrames, hopFrames: this.hopFrames, windows: this.o.maxQueuedWindows + this.o.batch + 2 });
  }

  /**
   * Feeds a chunk; resolves, once the model has caught up, with the events found while this call waited
   * (`onDetection` sees every event as it happens). Calls may overlap (a microphone callback need not wait):
   * windows queue in order, and beyond `maxQueuedWindows` the oldest are dropped and counted. A bad chunk
   * (not a Float32Array, a non-finite sample) rejects and leaves the stream unchanged.
   */
  push(chunk: Float32Array): Promise<Detection[]> {
    if (this.stopped) return Promise.reject(new BeenetError('DISPOSED', 'the detector was stopped'));
    const t0 = performance.now();
    this.windowTime = 0;
    this.stage0Time = 0;
    try {
      this.stream.push(chunk, (framesDone) => {
        if (framesDone === this.nextWindowEnd) this.takeWindow(framesDone);
      });
    } catch (e) {
      return Promise.reject(e);
    } finally {
      this.counters.frontEndMs += performance.now() - t0 - this.windowTime;
      this.counters.windowMs += this.windowTime - this.stage0Time;
      this.counters.inferenceMs += this.stage0Time;
    }
    while (this.queue.length > this.o.maxQueuedWindows) this.dropOldest();
    const run = this.running.then(() => this.drain());
    this.running = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Feeds every chunk of `source` in order (any iterable or async iterable of Float32Array chunks: a Node
   * Readable in object mode, an async generator over a socket or a file) and resolves with all the events once
   * it ends. Ends early, with the events so far, when the detector is stopped; a bad chunk rejects.
   */
  async consume(source: AsyncIterable<Float32Array> | Iterable<Float32Array>): Promise<Detection[]> {
    const events: Detection[] = [];
    for await (const chunk of source) {
      if (this.stopped) break;
      events.push(...(await this.push(chunk)));
    }
    return events;
  }

  /** Queues the window ending at frame `end` (or, below the energy gate, records it as silence). */
  private takeWindow(end: number): void {
    const t0 = performance.now();
    const cfg = this.stream.cfg;
    // A window is the clip starting at its first frame: it ends one clip length later.
    const time = ((end - this.stream.windowFrames) * cfg.hopSamples + cfg.clipSamples) / cfg.sampleRate;
    const gateDb = this.o.energyGateDb;
    const gated = gateDb !== undefined && gateDb !== null && this.stream.levelDb(end, this.hopFrames) < gateDb;
    let features: Float32Array | null = null;
    let prefixed: PrefixWindow | null = null;
    const start = end - this.stream.windowFrames;
    if (this.prefix) {
      // Stage 0 of the network: counted as inference, not window assembly.
      const p0 = performance.now();
      this.prefix.addFrames(this.stream.frames(this.prefixFrames, end), end - this.prefixFrames);
      this.prefixFrames = end;
      if (gated) this.prefix.forgetBefore(start + this.hopFrames);
      else prefixed = this.prefixWindow(start);
      this.stage0Time += performance.now() - p0;
    } else if (!gated) {
      // A window's buffer comes back once the window is decided (allocating 16 KB per window cost more than the
      // copy into it).
      features = this.stream.window(end, this.spareWindows.pop());
    }
    this.queue.push({ endFrame: end, time, features, prefixed });
    this.nextWindowEnd += this.hopFrames;
    this.windowTime += performance.now() - t0;
  }

  /** The prefix's stage 0 of the window at `start`; when every slot is held, the oldest queued window is dropped for it. */
  private prefixWindow(start: number): PrefixWindow {
    for (;;) {
      const w = this.prefix!.takeWindow(start);
      if (w) return w;
      if (!this.queue.some((q) => q.prefixed)) throw new BeenetError('KERNEL_BINDING', 'stream prefix: no window slot is free');
      this.dropOldest();
    }
  }

  /** Drops the oldest queued window (the model fell behind), counting it. */
  private dropOldest(): void {
    const w = this.queue.shift();
    if (!w) return;
    w.prefixed?.release();
    this.counters.dropped++;
    this.counters.windows++;
  }

  /** Takes back a decided window's buffer (the model has copied what it needs). */
  private recycleWindow(buffer: Float32Array): void {
    if (this.spareWindows.length < 8 && buffer.length === this.stream.windowFrames * this.stream.cfg.melBands) this.spareWindows.push(buffer);
  }

  /** Stops listening: later pushes reject with DISPOSED; windows still queued are dropped (and counted). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    while (this.queue.length > 0) this.dropOldest();
  }

  /** `using detector = createDetector(...)`: stopped when the scope ends. */
  [Symbol.dispose](): void {
    this.stop();
  }

  stats(): DetectorStats {
    const ran = this.counters.windows - this.counters.gated - this.counters.dropped;
    return {
      ...this.counters,
      exits: [...this.counters.exits],
      sharedStage0: { ...this.counters.sharedStage0 },
      audioSeconds: this.stream.samplesDone / this.stream.cfg.sampleRate,
      meanBinaryOpsFraction: ran > 0 ? this.opsSum / ran : 0,
    };
  }

  /** Windows through the model: from their shared stage 0, or their features. */
  private classify(windows: readonly PendingWindow[], exit: ExitOptions | undefined): Promise<ClassifyResult[]> {
    if (this.prefix) return this.model.classifyPrefixed(windows.map((w) => w.prefixed!.bytes), exit);
    return this.model.classifyBatch(windows.map((w) => ({ features: w.features! })), exit);
  }

  private async drain(): Promise<Detection[]> {
    const events: Detection[] = [];
    while (this.queue.length > 0 && !this.stopped) {
      const batch = this.queue.splice(0, this.o.batch);
      const run = batch.filter((w) => w.features !== null || w.prefixed !== null);
      const t0 = performance.now();
      const results = run.length ? await this.classify(run, this.o.exit) : [];
      this.counters.inferenceMs += performance.now() - t0;
      const t1 = performance.now();
      let confirmMs = 0;
      let k = 0;
      for (const w of batch) {
        this.counters.windows++;
        const ran = w.features !== null || w.prefixed !== null;
        let r = ran ? results[k++] : null;
        if (r) {
          this.counters.exits[r.exit]++;
          this.opsSum += r.binaryOpsFraction;
        } else {
          this.counters.gated++;
        }
        if (r && ran && this.o.confirm && r.exit < this.lastExit && this.rule.passes(r.probabilities, w.time)) {
          const t2 = performance.now();
          // To the last exit whatever the model's criterion: entropy < 0 never holds before it.
          [r] = await this.classify([w], { criterion: 'entropy', threshold: 0 });
          const ms = performance.now() - t2;
          this.counters.inferenceMs += ms;
          confirmMs += ms;
          this.counters.confirmations++;
          // Only the stages past the early exit are new work, but the rerun runs them all: count it all.
          this.opsSum += r.binaryOpsFraction;
        }
        if (w.features) this.recycleWindow(w.features);
        w.prefixed?.release();
        const smoothed = new Float32Array(this.model.labels.length);
        const fired = this.rule.next(r ? r.probabilities : null, w.time, smoothed);
        this.o.onWindow?.({ time: w.time, result: r, smoothed });
        if (fired && r) {
          const e: Detection = { label: fired.label, time: w.time, probability: fired.probability, exit: r.exit, binaryOpsFraction: r.binaryOpsFraction };
          events.push(e);
          this.counters.detections++;
          this.o.onDetection?.(e);
        }
      }
      this.counters.decisionMs += performance.now() - t1 - confirmMs;
    }
    return events;
  }
}

/** A streaming keyword detector on a loaded model (see KeywordDetector). */
export function createDetector(model: BeenetModel, options: DetectorOptions): KeywordDetector {
  return new KeywordDetector(model, options);
}
