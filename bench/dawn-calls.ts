// Where a classify call's wall time goes, per schedule mode: wraps Dawn's JS entry points (submit, writeBuffer,
// dispatches, mapAsync, ...) and reports the mean time spent in each per call (one clip, or a batch with
// --batch). This is how the cost of Dawn's indirect-dispatch validation in the 'gpu' mode was found
// (docs/benchmarks.md, "Real GPU").
//   node --import tsx --import ./scripts/wgsl-loader.mjs bench/dawn-calls.ts [--model FILE] [--batch N] [DAWN_FLAG ...]
// DAWN_FLAG goes to the webgpu package's create(), e.g. enable-dawn-features=skip_validation.
import { readFileSync } from 'node:fs';
import { createNodeRuntime, nodeGpu } from '../src/node';
import { cliArgs } from '../scripts/cli-args';

const args = cliArgs('npx tsx bench/dawn-calls.ts [--model m.bee] [--batch 1] [dawn toggles...]', {
  model: { type: 'string', default: 'models/kws-reactnet.bee', help: 'model to trace' },
  batch: { type: 'number', default: 1, help: 'clips per call' },
}, { positionals: true });
const modelFile = args.model;
const batch = args.batch;
// Words that are not flags are Dawn toggles.
const flags = args.positionals;

const gpu = await nodeGpu(flags);

const spent = new Map<string, number>();
const calls = new Map<string, number>();
const add = (tag: string, ms: number): void => {
  spent.set(tag, (spent.get(tag) ?? 0) + ms);
  calls.set(tag, (calls.get(tag) ?? 0) + 1);
};
function instrument(ctor: string, method: string, tag: string): void {
  const proto = (globalThis as unknown as Record<string, { prototype: Record<string, (...a: unknown[]) => unknown> }>)[ctor].prototype;
  const original = proto[method];
  proto[method] = function (this: unknown, ...a: unknown[]) {
    const t = performance.now();
    const r = original.apply(this, a);
    if (r instanceof Promise) return r.finally(() => add(`${tag} (until resolved)`, performance.now() - t));
    add(tag, performance.now() - t);
    return r;
  };
}
instrument('GPUQueue', 'submit', 'submit');
instrument('GPUQueue', 'writeBuffer', 'writeBuffer');
instrument('GPUCommandEncoder', 'beginComputePass', 'beginComputePass');
instrument('GPUCommandEncoder', 'finish', 'finish');
instrument('GPUComputePassEncoder', 'dispatchWorkgroups', 'dispatch');
instrument('GPUComputePassEncoder', 'dispatchWorkgroupsIndirect', 'dispatchIndirect');
instrument('GPUBuffer', 'mapAsync', 'mapAsync');
instrument('GPUBuffer', 'getMappedRange', 'getMappedRange');

const runtime = await createNodeRuntime({ backend: 'webgpu', gpu, maxBatch: batch });
const model = await runtime.load(new Uint8Array(readFileSync(modelFile)));
console.log(`${modelFile} on ${JSON.stringify(runtime.info.adapter)}; Dawn flags: ${flags.join(' ') || 'none'}`);
// A fixed synthetic input: the cost per stage does not depend on the values.
const features = new Float32Array(model.plan.inputElements).map((_, i) => Math.sin(i * 0.37));
const clips = Array.from({ length: batch }, () => ({ features }));
for (const mode of ['readback', 'gpu'] as const) {
  for (const threshold of [0, 1]) {
    for (let i = 0; i < 20; i++) await model.classifyBatch(clips, { threshold, mode });
    spent.clear();
    calls.clear();
    const N = 100;
    const t = performance.now();
    for (let i = 0; i < N; i++) await model.classifyBatch(clips, { threshold, mode });
    const wall = (performance.now() - t) / N;
    // Dispatches per call too: each pack fused into its producer is one fewer (src/gpu/executor.ts, fusePacks).
    const parts = [...spent].map(([k, v]) => `${k} ${(v / N).toFixed(3)}${k === 'dispatch' ? ` (x${((calls.get(k) ?? 0) / N).toFixed(1)})` : ''}`).join(', ');
    console.log(`${mode.padEnd(8)} threshold ${threshold} (${threshold === 0 ? 'full network' : 'first exit'}), batch ${batch}: ${wall.toFixed(3)} ms per call; ${parts}`);
  }
}
model.dispose();
runtime.dispose();
