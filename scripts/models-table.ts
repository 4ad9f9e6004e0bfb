// Prints the README's "Shipped models" table from the committed reports (models/index.json order):
//   npx tsx scripts/models-table.ts
import { existsSync, readFileSync } from 'node:fs';
import { percent } from '../src/eval/format';
import type { ModelReport } from '../src/eval/report';

interface IndexEntry {
  id: string;
  report: string;
}

const index = JSON.parse(readFileSync('models/index.json', 'utf8')) as IndexEntry[];
const pct = (v: number): string => percent(v, 1);
const lines = [
  '| model | trained on | test split: exit accuracy 1 / 2 / 3 / 4 (%) | test split calibrated: accuracy, binary ops | real speakers (wav, runtime): last exit; calibrated, binary ops | epochs x training clips | file |',
  '|---|---|---|---|---|---|---|',
];

interface RealReport {
  clips: number;
  accuracyPerExit: number[];
  calibratedAccuracy: number;
  calibratedBinaryOps: number;
}
for (const m of index) {
  const r = JSON.parse(readFileSync(`models/${m.report}`, 'utf8')) as ModelReport;
  const acc = r.testAccuracyPerExit.map(pct);
  acc[acc.length - 1] = `**${acc[acc.length - 1]}**`;
  const cal = r.calibrated[0].test;
  const before = r.provenance?.epochsBefore;
  const epochs = `${before !== undefined ? `${String(before)} + ` : ''}${String(r.provenance?.epochs ?? '?')}`;
  const clips = r.provenance?.trainClips ?? '?';
  const realFile = `models/${m.report.replace(/\.json$/, '.real.json')}`;
  const real = existsSync(realFile) ? (JSON.parse(readFileSync(realFile, 'utf8')) as RealReport) : null;
  const realCell = real
    ? `**${real.accuracyPerExit[real.accuracyPerExit.length - 1].toFixed(1)}**; ${real.calibratedAccuracy.toFixed(1)} %, ${Math.round(real.calibratedBinaryOps)} % (${real.clips} clips)`
    : 'no real corpus';
  const data = String(r.provenance?.dataset ?? '').includes('images') ? 'real speech' : 'synthesised speech';
  lines.push(
    `| ${m.id} | ${data} | ${acc.join(' / ')} | ${pct(cal.accuracy)} %, ${Math.round(100 * cal.binaryOpsFraction)} % | ${realCell} | ${epochs} x ${clips} | ${Math.round(r.fileBytes / 1024)} KiB |`,
  );
}
console.log(lines.join('\n'));
