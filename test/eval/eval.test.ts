import { describe, expect, it } from 'vitest';
import { classDifficulty, hardestClips } from '../../src/eval/difficulty';
import {
  accuracyDropBound,
  agreement,
  calibrateForAccuracy,
  calibrateForBudget,
  calibrationProvenance,
  describeAccuracyTarget,
  evaluatePolicy,
  exitAccuracies,
  lostAnswersBound,
  parseAccuracyMeasure,
  simulate,
  thresholdSweep,
} from '../../src/eval/policy';
import { recordsFromLogits, recordsFromResults, type ExitCosts, type ExitRecords } from '../../src/eval/records';
import { reportMarkdown, reportSvg, type ModelReport } from '../../src/eval/report';

const costs: ExitCosts = {
  cumulativeBinaryOps: [10, 40, 70, 100],
  cumulativeFloatOps: [5, 6, 7, 8],
  totalBinaryOps: 100,
  totalFloatOps: 8,
};

/** 4 clips x 4 exits, 2 classes: hand-made entropies and predictions. */
function records(): ExitRecords {
  return {
    classes: 2,
    count: 4,
    labels: Int32Array.from([0, 1, 0, 1]),
    argmax: [Int32Array.from([0, 0, 1, 0]), Int32Array.from([0, 1, 1, 0]), Int32Array.from([0, 1, 0, 0]), Int32Array.from([0, 1, 0, 1])],
    entropy: [
      Float32Array.from([0.1, 0.9, 0.9, 0.9]),
      Float32Array.from([0.1, 0.2, 0.9, 0.9]),
      Float32Array.from([0.1, 0.2, 0.3, 0.9]),
      Float32Array.from([0.1, 0.2, 0.3, 0.4]),
    ],
    maxProb: Array.from({ length: 4 }, () => new Float32Array(4)),
  };
}

describe('policy', () => {
  it('per-exit accuracy', () => {
    expect(exitAccuracies(records())).toEqual([0.25, 0.5, 0.75, 1]);
  });

  it('agreement: per-exit classes and the (exit, class) pair under a policy', () => {
    const a = records();
    const b = records();
    expect(agreement(a, b, [0.5, 0.5, 0.5, 0])).toEqual({ exitAgreement: [1, 1, 1, 1], policyAgreement: 1 });
    // Clip 3 changes class at exit 4 only; clip 1 leaves one exit later (same class there).
    b.argmax[3] = Int32Array.from([0, 1, 0, 0]);
    b.entropy[1] = Float32Array.from([0.1, 0.7, 0.9, 0.9]);
    const r = agreement(a, b, [0.5, 0.5, 0.5, 0]);
    expect(r.exitAgreement).toEqual([1, 1, 1, 0.75]);
    expect(r.policyAgreement).toBe(0.5);
  });

  it('exits at the first entropy strictly below the threshold; the last exit accepts', () => {
    const r = records();
    expect(Array.from(simulate(r, [0.5, 0.5, 0.5, 0]).exits)).toEqual([0, 1, 2, 3]);
    expect(Array.from(simulate(r, [0.1, 0.1, 0.1, 1]).exits)).toEqual([3, 3, 3, 3]);
    const p = evaluatePolicy(r, costs, [0.5, 0.5, 0.5, 0.5]);
    expect(p.accuracy).toBe(1);
    expect(p.meanExit).toBe(1.5);
    expect(p.binaryOpsFraction).toBeCloseTo((10 + 40 + 70 + 100) / 400);
    expect(p.floatOpsFraction).toBeCloseTo((5 + 6 + 7 + 8) / 32);
    expect(p.exitShare).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(p.thresholds[3]).toBe(1);
  });

  it('max-probability criterion: leaves at the first exit whose top probability is at least the threshold', () => {
    const r = records();
    r.maxProb = [
      Float32Array.from([0.95, 0.5, 0.5, 0.5]),
      Float32Array.from([0.95, 0.9, 0.5, 0.5]),
      Float32Array.from([0.95, 0.9, 0.8, 0.5]),
      Float32Array.from([0.95, 0.9, 0.8, 0.7]),
    ];
    expect(Array.from(simulate(r, [0.8, 0.8, 0.8, 0], 'maxprob').exits)).toEqual([0, 1, 2, 3]);
    expect(Array.from(simulate(r, [0.85, 0.85, 0.85, 0], 'maxprob').exits)).toEqual([0, 1, 3, 3]);
    // The entropy rule on the same records is untouched by the max-probability values.
    expect(Array.from(simulate(r, [0.5, 0.5, 0.5, 0]).exits)).toEqual([0, 1, 2, 3]);
    const s = thresholdSweep(r, costs, 11, 'maxprob');
    expect(s[0].meanExit).toBe(0);
    for (let k = 1; k < s.length; k++) expect(s[k].binaryOpsFraction).toBeGreaterThanOrEqual(s[k - 1].binaryOpsFraction);
  });

  it('sweep goes from the full model (t=0) to the first exit for confident clips (t=1)', () => {
    const s = thresholdSweep(records(), costs, 11);
    expect(s).toHaveLength(11);
    expect(s[0].binaryOpsFraction).toBe(1);
    expect(s[0].accuracy).toBe(1);
    expect(s[10].meanExit).toBe(0);
    for (let k = 1; k < s.length; k++) expect(s[k].binaryOpsFraction).toBeLessThanOrEqual(s[k - 1].binaryOpsFraction);
  });

  it('calibration for accuracy finds the cheapest policy keeping the last exit accuracy', () => {
    const p = calibrateForAccuracy(records(), costs, { maxDrop: 0 });
    expect(p.accuracy).toBe(1);
    expect(p.binaryOpsFraction).toBeCloseTo(0.55);
    // With a 25-point allowance on the point estimate a cheaper policy is found.
    expect(calibrateForAccuracy(records(), costs, { maxDrop: 0.25, confidence: 0, measure: 'net' }).binaryOpsFraction).toBeLessThan(0.55);
    // With 90 % confidence, one lost clip in four is too uncertain to stay within 25 points: no cheaper policy.
    expect(calibrateForAccuracy(records(), costs, { maxDrop: 0.25, confidence: 0.9, measure: 'net' }).binaryOpsFraction).toBeCloseTo(0.55);
    expect(() => calibrateForAccuracy(records(), costs, { confidence: 0.5 })).toThrow(/confidence must be one of/);
    expect(describeAccuracyTarget()).toBe('lost answers <= 1 pt');
    expect(describeAccuracyTarget({ maxDrop: 0.005, confidence: 0.9 })).toBe('lost answers <= 0.5 pt (90 % confidence)');
    expect(describeAccuracyTarget({ maxDrop: 0.005, confidence: 0, measure: 'net' })).toBe('accuracy -0.5 pt');
    expect(describeAccuracyTarget({ confidence: 0.9, measure: 'net' })).toBe('accuracy -1 pt (90 % confidence)');
    expect(calibrationProvenance({}, p)).toEqual({
      calibration: 'entropy, lost answers <= 1 pt against the last exit on validation',
      calibratedValidationAccuracy: 100,
      calibratedBinaryOpsFraction: Number(p.binaryOpsFraction.toFixed(4)),
    });
  });

  it('lost answers: gains at an early exit never pay for its losses', () => {
    // 10 clips, 3 exits. The last exit gets clips 0-7 right. Exit 1 ties it on accuracy (clips 0-5 and 8-9 right:
    // two lost, 6 and 7, two gained, 8 and 9); exit 0 is right only on clips 0-3 and certain only of those.
    const last = Int32Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
    const r: ExitRecords = {
      classes: 2,
      count: 10,
      labels: new Int32Array(10),
      argmax: [Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1, 1, 1]), Int32Array.from([0, 0, 0, 0, 0, 0, 1, 1, 0, 0]), last],
      entropy: [Float32Array.from([0.1, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]), new Float32Array(10).fill(0.5), new Float32Array(10).fill(0.5)],
      maxProb: [new Float32Array(10), new Float32Array(10), new Float32Array(10)],
    };
    const c3: ExitCosts = { cumulativeBinaryOps: [20, 60, 100], cumulativeFloatOps: [1, 2, 3], totalBinaryOps: 100, totalFloatOps: 3 };
    // Everyone leaving at exit 1 loses two clips and gains two: no net drop, two lost answers.
    expect(accuracyDropBound(r, [0, 1, 1], 0)).toBe(0);
    expect(lostAnswersBound(r, [0, 1, 1], 0)).toBeCloseTo(0.2, 12);
    expect(lostAnswersBound(r, [0, 1, 1], 1.2816)).toBeCloseTo(0.2 + 1.2816 * Math.sqrt((0.2 * 0.8) / 10), 12);
    // On the net drop, exit 1 takes every clip exit 0 does not (at 0.6 x 60 + 0.4 x 20 = 44 % of the ops).
    const net = calibrateForAccuracy(r, c3, { maxDrop: 0, measure: 'net' });
    expect(net.exitShare).toEqual([0.4, 0.6, 0]);
    expect(net.accuracy).toBeCloseTo(0.8, 12);
    expect(net.binaryOpsFraction).toBeCloseTo(0.44, 12);
    // Counting lost answers, exit 1 may not take clips 6 and 7, so it can take none of its uncertain clips:
    // exit 0 keeps its four certain clips and the rest run to the end.
    const lost = calibrateForAccuracy(r, c3, { maxDrop: 0 });
    expect(lost.exitShare).toEqual([0.4, 0, 0.6]);
    expect(lost.accuracy).toBeCloseTo(0.8, 12);
    expect(lost.binaryOpsFraction).toBeCloseTo(0.68, 12);
    expect(() => calibrateForAccuracy(r, c3, { measure: 'both' as 'net' })).toThrow(/measure must be 'lost' or 'net'/);
    expect(parseAccuracyMeasure('net')).toBe('net');
    expect(() => parseAccuracyMeasure('gross')).toThrow(/measure must be 'lost' or 'net', got 'gross'/);
  });

  it('the accuracy drop bound: paired differences against the last exit', () => {
    // 10 clips, 2 exits, every clip leaves at exit 0. The last exit gets clips 0-8 right; exit 0 gets 0-6 and 9:
    // two clips lost (7, 8), one gained (9).
    const r: ExitRecords = {
      classes: 2,
      count: 10,
      labels: new Int32Array(10),
      argmax: [Int32Array.from([0, 0, 0, 0, 0, 0, 0, 1, 1, 0]), Int32Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 1])],
      entropy: [new Float32Array(10).fill(0.5), new Float32Array(10).fill(0.5)],
      maxProb: [new Float32Array(10), new Float32Array(10)],
    };
    expect(accuracyDropBound(r, [1, 1], 0)).toBeCloseTo(0.1, 12);
    // Per-clip differences: two +1, one -1, seven 0; sample variance (0.3 - 0.1^2) * 10 / 9.
    const se = Math.sqrt((((0.3 - 0.01) * 10) / 9) / 10);
    expect(accuracyDropBound(r, [1, 1], 1.2816)).toBeCloseTo(0.1 + 1.2816 * se, 12);
    // Nobody leaves early: no difference, no uncertainty.
    expect(accuracyDropBound(r, [0, 1], 1.2816)).toBe(0);
  });

  it('calibration for a budget stays within it and maximises accuracy', () => {
    // 0.35: clip 0 at exit 0, the rest at exit 1 (130 / 400 ops), two right; anything better costs more.
    const p = calibrateForBudget(records(), costs, 0.35)!;
    expect(p.binaryOpsFraction).toBeLessThanOrEqual(0.35);
    expect(calibrateForBudget(records(), costs, 0.3)!.accuracy).toBe(0.25);
    expect(p.accuracy).toBe(0.5);
    expect(calibrateForBudget(records(), costs, 0.05)).toBeNull();
  });
});

describe('records', () => {
  it('from logits and from runtime result rows agree', () => {
    const logits = [Float32Array.from([2, 0, 0, 1]), Float32Array.from([0, 0, -1, 3])];
    const labels = Int32Array.from([0, 1]);
    const a = recordsFromLogits(logits, 2, labels);
    expect(Array.from(a.argmax[0])).toEqual([0, 1]);
    expect(a.entropy[1][0]).toBeCloseTo(1, 6);
    const rows = logits.map((l, e) => {
      const out = new Float32Array(2 * 5);
      for (let i = 0; i < 2; i++) {
        out.set(l.subarray(i * 2, i * 2 + 2), i * 5);
        out[i * 5 + 2] = a.entropy[e][i];
        out[i * 5 + 3] = a.maxProb[e][i];
        out[i * 5 + 4] = a.argmax[e][i];
      }
      return out;
    });
    const b = recordsFromResults(rows, 2, labels);
    expect(b.argmax).toEqual(a.argmax);
    expect(b.entropy).toEqual(a.entropy);
  });
});

describe('difficulty and report', () => {
  it('per-class exits and mean entropy; hardest clips first', () => {
    const r = records();
    const c = classDifficulty(r, [0.5, 0.5, 0.5, 1], ['a', 'b']);
    expect(c[0].count).toBe(2);
    expect(c[0].exitShare).toEqual([0.5, 0, 0.5, 0]);
    expect(c[1].meanExit).toBe(2);
    expect(c[0].meanEntropy[0]).toBeCloseTo(0.5);
    const h = hardestClips(r, [0.5, 0.5, 0.5, 1], ['a', 'b'], ['c0', 'c1', 'c2', 'c3'], 2);
    expect(h.map((x) => x.id)).toEqual(['c3', 'c2']);
  });

  it('renders Markdown and SVG', () => {
    const r = records();
    const p = evaluatePolicy(r, costs, [0.5, 0.5, 0.5, 1]);
    const rep: ModelReport = {
      model: 'm', task: 't', architecture: 'binarynet', labels: ['a', 'b'], fileBytes: 1000, testClips: 4, validationClips: 4,
      cumulativeBinaryOps: costs.cumulativeBinaryOps, cumulativeFloatOps: costs.cumulativeFloatOps,
      testAccuracyPerExit: exitAccuracies(r), validationAccuracyPerExit: exitAccuracies(r),
      sweep: thresholdSweep(r, costs, 3).map((s) => ({ ...s, threshold: s.thresholds[0], cpuLatencyMs: 1 })),
      calibrated: [{ target: 'x', validation: p, test: p }], exitPolicy: p.thresholds,
      classes: classDifficulty(r, p.thresholds, ['a', 'b']), hardest: hardestClips(r, p.thresholds, ['a', 'b'], [], 2), provenance: { seed: 1 },
    };
    const md = reportMarkdown(rep);
    expect(md).toContain('| 3 | 100.00 |');
    const svg = reportSvg(rep);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('polyline');
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    // Two lines (sweep, single exits); the calibrated points are markers only.
    expect(svg.match(/<polyline/g)).toHaveLength(2);
  });
});
