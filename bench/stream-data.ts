// Long test streams for the keyword detector, built at run time from the real recordings in ../shared/data
// (never copied into the project), and how detections on them are scored. Shared by bench/stream.ts (the
// benchmark) and bench/stream-sweep.ts (offline detector tuning), so both see the very same streams for a seed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resample } from '../src/audio/resample';
import { decodeWav } from '../src/audio/wav';
import { Rng } from '../src/train/rng';

export const RATE = 16000;
/** The corpus's recorded noise; its white_noise / pink_noise files are synthetic and left out. */
const REAL_NOISE = ['doing_the_dishes.wav', 'dude_miaowing.wav', 'exercise_bike.wav', 'running_tap.wav'];

export interface Placed {
  label: string;
  /** Clip start and end in seconds. */
  start: number;
  end: number;
}

export interface TestStream {
  audio: Float32Array;
  /** Clips added over the noise (none for the noise-only stream). */
  placed: Placed[];
}

export interface TestStreams {
  /** Test-set keywords every ~3 s over real noise. */
  keyword: TestStream;
  /** The same kind of noise with non-keyword test speech (`_unknown_` words) only. */
  speech: TestStream;
  /** Real noise only, nothing else: every event on it is a false alarm. */
  noise: TestStream;
}

function readMono16k(path: string): Float32Array {
  const w = decodeWav(readFileSync(path));
  return w.sampleRate === RATE ? w.samples : resample(w.samples, w.sampleRate, RATE);
}

/** Background: stretches of 10-30 s of the real noise files back to back, each at a random gain (-26..-6 dB). */
function noiseBed(files: Float32Array[], seconds: number, rng: () => number): Float32Array {
  const out = new Float32Array(Math.round(seconds * RATE));
  let at = 0;
  while (at < out.length) {
    const f = files[Math.floor(rng() * files.length)];
    const len = Math.min(f.length, out.length - at, Math.round((10 + 20 * rng()) * RATE));
    const from = Math.floor(rng() * Math.max(1, f.length - len));
    const gain = 10 ** ((-26 + 20 * rng()) / 20);
    for (let i = 0; i < len; i++) out[at + i] = f[from + i] * gain;
    at += len;
  }
  return out;
}

/** Clips placed every 2.5-3.5 s over the bed (added, so the noise stays under them). */
function place(bed: Float32Array, clips: { label: string; samples: Float32Array }[], rng: () => number): Placed[] {
  const placed: Placed[] = [];
  let t = 1 + rng();
  for (const c of clips) {
    const start = Math.round(t * RATE);
    if (start + c.samples.length > bed.length) break;
    for (let i = 0; i < c.samples.length; i++) bed[start + i] += c.samples[i];
    placed.push({ label: c.label, start: start / RATE, end: (start + c.samples.length) / RATE });
    t += 2.5 + rng();
  }
  return placed;
}

function testClips(root: string, labels: (l: string) => boolean, rng: () => number): { label: string; samples: Float32Array }[] {
  const out: { label: string; samples: Float32Array }[] = [];
  for (const label of readdirSync(root).filter(labels).sort()) {
    for (const f of readdirSync(join(root, label)).sort()) out.push({ label, samples: readMono16k(join(root, label, f)) });
  }
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The Speech Commands folder under `dataRoot`, or null (with the reason) when the recordings are absent. */
export function speechCommandsDir(dataRoot: string): { dir: string } | { missing: string } {
  const dir = join(dataRoot, 'speech-commands-v2');
  for (const need of ['background_noise', 'test-wav-40pct']) {
    if (!existsSync(join(dir, need))) return { missing: join(dir, need) };
  }
  return { dir };
}

/**
 * The three streams for one seed: keyword and speech streams of `minutes`, the noise-only stream of
 * `noiseMinutes`. The random draws for the first two come first, so they are the same streams as before the
 * noise-only stream existed (results of earlier runs stay comparable).
 */
export function buildStreams(dir: string, keywords: ReadonlySet<string>, seed: number, minutes: number, noiseMinutes: number): TestStreams {
  const seeded = new Rng(seed);
  const rng = (): number => seeded.next();
  const noise = REAL_NOISE.map((f) => readMono16k(join(dir, 'background_noise', f)));
  const wavs = join(dir, 'test-wav-40pct');
  const kw = noiseBed(noise, minutes * 60, rng);
  const kwPlaced = place(kw, testClips(wavs, (l) => keywords.has(l), rng), rng);
  const sp = noiseBed(noise, minutes * 60, rng);
  const spPlaced = place(sp, testClips(wavs, (l) => l === '_unknown_', rng), rng);
  const only = noiseBed(noise, noiseMinutes * 60, rng);
  return { keyword: { audio: kw, placed: kwPlaced }, speech: { audio: sp, placed: spPlaced }, noise: { audio: only, placed: [] } };
}

/** An event as scoring needs it: its label and the end time of the window that fired. */
export interface ScoredEvent {
  label: string;
  time: number;
}

export interface Score {
  /** Keyword clips in the stream. */
  keywords: number;
  hits: number;
  detectionRate: number | null;
  /** Events that match no keyword clip (on the speech and noise streams: every event). */
  falseAlarms: number;
  falseAlarmsPerHour: number;
  /** Median time from a detected clip's end to its event (negative: before the 1 s clip ends). */
  medianLatencyS: number | null;
}

/** Hits: an event of the right label from the clip's start to 1.5 s after its end; everything else is false. */
export function score(stream: TestStream, events: readonly ScoredEvent[], keywords: ReadonlySet<string>): Score {
  const used = new Set<number>();
  const latencies: number[] = [];
  let hits = 0;
  for (const p of stream.placed) {
    if (!keywords.has(p.label)) continue;
    const k = events.findIndex((e, i) => !used.has(i) && e.label === p.label && e.time >= p.start && e.time <= p.end + 1.5);
    if (k >= 0) {
      used.add(k);
      hits++;
      latencies.push(events[k].time - p.end);
    }
  }
  const keywordCount = stream.placed.filter((p) => keywords.has(p.label)).length;
  latencies.sort((a, b) => a - b);
  const falseAlarms = events.length - used.size;
  return {
    keywords: keywordCount,
    hits,
    detectionRate: keywordCount ? hits / keywordCount : null,
    falseAlarms,
    falseAlarmsPerHour: (falseAlarms / (stream.audio.length / RATE)) * 3600,
    medianLatencyS: latencies.length ? latencies[Math.floor(latencies.length / 2)] : null,
  };
}
