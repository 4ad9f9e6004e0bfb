// Reading the shipped catalogue (models/index.json), clip lists and evaluation reports. All of these are
// written by other tools and may be missing, partial, or change shape: everything here is read defensively
// and turns into "nothing to show" rather than an exception.

export interface ModelEntry {
  id: string;
  task: string;
  architecture: string;
  file: string;
  report: string | null;
  clips: string | null;
}

export interface ClipEntry {
  file: string;
  label: string;
  /** Resolved against the clip list's URL. */
  url: string;
}

/** One point of a threshold sweep: accuracy against the fraction of the model's operations spent. */
export interface TradeoffPoint {
  threshold: number | null;
  accuracy: number;
  binaryOpsFraction: number;
  meanExit: number | null;
  latencyMs: number | null;
}

export interface OperatingPoint {
  name: string;
  thresholds: number[];
  criterion: 'entropy' | 'maxprob' | null;
  accuracy: number | null;
  binaryOpsFraction: number | null;
}

/** Per-clip exit records (labels, and per exit: argmax, entropy, max probability), when a report ships them. */
export interface ReportRecords {
  labels: number[];
  argmax: number[][];
  entropy: number[][];
  maxProb: number[][];
}

export interface ParsedReport {
  /** The one-for-all sweep of the report's criterion. */
  sweep: TradeoffPoint[];
  criterion: 'entropy' | 'maxprob' | null;
  /** A second sweep for max probability, if the report has one under a key naming it. */
  maxprobSweep: TradeoffPoint[];
  presets: OperatingPoint[];
  records: ReportRecords | null;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Case- and separator-insensitive key lookup: `binary_ops_fraction`, `binaryOpsFraction` and `BinaryOpsFraction` match. */
function pick(o: JsonObject, ...names: string[]): Json | undefined {
  const norm = (k: string): string => k.toLowerCase().replace(/[^a-z0-9]/g, '');
  const wanted = names.map(norm);
  for (const n of wanted) {
    for (const [k, v] of Object.entries(o)) if (norm(k) === n) return v;
  }
  return undefined;
}

async function fetchJson(url: string): Promise<Json | null> {
  try {
    const r = await fetch(url);
    if (!r.ok) return null;
    return (await r.json()) as Json;
  } catch {
    return null;
  }
}

export async function loadCatalog(url: string): Promise<ModelEntry[]> {
  const json = await fetchJson(url);
  const list = Array.isArray(json) ? json : isObject(json) && Array.isArray(json.models) ? json.models : [];
  const out: ModelEntry[] = [];
  for (const e of list) {
    if (!isObject(e)) continue;
    const file = str(e.file);
    if (!file) continue;
    const task = str(e.task) ?? 'model';
    const architecture = str(e.architecture) ?? file.replace(/\.bee$/, '');
    out.push({ id: str(e.id) ?? `${task}-${architecture}`, task, architecture, file, report: str(e.report), clips: str(e.clips) });
  }
  return out;
}

export async function loadClips(url: string): Promise<ClipEntry[]> {
  const json = await fetchJson(url);
  if (!Array.isArray(json)) return [];
  const base = new URL(url, location.href);
  const out: ClipEntry[] = [];
  for (const c of json) {
    if (!isObject(c)) continue;
    const file = str(c.file);
    if (!file) continue;
    out.push({ file, label: str(c.label) ?? file.replace(/\.[a-z0-9]+$/i, ''), url: new URL(file, base).href });
  }
  return out;
}

function criterionOf(v: unknown): 'entropy' | 'maxprob' | null {
  return v === 'entropy' || v === 'maxprob' ? v : null;
}

/** Accuracy may be stored as a fraction or a percentage. */
function fraction(v: unknown): number | null {
  const x = num(v);
  if (x === null) return null;
  return x > 1.0001 && x <= 100 ? x / 100 : x;
}

function opsFraction(o: JsonObject): number | null {
  const direct = fraction(pick(o, 'binaryOpsFraction', 'fractionBinaryOps', 'binaryFraction', 'binaryOpsFrac', 'opsFraction', 'fractionOps'));
  if (direct !== null) return direct;
  const ops = pick(o, 'ops', 'fractionOfOps', 'opFraction');
  if (isObject(ops)) return fraction(pick(ops, 'binary', 'binaryOps', 'binaryOpsFraction'));
  return fraction(ops);
}

function latencyOf(o: JsonObject): number | null {
  const v = pick(o, 'latencyMs', 'meanLatencyMs', 'medianLatencyMs', 'cpuLatencyMs', 'latency');
  if (isObject(v)) return num(pick(v, 'median', 'medianMs', 'mean', 'meanMs', 'p50'));
  return num(v);
}

function sweepPoint(o: JsonObject): TradeoffPoint | null {
  const accuracy = fraction(pick(o, 'accuracy', 'acc', 'top1'));
  const binaryOpsFraction = opsFraction(o);
  if (accuracy === null || binaryOpsFraction === null) return null;
  let threshold = num(pick(o, 'threshold', 't'));
  const ts = pick(o, 'thresholds');
  if (threshold === null && Array.isArray(ts) && ts.length > 1) {
    // A single-threshold sweep point stored as per-exit thresholds: equal on every exit but the last.
    const early = ts.slice(0, -1).map(num);
    if (early.every((x) => x !== null && Math.abs(x - early[0]!) < 1e-9)) threshold = early[0];
  }
  return {
    threshold,
    accuracy,
    binaryOpsFraction,
    meanExit: num(pick(o, 'meanExit', 'averageExit')),
    latencyMs: latencyOf(o),
  };
}

function thresholdsOf(o: JsonObject, exits: number): number[] | null {
  const t = pick(o, 'thresholds', 'perExitThresholds');
  if (!Array.isArray(t) || t.length === 0) return null;
  const xs = t.map(num);
  if (xs.some((x) => x === null)) return null;
  const out = xs as number[];
  // A report may omit the last exit (it always accepts): pad it.
  if (out.length === exits - 1) out.push(1);
  return out.length === exits ? out : null;
}

function numbers(v: unknown): number[] | null {
  if (!Array.isArray(v)) return null;
  const xs = v.map(num);
  return xs.every((x) => x !== null) ? (xs as number[]) : null;
}

/** `{ labels: [...], argmax: [[...] per exit], entropy: [...], maxProb: [...] }`, every array one entry per clip. */
function recordsOf(o: JsonObject, exits: number): ReportRecords | null {
  const labels = numbers(pick(o, 'labels', 'targets'));
  const perExit = (...names: string[]): number[][] | null => {
    const v = pick(o, ...names);
    if (!Array.isArray(v) || v.length !== exits) return null;
    const rows = v.map(numbers);
    return rows.every((r) => r !== null && r.length === labels?.length) ? (rows as number[][]) : null;
  };
  if (!labels) return null;
  const argmax = perExit('argmax', 'predictions', 'predicted');
  const entropy = perExit('entropy', 'entropies');
  const maxProb = perExit('maxProb', 'maxProbs', 'maxProbability');
  return argmax && entropy && maxProb ? { labels, argmax, entropy, maxProb } : null;
}

/**
 * Finds, anywhere in the report: the longest array of sweep points (objects with an accuracy and an ops
 * fraction), and every object with per-exit thresholds (named by where it sits, e.g. "calibrated").
 */
export function parseReport(json: unknown, exits: number): ParsedReport {
  let sweep: TradeoffPoint[] = [];
  let maxprobSweep: TradeoffPoint[] = [];
  let records: ReportRecords | null = null;
  const presets: OperatingPoint[] = [];
  const root = isObject(json) ? json : null;
  const rootCriterion = root ? criterionOf(pick(root, 'criterion')) : null;
  const seen = new Set<string>();
  const visit = (v: unknown, path: string[], depth: number): void => {
    if (depth > 6) return;
    if (Array.isArray(v)) {
      const points = v.filter(isObject).map(sweepPoint).filter((p): p is TradeoffPoint => p !== null);
      const where = path.join('.');
      if (points.length >= 2 && /max.?prob/i.test(where)) {
        if (points.length > maxprobSweep.length) maxprobSweep = points;
      } else if (points.length >= 2 && points.length > sweep.length && !/calib/i.test(where)) sweep = points;
      v.forEach((x, i) => {
        // Arrays of sweep points are not presets; arrays of named operating points are.
        if (points.length < 2 || /calib|preset|operating/i.test(path.join('.'))) visit(x, [...path, String(i)], depth + 1);
      });
      return;
    }
    if (!isObject(v)) return;
    if (!records && /records/i.test(path[path.length - 1] ?? '')) records = recordsOf(v, exits);
    const named = str(pick(v, 'name', 'label', 'target'));
    const split = [pick(v, 'test'), pick(v, 'validation')].filter(isObject);
    if (named && !thresholdsOf(v, exits) && split.length > 0) {
      // { target, validation, test }: thresholds chosen on validation, numbers measured on test (like the sweep).
      const t = split.map((x) => thresholdsOf(x, exits)).find((x) => x !== null);
      if (t) {
        const key = t.map((x) => x.toFixed(4)).join(',');
        if (!seen.has(key)) {
          seen.add(key);
          const m = sweepPoint(split[0]);
          presets.push({ name: named, thresholds: t, criterion: criterionOf(pick(v, 'criterion')) ?? rootCriterion, accuracy: m?.accuracy ?? null, binaryOpsFraction: m?.binaryOpsFraction ?? null });
        }
        return;
      }
    }
    const t = thresholdsOf(v, exits);
    if (t && path.length > 0) {
      const key = t.map((x) => x.toFixed(4)).join(',');
      if (!seen.has(key)) {
        seen.add(key);
        const p = sweepPoint(v);
        presets.push({
          name: str(pick(v, 'name', 'label', 'target')) ?? path.filter((x) => !/^\d+$/.test(x)).slice(-2).join(' '),
          thresholds: t,
          criterion: criterionOf(pick(v, 'criterion')) ?? rootCriterion,
          accuracy: p?.accuracy ?? fraction(pick(v, 'accuracy')),
          binaryOpsFraction: p?.binaryOpsFraction ?? opsFraction(v),
        });
      }
    }
    for (const [k, x] of Object.entries(v)) visit(x, [...path, k], depth + 1);
  };
  visit(json, [], 0);
  // Calibrated operating points first: they are what "the calibrated preset" means.
  presets.sort((a, b) => Number(/calib/i.test(b.name)) - Number(/calib/i.test(a.name)));
  sweep.sort((a, b) => a.binaryOpsFraction - b.binaryOpsFraction);
  maxprobSweep.sort((a, b) => a.binaryOpsFraction - b.binaryOpsFraction);
  return { sweep, criterion: rootCriterion, maxprobSweep, presets, records };
}

export async function loadReport(url: string, exits: number): Promise<ParsedReport | null> {
  const json = await fetchJson(url);
  if (json === null) return null;
  const r = parseReport(json, exits);
  return r.sweep.length > 0 || r.presets.length > 0 ? r : null;
}
