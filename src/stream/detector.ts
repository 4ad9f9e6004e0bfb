// Always-on keyword spotting on a live stream: overlapping windows of incrementally computed features go
// through the early-exit scheduler in batches (so silence and noise leave at the first exit), posteriors are
// averaged over recent windows, and a keyword whose smoothed probability passes the threshold becomes one event
// per utterance (a refractory period). The same code runs in browsers and Node: it takes Float32Array chunks.
import { BeenetError } from '../errors';
import type { ExitOptions } from '../runtime/exit-policy';
import type { BeenetModel, ClassifyResult } from '../runtime/model';
import { FeatureStream } from './feature-stream';

export interface DetectorOptions {
  /** Rate of the chunks pushed (Hz). */
  sampleRate: number;
  /** Hop between windows in ms (rounded to whole frames; default 100). */
  hopMs?: number;
  /** Windows averaged for the posterior (default 3). */
  smoothing?: number;
  /** Smoothed probability a keyword needs for an event (default 0.7). */
  probabilityThreshold?: number;
  /** After an event, no other for this long (ms, default 1000). */
  refractoryMs?: number;
  /** Labels never reported (default: `_silence_` and `_unknown_`). */
  ignore?: readonly string[];
  /** Windows whose newest hop is quieter than this (dBFS) skip the model and count as silence (default: off). */
  energyGateDb?: number | null;
  /** Early-exit options for every window (default: the model's calibrated thresholds). */
  exit?: ExitOptions;
  /** At most this many windows wait for the model; older ones are dropped and counted (default 16). */
  maxQueuedWindows?: number;
  /** Windows per model call when several are waiting (default 8). */
  batch?: number;
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
  /** Mean binary-ops fraction over the windows the model ran. */
  meanBinaryOpsFraction: number;
  /** Wall time spent in the model, ms. */
  inferenceMs: number;
}

interface PendingWindow {
  endFrame: number;
  time: number;
  /** null: below the energy gate, the model is skipped. */
  features: Float32Array | null;
}

export class KeywordDetector {
  private readonly model: BeenetModel;
  private readonly stream: FeatureStream;
  private readonly hopFrames: number;
  private readonly o: Required<Omit<DetectorOptions, 'signal' | 'onDetection' | 'onWindow' | 'exit' | 'energyGateDb'>> & DetectorOptions;
  private readonly ignore: Set<string>;
  private nextWindowEnd: number;
  private queue: PendingWindow[] = [];
  private running: Promise<void> = Promise.resolve();
  private recent: Float32Array[] = [];
  private lastEventTime = -Infinity;
  private stopped = false;
  private opsSum = 0;
  private readonly counters: Omit<DetectorStats, 'meanBinaryOpsFraction' | 'audioSeconds'>;

  constructor(model: BeenetModel, options: DetectorOptions) {
    this.model = model;
    const fe = model.description.frontend;
    this.stream = new FeatureStream(fe, options.sampleRate);
    const frameMs = (1000 * fe.hopSamples) / fe.sampleRate;
    this.o = {
      hopMs: 100,
      smoothing: 3,
      probabilityThreshold: 0.7,
      refractoryMs: 1000,
      ignore: ['_silence_', '_unknown_'],
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
    if (!(this.o.probabilityThreshold >= 0 && this.o.probabilityThreshold <= 1)) {
      throw new BeenetError('BAD_INPUT', `probabilityThreshold must be in [0, 1], got ${this.o.probabilityThreshold}`);
    }
    if (!(this.o.refractoryMs >= 0)) throw new BeenetError('BAD_INPUT', `refractoryMs must be >= 0, got ${this.o.refractoryMs}`);
    this.hopFrames = Math.max(1, Math.round(this.o.hopMs / frameMs));
    this.ignore = new Set(this.o.ignore);
    this.nextWindowEnd = this.stream.windowFrames;
    this.counters = { windows: 0, gated: 0, dropped: 0, detections: 0, exits: new Array<number>(model.plan.stages.length).fill(0), inferenceMs: 0 };
    if (options.signal?.aborted) this.stop();
    options.signal?.addEventListener('abort', () => this.stop(), { once: true });
  }

  /**
   * Feeds a chunk; resolves, once the model has caught up, with the events found while this call waited
   * (`onDetection` sees every event as it happens). Calls may overlap (a microphone callback need not wait):
   * windows queue in order, and beyond `maxQueuedWindows` the oldest are dropped and counted. A bad chunk
   * (not a Float32Array, a non-finite sample) rejects and leaves the stream unchanged.
   */
  push(chunk: Float32Array): Promise<Detection[]> {
    if (this.stopped) return Promise.reject(new BeenetError('DISPOSED', 'the detector was stopped'));
    try {
      this.stream.push(chunk, (framesDone) => {
        if (framesDone === this.nextWindowEnd) this.takeWindow(framesDone);
      });
    } catch (e) {
      return Promise.reject(e);
    }
    while (this.queue.length > this.o.maxQueuedWindows) {
      this.queue.shift();
      this.counters.dropped++;
      this.counters.windows++;
    }
    const run = this.running.then(() => this.drain());
    this.running = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Queues the window ending at frame `end` (or, below the energy gate, records it as silence). */
  private takeWindow(end: number): void {
    const cfg = this.stream.cfg;
    // A window is the clip starting at its first frame: it ends one clip length later.
    const time = ((end - this.stream.windowFrames) * cfg.hopSamples + cfg.clipSamples) / cfg.sampleRate;
    const gateDb = this.o.energyGateDb;
    const gated = gateDb !== undefined && gateDb !== null && this.stream.levelDb(end, this.hopFrames) < gateDb;
    this.queue.push({ endFrame: end, time, features: gated ? null : this.model.normalizeFeatures(this.stream.window(end)) });
    this.nextWindowEnd += this.hopFrames;
  }

  /** Stops listening: later pushes reject with DISPOSED; windows still queued are dropped (and counted). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.counters.dropped += this.queue.length;
    this.counters.windows += this.queue.length;
    this.queue = [];
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
      audioSeconds: this.stream.samplesDone / this.stream.cfg.sampleRate,
      meanBinaryOpsFraction: ran > 0 ? this.opsSum / ran : 0,
    };
  }

  private async drain(): Promise<Detection[]> {
    const events: Detection[] = [];
    while (this.queue.length > 0 && !this.stopped) {
      const batch = this.queue.splice(0, this.o.batch);
      const run = batch.filter((w) => w.features !== null);
      const t0 = performance.now();
      const results = run.length ? await this.model.classifyBatch(run.map((w) => ({ features: w.features! })), this.o.exit) : [];
      this.counters.inferenceMs += performance.now() - t0;
      let k = 0;
      for (const w of batch) {
        this.counters.windows++;
        const r = w.features === null ? null : results[k++];
        if (r) {
          this.counters.exits[r.exit]++;
          this.opsSum += r.binaryOpsFraction;
        } else {
          this.counters.gated++;
        }
        this.smooth(r ? r.probabilities : null);
        const smoothed = this.smoothed();
        this.o.onWindow?.({ time: w.time, result: r, smoothed });
        const e = r ? this.decide(smoothed, w.time, r) : null;
        if (e) {
          events.push(e);
          this.counters.detections++;
          this.o.onDetection?.(e);
        }
      }
    }
    return events;
  }

  /** A gated window counts as certain silence (or, without a silence class, as nothing). */
  private smooth(p: Float32Array | null): void {
    const classes = this.model.labels.length;
    let v = p;
    if (!v) {
      v = new Float32Array(classes);
      const s = this.model.labels.indexOf('_silence_');
      if (s >= 0) v[s] = 1;
    }
    this.recent.push(v);
    if (this.recent.length > this.o.smoothing) this.recent.shift();
  }

  private smoothed(): Float32Array {
    const out = new Float32Array(this.model.labels.length);
    for (const p of this.recent) for (let c = 0; c < out.length; c++) out[c] += p[c] / this.recent.length;
    return out;
  }

  private decide(smoothed: Float32Array, time: number, r: ClassifyResult): Detection | null {
    let best = 0;
    for (let c = 1; c < smoothed.length; c++) if (smoothed[c] > smoothed[best]) best = c;
    const label = this.model.labels[best];
    if (this.ignore.has(label) || smoothed[best] < this.o.probabilityThreshold) return null;
    if ((time - this.lastEventTime) * 1000 < this.o.refractoryMs) return null;
    this.lastEventTime = time;
    return { label, time, probability: smoothed[best], exit: r.exit, binaryOpsFraction: r.binaryOpsFraction };
  }
}

/** A streaming keyword detector on a loaded model (see KeywordDetector). */
export function createDetector(model: BeenetModel, options: DetectorOptions): KeywordDetector {
  return new KeywordDetector(model, options);
}
