// Offline tuning of the keyword detector on the benchmark's streams (bench/stream-data.ts):
//   npm run bench:stream-sweep [-- --seed 1 --minutes 20 --noise-minutes 60] [--confirm-seed 2] [--no-write]
// Scores a grid of detector settings from cached windows (bench/stream-cache.ts) on one seed's streams, lists the
// best points that reach >= 90 % detection with < 1 false alarm per hour on the noise-only stream, and checks
// them on another seed's streams. The chosen point is then confirmed by `npm run bench:stream` (the real detector).
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { cliArgs } from '../scripts/cli-args';
import type { BackendChoice } from '../src/index';
import { createNodeRuntime } from '../src/node';
import { DETECTOR_DEFAULTS } from '../src/stream/detector';
import { evaluate, loadStreams, type Point, type Scored } from './stream-cache';
import { speechCommandsDir } from './stream-data';

/** Hops swept: multiples of 40 ms, so the detector shares stage 0 between windows (docs/runtime.md, Streaming). */
const HOPS_MS = [80, 120, 160, 200];

function grid(): Point[] {
  const out: Point[] = [];
  for (const hopMs of HOPS_MS) {
    for (const smoothing of [1, 2, 3, 4, 5, 6, 8]) {
      for (const probabilityThreshold of [0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9]) {
        for (const minWindows of [1, 2, 3, 4]) {
          for (const confirm of [false, true]) {
            for (const refractoryMs of [1000, 1500]) out.push({ hopMs, smoothing, probabilityThreshold, minWindows, refractoryMs, confirm, ignore: DETECTOR_DEFAULTS.ignore });
          }
        }
      }
    }
  }
  return out;
}

function describe(p: Point): string {
  return `hop ${p.hopMs} ms, smoothing ${p.smoothing}, p >= ${p.probabilityThreshold}, ${p.minWindows} window(s) in a row, refractory ${p.refractoryMs} ms, ${p.confirm ? 'confirmed' : 'unconfirmed'}`;
}

function line(s: Scored): string {
  const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(1)} %`);
  return `${pct(s.keyword.detectionRate).padStart(7)} det | noise ${s.noiseFaPerHour.toFixed(2).padStart(5)} FA/h | speech ${s.speechFaPerHour.toFixed(1).padStart(5)} FA/h | kw-stream FA ${String(s.keyword.falseAlarms).padStart(3)} | latency ${s.keyword.medianLatencyS?.toFixed(2) ?? '-'} s | ops ${(100 * s.binaryOps).toFixed(0)} % (noise ${(100 * s.noiseBinaryOps).toFixed(0)} %) | ${describe(s.point)}`;
}

/**
 * Detection minus penalties: per false alarm per hour on noise, a fiftieth of that on speech (the negative the
 * model itself confuses), per wrong event on the keyword stream, and per window of work on noise (binary ops x
 * windows per second, at hop 100 ms = 1), so that of two equally good points the cheaper one wins.
 */
function rank(s: Scored): number {
  const work = s.noiseBinaryOps * (100 / s.point.hopMs);
  return (s.keyword.detectionRate ?? 0) - 0.02 * s.noiseFaPerHour - 0.0004 * s.speechFaPerHour - 0.0005 * s.keyword.falseAlarms - 0.01 * work;
}

async function main(): Promise<void> {
  const values = cliArgs('npm run bench:stream-sweep [-- --seed 1 --confirm-seed 2 --minutes 20 --noise-minutes 60 --no-write]', {
    model: { type: 'string', default: 'models/kws-reactnet.bee', help: 'keyword model' },
    data: { type: 'string', default: '../shared/data', help: 'the real recordings' },
    minutes: { type: 'number', default: 20, help: 'minutes of the keyword and speech streams' },
    'noise-minutes': { type: 'number', default: 60, help: 'minutes of the noise-only stream' },
    backend: { type: 'string', default: 'wasm', help: 'auto, webgpu, wasm or cpu' },
    seed: { type: 'number', default: 1, help: 'streams the point is chosen on' },
    'confirm-seed': { type: 'number', default: 2, help: 'other streams the chosen points are checked on' },
    top: { type: 'number', default: 12, help: 'points listed' },
    'no-write': { type: 'boolean', help: 'print only, write no result file' },
  });
  const sc = speechCommandsDir(values.data);
  if ('missing' in sc) {
    console.log(`bench/stream-sweep: ${sc.missing} is absent; the sweep needs the real recordings (skipped)`);
    return;
  }
  const log = (m: string) => console.log(m);
  const runtime = await createNodeRuntime({ backend: values.backend as BackendChoice });
  const bytes = readFileSync(values.model);
  const model = await runtime.load(new Uint8Array(bytes));
  const minutes = values.minutes;
  const noiseMinutes = values['noise-minutes'];
  const tune = await loadStreams(model, bytes, sc.dir, values.seed, minutes, noiseMinutes, log);
  const points = grid();
  const scored = points.map((p) => evaluate(model, tune.streams, tune.caches, p, true));
  const feasible = scored.filter((s) => (s.keyword.detectionRate ?? 0) >= 0.9 && s.noiseFaPerHour < 1);
  const defaults = { ...DETECTOR_DEFAULTS };
  log(`\nseed ${values.seed}, calibrated early exits; the detector's current defaults:\n  ${line(evaluate(model, tune.streams, tune.caches, defaults, true))}`);
  log(`points with >= 90 % detection and < 1 FA/h on noise: ${feasible.length} of ${scored.length}; best by detection - penalties:`);
  const best = [...(feasible.length ? feasible : scored)].sort((a, b) => rank(b) - rank(a)).slice(0, values.top);
  for (const s of best) log(`  ${line(s)}`);
  const byHop = HOPS_MS.map((hop) => feasible.filter((s) => s.point.hopMs === hop).sort((a, b) => rank(b) - rank(a))[0]).filter((s) => s);
  log('best per hop:');
  for (const s of byHop) log(`  ${line(s)}`);

  const confirm = await loadStreams(model, bytes, sc.dir, values['confirm-seed'], minutes, noiseMinutes, log);
  log(`\nseed ${values['confirm-seed']} (confirmation), the same points, early exits then every window to the last exit:`);
  const confirmed = [...best.slice(0, 5), ...byHop].map((s) => ({
    point: s.point,
    tuned: s,
    early: evaluate(model, confirm.streams, confirm.caches, s.point, true),
    full: evaluate(model, confirm.streams, confirm.caches, s.point, false),
    fullTuned: evaluate(model, tune.streams, tune.caches, s.point, false),
  }));
  for (const c of confirmed) log(`  early ${line(c.early)}\n  full  ${line(c.full)}`);
  model.dispose();
  runtime.dispose();
  if (values['no-write']) return;
  const date = new Date().toISOString();
  const file = join('bench', 'results', `stream-sweep-${date}.json`.replace(/:/g, ''));
  const strip = (s: Scored) => ({ ...s, point: describe(s.point) });
  writeFileSync(
    file,
    JSON.stringify(
      {
        date,
        model: values.model,
        backend: runtime.info.backend,
        cpu: cpus()[0]?.model,
        cores: cpus().length,
        minutes,
        noiseMinutes,
        seed: values.seed,
        confirmSeed: values['confirm-seed'],
        points: scored.length,
        feasible: feasible.length,
        best: best.map(strip),
        bestPerHop: byHop.map(strip),
        confirmed: confirmed.map((c) => ({ point: describe(c.point), tuned: strip(c.tuned), tunedFull: strip(c.fullTuned), confirmEarly: strip(c.early), confirmFull: strip(c.full) })),
      },
      null,
      1,
    ) + '\n',
  );
  log(`wrote ${file}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
