// `beenet classify`, `beenet listen` and `beenet info`: the runtime from the command line (Node, WebGPU through Dawn or WASM).
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { decodeWav } from '../audio/wav';
import { BeenetError } from '../errors';
import { readBee } from '../format/bee';
import type { ExitCriterion } from '../model/graph';
import { createNodeRuntime } from '../node';
import type { ScheduleMode } from '../runtime/exit-policy';
import type { BackendChoice } from '../runtime/runtime';
import { createDetector, type Detection } from '../stream/detector';
import { describeModel } from './describe';

const USAGE = `Usage:
  beenet classify <model.bee> <clip.wav...> [--threshold T | --thresholds a,b,c] [--criterion entropy|maxprob]
                  [--mode readback|gpu|all-exits] [--backend auto|webgpu|wasm|cpu] [--json]
  beenet listen <model.bee> <long.wav> [--hop-ms 120] [--probability 0.3] [--min-windows 4] [--smoothing 6]
                  [--refractory-ms 1500] [--no-confirm] [--energy-gate-db dB] [--backend ...] [--json]
                  keyword events with their times (defaults shown: DETECTOR_DEFAULTS)
  beenet info <model.bee> [--json]`;

function fail(message: string): never {
  throw new BeenetError('BAD_INPUT', message);
}

function parseThresholds(text: string): number[] {
  const values = text.split(',').map((s) => Number(s.trim()));
  if (values.some((v) => !Number.isFinite(v))) fail(`--thresholds must be numbers separated by commas, got '${text}'`);
  return values;
}

/** Decodes a WAV file; errors name the file. */
async function readWav(path: string): Promise<ReturnType<typeof decodeWav>> {
  try {
    return decodeWav(await readFile(path));
  } catch (e) {
    if (e instanceof BeenetError) throw new BeenetError(e.code, `${path}: ${e.message}`, { cause: e });
    throw new BeenetError('BAD_AUDIO', `${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Errors that belong to one clip (unreadable, not a WAV, empty, bad rate): reported, and the run goes on. */
function isClipError(e: unknown): e is BeenetError {
  return e instanceof BeenetError && (e.code === 'BAD_AUDIO' || e.code === 'BAD_INPUT');
}

/** Classifies every clip; a bad clip is reported as that clip's error. Returns how many clips failed. */
async function classify(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      threshold: { type: 'string' },
      thresholds: { type: 'string' },
      criterion: { type: 'string' },
      mode: { type: 'string' },
      backend: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const [modelPath, ...clips] = positionals;
  if (!modelPath || clips.length === 0) fail(`classify needs a model and at least one clip\n${USAGE}`);
  const threshold = values.threshold === undefined ? undefined : Number(values.threshold);
  if (threshold !== undefined && !Number.isFinite(threshold)) fail(`--threshold must be a number, got '${values.threshold}'`);
  const options = {
    threshold,
    thresholds: values.thresholds === undefined ? undefined : parseThresholds(values.thresholds),
    criterion: values.criterion as ExitCriterion | undefined,
    mode: values.mode as ScheduleMode | undefined,
  };
  const runtime = await createNodeRuntime({ backend: (values.backend ?? 'auto') as BackendChoice });
  try {
    const model = await runtime.load(modelPath);
    const rows = [];
    let failed = 0;
    for (const path of clips) {
      let r;
      try {
        const wav = await readWav(path);
        r = await model.classify({ audio: wav.samples, sampleRate: wav.sampleRate }, options);
      } catch (e) {
        if (!isClipError(e)) throw e;
        failed++;
        const message = e.message.startsWith(`${path}: `) ? e.message : `${path}: ${e.message}`;
        rows.push({ clip: path, error: { code: e.code, message } });
        console.error(`beenet: ${message} [${e.code}]`);
        continue;
      }
      rows.push({ clip: path, ...r, probabilities: Array.from(r.probabilities) });
      if (!values.json) {
        console.log(
          `${path}: ${r.label} (p=${r.maxProb.toFixed(3)}) exit ${r.exit + 1}/${model.plan.stages.length}` +
            ` entropy ${r.entropy.toFixed(3)} binary ops ${(100 * r.binaryOpsFraction).toFixed(0)}%` +
            ` ${(r.timings.featuresMs + r.timings.inferenceMs).toFixed(2)} ms`,
        );
      }
    }
    const info = runtime.info;
    const adapter = info.adapter ? `${info.adapter.vendor} ${info.adapter.architecture} ${info.adapter.description}`.trim() : 'none';
    if (values.json) {
      console.log(JSON.stringify({ backend: info.backend, reason: info.reason, adapter: info.adapter, isFallbackAdapter: info.isFallbackAdapter, results: rows }, null, 2));
    } else {
      console.log(`backend: ${info.backend} (${info.reason}); WebGPU adapter: ${adapter}${info.isFallbackAdapter ? ' [software fallback]' : ''}`);
    }
    if (failed > 0) console.error(`beenet: ${failed} of ${clips.length} clips failed`);
    return failed;
  } finally {
    runtime.dispose();
  }
}

/** Streams a long recording through the detector in 100 ms chunks, as a microphone would deliver it. */
async function listen(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'hop-ms': { type: 'string' },
      probability: { type: 'string' },
      'refractory-ms': { type: 'string' },
      smoothing: { type: 'string' },
      'min-windows': { type: 'string' },
      'no-confirm': { type: 'boolean', default: false },
      'energy-gate-db': { type: 'string' },
      backend: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 2) fail(`listen needs a model and one recording\n${USAGE}`);
  const number = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const x = Number(v);
    if (!Number.isFinite(x)) fail(`--${name} must be a number, got '${v}'`);
    return x;
  };
  const wav = await readWav(positionals[1]);
  const runtime = await createNodeRuntime({ backend: (values.backend ?? 'auto') as BackendChoice });
  try {
    const model = await runtime.load(positionals[0]);
    const events: Detection[] = [];
    const detector = createDetector(model, {
      sampleRate: wav.sampleRate,
      hopMs: number('hop-ms', values['hop-ms']),
      probabilityThreshold: number('probability', values.probability),
      refractoryMs: number('refractory-ms', values['refractory-ms']),
      smoothing: number('smoothing', values.smoothing),
      minWindows: number('min-windows', values['min-windows']),
      confirm: !values['no-confirm'],
      energyGateDb: number('energy-gate-db', values['energy-gate-db']) ?? null,
      onDetection: (e) => {
        events.push(e);
        if (!values.json) {
          console.log(`${e.time.toFixed(2)} s  ${e.label}  p=${e.probability.toFixed(3)}  exit ${e.exit + 1}  binary ops ${(100 * e.binaryOpsFraction).toFixed(0)}%`);
        }
      },
    });
    const chunk = Math.max(1, Math.round(wav.sampleRate / 10));
    const t0 = performance.now();
    for (let i = 0; i < wav.samples.length; i += chunk) await detector.push(wav.samples.subarray(i, i + chunk));
    const wallMs = performance.now() - t0;
    const st = detector.stats();
    const summary = {
      audioSeconds: st.audioSeconds,
      windows: st.windows,
      gated: st.gated,
      dropped: st.dropped,
      exits: st.exits,
      meanBinaryOpsFraction: st.meanBinaryOpsFraction,
      msPerAudioSecond: wallMs / Math.max(st.audioSeconds, 1e-9),
      backend: runtime.info.backend,
      sharedStage0: st.sharedStage0,
    };
    if (values.json) console.log(JSON.stringify({ events, ...summary }, null, 2));
    else {
      console.log(
        `${events.length} detections in ${st.audioSeconds.toFixed(1)} s: ${st.windows} windows (exits ${st.exits.join('/')}, ` +
          `${st.gated} gated, ${st.dropped} dropped), ${(100 * st.meanBinaryOpsFraction).toFixed(0)} % binary ops, ` +
          `${summary.msPerAudioSecond.toFixed(1)} ms per second of audio on ${runtime.info.backend}` +
          (st.sharedStage0.on ? ', stage 0 shared between windows' : ''),
      );
    }
  } finally {
    runtime.dispose();
  }
}

async function info(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
  if (positionals.length !== 1) fail(`info needs one model file\n${USAGE}`);
  const model = readBee(await readFile(positionals[0]));
  console.log(values.json ? JSON.stringify(model.description, null, 2) : describeModel(model.description));
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'classify') return (await classify(rest)) > 0 ? 1 : 0;
    if (command === 'listen') await listen(rest);
    else if (command === 'info') await info(rest);
    else if (command === undefined || command === '--help' || command === '-h') console.log(USAGE);
    else fail(`unknown command '${command}'\n${USAGE}`);
    return 0;
  } catch (e) {
    const code = e instanceof BeenetError ? ` [${e.code}]` : '';
    console.error(`beenet: ${(e as Error).message ?? String(e)}${code}`);
    return 1;
  }
}
