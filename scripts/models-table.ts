// Prints the README's "Shipped models" table from the committed reports (models/index.json order):
//   npx tsx scripts/models-table.ts
import { readFileSync } from 'node:fs';
import type { ModelReport } from '../src/eval/report';

interface IndexEntry {
  id: string;
  report: string;
}

const index = JSON.parse(readFileSync('models/index.json', 'utf8')) as IndexEntry[];
const pct = (v: number): string => (100 * v).toFixed(1);
const lines = [
  '| model | exit accuracy 1 / 2 / 3 / 4 (%) | calibrated: accuracy, binary ops | epochs x training clips | file |',
  '|---|---|---|---|---|',
];
for (const m of index) {
  const r = JSON.parse(readFileSync(`models/${m.report}`, 'utf8')) as ModelReport;
  const acc = r.testAccuracyPerExit.map(pct);
  acc[acc.length - 1] = `**${acc[acc.length - 1]}**`;
  const cal = r.calibrated[0].test;
  const epochs = r.provenance?.epochs ?? '?';
  const clips = r.provenance?.trainClips ?? '?';
  lines.push(`| ${m.id} | ${acc.join(' / ')} | ${pct(cal.accuracy)} %, ${Math.round(100 * cal.binaryOpsFraction)} % | ${epochs} x ${clips} | ${Math.round(r.fileBytes / 1024)} KiB |`);
}
console.log(lines.join('\n'));
