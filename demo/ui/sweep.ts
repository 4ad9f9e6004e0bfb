// Threshold sweeps: reading a point off the curve, the curve off a click, round axis ticks, the one-for-all
// calibrated threshold, and a sweep computed from per-clip records when a report has them but no sweep for
// the criterion in use. Pure functions (no DOM).
import { exitsHere } from '../../src/plan/exit-rule';
import type { OperatingPoint, ReportRecords, TradeoffPoint } from './catalog';
import type { Criterion } from './views';

function withThreshold(sweep: readonly TradeoffPoint[]): (TradeoffPoint & { threshold: number })[] {
  return sweep.filter((p): p is TradeoffPoint & { threshold: number } => p.threshold !== null).sort((a, b) => a.threshold - b.threshold);
}

/** The sweep at threshold t, interpolated between its two nearest thresholds. */
export function pointAtThreshold(sweep: readonly TradeoffPoint[], t: number): TradeoffPoint | null {
  const pts = withThreshold(sweep);
  if (pts.length === 0) return null;
  if (t <= pts[0].threshold) return pts[0];
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1];
    const b = pts[i];
    if (t <= b.threshold) {
      const u = (t - a.threshold) / Math.max(1e-9, b.threshold - a.threshold);
      return {
        threshold: t,
        accuracy: a.accuracy + u * (b.accuracy - a.accuracy),
        binaryOpsFraction: a.binaryOpsFraction + u * (b.binaryOpsFraction - a.binaryOpsFraction),
        meanExit: null,
        latencyMs: null,
      };
    }
  }
  return pts[pts.length - 1];
}

/** The threshold whose point on the curve spends `ops` (a click's x position), rounded to the slider's step. */
export function thresholdAtOps(sweep: readonly TradeoffPoint[], ops: number, step = 0.01): number | null {
  const pts = withThreshold(sweep).sort((a, b) => a.binaryOpsFraction - b.binaryOpsFraction);
  if (pts.length === 0) return null;
  const round = (t: number): number => Math.round(t / step) * step;
  if (ops <= pts[0].binaryOpsFraction) return round(pts[0].threshold);
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1];
    const b = pts[i];
    if (ops <= b.binaryOpsFraction) {
      const u = (ops - a.binaryOpsFraction) / Math.max(1e-9, b.binaryOpsFraction - a.binaryOpsFraction);
      return round(a.threshold + u * (b.threshold - a.threshold));
    }
  }
  return round(pts[pts.length - 1].threshold);
}

/** Round ticks covering [lo, hi] (fractions): steps of 1, 2, 5, 10 or 20 points, at most 6 ticks. */
export function niceTicks(lo: number, hi: number): number[] {
  const steps = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25];
  const step = steps.find((s) => (Math.ceil(hi / s - 1e-9) - Math.floor(lo / s + 1e-9)) <= 5) ?? 0.25;
  const a = Math.max(0, Math.floor(lo / step + 1e-9));
  const b = Math.min(Math.round(1 / step), Math.ceil(hi / step - 1e-9));
  const out: number[] = [];
  for (let k = a; k <= Math.max(b, a + 1); k++) out.push(Math.round(k * step * 1000) / 1000);
  return out;
}

/**
 * The one-for-all threshold that matches the model's calibration: the cheapest swept threshold at least as
 * accurate as the calibrated per-exit point (or, without an accuracy, the one spending as much).
 */
export function calibratedSingle(sweep: readonly TradeoffPoint[], preset: OperatingPoint | null): number | null {
  const pts = withThreshold(sweep);
  if (pts.length === 0 || !preset) return null;
  if (preset.accuracy !== null) {
    const ok = pts.filter((p) => p.accuracy >= preset.accuracy! - 1e-9);
    if (ok.length) return ok.reduce((a, b) => (b.binaryOpsFraction < a.binaryOpsFraction ? b : a)).threshold;
  }
  if (preset.binaryOpsFraction !== null) {
    return pts.reduce((a, b) => (Math.abs(b.binaryOpsFraction - preset.binaryOpsFraction!) < Math.abs(a.binaryOpsFraction - preset.binaryOpsFraction!) ? b : a)).threshold;
  }
  return null;
}

/**
 * A one-for-all sweep from per-clip exit records: each clip leaves at the first exit that passes, and spends
 * that exit's cumulative share of the binary ops (`exitOps`, from the model's plan).
 */
export function sweepFromRecords(rec: ReportRecords, criterion: Criterion, exitOps: readonly number[], points = 21): TradeoffPoint[] {
  const exits = exitOps.length;
  if (rec.argmax.length !== exits) return [];
  const maxT = criterion === 'entropy' ? 1 : 1.01;
  const out: TradeoffPoint[] = [];
  for (let i = 0; i < points; i++) {
    const t = (i / (points - 1)) * maxT;
    let right = 0;
    let ops = 0;
    let exitSum = 0;
    for (let c = 0; c < rec.labels.length; c++) {
      let k = 0;
      for (; k < exits - 1; k++) {
        if (exitsHere(criterion, t, rec.entropy[k][c], rec.maxProb[k][c], false)) break;
      }
      if (rec.argmax[k][c] === rec.labels[c]) right++;
      ops += exitOps[k];
      exitSum += k + 1;
    }
    const n = Math.max(1, rec.labels.length);
    out.push({ threshold: Math.round(t * 1000) / 1000, accuracy: right / n, binaryOpsFraction: ops / n, meanExit: exitSum / n, latencyMs: null });
  }
  return out.sort((a, b) => a.binaryOpsFraction - b.binaryOpsFraction);
}
