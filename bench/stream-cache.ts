// Cached windows for offline detector tuning (bench/stream-sweep.ts): every window of a test stream at a 40 ms
// hop goes through the model once, with every exit's probabilities (mode 'all-exits'), and is kept in
// out/stream-cache/. Replaying the cache through the detector's own EventRule scores any hop that is a multiple
// of 40 ms (stage 0's time stride, so the detector shares stage 0 between windows) and any decision settings,
// with the calibrated early exits (each window's exit found from its cached exit records with the runtime's exit
// rule) or every window to the last exit, without running the model again.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BeenetModel } from '../src/index';
import { summarizeLogits } from '../src/cpu/exit-result';
import { exitsHere } from '../src/runtime/exit-policy';
import { EventRule, type DecisionOptions } from '../src/stream/detector';
import { FeatureStream } from '../src/stream/feature-stream';
import { buildStreams, RATE, score, type Score, type ScoredEvent, type TestStream, type TestStreams } from './stream-data';

/** The cache's hop, in frames of the front end (10 ms): every swept hop is a multiple of it. */
const BASE_HOP_FRAMES = 4;

/** Per window, per exit: the probabilities, then normalised entropy and max probability. */
export interface WindowCache {
  exits: number;
  classes: number;
  times: Float64Array;
  /** [window][exit][classes + 2]. */
  records: Float32Array;
}

function stride(c: WindowCache): number {
  return c.exits * (c.classes + 2);
}

async function computeCache(model: BeenetModel, stream: TestStream): Promise<WindowCache> {
  const exits = model.plan.stages.length;
  const classes = model.labels.length;
  const fs = new FeatureStream(model.description.frontend, RATE);
  const cfg = fs.cfg;
  const frames = Math.floor((stream.audio.length - cfg.windowSamples) / cfg.hopSamples) + 1;
  const total = frames < fs.windowFrames ? 0 : Math.floor((frames - fs.windowFrames) / BASE_HOP_FRAMES) + 1;
  const times = new Float64Array(total);
  const records = new Float32Array(total * exits * (classes + 2));
  let done = 0;
  let pending: { time: number; features: Float32Array }[] = [];
  const flush = async () => {
    if (!pending.length) return;
    const results = await model.classifyBatch(pending.map((p) => ({ features: p.features })), { mode: 'all-exits', logits: true });
    results.forEach((r, i) => {
      times[done] = pending[i].time;
      for (const e of r.exits) {
        const at = (done * exits + e.exit) * (classes + 2);
        records.set(summarizeLogits(e.logits!).probs, at);
        records[at + classes] = e.entropy;
        records[at + classes + 1] = e.maxProb;
      }
      done++;
    });
    pending = [];
  };
  for (let i = 0; i < stream.audio.length; i += RATE) {
    fs.push(stream.audio.subarray(i, i + RATE), (end) => {
      const first = end - fs.windowFrames;
      // The detector's windows: the first ends at windowFrames, then one every hop.
      if (first < 0 || first % BASE_HOP_FRAMES !== 0) return;
      pending.push({ time: (first * cfg.hopSamples + cfg.clipSamples) / cfg.sampleRate, features: model.normalizeFeatures(fs.window(end)) });
    });
    if (pending.length >= 64) await flush();
  }
  await flush();
  if (done !== total) throw new Error(`window count ${done} != expected ${total}`);
  return { exits, classes, times, records };
}

function cachePath(dir: string, key: string): string {
  return join(dir, `${createHash('sha256').update(key).digest('hex').slice(0, 16)}.bin`);
}

function saveCache(path: string, c: WindowCache): void {
  const head = new Float64Array([c.exits, c.classes, c.times.length]);
  writeFileSync(path, Buffer.concat([Buffer.from(head.buffer), Buffer.from(c.times.buffer), Buffer.from(c.records.buffer)]));
}

function loadCache(path: string): WindowCache {
  const b = readFileSync(path);
  const buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  const [exits, classes, n] = new Float64Array(buf, 0, 3);
  const times = new Float64Array(buf, 24, n);
  const records = new Float32Array(buf, 24 + 8 * n, n * exits * (classes + 2));
  return { exits, classes, times, records };
}

export interface Point extends DecisionOptions {
  hopMs: number;
}

export interface Replay {
  events: ScoredEvent[];
  /** Windows per exit. */
  exitCounts: number[];
  /** Windows run again to the last exit. */
  confirmations: number;
}

/** The detector on cached windows: `thresholds` null runs every window to the last exit. */
export function replay(c: WindowCache, labels: readonly string[], point: Point, criterion: 'entropy' | 'maxprob', thresholds: readonly number[] | null): Replay {
  const step = Math.round(point.hopMs / 10 / BASE_HOP_FRAMES);
  const rule = new EventRule(labels, point);
  const s = stride(c);
  const rec = c.classes + 2;
  const events: ScoredEvent[] = [];
  const exitCounts = new Array<number>(c.exits).fill(0);
  let confirmations = 0;
  for (let w = 0; w < c.times.length; w += step) {
    let exit = c.exits - 1;
    if (thresholds) {
      for (let k = 0; k < c.exits; k++) {
        const at = w * s + k * rec;
        if (exitsHere(criterion, thresholds[k], c.records[at + c.classes], c.records[at + c.classes + 1], k === c.exits - 1)) {
          exit = k;
          break;
        }
      }
    }
    exitCounts[exit]++;
    let at = w * s + exit * rec;
    // The detector's confirmation: a passing window that left early is run again to the last exit.
    if (point.confirm && exit < c.exits - 1 && rule.passes(c.records.subarray(at, at + c.classes), c.times[w])) {
      confirmations++;
      at = w * s + (c.exits - 1) * rec;
    }
    const e = rule.next(c.records.subarray(at, at + c.classes), c.times[w]);
    if (e) events.push({ label: e.label, time: c.times[w] });
  }
  return { events, exitCounts, confirmations };
}

export interface Scored {
  point: Point;
  keyword: Score;
  speechFaPerHour: number;
  noiseFaPerHour: number;
  noiseFalseAlarms: number;
  /** Mean binary-ops fraction of the keyword stream's windows (confirmation runs included). */
  binaryOps: number;
  noiseConfirmationsPerHour: number;
  /** The same on the noise-only stream, where an always-on detector spends most of its time. */
  noiseBinaryOps: number;
}


export function evaluate(model: BeenetModel, streams: TestStreams, caches: Record<keyof TestStreams, WindowCache>, point: Point, early: boolean): Scored {
  const keywords = new Set(model.labels.filter((l) => !l.startsWith('_')));
  const policy = model.description.exitPolicy;
  const th = early ? policy.thresholds : null;
  const kw = replay(caches.keyword, model.labels, point, policy.criterion, th);
  const sp = replay(caches.speech, model.labels, point, policy.criterion, th);
  const no = replay(caches.noise, model.labels, point, policy.criterion, th);
  const costs = model.info.exits.map((e) => e.binaryOpsFraction);
  const windows = kw.exitCounts.reduce((a, b) => a + b, 0);
  const noise = score(streams.noise, no.events, keywords);
  return {
    point,
    keyword: score(streams.keyword, kw.events, keywords),
    speechFaPerHour: score(streams.speech, sp.events, keywords).falseAlarmsPerHour,
    noiseFaPerHour: noise.falseAlarmsPerHour,
    noiseFalseAlarms: noise.falseAlarms,
    binaryOps: (kw.exitCounts.reduce((a, n, k) => a + n * costs[k], 0) + kw.confirmations) / Math.max(1, windows),
    noiseConfirmationsPerHour: (no.confirmations / (streams.noise.audio.length / RATE)) * 3600,
    noiseBinaryOps: (no.exitCounts.reduce((a, n, k) => a + n * costs[k], 0) + no.confirmations) / Math.max(1, no.exitCounts.reduce((a, b) => a + b, 0)),
  };
}

/** The streams of one seed and their window caches (computed once, then read from out/stream-cache/). */
export async function loadStreams(model: BeenetModel, modelBytes: Buffer, dir: string, seed: number, minutes: number, noiseMinutes: number, log: (m: string) => void) {
  const keywords = new Set(model.labels.filter((l) => !l.startsWith('_')));
  const streams = buildStreams(dir, keywords, seed, minutes, noiseMinutes);
  const cacheDir = join('out', 'stream-cache');
  mkdirSync(cacheDir, { recursive: true });
  const modelHash = createHash('sha256').update(modelBytes).digest('hex');
  const caches = {} as Record<keyof TestStreams, WindowCache>;
  for (const name of ['keyword', 'speech', 'noise'] as const) {
    const path = cachePath(cacheDir, JSON.stringify({ modelHash, seed, minutes, noiseMinutes, name, hop: BASE_HOP_FRAMES, v: 1 }));
    if (existsSync(path)) {
      caches[name] = loadCache(path);
    } else {
      const t0 = performance.now();
      caches[name] = await computeCache(model, streams[name]);
      saveCache(path, caches[name]);
      log(`seed ${seed}: cached ${caches[name].times.length} windows of the ${name} stream in ${((performance.now() - t0) / 1000).toFixed(0)} s (${path})`);
    }
  }
  return { streams, caches };
}
