// Where the WASM backend's time goes: every layer of a shipped model timed at batch 1 and 64 on real clips (the
// model's examples, or a corpus folder: --clips ../shared/data/speech-commands-v2/test-wav-40pct), the network run to the last exit (threshold 0), grouped into the stem, packing, binary
// convolutions, float convolutions (shortcuts), pooling and exit heads; and the calibrated thresholds' cost on the
// same clips against the full network (how much early exit saves on this backend).
//   npm run bench:wasm-profile [-- --model models/kws-reactnet.bee --clips DIR --max-clips 256 --runs 512]
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
import { summarize } from './stats';

const args = cliArgs('npx tsx bench/wasm-profile.ts [--model models/kws-reactnet.bee] [--runs 200]', {
  model: { type: 'string', default: 'models/kws-reactnet.bee', help: 'model to profile' },
  clips: { type: 'string', default: 'models/clips/kws', help: "folder of wavs (and its subfolders: a corpus's label folders)" },
  'max-clips': { type: 'number', default: 256, help: 'at most this many clips, spread over the folder' },
  runs: { type: 'number', default: 512, help: 'clip-runs per batch size for the per-layer profile (the pool, repeated)' },
  rounds: { type: 'number', default: 9, help: 'interleaved rounds (each configuration walks the pool once per round) for the unprofiled figures' },
});

/** The .wav files in `dir` and its subfolders, sorted. */
function wavsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = resolve(dir, e.name);
    if (e.isDirectory()) out.push(...wavsUnder(p));
    else if (e.name.endsWith('.wav')) out.push(p);
  }
  return out;
}

/** What a layer is, for the breakdown: the real-valued stem, packing, binary convs, pooling, the exit heads. */
function group(l: LayerProfile, stemDone: boolean): string {
  if (l.head) return 'exit heads';
  if (l.type.startsWith('conv_real+')) return stemDone ? 'float conv + pool + pack (fused)' : 'stem (float conv + pool + pack, fused)';
  if (l.type === 'conv_real' && !stemDone) return l.label.endsWith('folded') ? 'stem (float conv, pool folded in)' : 'stem (float conv)';
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
    if (l.type === 'pack' || l.type.startsWith('conv_real+')) stemDone = true;
    by.set(g, (by.get(g) ?? 0) + l.ms);
  }
  return [...by].map(([g, ms]) => ({ group: g, msPerClip: ms / clips, share: ms / total })).sort((a, b) => b.share - a.share);
}

async function main(): Promise<void> {
  const bee = readBee(readFileSync(args.model));
  const plan = planModel(bee.description, bee.tensors);
  const exec = await WasmExecutor.create(plan, { maxBatch: 64 });
  // The graph as written (no pool folded into the stem conv, src/plan/fold-pool.ts), with the conv + pool +
  // pack fused into one kernel (src/wasm/fuse.ts), and with every layer its own kernel: what each step saves.
  const written = planModel(bee.description, bee.tensors, { foldPools: false });
  const unfolded = await WasmExecutor.create(written, { maxBatch: 64 });
  const unfused = await WasmExecutor.create(written, { maxBatch: 64, fuse: false });
  // The clips' features (the model's own front end). Every timing walks the whole pool in batches, so the
  // calibrated cost is the pool's mix of easy and hard clips, not one clip's.
  const cpu = await createRuntime({ backend: 'cpu' });
  const model = await cpu.load(bee);
  const files = wavsUnder(args.clips);
  const step = Math.max(1, Math.floor(files.length / args['max-clips']));
  const picked = files.filter((_, i) => i % step === 0).slice(0, args['max-clips']);
  const pool = picked.map((f) => {
    const w = decodeWav(readFileSync(f));
    return model.features(w.samples, w.sampleRate);
  });
  cpu.dispose();
  const size = plan.inputElements;
  const full = resolvePolicy(bee.description.exitPolicy, plan.stages.length, { threshold: 0 });
  const calibrated = resolvePolicy(bee.description.exitPolicy, plan.stages.length, {});
  /** Runs the pool `repeats` times in batches of `batch` under `policy`; ms per clip and the share leaving at each exit. */
  const run = async (batch: number, policy: typeof full, repeats: number, on = exec): Promise<{ ms: number; exits: number[] }> => {
    const buf = new Float32Array(batch * size);
    const exits = new Array<number>(plan.stages.length).fill(0);
    let clips = 0;
    const t0 = performance.now();
    for (let r = 0; r < repeats; r++) {
      for (let start = 0; start < pool.length; start += batch) {
        const n = Math.min(batch, pool.length - start);
        for (let i = 0; i < n; i++) buf.set(pool[start + i], i * size);
        await on.setInput(buf.subarray(0, n * size), n);
        for (const o of await runSchedule(on, plan.stages.length, plan.classes, n, policy)) exits[o.exit]++;
        clips += n;
      }
    }
    return { ms: (performance.now() - t0) / clips, exits: exits.map((e) => e / clips) };
  };
  const walk = async (batch: number, policy: typeof full, repeats: number, on = exec): Promise<number> => (await run(batch, policy, repeats, on)).ms;
  /** Every clip forced out at exit k (threshold 2 there, 0 before): what stopping at k costs. */
  const forced = (k: number): typeof full =>
    resolvePolicy(bee.description.exitPolicy, plan.stages.length, { thresholds: plan.stages.map((_, j) => (j === k ? 2 : 0)) });
  const out: Record<string, unknown> = { date: new Date().toISOString(), model: args.model, clips: `${pool.length} clips of ${args.clips}`, cpu: cpus()[0]?.model ?? '?', cores: cpus().length, backend: 'wasm' };
  const repeats = Math.max(1, Math.round(args.runs / pool.length));
  for (const batch of [1, 64]) {
    await walk(batch, full, 1);
    exec.startProfile();
    const wallPerClip = await walk(batch, full, repeats);
    const profile = exec.profile();
    const runs = repeats * pool.length;
    const rows = breakdown(profile, runs);
    const layerMs = rows.reduce((acc, r) => acc + r.msPerClip, 0);
    exec.startProfile();
    const calPerClip = await walk(batch, calibrated, repeats);
    exec.stopProfile();
    // Without the profile's clock reads: fused vs unfused, each exit's cost and the calibrated mix, measured in
    // interleaved rounds (every configuration once per round) and summarised by the median round, so load from
    // other processes falls on all of them alike.
    const configs: { name: string; policy: typeof full; on: WasmExecutor }[] = [
      { name: 'full', policy: full, on: exec },
      { name: 'unfolded', policy: full, on: unfolded },
      { name: 'unfused', policy: full, on: unfused },
      ...plan.stages.map((_, k) => ({ name: `exit ${k}`, policy: forced(k), on: exec })),
      { name: 'calibrated', policy: calibrated, on: exec },
    ];
    const samples = new Map<string, number[]>(configs.map((c) => [c.name, []]));
    await walk(batch, full, 1, unfolded);
    await walk(batch, full, 1, unfused);
    for (let round = 0; round < args.rounds; round++) {
      for (const c of configs) samples.get(c.name)?.push(await walk(batch, c.policy, 1, c.on));
    }
    const med = (name: string): number => summarize(samples.get(name) ?? []).medianMs;
    const fullMs = med('full');
    const unfoldedMs = med('unfolded');
    const unfusedMs = med('unfused');
    const exitMs = plan.stages.map((_, k) => med(`exit ${k}`));
    const cal = { ms: med('calibrated'), exits: (await run(batch, calibrated, 1)).exits };
    out[`batch ${batch}`] = {
      fullMsPerClip: wallPerClip,
      layersMsPerClip: layerMs,
      calibratedMsPerClip: calPerClip,
      calibratedOverFull: calPerClip / wallPerClip,
      unprofiled: {
        rounds: args.rounds,
        fullMsPerClip: fullMs,
        unfoldedFullMsPerClip: unfoldedMs,
        unfoldedOverFolded: unfoldedMs / fullMs,
        unfusedFullMsPerClip: unfusedMs,
        unfusedOverFolded: unfusedMs / fullMs,
        exitMsPerClip: exitMs,
        exitOverFull: exitMs.map((m) => m / fullMs),
        calibratedMsPerClip: cal.ms,
        calibratedOverFull: cal.ms / fullMs,
        calibratedExitShares: cal.exits,
      },
      groups: rows,
      layers: profile.map((l) => ({ stage: l.stage, label: l.label, type: l.type, head: l.head, msPerClip: l.ms / runs })),
    };
    console.log(
      `batch ${batch} (no profiling): full ${fullMs.toFixed(3)} ms/clip, pool not folded ${unfoldedMs.toFixed(3)} (${(unfoldedMs / fullMs).toFixed(2)}x), ` +
        `nor fused ${unfusedMs.toFixed(3)} (${(unfusedMs / fullMs).toFixed(2)}x); ` +
        `stopping at each exit ${exitMs.map((m) => (m / fullMs).toFixed(2)).join(' / ')} of full; calibrated ${(cal.ms / fullMs).toFixed(2)} of full, ` +
        `exits ${cal.exits.map((e) => (100 * e).toFixed(0)).join(' / ')} %`,
    );
    console.log(`batch ${batch}: full network ${wallPerClip.toFixed(3)} ms/clip (layers ${layerMs.toFixed(3)}), calibrated ${calPerClip.toFixed(3)} ms/clip = ${(calPerClip / wallPerClip).toFixed(2)} of full`);
    for (const r of rows) console.log(`  ${r.group.padEnd(42)} ${r.msPerClip.toFixed(4)} ms  ${(100 * r.share).toFixed(1)} %`);
  }
  exec.dispose();
  unfolded.dispose();
  unfused.dispose();
  const dir = resolve(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = resolve(dir, `wasm-profile-${String(out.date).replace(/[:]/g, '').slice(0, 17)}.json`);
  writeFileSync(file, JSON.stringify(out, null, 1) + '\n');
  console.log(`wrote ${file}`);
}

await main();
