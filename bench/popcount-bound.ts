// The binary convolutions' rate against the 128-bit SIMD popcount bound of this CPU (issue 22, item 2).
//
// The bound: V8 lowers i8x16.popcnt on x64 with AVX to a nibble lookup, 8 instructions a vector (two loads of
// constants, vpand, vpandn, vpsrlw, two vpshufb, vpaddb); bconv's hot loop adds a weight load, a vxor and the
// u8 add, for 128 binary MACs (4 output channels x 32 bits). wasm/bench/popcount-loop.ts is that loop alone,
// measured here; then every bconv layer of a shipped model is timed in the WASM executor's profile and its
// binary MACs per second are reported as a fraction of the measured bound.
//   npm run bench:popcount [-- --model models/kws-reactnet.bee --runs 512]
// Writes bench/results/popcount-bound-<date>.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import asc from 'assemblyscript/asc';
import { readBee } from '../src/format/bee';
import { planModel } from '../src/plan/plan';
import { runSchedule } from '../src/runtime/scheduler';
import { resolvePolicy } from '../src/runtime/exit-policy';
import { WasmExecutor } from '../src/wasm/executor';
import { cliArgs } from '../scripts/cli-args';
import { summarize } from './stats';

const args = cliArgs('npx tsx bench/popcount-bound.ts [--model models/kws-reactnet.bee] [--runs 512]', {
  model: { type: 'string', default: 'models/kws-reactnet.bee', help: 'model whose bconv layers are measured' },
  runs: { type: 'number', default: 512, help: 'clips through the network for the per-layer profile' },
});

interface LoopExports {
  memory: WebAssembly.Memory;
  xorPopcount(x: number, w: number, words: number, rounds: number): number;
}

async function compileLoop(): Promise<LoopExports> {
  const source = readFileSync(resolve(import.meta.dirname, '../wasm/bench/popcount-loop.ts'), 'utf8');
  const r = await asc.compileString(source, { optimizeLevel: 3, shrinkLevel: 0, runtime: 'stub', noAssert: true, enable: ['simd'], use: ['abort='] });
  if (!r.binary) throw new Error(`popcount loop did not compile:\n${r.stderr.toString()}`);
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(new Uint8Array(r.binary)));
  return instance.exports as unknown as LoopExports;
}

/** Binary MACs per second of the bare loop: the median of `samples` timed calls. */
function loopRate(k: LoopExports, words: number, rounds: number, samples: number): { gmacs: number; ms: number } {
  const base = 1 << 16;
  if (k.memory.buffer.byteLength < base + words * 132) k.memory.grow(Math.ceil((base + words * 132) / 65536));
  const bytes = new Uint8Array(k.memory.buffer, base, words * 132);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
  const x = base;
  const w = base + words * 4;
  k.xorPopcount(x, w, words, rounds); // compile tiers up
  const times: number[] = [];
  for (let s = 0; s < samples; s++) {
    const t0 = performance.now();
    k.xorPopcount(x, w, words, rounds);
    times.push(performance.now() - t0);
  }
  const ms = summarize(times).medianMs;
  const macs = rounds * words * 8 * 128;
  return { gmacs: macs / (ms * 1e6), ms };
}

async function main(): Promise<void> {
  const k = await compileLoop();
  // 18 words (a 3x3 window of 64 channels) and 36 (128 channels): the model's K, all in L1.
  const bound = [18, 36, 144].map((words) => ({ words, ...loopRate(k, words, Math.round(4e6 / words), 15) }));
  const boundGmacs = Math.max(...bound.map((b) => b.gmacs));

  const bee = readBee(readFileSync(args.model));
  const plan = planModel(bee.description, bee.tensors);
  const exec = await WasmExecutor.create(plan, { maxBatch: 1 });
  const full = resolvePolicy(bee.description.exitPolicy, plan.stages.length, { threshold: 0 });
  const input = new Float32Array(plan.inputElements).map((_, i) => Math.sin(i * 0.37) * 2);
  const walk = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      await exec.setInput(input, 1);
      await runSchedule(exec, plan.stages.length, plan.classes, 1, full);
    }
  };
  await walk(32);
  exec.startProfile();
  await walk(args.runs);
  const profile = exec.profile();
  exec.dispose();
  // Binary MACs of each bconv layer: output elements x kernel taps x input channels.
  const macsOf = new Map<string, number>();
  for (const s of plan.stages) {
    for (const l of [...s.layers, ...s.exitLayers]) {
      if (l.op.type !== 'bconv') continue;
      const out = l.outputInfo.shape.reduce((a, b) => a * b, 1);
      macsOf.set(l.label, out * l.op.geometry.kernel[0] * l.op.geometry.kernel[1] * l.inputInfo.shape[l.inputInfo.shape.length - 1]);
    }
  }
  const layers = profile
    .filter((p) => macsOf.has(p.label))
    .map((p) => {
      const macs = macsOf.get(p.label) ?? 0;
      const ms = p.ms / p.runs;
      const gmacs = macs / (ms * 1e6);
      return { label: p.label, macs, msPerClip: ms, gmacs, ofBound: gmacs / boundGmacs };
    });
  const totalMacs = layers.reduce((a, l) => a + l.macs, 0);
  const totalMs = layers.reduce((a, l) => a + l.msPerClip, 0);
  const overall = totalMacs / (totalMs * 1e6);

  const out = {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? '?',
    cores: cpus().length,
    loadavg: loadavg(),
    node: process.version,
    bound: { loop: 'wasm/bench/popcount-loop.ts (8 accumulators, weights from L1)', gmacsPerSecond: boundGmacs, bySize: bound },
    model: args.model,
    bconv: { gmacsPerSecond: overall, ofBound: overall / boundGmacs, layers },
  };
  for (const b of bound) console.log(`bound loop, K = ${b.words} words: ${b.gmacs.toFixed(1)} G binary MAC/s (${b.ms.toFixed(2)} ms a call)`);
  for (const l of layers) console.log(`  ${l.label.padEnd(30)} ${(l.macs / 1e6).toFixed(2)} M MACs  ${(1000 * l.msPerClip).toFixed(1)} us  ${l.gmacs.toFixed(1)} G/s = ${(100 * l.ofBound).toFixed(0)} % of bound`);
  console.log(`bconv overall: ${overall.toFixed(1)} G binary MAC/s = ${(100 * overall / boundGmacs).toFixed(0)} % of the ${boundGmacs.toFixed(1)} G/s bound (load ${loadavg()[0].toFixed(1)})`);
  const dir = resolve(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = resolve(dir, `popcount-bound-${out.date.replace(/[:]/g, '').slice(0, 17)}.json`);
  writeFileSync(file, JSON.stringify(out, null, 1) + '\n');
  console.log(`wrote ${file}`);
}

await main();
