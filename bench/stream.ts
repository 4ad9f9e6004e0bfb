// Always-on keyword spotting, measured on long streams built from real recordings (../shared/data, bench/stream-data.ts):
//   npm run bench:stream [-- --model models/kws-reactnet.bee] [--minutes 20] [--noise-minutes 60] [--seed 1]
//   [--hop MS --smoothing N --probability P --min-windows K --refractory MS --no-confirm] (detector tuning)
//   [--no-share] (every window run whole) [--no-write]
// - keyword stream: test-set keywords (test-wav-40pct, speakers never trained on) at random times, every ~3 s, over
//   the corpus's real background noise (dishes, bike, tap, miaowing) at random gains;
// - speech stream: the same noise with non-keyword test speech (`_unknown_` words) and nothing else;
// - noise-only stream (>= 1 h): the real noise alone, where an always-on detector spends its life.
// The detector runs on each with the model's calibrated early exits and with every window to the last exit.
// Reports detection rate, false alarms per hour, detection latency, CPU time per second of audio and where it
// goes (front end, window assembly, network, decision), and an estimate for TF.js speech-commands' network, as
// JSON in bench/results/stream-<date>.json. Skips with a message when the recordings are absent.
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { cliArgs } from '../scripts/cli-args';
import type { BackendChoice, BeenetModel } from '../src/index';
import { createNodeRuntime } from '../src/node';
import { createDetector, DETECTOR_DEFAULTS, type Detection, type DetectorOptions, type DetectorStats } from '../src/stream/detector';
import { FeatureStream } from '../src/stream/feature-stream';
import { buildStreams, RATE, score, speechCommandsDir, type TestStream } from './stream-data';

type Tuning = Pick<DetectorOptions, 'hopMs' | 'smoothing' | 'probabilityThreshold' | 'minWindows' | 'refractoryMs' | 'confirm' | 'shareStage0'>;

interface RunResult {
  events: Detection[];
  stats: DetectorStats;
  cpuMsPerAudioSecond: number;
  wallMsPerAudioSecond: number;
}

const cpuMs = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

/**
 * The detector's work before the model, alone: frames (normalised as they are computed), then each window
 * assembled at the detector's hop, into a reused buffer, as it does. Its CPU time is the shared cost that no exit
 * setting changes.
 */
function frontEndOnly(model: BeenetModel, hopMs: number, copiesWindows: boolean): (chunk: Float32Array) => void {
  const fs = new FeatureStream(model.description.frontend, RATE, { normalization: model.bandNormalization });
  const hopFrames = Math.max(1, Math.round(hopMs / ((1000 * fs.cfg.hopSamples) / fs.cfg.sampleRate)));
  const buffer = new Float32Array(fs.windowFrames * fs.cfg.melBands);
  return (chunk) => {
    fs.push(chunk, (end) => {
      // Windows that share stage 0 are never copied out: their frames go to the stream prefix (network time).
      if (copiesWindows && end >= fs.windowFrames && (end - fs.windowFrames) % hopFrames === 0) fs.window(end, buffer);
    });
  };
}

/**
 * One stream through the detector with early exits, the detector with every window to the last exit, and the
 * front end alone, in lockstep: each 100 ms chunk (a microphone callback's worth) goes to all three in turn, and
 * each one's CPU time is summed over its own calls. Interleaving keeps the comparison fair on a machine whose
 * load changes while it runs (other processes share these cores): run one after the other, the totals drifted
 * by more than the difference being measured.
 */
async function runStream(
  model: BeenetModel,
  audio: Float32Array,
  calibrated: readonly number[],
  tuning: Tuning,
): Promise<{ early: RunResult; full: RunResult; frontEndCpuMsPerAudioSecond: number }> {
  const make = (thresholds: readonly number[]) => {
    const events: Detection[] = [];
    const det = createDetector(model, { sampleRate: RATE, ...tuning, exit: { thresholds }, onDetection: (e) => events.push(e) });
    return { det, events, cpu: 0, wall: 0 };
  };
  const runs = [make(calibrated), make(calibrated.map(() => 0))];
  const shared = runs[0].det.stats().sharedStage0.on;
  const front = frontEndOnly(model, tuning.hopMs ?? DETECTOR_DEFAULTS.hopMs, !shared);
  let frontCpu = 0;
  const chunk = RATE / 10;
  for (let i = 0, turn = 0; i < audio.length; i += chunk, turn++) {
    const x = audio.subarray(i, i + chunk);
    // The order rotates: whichever goes first on a chunk pays for bringing it (and its caches) in.
    for (let k = 0; k < 3; k++) {
      const who = (turn + k) % 3;
      const c0 = cpuMs();
      if (who === 2) {
        front(x);
        frontCpu += cpuMs() - c0;
        continue;
      }
      const r = runs[who];
      const t0 = performance.now();
      await r.det.push(x);
      r.wall += performance.now() - t0;
      r.cpu += cpuMs() - c0;
    }
  }
  const secs = audio.length / RATE;
  const result = (r: (typeof runs)[number]): RunResult => ({ events: r.events, stats: r.det.stats(), cpuMsPerAudioSecond: r.cpu / secs, wallMsPerAudioSecond: r.wall / secs });
  return { early: result(runs[0]), full: result(runs[1]), frontEndCpuMsPerAudioSecond: frontCpu / secs };
}

/** Where the time went, in wall ms per second of audio (the detector's own timers; the total is CPU time). */
function split(r: RunResult) {
  const s = r.stats;
  const per = (ms: number) => ms / s.audioSeconds;
  const parts = per(s.frontEndMs) + per(s.windowMs) + per(s.inferenceMs) + per(s.decisionMs);
  return {
    frontEnd: per(s.frontEndMs),
    windowAssembly: per(s.windowMs),
    network: per(s.inferenceMs),
    decision: per(s.decisionMs),
    // Awaiting, chunking and the benchmark loop itself.
    other: Math.max(0, r.wallMsPerAudioSecond - parts),
  };
}

function streamReport(name: 'keyword' | 'speech' | 'noise', stream: TestStream, r: RunResult, keywords: ReadonlySet<string>) {
  const s = score(stream, r.events, keywords);
  return {
    audioMinutes: stream.audio.length / RATE / 60,
    ...(name === 'keyword' ? { keywords: s.keywords, detectionRate: s.detectionRate, medianLatencyS: s.medianLatencyS, wrongEvents: s.falseAlarms } : {}),
    ...(name === 'speech' ? { speechClips: stream.placed.length } : {}),
    falseAlarms: name === 'keyword' ? undefined : s.falseAlarms,
    falseAlarmsPerHour: name === 'keyword' ? undefined : s.falseAlarmsPerHour,
    windows: r.stats.windows,
    sharedStage0: r.stats.sharedStage0,
    exits: r.stats.exits,
    confirmations: r.stats.confirmations,
    dropped: r.stats.dropped,
    meanBinaryOpsFraction: r.stats.meanBinaryOpsFraction,
    cpuMsPerAudioSecond: r.cpuMsPerAudioSecond,
    wallMsPerAudioSecond: r.wallMsPerAudioSecond,
    wallMsPerAudioSecondSplit: split(r),
  };
}

/**
 * TF.js speech-commands' network (its published BROWSER_FFT architecture: [43, 232] spectrogram in, four conv +
 * max-pool layers, dense 2000, dense 20) on TF.js WASM (SIMD, one thread), timed at batch 1. The trained weights
 * cannot be downloaded here, so the weights are random: the cost of a dense float network does not depend on them.
 * Its front end (WebAudio's native AnalyserNode FFT in a browser) does not run in Node and is not included.
 */
async function tfjsSpeechCommands(runs: number): Promise<{ msPerWindow: number; macs: number } | { error: string }> {
  try {
    const tf = await import('@tensorflow/tfjs-core');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + sep);
    wasm.setThreadsCount(1);
    if (!(await tf.setBackend('wasm'))) return { error: 'the TF.js wasm backend did not start' };
    await tf.ready();
    let seed = 1;
    const rand = (shape: number[]) => tf.randomUniform(shape, -0.1, 0.1, 'float32', seed++);
    const convs = [
      { w: rand([2, 8, 1, 8]), b: rand([8]), pool: [2, 2] as [number, number] },
      { w: rand([2, 4, 8, 32]), b: rand([32]), pool: [2, 2] as [number, number] },
      { w: rand([2, 4, 32, 32]), b: rand([32]), pool: [2, 2] as [number, number] },
      { w: rand([2, 4, 32, 32]), b: rand([32]), pool: [1, 2] as [number, number] },
    ];
    const d1 = rand([704, 2000]);
    const b1 = rand([2000]);
    const d2 = rand([2000, 20]);
    const b2 = rand([20]);
    const x = rand([1, 43, 232, 1]);
    const forward = () =>
      tf.tidy(() => {
        let h: TF4 = x as TF4;
        for (const c of convs) h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, c.w as TF4, 1, 'valid'), c.b)), [2, 2], c.pool, 'valid');
        const flat = tf.reshape(h, [1, -1]);
        return tf.softmax(tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(flat, d1), b1)), d2), b2));
      });
    const shape = (forward() as { shape: number[] }).shape;
    if (shape[1] !== 20) return { error: `unexpected output shape ${shape.join('x')}` };
    for (let i = 0; i < 5; i++) await forward().data();
    // CPU time, as for the detector (TF.js WASM runs on this thread: one thread was asked for).
    const c0 = cpuMs();
    for (let i = 0; i < runs; i++) await forward().data();
    const msPerWindow = (cpuMs() - c0) / runs;
    // Multiply-accumulates: conv outputs x kernel size x input channels, then the two dense layers.
    const macs = 42 * 225 * 8 * 16 + 20 * 109 * 32 * 64 + 9 * 51 * 32 * 256 + 3 * 22 * 32 * 256 + 704 * 2000 + 2000 * 20;
    return { msPerWindow, macs };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}
type TF4 = import('@tensorflow/tfjs-core').Tensor4D;

async function main(): Promise<void> {
  const values = cliArgs('npm run bench:stream [-- --minutes 20 --noise-minutes 60 --seed 1 --probability 0.5 --no-write]', {
    model: { type: 'string', default: 'models/kws-reactnet.bee', help: 'keyword model' },
    data: { type: 'string', default: '../shared/data', help: 'the real recordings' },
    minutes: { type: 'number', default: 20, help: 'minutes of the keyword and speech streams' },
    'noise-minutes': { type: 'number', default: 60, help: 'minutes of the noise-only stream' },
    backend: { type: 'string', default: 'wasm', help: 'auto, webgpu, wasm or cpu' },
    seed: { type: 'number', default: 1, help: 'where the keywords land and which noise is drawn' },
    hop: { type: 'number', help: "window hop in ms (default the detector's)" },
    smoothing: { type: 'number', help: "windows averaged (default the detector's)" },
    probability: { type: 'number', help: "detector threshold (default the detector's)" },
    'min-windows': { type: 'number', help: "windows in a row (default the detector's)" },
    refractory: { type: 'number', help: "refractory period in ms (default the detector's)" },
    'no-confirm': { type: 'boolean', help: 'do not confirm early-exit keywords at the last exit' },
    'no-share': { type: 'boolean', help: 'run every window whole (no stage 0 shared between windows)' },
    'no-write': { type: 'boolean', help: 'print only, write no result file' },
  });
  const sc = speechCommandsDir(values.data);
  if ('missing' in sc) {
    console.log(`bench/stream: ${sc.missing} is absent; the stream benchmark needs the real recordings (skipped)`);
    return;
  }
  const runtime = await createNodeRuntime({ backend: values.backend as BackendChoice });
  const model = await runtime.load(values.model);
  const keywords = new Set(model.labels.filter((l) => !l.startsWith('_')));
  const streams = buildStreams(sc.dir, keywords, values.seed, values.minutes, values['noise-minutes']);
  const calibrated = model.description.exitPolicy.thresholds;
  const tuning: Tuning = {
    hopMs: values.hop,
    smoothing: values.smoothing,
    probabilityThreshold: values.probability,
    minWindows: values['min-windows'],
    refractoryMs: values.refractory,
    confirm: values['no-confirm'] ? false : undefined,
    shareStage0: values['no-share'] ? false : undefined,
  };
  const used = { ...DETECTOR_DEFAULTS, ...Object.fromEntries(Object.entries(tuning).filter(([, v]) => v !== undefined)) };
  const out: Record<string, unknown> = {
    date: new Date().toISOString(),
    model: values.model,
    backend: runtime.info.backend,
    adapter: runtime.info.adapter,
    isFallbackAdapter: runtime.info.isFallbackAdapter,
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    seed: values.seed,
    minutesPerStream: values.minutes,
    noiseMinutes: values['noise-minutes'],
    detector: used,
    chunkMs: 100,
  };
  const measured = {
    keywordStream: await runStream(model, streams.keyword.audio, calibrated, tuning),
    speechStream: await runStream(model, streams.speech.audio, calibrated, tuning),
    noiseStream: await runStream(model, streams.noise.audio, calibrated, tuning),
  };
  const names = { keywordStream: 'keyword', speechStream: 'speech', noiseStream: 'noise' } as const;
  const streamNames = Object.keys(names) as (keyof typeof names)[];
  for (const [label, key] of [['early exits (calibrated)', 'early'], ['every window to the last exit', 'full']] as const) {
    const o: Record<string, unknown> = {};
    for (const name of streamNames) o[name] = streamReport(names[name], streams[names[name]], measured[name][key], keywords);
    // One core for one second is 1000 ms of CPU time; the noise-only stream is the always-on case.
    o.percentOfOneCoreOnNoise = (100 * measured.noiseStream[key].cpuMsPerAudioSecond) / 1000;
    out[label] = o;
    console.log(label, JSON.stringify(o, null, 1));
  }
  // Early exits against every window to the last exit: the whole detector's CPU time, the same without the shared
  // front end (network + decision, CPU), and the network's wall time alone (the detector's timer around the model).
  const ratios: Record<string, unknown> = {};
  for (const name of streamNames) {
    const m = measured[name];
    const front = m.frontEndCpuMsPerAudioSecond;
    ratios[name] = {
      frontEndAndWindowsCpuMsPerAudioSecond: front,
      networkAndDecisionCpuMsPerAudioSecond: { early: m.early.cpuMsPerAudioSecond - front, full: m.full.cpuMsPerAudioSecond - front },
      totalCpu: m.full.cpuMsPerAudioSecond / m.early.cpuMsPerAudioSecond,
      networkAndDecisionCpu: (m.full.cpuMsPerAudioSecond - front) / (m.early.cpuMsPerAudioSecond - front),
      networkWall: m.full.stats.inferenceMs / m.early.stats.inferenceMs,
    };
  }
  out.fullOverEarly = ratios;
  const windowsPerSecond = 1000 / used.hopMs;
  const tfjs = await tfjsSpeechCommands(200);
  out.tfjsSpeechCommandsEstimate =
    'error' in tfjs
      ? tfjs
      : {
          what: 'network only, published BROWSER_FFT architecture, random weights, TF.js WASM (SIMD, 1 thread), batch 1, CPU time; its front end (WebAudio FFT) excluded',
          msPerWindow: tfjs.msPerWindow,
          macsPerWindow: tfjs.macs,
          msPerAudioSecondAtOverlapHalf: 2 * tfjs.msPerWindow,
          msPerAudioSecondAtThisHop: windowsPerSecond * tfjs.msPerWindow,
          beenetNetworkWallMsPerAudioSecondOnNoise: measured.noiseStream.early.stats.inferenceMs / measured.noiseStream.early.stats.audioSeconds,
        };
  console.log('full / early', JSON.stringify(ratios), '\nTF.js speech-commands', JSON.stringify(out.tfjsSpeechCommandsEstimate));
  model.dispose();
  runtime.dispose();
  if (values['no-write']) return;
  mkdirSync('bench/results', { recursive: true });
  const file = join('bench', 'results', `stream-${out.date as string}.json`.replace(/:/g, ''));
  writeFileSync(file, JSON.stringify(out, null, 1) + '\n');
  console.log(`wrote ${file}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
