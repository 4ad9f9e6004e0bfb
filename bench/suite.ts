// The model-level measurements, shared by the Node run (Dawn) and the browser page (Chromium): they only use
// the public API of a loaded model, so both environments measure exactly the same thing.
import type { BeenetModel, ClassifyResult, ExitOptions, ScheduleMode } from '../src/index';
import { mean, now, summarize, tick, type Summary } from './stats';

export interface SuiteOptions {
  quick: boolean;
  /** Timed batch-1 calls per operating point (after `warmup` untimed calls). */
  latencyCalls: number;
  warmup: number;
  /** Entropy thresholds of the sweep (one threshold for every exit); 0 is the full network. */
  sweep: number[];
  batches: number[];
  /** Throughput: at least this many batches and this many milliseconds per measurement. */
  throughputRounds: number;
  throughputMinMs: number;
  /** Timed calls per exit for the per-exit prefix costs. */
  prefixCalls: number;
  /** Batch sizes for the float32 peer on emulated WebGPU (seconds per clip there). */
  peerWebgpuBatches: number[];
  /**
   * Milliseconds of untimed calls before the first measurement of a backend: V8 tiers WebAssembly up lazily
   * (TF.js WASM got 4x faster over its first ~30 calls in Node), and first uses compile WebGPU pipelines.
   */
  warmupMs: number;
}

export function suiteOptions(quick: boolean): SuiteOptions {
  return quick
    ? { quick, latencyCalls: 6, warmup: 1, sweep: [0, 0.5, 1], batches: [1, 4], throughputRounds: 1, throughputMinMs: 0, prefixCalls: 3, peerWebgpuBatches: [1], warmupMs: 300 }
    : {
        quick,
        latencyCalls: 48,
        warmup: 4,
        sweep: [0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1],
        batches: [1, 16, 64],
        throughputRounds: 3,
        throughputMinMs: 1500,
        prefixCalls: 24,
        peerWebgpuBatches: [1, 16, 64],
        warmupMs: 3000,
      };
}

/** An operating point: the full network, the model's calibrated thresholds, or one sweep threshold. */
export interface Point {
  name: string;
  kind: 'full' | 'calibrated' | 'sweep';
  /** The sweep's entropy threshold (0 for the full network), null for the calibrated point. */
  threshold: number | null;
  options: ExitOptions;
}

export function operatingPoints(model: BeenetModel, sweep: readonly number[]): Point[] {
  const policy = model.description.exitPolicy;
  const points: Point[] = [
    { name: 'full', kind: 'full', threshold: 0, options: { criterion: 'entropy', threshold: 0 } },
    { name: `calibrated (${policy.criterion} ${policy.thresholds.map((t) => t.toFixed(3)).join('/')})`, kind: 'calibrated', threshold: null, options: {} },
  ];
  for (const t of sweep) {
    if (t === 0) continue;
    points.push({ name: `entropy ${t}`, kind: 'sweep', threshold: t, options: { criterion: 'entropy', threshold: t } });
  }
  return points;
}

export interface ExitStats {
  meanExit: number;
  /** Share of calls that left at each exit. */
  exitShare: number[];
  binaryOpsFraction: number;
  floatOpsFraction: number;
}

function exitStats(results: readonly ClassifyResult[], exits: number): ExitStats {
  const share = new Array<number>(exits).fill(0);
  for (const r of results) share[r.exit] += 1 / results.length;
  return {
    meanExit: mean(results.map((r) => r.exit)),
    exitShare: share,
    binaryOpsFraction: mean(results.map((r) => r.binaryOpsFraction)),
    floatOpsFraction: mean(results.map((r) => r.floatOpsFraction)),
  };
}

export interface LatencyRow extends ExitStats {
  backend: string;
  mode: ScheduleMode;
  point: string;
  kind: Point['kind'];
  threshold: number | null;
  batch: 1;
  latency: Summary;
}

export interface ThroughputRow extends ExitStats {
  backend: string;
  mode: ScheduleMode;
  point: string;
  kind: Point['kind'];
  batch: number;
  clipsPerS: number;
  msPerBatch: number;
  batchesTimed: number;
}

export interface PrefixRow {
  backend: string;
  mode: ScheduleMode;
  /** Every clip forced to leave at this exit (earlier exits never accept). */
  exit: number;
  latency: Summary;
  /** Median of this prefix minus the previous one: the wall cost of this stage (trunk + exit head + check). */
  stageMs: number;
}

export interface BeenetMeasurements {
  backend: string;
  latency: LatencyRow[];
  throughput: ThroughputRow[];
  prefix: PrefixRow[];
}

export type Log = (s: string) => void;

/** One backend's measurements, or why it failed: a failing backend never stops the rest of the run. */
export interface BackendResult<T> {
  ok: boolean;
  error?: string;
  value?: T;
}

/** Runs one backend's measurements, logging and recording a failure instead of throwing. */
export async function guarded<T>(what: string, log: Log, f: () => Promise<T>): Promise<BackendResult<T>> {
  try {
    return { ok: true, value: await f() };
  } catch (e) {
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    log(`  ${what} FAILED: ${msg}`);
    return { ok: false, error: msg };
  }
}

/** Clips as features inputs, cycled to `n`. */
function take(inputs: readonly Float32Array[], start: number, n: number): { features: Float32Array }[] {
  return Array.from({ length: n }, (_, i) => ({ features: inputs[(start + i) % inputs.length] }));
}

async function latencyOf(model: BeenetModel, inputs: readonly Float32Array[], options: ExitOptions, o: SuiteOptions): Promise<{ summary: Summary; results: ClassifyResult[] }> {
  for (let i = 0; i < o.warmup; i++) await model.classify({ features: inputs[i % inputs.length] }, options);
  const samples: number[] = [];
  const results: ClassifyResult[] = [];
  for (let i = 0; i < o.latencyCalls; i++) {
    const input = { features: inputs[i % inputs.length] };
    const t0 = now();
    const r = await model.classify(input, options);
    samples.push(now() - t0);
    results.push(r);
    if (i % 8 === 7) await tick();
  }
  return { summary: summarize(samples), results };
}

/**
 * Every model-level figure for one loaded model on one backend: batch-1 latency per operating point and mode,
 * throughput per batch size (exited clips leave the batch), and the per-exit prefix costs.
 */
export async function measureBeenet(
  model: BeenetModel,
  backend: string,
  inputs: readonly Float32Array[],
  o: SuiteOptions,
  log: Log = () => {},
): Promise<BeenetMeasurements> {
  const exits = model.plan.stages.length;
  // The 'gpu' mode only differs from 'readback' on WebGPU (the WASM executor has no on-device gate).
  const modes: ScheduleMode[] = backend === 'webgpu' ? ['readback', 'gpu'] : ['readback'];
  const points = operatingPoints(model, o.sweep);
  const tw = now();
  for (let i = 0; now() - tw < o.warmupMs && i < 200; i++) await model.classify({ features: inputs[i % inputs.length] }, points[0].options);
  // Points and modes are interleaved call by call, so drifting load on the shared cores hits them alike.
  const cells = modes.flatMap((mode) => points.map((p) => ({ mode, p, opts: { ...p.options, mode }, samples: [] as number[], results: [] as ClassifyResult[] })));
  for (const c of cells) for (let i = 0; i < o.warmup; i++) await model.classify({ features: inputs[i % inputs.length] }, c.opts);
  for (let i = 0; i < o.latencyCalls; i++) {
    const input = { features: inputs[i % inputs.length] };
    for (const c of cells) {
      const t0 = now();
      const r = await model.classify(input, c.opts);
      c.samples.push(now() - t0);
      c.results.push(r);
    }
    await tick();
  }
  const latency: LatencyRow[] = cells.map((c) => {
    const summary = summarize(c.samples);
    log(`  ${backend} ${c.mode} ${c.p.name}: median ${summary.medianMs.toFixed(2)} ms, p95 ${summary.p95Ms.toFixed(2)} ms, mean exit ${mean(c.results.map((r) => r.exit)).toFixed(2)}`);
    return { backend, mode: c.mode, point: c.p.name, kind: c.p.kind, threshold: c.p.threshold, batch: 1 as const, latency: summary, ...exitStats(c.results, exits) };
  });

  // Per batch size, the (mode, point) pairs take turns batch by batch, like the latency calls.
  const throughput: ThroughputRow[] = [];
  for (const batch of o.batches) {
    const runs = modes.flatMap((mode) =>
      points.filter((q) => q.kind !== 'sweep').map((p) => ({ mode, p, opts: { ...p.options, mode }, ms: 0, batches: 0, results: [] as ClassifyResult[] })),
    );
    for (const r of runs) await model.classifyBatch(take(inputs, 0, batch), r.opts); // warm-up at this size
    const pending = (): typeof runs => runs.filter((r) => r.batches < o.throughputRounds || r.ms < o.throughputMinMs);
    for (let left = pending(); left.length > 0; left = pending()) {
      for (const r of left) {
        const clipsIn = take(inputs, r.batches * batch, batch);
        // Busy time only (the calls themselves), not the occasional yield between them.
        const t0 = now();
        const res = await model.classifyBatch(clipsIn, r.opts);
        r.ms += now() - t0;
        r.results.push(...res);
        r.batches++;
        await tick();
      }
    }
    for (const r of runs) {
      const clipsPerS = (1000 * r.batches * batch) / r.ms;
      throughput.push({ backend, mode: r.mode, point: r.p.name, kind: r.p.kind, batch, clipsPerS, msPerBatch: r.ms / r.batches, batchesTimed: r.batches, ...exitStats(r.results, exits) });
      log(`  ${backend} ${r.mode} ${r.p.kind} batch ${batch}: ${clipsPerS.toFixed(1)} clips/s`);
    }
  }

  const prefix: PrefixRow[] = [];
  for (const mode of modes) {
    let previous = 0;
    for (let k = 0; k < exits; k++) {
      const thresholds = Array.from({ length: exits }, (_, j) => (j === k ? 1 : 0));
      const { summary } = await latencyOf(model, inputs, { criterion: 'entropy', thresholds, mode }, { ...o, latencyCalls: o.prefixCalls, warmup: 1 });
      prefix.push({ backend, mode, exit: k, latency: summary, stageMs: summary.medianMs - previous });
      previous = summary.medianMs;
    }
    log(`  ${backend} ${mode} prefix per exit (median ms): ${prefix.filter((r) => r.mode === mode).map((r) => r.latency.medianMs.toFixed(2)).join(' / ')}`);
  }
  return { backend, latency, throughput, prefix };
}

/** Cold start: the phases from nothing to the first result. */
export interface ColdStart {
  backend: string;
  /** Adapter + device (WebGPU) or nothing (WASM: the module compiles in `loadMs`). */
  runtimeMs: number;
  /** Fetch/read + parse + plan + upload + every pipeline (or the WASM module) compiled. */
  loadMs: number;
  firstResultMs: number;
  totalMs: number;
}

/** A plain statement of what the adapter is, for every report. */
export function adapterKind(info: { vendor: string; architecture: string; description: string }, software: boolean): string {
  const name = info.architecture || info.description || info.vendor || 'unknown';
  return software ? `CPU emulation of WebGPU (${name}; software adapter, no GPU)` : `hardware GPU (${name})`;
}
