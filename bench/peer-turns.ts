// The timing protocol of the ONNX Runtime Web peer, shared by its Node half (bench/onnx.ts) and the page of its
// Chromium half (bench/onnx-page/main.ts): the configurations per batch (beenet full and calibrated, then each ORT
// export), warm-up, then turns call by call, the rows and their ratios. The page imports it, so it stays
// browser-safe: ./stats, the batch stacking and type-only imports, nothing of Node and nothing that pulls in the CPU
// executor.
import type { BeenetModel, ExitOptions } from '../src/index';
import { stackFeatures } from '../src/train/onnx/stack';
import { mean, now, summarize, type Summary } from './stats';

export interface OnnxTimingOptions {
  quick: boolean;
  batches: number[];
  /** Untimed calls per configuration before timing (V8 tiers WebAssembly up lazily), for at least this long (scaled down for big batches). */
  warmupMs: number;
  /** Timed rounds: at least this many calls per configuration and at least this many ms per configuration. */
  minCalls: number;
  minMs: number;
}

/** One timed configuration: a runtime, an operating point, a batch size. */
export interface OnnxRow {
  model: string;
  threads: number;
  runtime: 'beenet-wasm' | 'ort-wasm';
  /** beenet: 'full' (threshold 0) or 'calibrated' (the model's exit policy); ORT: 'float32' or 'int8'. */
  variant: string;
  batch: number;
  /** Per call (one batch). */
  call: Summary;
  /** Median call time / batch. */
  msPerClip: number;
  /** beenet only: mean exit and fraction of the binary ops per clip over the timed calls. */
  meanExit?: number;
  binaryOpsFraction?: number;
}

/** ms per clip of one configuration over another's, same model, threads and batch; below 1: the first is faster. */
export interface OnnxRatio {
  model: string;
  threads: number;
  batch: number;
  what: string;
  value: number;
}

/** One ORT export to time: its variant ('float32', 'int8') and a call on `n` stacked clips (output discarded). */
export interface OrtVariant {
  variant: string;
  run: (x: Float32Array, n: number) => Promise<unknown>;
}

/** A configuration being timed and what its calls gave so far. */
export interface OnnxCell {
  row: Omit<OnnxRow, 'call' | 'msPerClip'>;
  call: (round: number) => Promise<{ exit?: number[]; ops?: number[] }>;
  samples: number[];
  exits: number[];
  ops: number[];
}

/** What one process or page load times: both runtimes in turns, or one of them alone. */
export type PeerSide = 'both' | 'beenet' | 'ort';

/**
 * The loads a thread count gets. One thread: both runtimes in one process or page, in turns call by call (drifting
 * load hits them alike). More: each alone, because ORT's intra-op threads stay busy after each of its runs, which
 * halved beenet's two-worker pool beside them (Node, kws-reactnet, batch 64: 0.15-0.17 ms a clip alone, 0.27-0.28
 * with ORT's calls in between).
 */
export function peerSides(threads: number): PeerSide[] {
  return threads > 1 ? ['beenet', 'ort'] : ['both'];
}

/** A side named on a command line or in a page's query, checked. */
export function parsePeerSide(name: string): PeerSide {
  if (name !== 'both' && name !== 'beenet' && name !== 'ort') throw new Error(`side is both, beenet or ort, got '${name}'`);
  return name;
}

/** `n` clips from `start` on, cycling through `features`. */
function batchOf(features: readonly Float32Array[], start: number, n: number): Float32Array[] {
  return Array.from({ length: n }, (_, i) => features[(start + i) % features.length]);
}

/** beenet's two operating points at one batch size: full (threshold 0) and calibrated (the model's policy). */
function beenetCells(at: { model: string; threads: number }, beenet: BeenetModel, features: readonly Float32Array[], batch: number): OnnxCell[] {
  const points: [string, ExitOptions][] = [['full', { criterion: 'entropy', threshold: 0 }], ['calibrated', {}]];
  return points.map(([variant, opts]): OnnxCell => ({
    row: { ...at, runtime: 'beenet-wasm', variant, batch },
    call: async (round) => {
      const res = await beenet.classifyBatch(batchOf(features, round * batch, batch).map((f) => ({ features: f })), opts);
      return { exit: res.map((r) => r.exit), ops: res.map((r) => r.binaryOpsFraction) };
    },
    samples: [], exits: [], ops: [],
  }));
}

/**
 * Per batch size: beenet full, beenet calibrated, then each ORT variant in the order given; round r takes clips
 * from r * batch on. `beenet` null: ORT's cells only (a process that times one side alone).
 */
export function onnxCells(
  at: { model: string; threads: number },
  beenet: BeenetModel | null,
  ort: readonly OrtVariant[],
  features: readonly Float32Array[],
  batches: readonly number[],
): OnnxCell[] {
  const cells: OnnxCell[] = [];
  for (const batch of batches) {
    // ORT's inputs are stacked before timing; beenet's `{ features }` list is built per call.
    const stacked = Array.from({ length: 4 }, (_, r) => stackFeatures(batchOf(features, r * batch, batch)));
    if (beenet) cells.push(...beenetCells(at, beenet, features, batch));
    for (const { variant, run } of ort) {
      cells.push({
        row: { ...at, runtime: 'ort-wasm', variant, batch },
        call: async (round) => {
          await run(stacked[round % stacked.length], batch);
          return {};
        },
        samples: [], exits: [], ops: [],
      });
    }
  }
  return cells;
}

/**
 * Warms every cell up, then times them in rounds, each pending cell one call per round, until each has
 * `minCalls` calls and `minMs` ms; one row per cell, in the cells' order. `between` runs after each cell's
 * warm-up and after each round (the page yields there so it stays responsive).
 */
export async function timeInTurns(
  cells: OnnxCell[],
  options: Pick<OnnxTimingOptions, 'warmupMs' | 'minCalls' | 'minMs'>,
  between?: () => Promise<void>,
): Promise<OnnxRow[]> {
  for (const c of cells) {
    const t0 = now();
    for (let i = 0; i < 3 || now() - t0 < options.warmupMs / Math.max(1, c.row.batch / 8); i++) await c.call(i);
    if (between) await between();
  }
  // Configurations take turns call by call, so drifting load on shared cores hits them alike.
  const pending = (): OnnxCell[] => cells.filter((c) => c.samples.length < options.minCalls || c.samples.reduce((a, b) => a + b, 0) < options.minMs);
  for (let round = 0, left = pending(); left.length > 0; round++, left = pending()) {
    for (const c of left) {
      const t0 = now();
      const r = await c.call(round);
      c.samples.push(now() - t0);
      if (r.exit) c.exits.push(...r.exit);
      if (r.ops) c.ops.push(...r.ops);
    }
    if (between) await between();
  }
  return cells.map((c): OnnxRow => {
    const call = summarize(c.samples);
    const row: OnnxRow = { ...c.row, call, msPerClip: call.medianMs / c.row.batch };
    if (c.exits.length) {
      row.meanExit = mean(c.exits);
      row.binaryOpsFraction = mean(c.ops);
    }
    return row;
  });
}

/** Per model, threads and batch: beenet (full, calibrated) against ORT (int8, float32), and ORT int8 against float32. */
export function onnxRatios(rows: readonly OnnxRow[]): OnnxRatio[] {
  const out: OnnxRatio[] = [];
  const find = (r: OnnxRow, runtime: OnnxRow['runtime'], variant: string): OnnxRow | undefined =>
    rows.find((x) => x.model === r.model && x.threads === r.threads && x.batch === r.batch && x.runtime === runtime && x.variant === variant);
  for (const r of rows.filter((x) => x.runtime === 'beenet-wasm' && x.variant === 'full')) {
    const cal = find(r, 'beenet-wasm', 'calibrated');
    const f32 = find(r, 'ort-wasm', 'float32');
    const i8 = find(r, 'ort-wasm', 'int8');
    const add = (what: string, a?: OnnxRow, b?: OnnxRow): void => {
      if (a && b) out.push({ model: r.model, threads: r.threads, batch: r.batch, what, value: a.msPerClip / b.msPerClip });
    };
    add('beenet full / ORT int8', r, i8);
    add('beenet full / ORT float32', r, f32);
    add('beenet calibrated / ORT int8', cal, i8);
    add('beenet calibrated / ORT float32', cal, f32);
    add('ORT int8 / ORT float32', i8, f32);
  }
  return out;
}
