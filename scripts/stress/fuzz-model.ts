// Mutation fuzz of the `.bee` reader: every mutated file must load or throw BeenetError('MODEL_FORMAT'),
// never another exception, never hang.
//   npx tsx scripts/stress/fuzz-model.ts --count 10000 --seed 1

import { BeenetError } from '../../src/errors';
import { readBee, writeBee } from '../../src/format/bee';
import { mutate } from '../../test/format/mutate';
import { randomModel, RECIPE_NAMES } from '../../test/helpers/random-model';
import { mulberry32 } from '../../test/helpers/rng';
import { cliArgs } from '../cli-args';


const args = cliArgs('npx tsx scripts/stress/fuzz-model.ts [--count 1000] [--seed 1]', {
  count: { type: 'number', default: 1000, help: 'mutated model files' },
  seed: { type: 'number', default: 1, help: 'mutation seed' },
});
const { count, seed } = args;
const rng = mulberry32(seed);
const bases = [
  ...RECIPE_NAMES.map((r) => writeBee(randomModel(mulberry32(seed), { recipe: r }))),
  ...Array.from({ length: 4 }, (_, i) => writeBee(randomModel(mulberry32(seed + 1000 + i), { recipe: 'random' }))),
];

const byKind = new Map<string, { loaded: number; rejected: number; crashed: number }>();
const crashes: string[] = [];
let loaded = 0;
let rejected = 0;
let crashed = 0;
let maxMs = 0;
let maxKind = '';
const started = performance.now();
for (let i = 0; i < count; i++) {
  const { kind, bytes } = mutate(rng, bases[i % bases.length]);
  const stats = byKind.get(kind) ?? { loaded: 0, rejected: 0, crashed: 0 };
  byKind.set(kind, stats);
  const t0 = performance.now();
  try {
    readBee(bytes);
    loaded++;
    stats.loaded++;
  } catch (e) {
    if (e instanceof BeenetError && e.code === 'MODEL_FORMAT') {
      rejected++;
      stats.rejected++;
    } else {
      crashed++;
      stats.crashed++;
      if (crashes.length < 10) crashes.push(`#${i} ${kind}: ${e instanceof Error ? e.stack : String(e)}`);
    }
  }
  const ms = performance.now() - t0;
  if (ms > maxMs) {
    maxMs = ms;
    maxKind = kind;
  }
}

console.log(`fuzz-model: ${count} mutations, seed ${seed}, ${bases.length} base files, ${((performance.now() - started) / 1000).toFixed(1)} s`);
console.log(`loaded ${loaded}  rejected ${rejected}  crashed ${crashed}  max ${maxMs.toFixed(1)} ms per file (${maxKind})`);
for (const [kind, s] of [...byKind].sort()) {
  console.log(`  ${kind.padEnd(14)} loaded ${String(s.loaded).padStart(5)}  rejected ${String(s.rejected).padStart(5)}  crashed ${s.crashed}`);
}
for (const c of crashes) console.log(c);
process.exitCode = crashed > 0 ? 1 : 0;
