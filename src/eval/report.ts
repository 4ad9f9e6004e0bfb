// The evaluation report of one model: a JSON-able object and its Markdown rendering.
import type { ClassDifficulty, HardClip } from './difficulty';
import type { ConditionRow } from './conditions';
import type { OperatingPoint } from './policy';
import { percent } from './format';
import { plot } from './svg';

export interface SweepRow extends OperatingPoint {
  threshold: number;
  /** Measured mean ms per clip on the CPU reference path (early exit on the host), or null if not measured. */
  cpuLatencyMs: number | null;
}

export interface CalibratedRow {
  /** 'accuracy -1 pt' or 'budget 50%'. */
  target: string;
  validation: OperatingPoint;
  test: OperatingPoint;
}

export interface ModelReport {
  model: string;
  task: string;
  architecture: string;
  labels: string[];
  fileBytes: number;
  testClips: number;
  validationClips: number;
  /** Cumulative ops per exit (binary, float) and the totals. */
  cumulativeBinaryOps: number[];
  cumulativeFloatOps: number[];
  testAccuracyPerExit: number[];
  validationAccuracyPerExit: number[];
  sweep: SweepRow[];
  /** The same sweep with the max-probability criterion (leave when max p >= t), test split; absent in older reports. */
  maxprobSweep?: (OperatingPoint & { threshold: number })[];
  calibrated: CalibratedRow[];
  /** The thresholds written into the model's exitPolicy. */
  exitPolicy: number[];
  classes: ClassDifficulty[];
  /** Test accuracy by voice, noise level and channel (absent when the manifest has no generator metadata). */
  conditions?: ConditionRow[];
  hardest: HardClip[];
  provenance: Record<string, string | number | boolean>;
}

const pct = (v: number, d = 2): string => percent(v, d);

export function reportMarkdown(r: ModelReport): string {
  const L: string[] = [];
  L.push(`# ${r.model}`, '');
  L.push(`Task \`${r.task}\`, architecture \`${r.architecture}\`, ${r.labels.length} classes, file ${(r.fileBytes / 1024).toFixed(1)} KiB.`);
  L.push(`Test split: ${r.testClips} clips (unseen speakers); validation: ${r.validationClips} clips. All numbers from the runtime's CPU reference.`, '');
  L.push('## Accuracy per exit', '', '| exit | test acc % | validation acc % | cumulative binary ops | cumulative float ops |', '|---|---|---|---|---|');
  r.testAccuracyPerExit.forEach((a, e) => {
    L.push(`| ${e} | ${pct(a)} | ${pct(r.validationAccuracyPerExit[e])} | ${r.cumulativeBinaryOps[e].toLocaleString('en')} | ${r.cumulativeFloatOps[e].toLocaleString('en')} |`);
  });
  L.push('', '## Calibrated operating points (thresholds from validation, measured on test)', '');
  L.push('| target | thresholds | val acc % | test acc % | test mean exit | test binary ops % | test float ops % | exit shares % |', '|---|---|---|---|---|---|---|---|');
  for (const c of r.calibrated) {
    L.push(
      `| ${c.target} | ${c.validation.thresholds.map((t) => t.toFixed(3)).join(' / ')} | ${pct(c.validation.accuracy)} | ${pct(c.test.accuracy)} | ` +
        `${c.test.meanExit.toFixed(2)} | ${pct(c.test.binaryOpsFraction, 1)} | ${pct(c.test.floatOpsFraction, 1)} | ${c.test.exitShare.map((s) => pct(s, 0)).join(' / ')} |`,
    );
  }
  L.push('', `Thresholds in the model's exitPolicy: ${r.exitPolicy.map((t) => t.toFixed(3)).join(' / ')}.`, '');
  L.push('## Threshold sweep (one entropy threshold for every exit, test split)', '');
  L.push('| threshold | acc % | mean exit | binary ops % | float ops % | CPU ms/clip |', '|---|---|---|---|---|---|');
  for (const s of r.sweep) {
    L.push(`| ${s.threshold.toFixed(2)} | ${pct(s.accuracy)} | ${s.meanExit.toFixed(2)} | ${pct(s.binaryOpsFraction, 1)} | ${pct(s.floatOpsFraction, 1)} | ${s.cpuLatencyMs === null ? '-' : s.cpuLatencyMs.toFixed(2)} |`);
  }
  L.push('', `![accuracy vs binary ops](${r.model}.svg)`, '');
  L.push('## Per-class difficulty (calibrated accuracy-target policy, test split)', '');
  L.push('| class | clips | acc % | mean exit | exit shares % | mean entropy per exit |', '|---|---|---|---|---|---|');
  for (const c of [...r.classes].sort((a, b) => b.meanExit - a.meanExit)) {
    L.push(`| ${c.name} | ${c.count} | ${pct(c.accuracy, 1)} | ${c.meanExit.toFixed(2)} | ${c.exitShare.map((s) => pct(s, 0)).join(' / ')} | ${c.meanEntropy.map((s) => s.toFixed(2)).join(' / ')} |`);
  }
  if (r.conditions?.length) {
    L.push('', '## Accuracy by recording condition (test split)', '');
    L.push('| condition | value | clips | last exit acc % | calibrated acc % | mean exit |', '|---|---|---|---|---|---|');
    for (const c of r.conditions) {
      L.push(`| ${c.kind} | ${c.value} | ${c.count} | ${pct(c.lastExitAccuracy, 1)} | ${pct(c.policyAccuracy, 1)} | ${c.meanExit.toFixed(2)} |`);
    }
  }
  L.push('', '## Hardest clips (highest mean entropy over the exits)', '', '| clip | label | predicted | exit | mean entropy |', '|---|---|---|---|---|');
  for (const h of r.hardest) L.push(`| ${h.id} | ${h.label} | ${h.predicted}${h.correct ? '' : ' (wrong)'} | ${h.exit} | ${h.meanEntropy.toFixed(3)} |`);
  L.push('', '## Provenance', '');
  for (const [k, v] of Object.entries(r.provenance)) L.push(`- ${k}: ${String(v)}`);
  return L.join('\n') + '\n';
}

/** Accuracy vs fraction of binary ops: the sweep, each exit alone, and the calibrated points (test split). */
export function reportSvg(r: ModelReport): string {
  const total = r.cumulativeBinaryOps[r.cumulativeBinaryOps.length - 1] || 1;
  return plot({
    title: `${r.model}: accuracy vs binary ops (test)`,
    x: { label: 'fraction of binary ops per clip' },
    y: { label: 'accuracy %' },
    width: 640,
    height: 380,
    series: [
      { label: 'entropy sweep', color: '#1f77b4', points: r.sweep.map((s) => ({ x: s.binaryOpsFraction, y: 100 * s.accuracy })) },
      { label: 'single exit', color: '#ff7f0e', points: r.testAccuracyPerExit.map((a, e) => ({ x: r.cumulativeBinaryOps[e] / total, y: 100 * a })) },
      { label: 'calibrated', color: '#2ca02c', markers: true, points: r.calibrated.map((c) => ({ x: c.test.binaryOpsFraction, y: 100 * c.test.accuracy })) },
    ],
  });
}
