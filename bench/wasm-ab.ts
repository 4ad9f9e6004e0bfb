// Two builds of the WASM kernels side by side, layer by layer, in one process: the kernels at a git revision
// (wasm/assembly compiled from `git archive`) against the current build, each of a model's convolutions, packs and
// poolings on the same random inputs, outputs compared byte for byte, fastest of interleaved rounds.
//   npx tsx bench/wasm-ab.ts --baseline HEAD~1 [--model models/kws-reactnet.bee] [--rounds 15]
// Both builds run under today's host code (src/wasm/layers.ts): a change to the transform block's layout shows
// up as a mismatch, not as a timing. Writes bench/results/wasm-ab-<date>.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { readBee } from '../src/format/bee';
import { planModel } from '../src/plan/plan';
import { prepareOp, tensorBytes, tensorInfo } from '../src/wasm/layers';
import { compileKernelsSync, WasmKernels } from '../src/wasm/module';
import { cliArgs } from '../scripts/cli-args';
import { ROOT } from './env';
import { compileAssemblyAt } from './wasm-at-revision';

const args = cliArgs('npx tsx bench/wasm-ab.ts --baseline REV [--model models/kws-reactnet.bee] [--rounds 15]', {
  baseline: { type: 'string', help: 'git revision whose wasm/assembly is the baseline (required)' },
  model: { type: 'string', default: 'models/kws-reactnet.bee', help: 'whose layers are timed' },
  rounds: { type: 'number', default: 15, help: 'interleaved rounds (fastest kept)' },
  reps: { type: 'number', default: 200, help: 'calls per timing' },
});

/** The kernels module as wasm/assembly was at `rev`, compiled with that revision's asconfig. */
async function baselineModule(rev: string): Promise<WebAssembly.Module> {
  return new WebAssembly.Module(await compileAssemblyAt(rev, 'wasm/assembly/index.ts'));
}

/** Deterministic inputs: every layer of both builds reads the same values. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

interface Row {
  layer: string;
  baselineUs: number;
  currentUs: number;
  speedup: number;
  sameOutput: boolean;
}

async function main(): Promise<void> {
  if (!args.baseline) throw new Error('--baseline REV is required (--help)');
  const bee = readBee(readFileSync(args.model));
  const plan = planModel(bee.description, bee.tensors);
  const modules = [await baselineModule(args.baseline), compileKernelsSync()];
  const rnd = lcg(7);
  const timed = new Set(['bconv', 'conv_real', 'pack', 'avgpool', 'maxpool', 'gap', 'dense']);
  const cases = plan.stages.flatMap((s) => [...s.layers, ...s.exitLayers].filter((l) => timed.has(l.op.type)).map((l) => {
    const info = tensorInfo(l.inputInfo);
    const n = tensorBytes(info) / 4;
    const data = info.kind === 'bits' ? Uint32Array.from({ length: n }, () => (rnd() * 2 ** 32) >>> 0) : Float32Array.from({ length: n }, () => 4 * rnd() - 2);
    const residual = Float32Array.from({ length: tensorBytes(tensorInfo(l.outputInfo)) / 4 }, () => 2 * rnd() - 1);
    const builds = modules.map((m) => {
      const k = new WasmKernels(m);
      const p = prepareOp(k, l.op, info);
      const x = k.put(data);
      const r = k.put(residual);
      const bytes = tensorBytes(p.output);
      const out = k.alloc(bytes);
      const scratch = k.alloc(p.scratchBytes);
      return { run: () => p.run(x, out, p.hasResidual ? r : 0, scratch), output: () => k.u8.slice(out, out + bytes), best: Infinity };
    });
    return { layer: l.label, builds };
  }));
  for (const c of cases) for (const b of c.builds) b.run();
  for (let round = 0; round < args.rounds; round++) {
    for (const c of cases) {
      for (const b of c.builds) {
        const t0 = performance.now();
        for (let i = 0; i < args.reps; i++) b.run();
        b.best = Math.min(b.best, ((performance.now() - t0) / args.reps) * 1000);
      }
    }
  }
  const rows: Row[] = cases.map((c) => {
    const [a, b] = c.builds;
    const oa = a.output();
    const ob = b.output();
    return { layer: c.layer, baselineUs: a.best, currentUs: b.best, speedup: a.best / b.best, sameOutput: oa.length === ob.length && oa.every((v, i) => v === ob[i]) };
  });
  console.log(`${'layer'.padEnd(58)} ${args.baseline.padStart(10)}  current  speed-up`);
  for (const r of rows) {
    console.log(`${r.layer.padEnd(58)} ${r.baselineUs.toFixed(2).padStart(10)} ${r.currentUs.toFixed(2).padStart(8)}  ${r.speedup.toFixed(2)}x${r.sameOutput ? '' : '  OUTPUTS DIFFER'}`);
  }
  const sum = (f: (r: Row) => number): number => rows.reduce((s, r) => s + f(r), 0);
  console.log(`${'all timed layers'.padEnd(58)} ${sum((r) => r.baselineUs).toFixed(1).padStart(10)} ${sum((r) => r.currentUs).toFixed(1).padStart(8)}  ${(sum((r) => r.baselineUs) / sum((r) => r.currentUs)).toFixed(2)}x`);
  const date = new Date().toISOString();
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `wasm-ab-${date.replace(/[:]/g, '').slice(0, 17)}.json`);
  writeFileSync(
    file,
    JSON.stringify({ bench: 'wasm-ab', date, model: args.model, baseline: args.baseline, rounds: args.rounds, cpu: cpus()[0]?.model, cores: cpus().length, loadAverage: loadavg(), note: 'µs per call, fastest of the rounds, one thread', rows }, null, 1) + '\n',
  );
  console.log(`wrote ${file}`);
  if (rows.some((r) => !r.sameOutput)) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
