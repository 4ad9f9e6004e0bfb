// Node (Dawn) only: the two convolution layouts (src/gpu/kernels/conv.ts) side by side on one adapter: GPU time
// of every dispatch of a model's stages (which kernels a stage's time goes to), then end-to-end batch-1 latency
// and batch-64 throughput. While profiling, each dispatch the runtime encodes runs in a compute pass of its own with timestamp writes
// (a recording stand-in for the pass replays its pipeline and bind groups), so pass boundaries replace the
// barriers Dawn puts between dispatches: read the figures for their proportions, and the per-stage sums beside
// the stage-pass times of bench/gpu-timing.ts. Dawn quantises timestamps to 65.5 us unless started with
// `disable-dawn-features=timestamp_quantization` (the default here).
//   node --import tsx --import ./scripts/wgsl-loader.mjs bench/conv-layouts.ts [--model FILE] [--batches 1,64]
//     [--layouts tiled,lanes] [--repeats 30] [--latency-runs 200] [--out FILE.json] [DAWN_FLAG ...]
import { readFileSync, writeFileSync } from 'node:fs';
import { readBee } from '../src/format/bee';
import { acquireGpu } from '../src/gpu/device';
import { GpuExecutor } from '../src/gpu/executor';
import type { ConvLayout } from '../src/gpu/kernels/conv';
import { createNodeRuntime, nodeGpu } from '../src/node';
import { summarize } from './stats';
import { cliArgs } from '../scripts/cli-args';

const args = cliArgs('npx tsx bench/conv-layouts.ts [--model m.bee] [--batches 1,64] [dawn toggles...]', {
  model: { type: 'string', default: 'models/kws-reactnet.bee', help: 'model to time' },
  batches: { type: 'list', default: ['1', '64'], help: 'batch sizes' },
  repeats: { type: 'number', default: 30, help: 'timed repeats per layer' },
  layouts: { type: 'list', default: ['tiled', 'lanes'], help: 'convolution layouts to compare' },
  'latency-runs': { type: 'number', default: 200, help: 'end-to-end runs per layout' },
  out: { type: 'string', default: '', help: 'write the results here (JSON)' },
}, { positionals: true });
const modelFile = args.model;
const batches = args.batches.map(Number);
const repeats = args.repeats;
const layouts = args.layouts as ConvLayout[];
const latencyRuns = args['latency-runs'];
const outFile = args.out;
// Words that are not flags are Dawn toggles.
const flags = args.positionals.length ? args.positionals : ['disable-dawn-features=timestamp_quantization'];

const MAX_DISPATCHES = 64;

interface Recorded {
  encoder: string;
  kernel: string;
  groups: [number, number, number];
}

/** Per encoder: its dispatches in order and where their timestamps land. */
interface EncoderState {
  label: string;
  dispatches: Recorded[];
}

const ctx = await acquireGpu({ gpu: await nodeGpu(flags) });
const device = ctx.device;
if (!device.features.has('timestamp-query')) throw new Error('this adapter has no timestamp-query');
const bytes = new Uint8Array(readFileSync(modelFile));
const querySet = device.createQuerySet({ type: 'timestamp', count: 2 * MAX_DISPATCHES, label: 'dispatch profile' });
const resolve = device.createBuffer({ size: 16 * MAX_DISPATCHES, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
/** The kernel's name: registry pipelines are labelled `<kernel>|<variant key>`. */
const kernelOf = (p: GPUComputePipeline): string => p.label.split('|')[0];
const pending: { state: EncoderState; read: GPUBuffer }[] = [];
const states = new WeakMap<GPUCommandEncoder, EncoderState>();

// Wrap the encoder prototype: every compute pass becomes a recorder whose dispatches each get a timed pass.
const encoderProto = GPUCommandEncoder.prototype;
const beginPass = encoderProto.beginComputePass;
const finish = encoderProto.finish;
let profiling = true;
encoderProto.beginComputePass = function (this: GPUCommandEncoder, descriptor?: GPUComputePassDescriptor): GPUComputePassEncoder {
  if (!profiling) return beginPass.call(this, descriptor);
  let state = states.get(this);
  if (!state) states.set(this, (state = { label: this.label, dispatches: [] }));
  const s = state;
  let pipeline: GPUComputePipeline | null = null;
  const groups = new Map<number, GPUBindGroup>();
  const timed = (kernel: string, size: [number, number, number], encode: (p: GPUComputePassEncoder) => void): void => {
    const i = s.dispatches.length;
    if (i >= MAX_DISPATCHES) throw new Error(`more than ${MAX_DISPATCHES} dispatches in one encoder`);
    s.dispatches.push({ encoder: s.label, kernel, groups: size });
    const p = beginPass.call(this, { ...descriptor, timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
    p.setPipeline(pipeline!);
    for (const [index, g] of groups) p.setBindGroup(index, g);
    encode(p);
    p.end();
  };
  const recorder = {
    label: descriptor?.label ?? '',
    setPipeline(p: GPUComputePipeline): void {
      pipeline = p;
    },
    setBindGroup(index: number, g: GPUBindGroup | null): void {
      if (g) groups.set(index, g);
      else groups.delete(index);
    },
    dispatchWorkgroups(x: number, y = 1, z = 1): void {
      timed(kernelOf(pipeline!), [x, y, z], (p) => p.dispatchWorkgroups(x, y, z));
    },
    dispatchWorkgroupsIndirect(buffer: GPUBuffer, offset: number): void {
      timed(`${kernelOf(pipeline!)} (indirect)`, [0, 0, 0], (p) => p.dispatchWorkgroupsIndirect(buffer, offset));
    },
    end(): void {},
  };
  return recorder as unknown as GPUComputePassEncoder;
};
encoderProto.finish = function (this: GPUCommandEncoder, descriptor?: GPUCommandBufferDescriptor): GPUCommandBuffer {
  const s = states.get(this);
  if (s && s.dispatches.length) {
    const n = s.dispatches.length;
    const read = device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.resolveQuerySet(querySet, 0, 2 * n, resolve, 0);
    this.copyBufferToBuffer(resolve, 0, read, 0, 16 * n);
    pending.push({ state: s, read });
  }
  return finish.call(this, descriptor);
};

/** Microseconds of every dispatch of every encoder submitted since the last call. */
async function collect(): Promise<{ encoder: string; index: number; kernel: string; groups: [number, number, number]; us: number }[]> {
  const out = [];
  for (const { state, read } of pending.splice(0)) {
    await read.mapAsync(GPUMapMode.READ);
    const ts = new BigUint64Array(read.getMappedRange().slice(0));
    read.destroy();
    for (const [i, d] of state.dispatches.entries()) out.push({ ...d, index: i, us: Number(ts[2 * i + 1] - ts[2 * i]) / 1e3 });
  }
  return out;
}

// A fixed synthetic input: the cost of a stage does not depend on the values.
const inputElements = readBee(bytes).description.graph.inputShape.reduce((a, b) => a * b, 1);
const features = new Float32Array(inputElements).map((_, i) => Math.sin(i * 0.37));
const info = { ...ctx.adapterInfo, isFallbackAdapter: ctx.isFallbackAdapter };
console.log(`${modelFile}; adapter ${JSON.stringify(info)}; Dawn flags: ${flags.join(' ')}`);
const endToEnd: { layout: ConvLayout; what: string; value: number; unit: string }[] = [];
const report: { layout: ConvLayout; batch: number; stage: number; layer: string; kernel: string; groups: number[]; medianUs: number; meanUs: number }[] = [];
for (const layout of layouts) {
  const runtime = await createNodeRuntime({ backend: 'webgpu', device, maxBatch: Math.max(...batches), convLayout: layout });
  const model = await runtime.load(bytes);
  // Which planned layer(s) each dispatch of a stage runs, from an executor built as the runtime builds its own
  // (fused packs and exit heads make dispatches and layers differ in number).
  const probe = await GpuExecutor.create(ctx, model.plan, { maxBatch: 1, convLayout: layout });
  const layerNames = probe.dispatchPlan().map((stage) => stage.map((d) => d.label));
  probe.dispose();
  for (const batch of batches) {
    const clips = Array.from({ length: batch }, () => ({ features }));
    const times = new Map<string, { stage: number; layer: string; kernel: string; groups: number[]; us: number[] }>();
    for (let r = 0; r <= repeats; r++) {
      await model.classifyBatch(clips, { criterion: 'entropy', threshold: 0, mode: 'readback' });
      const got = await collect();
      if (r === 0) continue; // first use at this batch size
      for (const d of got) {
        const stage = Number(/^stage (\d+)$/.exec(d.encoder)?.[1] ?? -1);
        if (stage < 0) continue;
        const key = `${stage}:${d.index}`;
        const t = times.get(key) ?? { stage, layer: layerNames[stage][d.index] ?? `#${d.index}`, kernel: d.kernel, groups: d.groups, us: [] };
        t.us.push(d.us);
        times.set(key, t);
      }
    }
    console.log(`\n${layout} convolutions, batch ${batch}, ${repeats} runs, median us per dispatch (each in its own timed pass):`);
    const stageSum = new Map<number, number>();
    for (const t of times.values()) {
      // summarize() names its fields in ms; these samples are microseconds.
      const s = summarize(t.us);
      stageSum.set(t.stage, (stageSum.get(t.stage) ?? 0) + s.medianMs);
      report.push({ layout, batch, stage: t.stage, layer: t.layer, kernel: t.kernel, groups: t.groups, medianUs: s.medianMs, meanUs: s.meanMs });
      console.log(`  stage ${t.stage} ${t.layer.padEnd(28)} ${t.kernel.padEnd(16)} groups ${t.groups.join('x').padEnd(12)} ${s.medianMs.toFixed(1).padStart(8)} us`);
    }
    const total = [...stageSum.values()].reduce((a, b) => a + b, 0);
    console.log(`  per stage (sum of medians): ${[...stageSum].map(([k, v]) => `${k}: ${v.toFixed(0)} us`).join(', ')}; all ${total.toFixed(0)} us`);
  }
  // End to end, wall clock, profiling off: batch-1 latency (full network and the model's own policy) and
  // batch-64 throughput, in both schedule modes.
  profiling = false;
  for (const mode of ['readback', 'gpu'] as const) {
    for (const [what, options] of [['full network', { threshold: 0 }], ['calibrated policy', {}]] as const) {
      const ms: number[] = [];
      const warm = Math.ceil(latencyRuns / 5);
      for (let i = 0; i < warm + latencyRuns; i++) {
        const t = performance.now();
        await model.classify({ features }, { ...options, mode });
        if (i >= warm) ms.push(performance.now() - t);
      }
      endToEnd.push({ layout, what: `batch 1 ${what}, ${mode}`, value: summarize(ms).medianMs, unit: 'ms median' });
    }
    const big = Array.from({ length: 64 }, () => ({ features }));
    const batchRuns = Math.ceil(latencyRuns / 5);
    for (let i = 0; i < Math.ceil(batchRuns / 8); i++) await model.classifyBatch(big, { threshold: 0, mode });
    const t = performance.now();
    for (let i = 0; i < batchRuns; i++) await model.classifyBatch(big, { threshold: 0, mode });
    endToEnd.push({ layout, what: `batch 64 full network, ${mode}`, value: (64 * batchRuns) / ((performance.now() - t) / 1000), unit: 'clips/s' });
  }
  profiling = true;
  model.dispose();
  runtime.dispose();
}
console.log('\nend to end (wall clock):');
for (const what of [...new Set(endToEnd.map((e) => e.what))]) {
  const row = endToEnd.filter((e) => e.what === what);
  const cells = row.map((e) => `${e.layout} ${e.value.toFixed(e.unit === 'clips/s' ? 0 : 3)} ${e.unit}`);
  const [a, b] = row;
  const ratio = a && b ? (a.unit === 'clips/s' ? b.value / a.value : a.value / b.value) : NaN;
  console.log(`  ${what.padEnd(36)} ${cells.join(' | ')}${row.length === 2 ? ` | ${b.layout} speed-up ${ratio.toFixed(2)}x` : ''}`);
}
if (outFile) writeFileSync(outFile, JSON.stringify({ model: modelFile, adapter: info, flags, layouts, repeats, date: new Date().toISOString(), dispatches: report, endToEnd }, null, 1));
device.destroy();
