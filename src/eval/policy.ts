// Early-exit policies over per-exit records: simulation, threshold sweep, and per-exit threshold calibration.
import type { ExitCriterion } from '../model/graph';
import { exitsHere } from '../plan/exit-rule';
import type { ExitCosts, ExitRecords } from './records';

export interface OperatingPoint {
  /** Per exit; the last is always 1 (the last exit accepts every clip). */
  thresholds: number[];
  accuracy: number;
  meanExit: number;
  /** Mean ops per clip as a fraction of running the whole model. */
  binaryOpsFraction: number;
  floatOpsFraction: number;
  /** Fraction of clips leaving at each exit. */
  exitShare: number[];
}

/** Accuracy of each exit on its own. */
export function exitAccuracies(r: ExitRecords): number[] {
  return r.argmax.map((a) => {
    let ok = 0;
    for (let i = 0; i < r.count; i++) if (a[i] === r.labels[i]) ok++;
    return r.count ? ok / r.count : 0;
  });
}

/** Exit taken by clip i under `criterion`: the first exit that accepts it (the last always does). */
export function exitOf(r: ExitRecords, thresholds: readonly number[], i: number, criterion: ExitCriterion = 'entropy'): number {
  // The runtime's own rule (src/plan/exit-rule.ts), so a simulated policy decides every clip as a run would.
  const last = r.argmax.length - 1;
  for (let e = 0; e < last; e++) if (exitsHere(criterion, thresholds[e], r.entropy[e][i], r.maxProb[e][i], false)) return e;
  return last;
}

/** Exit taken and prediction of every clip under a policy. */
export function simulate(r: ExitRecords, thresholds: readonly number[], criterion: ExitCriterion = 'entropy'): { exits: Int32Array; predictions: Int32Array } {
  const exits = new Int32Array(r.count);
  const predictions = new Int32Array(r.count);
  for (let i = 0; i < r.count; i++) {
    const e = exitOf(r, thresholds, i, criterion);
    exits[i] = e;
    predictions[i] = r.argmax[e][i];
  }
  return { exits, predictions };
}

/**
 * How far two runs of the same clips agree (e.g. the runtime against the trained model, or the GPU path against
 * the CPU reference): the share of clips with the same class at each exit, and with the same exit and class
 * under a policy.
 */
export function agreement(a: ExitRecords, b: ExitRecords, thresholds: readonly number[]): { exitAgreement: number[]; policyAgreement: number } {
  const n = Math.max(1, a.count);
  const exitAgreement = a.argmax.map((x, e) => x.filter((c, i) => c === b.argmax[e][i]).length / n);
  const pa = simulate(a, thresholds);
  const pb = simulate(b, thresholds);
  let same = 0;
  for (let i = 0; i < a.count; i++) if (pa.exits[i] === pb.exits[i] && pa.predictions[i] === pb.predictions[i]) same++;
  return { exitAgreement, policyAgreement: same / n };
}

/** Accuracy, mean exit and op fractions of one policy. */
export function evaluatePolicy(r: ExitRecords, costs: ExitCosts, thresholds: readonly number[], criterion: ExitCriterion = 'entropy'): OperatingPoint {
  const exitsN = r.argmax.length;
  const t = thresholds.map((x, e) => (e === exitsN - 1 ? 1 : x));
  const { exits, predictions } = simulate(r, t, criterion);
  const share = new Array<number>(exitsN).fill(0);
  let ok = 0;
  let sumExit = 0;
  for (let i = 0; i < r.count; i++) {
    if (predictions[i] === r.labels[i]) ok++;
    share[exits[i]]++;
    sumExit += exits[i];
  }
  const n = Math.max(1, r.count);
  let b = 0;
  let f = 0;
  share.forEach((s, e) => {
    b += (s / n) * costs.cumulativeBinaryOps[e];
    f += (s / n) * costs.cumulativeFloatOps[e];
  });
  return {
    thresholds: t,
    accuracy: ok / n,
    meanExit: sumExit / n,
    binaryOpsFraction: costs.totalBinaryOps ? b / costs.totalBinaryOps : 0,
    floatOpsFraction: costs.totalFloatOps ? f / costs.totalFloatOps : 0,
    exitShare: share.map((s) => s / n),
  };
}

/**
 * One threshold for every exit, `points` values evenly from 0 to 1: with entropy 0 never exits early; with
 * max probability 0 always does (the sweep runs the other way).
 */
export function thresholdSweep(r: ExitRecords, costs: ExitCosts, points = 21, criterion: ExitCriterion = 'entropy'): OperatingPoint[] {
  const exitsN = r.argmax.length;
  return Array.from({ length: points }, (_, k) => {
    const t = points === 1 ? 1 : k / (points - 1);
    return evaluatePolicy(r, costs, new Array<number>(exitsN).fill(t), criterion);
  });
}

/** Candidate thresholds: 0, then 0.025 steps to 1. */
const GRID = Array.from({ length: 41 }, (_, k) => k / 40);

/**
 * Searches per-exit thresholds (the last fixed at 1) on a grid. `objective` picks among the feasible points:
 * the smallest binary-op fraction (target accuracy) or the highest accuracy (target budget).
 */
function gridSearch(
  r: ExitRecords,
  costs: ExitCosts,
  feasible: (p: OperatingPoint) => boolean,
  better: (a: OperatingPoint, b: OperatingPoint) => boolean,
): OperatingPoint | null {
  const early = r.argmax.length - 1;
  let best: OperatingPoint | null = null;
  const t = new Array<number>(early + 1).fill(1);
  const visit = (e: number): void => {
    if (e === early) {
      const p = evaluatePolicy(r, costs, t);
      if (feasible(p) && (best === null || better(p, best))) best = p;
      return;
    }
    // Coarser grid for deeper nested exits keeps the search to ~10^4 policies for 4 exits.
    const grid = early > 3 ? GRID.filter((_, k) => k % 4 === 0) : GRID.filter((_, k) => k % 2 === 0);
    for (const x of grid) {
      t[e] = x;
      visit(e + 1);
    }
  };
  visit(0);
  return best;
}

/** Paired outcomes of a policy against the last exit: b clips it gets wrong that the last exit gets right, c the other way round. */
function pairedOutcomes(r: ExitRecords, thresholds: readonly number[]): { lost: number; gained: number } {
  const last = r.argmax[r.argmax.length - 1];
  const { predictions } = simulate(r, thresholds);
  let lost = 0;
  let gained = 0;
  for (let i = 0; i < r.count; i++) {
    const full = last[i] === r.labels[i];
    const early = predictions[i] === r.labels[i];
    if (full && !early) lost++;
    else if (early && !full) gained++;
  }
  return { lost, gained };
}

/**
 * Upper confidence bound on a policy's accuracy drop below the last exit, from the paired per-clip differences
 * (McNemar-style): with b clips the last exit gets right and the policy wrong and c the other way round, the drop is
 * (b - c) / n and its standard error comes from those b + c disagreements alone. `z` is the one-sided normal
 * quantile (0 gives the point estimate).
 */
export function accuracyDropBound(r: ExitRecords, thresholds: readonly number[], z: number): number {
  const { lost: b, gained: c } = pairedOutcomes(r, thresholds);
  const n = r.count;
  if (n === 0) return 0;
  const drop = (b - c) / n;
  if (z === 0 || n < 2) return drop;
  const variance = (((b + c) / n - drop * drop) * n) / (n - 1);
  return drop + z * Math.sqrt(Math.max(0, variance) / n);
}

/**
 * Upper confidence bound on the share of clips a policy loses: right at the last exit, wrong where the policy
 * stops them (b / n, with a normal-approximation binomial bound; `z` 0 gives the point estimate). Unlike the drop,
 * clips the policy gains never offset them.
 */
export function lostAnswersBound(r: ExitRecords, thresholds: readonly number[], z: number): number {
  const n = r.count;
  if (n === 0) return 0;
  const lost = pairedOutcomes(r, thresholds).lost / n;
  return z === 0 ? lost : lost + z * Math.sqrt((lost * (1 - lost)) / n);
}

/** One-sided standard normal quantiles for the confidence levels calibration accepts. */
const Z_ONE_SIDED: ReadonlyMap<number, number> = new Map([
  [0, 0],
  [0.8, 0.8416],
  [0.9, 1.2816],
  [0.95, 1.6449],
  [0.99, 2.3263],
]);

/**
 * What an accuracy target bounds. `lost`: the share of clips the last exit gets right and the policy wrong.
 * `net`: the accuracy drop, those losses minus the clips the policy gets right and the last exit wrong.
 */
export type AccuracyMeasure = 'lost' | 'net';

export interface AccuracyTarget {
  /** Largest accuracy loss below the last exit, as a fraction (0.01 = one point). */
  maxDrop?: number;
  /**
   * Confidence that the loss stays within `maxDrop` on new clips: the loss's upper confidence bound must be within
   * it. 0 uses the point estimate on the calibration clips. One of 0, 0.8, 0.9, 0.95, 0.99.
   */
  confidence?: number;
  /**
   * Why `lost` is the default: the net drop lets an early exit's lucky corrections pay for its mistakes, and on
   * new speakers and on audio (rather than the validation images) the mistakes recur while the corrections do not.
   * Calibrated on the net drop, an exit that ties the last one on validation took every remaining clip and lost
   * 1.4-1.8 points on the real test wavs (docs/training.md, scripts/calibration-transfer.ts).
   */
  measure?: AccuracyMeasure;
}

/** A measure named on a command line, checked. */
export function parseAccuracyMeasure(name: string): AccuracyMeasure {
  if (name !== 'lost' && name !== 'net') throw new Error(`measure must be 'lost' or 'net', got '${name}'`);
  return name;
}

export const DEFAULT_ACCURACY_TARGET: Required<AccuracyTarget> = { maxDrop: 0.01, confidence: 0, measure: 'lost' };

/**
 * Per-exit thresholds for a target accuracy: the cheapest policy (fewest binary ops) whose loss below the last
 * exit on these records (the validation split) is at most `maxDrop`, measured as `measure` says, with the given
 * confidence.
 */
export function calibrateForAccuracy(r: ExitRecords, costs: ExitCosts, target: AccuracyTarget = {}): OperatingPoint {
  const { maxDrop, confidence, measure } = { ...DEFAULT_ACCURACY_TARGET, ...target };
  const z = Z_ONE_SIDED.get(confidence);
  if (z === undefined) throw new Error(`confidence must be one of ${[...Z_ONE_SIDED.keys()].join(', ')}, got ${confidence}`);
  parseAccuracyMeasure(measure);
  const acc = exitAccuracies(r);
  const floor = acc[acc.length - 1] - maxDrop;
  const within =
    measure === 'lost'
      ? (p: OperatingPoint) => lostAnswersBound(r, p.thresholds, z) <= maxDrop + 1e-12
      : // The bound is never below the point estimate, so the cheap test rules most policies out first.
        (p: OperatingPoint) => p.accuracy >= floor - 1e-12 && (z === 0 || accuracyDropBound(r, p.thresholds, z) <= maxDrop + 1e-12);
  const found = gridSearch(
    r,
    costs,
    within,
    (a, b) => a.binaryOpsFraction < b.binaryOpsFraction || (a.binaryOpsFraction === b.binaryOpsFraction && a.accuracy > b.accuracy),
  );
  return found ?? evaluatePolicy(r, costs, new Array<number>(r.argmax.length).fill(0));
}

/** How a calibration target reads in reports and provenance, e.g. "lost answers <= 1 pt" or "accuracy -1 pt (90 % confidence)". */
export function describeAccuracyTarget(target: AccuracyTarget = {}): string {
  const { maxDrop, confidence, measure } = { ...DEFAULT_ACCURACY_TARGET, ...target };
  const pts = Number((maxDrop * 100).toFixed(4));
  const what = measure === 'lost' ? `lost answers <= ${pts} pt` : `accuracy -${pts} pt`;
  return confidence > 0 ? `${what} (${Number((confidence * 100).toFixed(1))} % confidence)` : what;
}

/** The calibration as recorded in a model's provenance (by scripts/train.ts and scripts/evaluate.ts alike). */
export function calibrationProvenance(
  target: AccuracyTarget,
  point: OperatingPoint,
): { calibration: string; calibratedValidationAccuracy: number; calibratedBinaryOpsFraction: number } {
  return {
    calibration: `entropy, ${describeAccuracyTarget(target)} against the last exit on validation`,
    calibratedValidationAccuracy: Number((100 * point.accuracy).toFixed(2)),
    calibratedBinaryOpsFraction: Number(point.binaryOpsFraction.toFixed(4)),
  };
}

/** Per-exit thresholds for a compute budget (MSDNet-style): the most accurate policy within `binaryOpsFraction`. */
export function calibrateForBudget(r: ExitRecords, costs: ExitCosts, binaryOpsFraction: number): OperatingPoint | null {
  return gridSearch(
    r,
    costs,
    (p) => p.binaryOpsFraction <= binaryOpsFraction + 1e-12,
    (a, b) => a.accuracy > b.accuracy || (a.accuracy === b.accuracy && a.binaryOpsFraction < b.binaryOpsFraction),
  );
}
