// Where the WASM backend's time goes: every layer of a shipped model timed at batch 1 and 64 on the model's
// example clips, the network run to the last exit (threshold 0), grouped into the stem, packing, binary
// convolutions, float convolutions (shortcuts), pooling and exit heads; and the calibrated thresholds' cost on the
// same clips against the full network (how much early exit saves on this backend).
//   npm run bench:wasm-profile [-- --model models/kws-reactnet.bee --runs 200]
// Writes bench/results/wasm-profile-<date>.json.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { decodeWav } from '../src/audio/wav';
import { createRuntime } from '../src/runtime/runtime';
import { readBee } from '../src/format/bee';
import { planModel } from '../src/plan/plan';
import { WasmExecutor, type LayerProfile } from '../src/wasm/executor';
import { runSchedule } from '../src/runtime/scheduler';
import { resolvePolicy } from '../src/runtime/exit-policy';
import { cliArgs } from '../scripts/cli-args';

const args = cliArgs('npx tsx bench/wasm-profile.ts [--model models/kws-reactnet.bee] [--runs 200]', {
  model: { type: 'string', default: 'models/kws-reactnet.bee', help: 'model to profile' },
  clips: { type: 'string', default: 'models/clips/kws', help: 'folder of example wavs' },
  runs: { type: 'number', default: 200, help: 'clip-runs per batch size' },
});

/** What a layer is, for the breakdown: the real-valued stem, packing, binary convs, pooling, the exit heads. */
function group(l: LayerProfile, stemDone: boolean): string {
  if (l.head) return 'exit heads';
  if (l.type === 'conv_real' && !stemDone) return 'stem (float conv)';
  if (l.type === 'bconv') return 'binary conv (XNOR-popcount + transform)';
  if (l.type === 'pack') return 'pack (sign to bits)';
  if (l.type === 'conv_real') return 'float conv (shortcuts)';
  if (l.type === 'maxpool' || l.type === 'avgpool' || l.type === 'gap') return 'pooling';
  return l.type;
}

function breakdown(profile: LayerProfile[], clips: number): { group: string; msPerClip: number; share: number }[] {
  const total = profile.reduce((s, l) => s + l.ms, 0);
  const by = new Map<string, number>();
  let stemDone = false;
  for (const l of profile) {
    const g = group(l, stemDone);
    if (l.type === 'pack') stemDone = true;
    by.set(g, (by.get(g) ?? 0) + l.ms);
  }
  return [...by].map(([g, ms]) => ({ group: g, msPerClip: ms / clips, share: ms / total })).sort((a, b) => b.share - a.share);
}

async function main(): Promise<void> {
  const bee = readBee(readFileSync(args.model));
  const plan = planModel(bee.description, bee.tensors);
  const exec = await WasmExecutor.create(plan, { maxBatch: 64 });
  // The example clips' features (the model's own front end), repeated to fill a batch of 64.
  const cpu = await createRuntime({ backend: 'cpu' });
  const model = await cpu.load(bee);
  const clips = readdirSync(args.clips).filter((f) => f.endsWith('.wav')).sort();
  const one = clips.map((f) => {
    const w = decodeWav(readFileSync(resolve(args.clips, f)));
    return model.features(w.samples, w.sampleRate);
  });
  cpu.dispose();
  const features = new Float32Array(64 * plan.inputElements);
  for (let i = 0; i < 64; i++) features.set(one[i % one.length], i * plan.inputElements);

  const full = resolvePolicy(bee.description.exitPolicy, plan.stages.length, { threshold: 0 });
  const calibrated = resolvePolicy(bee.description.exitPolicy, plan.stages.length, {});
  const out: Record<string, unknown> = { date: new Date().toISOString(), model: args.model, clips: `${clips.length} example clips of ${args.clips}, repeated`, cpu: cpus()[0]?.model ?? '?', cores: cpus().length, backend: 'wasm' };
  for (const batch of [1, 64]) {
    await exec.setInput(features.subarray(0, batch * plan.inputElements), batch);
    for (let i = 0; i < 5; i++) await runSchedule(exec, plan.stages.length, plan.classes, batch, full);
    exec.startProfile();
    const repeats = Math.max(1, Math.round(args.runs / batch));
    const t0 = performance.now();
    for (let i = 0; i < repeats; i++) await runSchedule(exec, plan.stages.length, plan.classes, batch, full);
    const wallPerClip = (performance.now() - t0) / (repeats * batch);
    const profile = exec.profile();
    const rows = breakdown(profile, repeats * batch);
    const layerMs = rows.reduce((s, r) => s + r.msPerClip, 0);
    exec.startProfile();
    const t1 = performance.now();
    for (let i = 0; i < repeats; i++) await runSchedule(exec, plan.stages.length, plan.classes, batch, calibrated);
    const calPerClip = (performance.now() - t1) / (repeats * batch);
    out[`batch ${batch}`] = {
      fullMsPerClip: wallPerClip,
      layersMsPerClip: layerMs,
      calibratedMsPerClip: calPerClip,
      calibratedOverFull: calPerClip / wallPerClip,
      groups: rows,
      layers: profile.map((l) => ({ stage: l.stage, label: l.label, type: l.type, head: l.head, msPerClip: l.ms / (repeats * batch) })),
    };
    console.log(`batch ${batch}: full network ${wallPerClip.toFixed(3)} ms/clip (layers ${layerMs.toFixed(3)}), calibrated ${calPerClip.toFixed(3)} ms/clip = ${(calPerClip / wallPerClip).toFixed(2)} of full`);
    for (const r of rows) console.log(`  ${r.group.padEnd(42)} ${r.msPerClip.toFixed(4)} ms  ${(100 * r.share).toFixed(1)} %`);
  }
  exec.dispose();
  const dir = resolve(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = resolve(dir, `wasm-profile-${String(out.date).replace(/[:]/g, '').slice(0, 17)}.json`);
  writeFileSync(file, JSON.stringify(out, null, 1) + '\n');
  console.log(`wrote ${file}`);
}

await main();
