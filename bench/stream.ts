// Always-on keyword spotting, measured on long streams built from real recordings (../shared/data):
//   npm run bench:stream [-- --model models/kws-reactnet.bee] [--minutes 10] [--backend wasm] [--seed 1]
//   [--probability P --smoothing N] (detector tuning) [--no-write]
// - keyword stream: test-set keywords (test-wav-40pct, speakers never trained on) at random times, every ~3 s, over
//   the corpus's real background noise (dishes, bike, tap, miaowing) at random gains;
// - negative stream: the same noise with non-keyword test speech (`_unknown_` words) and nothing else.
// The detector runs twice on each: with the model's calibrated early exits and with every window to the last exit.
// Reports detection rate, false alarms per hour, detection latency and CPU time per second of audio, as JSON in
// bench/results/stream-<date>.json. Skips with a message when the data folder is absent.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { cliArgs } from '../scripts/cli-args';
import { resample } from '../src/audio/resample';
import { decodeWav } from '../src/audio/wav';
import type { BackendChoice, BeenetModel } from '../src/index';
import { createNodeRuntime } from '../src/node';
import { createDetector, type Detection, type DetectorStats } from '../src/stream/detector';
import { Rng } from '../src/train/rng';

const RATE = 16000;
const REAL_NOISE = ['doing_the_dishes.wav', 'dude_miaowing.wav', 'exercise_bike.wav', 'running_tap.wav'];

interface Placed {
  label: string;
  /** Clip start and end in seconds. */
  start: number;
  end: number;
}

function readMono16k(path: string): Float32Array {
  const w = decodeWav(readFileSync(path));
  return w.sampleRate === RATE ? w.samples : resample(w.samples, w.sampleRate, RATE);
}

/** Background: the real noise files back to back, each at a random gain (-26..-6 dB), to `seconds` long. */
function noiseBed(dir: string, seconds: number, rng: () => number): Float32Array {
  const files = REAL_NOISE.map((f) => readMono16k(join(dir, f)));
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

interface RunResult {
  events: Detection[];
  stats: DetectorStats;
  cpuMsPerAudioSecond: number;
  wallMsPerAudioSecond: number;
}

async function runStream(model: BeenetModel, audio: Float32Array, thresholds: number[] | null, tuning: { probabilityThreshold?: number; smoothing?: number }): Promise<RunResult> {
  const events: Detection[] = [];
  const det = createDetector(model, {
    sampleRate: RATE,
    ...tuning,
    exit: thresholds ? { thresholds } : undefined,
    onDetection: (e) => events.push(e),
  });
  const chunk = RATE / 10;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < audio.length; i += chunk) await det.push(audio.subarray(i, i + chunk));
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const secs = audio.length / RATE;
  return { events, stats: det.stats(), cpuMsPerAudioSecond: (c.user + c.system) / 1000 / secs, wallMsPerAudioSecond: wall / secs };
}

/** Hits: an event of the right label from the clip's start to 1.5 s after its end; everything else false. */
function score(placed: Placed[], events: Detection[], keywords: Set<string>) {
  const used = new Set<number>();
  let hits = 0;
  const latencies: number[] = [];
  for (const p of placed) {
    if (!keywords.has(p.label)) continue;
    const k = events.findIndex((e, i) => !used.has(i) && e.label === p.label && e.time >= p.start && e.time <= p.end + 1.5);
    if (k >= 0) {
      used.add(k);
      hits++;
      latencies.push(events[k].time - p.end);
    }
  }
  const keywordCount = placed.filter((p) => keywords.has(p.label)).length;
  latencies.sort((a, b) => a - b);
  return {
    keywords: keywordCount,
    detectionRate: keywordCount ? hits / keywordCount : null,
    falseAlarms: events.length - used.size,
    medianLatencyS: latencies.length ? latencies[Math.floor(latencies.length / 2)] : null,
  };
}

async function main(): Promise<void> {
  const values = cliArgs('npm run bench:stream [-- --minutes 10 --probability 0.7 --smoothing 3 --no-write]', {
    model: { type: 'string', default: 'models/kws-reactnet.bee', help: 'keyword model' },
    data: { type: 'string', default: '../shared/data', help: 'the real recordings' },
    minutes: { type: 'number', default: 10, help: 'minutes of each stream' },
    backend: { type: 'string', default: 'wasm', help: 'auto, webgpu, wasm or cpu' },
    seed: { type: 'number', default: 1, help: 'where the keywords land' },
    probability: { type: 'number', help: "detector threshold (default the detector's)" },
    smoothing: { type: 'number', help: "windows averaged (default the detector's)" },
    'no-write': { type: 'boolean', help: 'print only, write no result file' },
  });
  const sc = join(values.data, 'speech-commands-v2');
  if (!existsSync(sc)) {
    console.log(`bench/stream: ${sc} is absent; the stream benchmark needs the real recordings`);
    return;
  }
  const seeded = new Rng(values.seed);
  const rng = (): number => seeded.next();
  const minutes = values.minutes;
  const runtime = await createNodeRuntime({ backend: values.backend as BackendChoice });
  const model = await runtime.load(values.model);
  const keywords = new Set(model.labels.filter((l) => !l.startsWith('_')));
  const wavs = join(sc, 'test-wav-40pct');
  const kwStream = noiseBed(join(sc, 'background_noise'), minutes * 60, rng);
  const kwPlaced = place(kwStream, testClips(wavs, (l) => keywords.has(l), rng), rng);
  const negStream = noiseBed(join(sc, 'background_noise'), minutes * 60, rng);
  const negPlaced = place(negStream, testClips(wavs, (l) => l === '_unknown_', rng), rng);
  const calibrated = model.description.exitPolicy.thresholds;
  const tuning = {
    probabilityThreshold: values.probability,
    smoothing: values.smoothing,
  };
  const out: Record<string, unknown> = {
    date: new Date().toISOString(),
    model: values.model,
    backend: runtime.info.backend,
    adapter: runtime.info.adapter,
    isFallbackAdapter: runtime.info.isFallbackAdapter,
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    minutesPerStream: minutes,
    detector: `hop 100 ms, smoothing ${tuning.smoothing ?? 'default'}, probability ${tuning.probabilityThreshold ?? 'default'}, refractory 1 s`,
  };
  for (const [name, thresholds] of [['early exits (calibrated)', calibrated], ['every window to the last exit', calibrated.map(() => 0)]] as const) {
    const kw = await runStream(model, kwStream, [...thresholds], tuning);
    const neg = await runStream(model, negStream, [...thresholds], tuning);
    const k = score(kwPlaced, kw.events, keywords);
    const n = score(negPlaced, neg.events, keywords);
    out[name] = {
      keywordStream: { ...k, exits: kw.stats.exits, meanBinaryOpsFraction: kw.stats.meanBinaryOpsFraction, cpuMsPerAudioSecond: kw.cpuMsPerAudioSecond, wallMsPerAudioSecond: kw.wallMsPerAudioSecond },
      negativeStream: {
        speechClips: negPlaced.length,
        falseAlarmsPerHour: (n.falseAlarms / (negStream.length / RATE)) * 3600,
        exits: neg.stats.exits,
        meanBinaryOpsFraction: neg.stats.meanBinaryOpsFraction,
        cpuMsPerAudioSecond: neg.cpuMsPerAudioSecond,
      },
      // One core for one second is 1000 ms of CPU time.
      percentOfOneCore: (100 * (kw.cpuMsPerAudioSecond + neg.cpuMsPerAudioSecond)) / 2 / 1000,
    };
    console.log(name, JSON.stringify(out[name], null, 1));
  }
  if (values['no-write']) return;
  mkdirSync('bench/results', { recursive: true });
  const file = join('bench', 'results', `stream-${out.date as string}.json`.replace(/:/g, ''));
  writeFileSync(file, JSON.stringify(out, null, 1) + '\n');
  console.log(`wrote ${file}`);
  model.dispose();
  runtime.dispose();
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
