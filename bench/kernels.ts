// Binary vs float convolution throughput on one adapter, plus peak XOR+popcount throughput.
// Run: node --import tsx --import ./scripts/wgsl-loader.mjs bench/kernels.ts [--quick] [--binary-only]
import { mkdirSync, writeFileSync } from 'node:fs';
import { BufferPool } from '../src/gpu/buffers';
import { acquireGpu } from '../src/gpu/device';
import { encodeDispatch, type Dispatch } from '../src/gpu/kernels/common';
import { bconvDispatch, bconvWeightsForGpu, convLayoutFor, convRealDispatch } from '../src/gpu/kernels/conv';
import { KernelRegistry } from '../src/gpu/registry';
import { reflectWgsl } from '../scripts/kernel-contract';
import { nodeGpu, watchUncapturedErrors } from '../src/node/gpu';
import { wordsFor } from '../src/layout/bits';
import { cliArgs } from '../scripts/cli-args';

const args = cliArgs('node --import tsx --import ./scripts/wgsl-loader.mjs bench/kernels.ts [--quick] [--binary-only]', {
  quick: { type: 'boolean', help: 'short timing budgets' },
  'binary-only': { type: 'boolean', help: 'time only the binary convolutions, write nothing' },
});
const quick = args.quick;
// Skips the (slow) float convolutions: for iterating on the binary kernel.
const binaryOnly = args['binary-only'];
const SHAPES: [number, number, number, number][] = [
  [98, 64, 32, 32],
  [49, 32, 64, 64],
  [12, 8, 256, 256],
];
const BATCHES = [1, 16];

// Peak: only XOR + countOneBits on registers, 8 independent vec4 chains per loop step.
const PEAK_WGSL = `
@group(0) @binding(0) var<storage, read_write> sink: array<u32>;
override ITERS: u32 = 1024u;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  var x = vec4u(gid.x, gid.x * 3u, gid.x * 5u, gid.x * 7u);
  var a0 = vec4u(0u); var a1 = vec4u(0u); var a2 = vec4u(0u); var a3 = vec4u(0u);
  var a4 = vec4u(0u); var a5 = vec4u(0u); var a6 = vec4u(0u); var a7 = vec4u(0u);
  for (var i = 0u; i < ITERS; i++) {
    a0 += countOneBits(x ^ vec4u(0x9e3779b9u)); a1 += countOneBits(x ^ vec4u(0x85ebca6bu));
    a2 += countOneBits(x ^ vec4u(0xc2b2ae35u)); a3 += countOneBits(x ^ vec4u(0x27d4eb2fu));
    a4 += countOneBits(x ^ vec4u(0x165667b1u)); a5 += countOneBits(x ^ vec4u(0xd3a2646cu));
    a6 += countOneBits(x ^ vec4u(0xfd7046c5u)); a7 += countOneBits(x ^ vec4u(0xb55a4f09u));
    x += vec4u(1u);
  }
  let s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
  sink[gid.x] = s.x + s.y + s.z + s.w;
}
`;

interface Timer {
  /** Seconds for one execution of `encode`, median over repeats after warm-up. */
  time(encode: (pass: GPUComputePassEncoder) => void, minRepeats: number, budgetS: number): Promise<{ median: number; all: number[] }>;
  source: 'timestamp-query' | 'wall';
}

function makeTimer(device: GPUDevice): Timer {
  const hasTs = device.features.has('timestamp-query');
  const querySet = hasTs ? device.createQuerySet({ type: 'timestamp', count: 2 }) : null;
  const resolve = hasTs ? device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }) : null;
  const read = hasTs ? device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }) : null;
  const once = async (encode: (pass: GPUComputePassEncoder) => void): Promise<number> => {
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass(querySet ? { timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : {});
    encode(pass);
    pass.end();
    if (querySet && resolve && read) {
      enc.resolveQuerySet(querySet, 0, 2, resolve, 0);
      enc.copyBufferToBuffer(resolve, 0, read, 0, 16);
    }
    const t0 = performance.now();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    const wall = (performance.now() - t0) / 1e3;
    if (!read) return wall;
    await read.mapAsync(GPUMapMode.READ);
    const ts = new BigUint64Array(read.getMappedRange().slice(0));
    read.unmap();
    const gpu = Number(ts[1] - ts[0]) / 1e9;
    return gpu > 0 ? gpu : wall;
  };
  return {
    source: hasTs ? 'timestamp-query' : 'wall',
    async time(encode, minRepeats, budgetS) {
      await once(encode); // warm-up (first use of the pipeline)
      await once(encode);
      const all: number[] = [];
      const start = performance.now();
      while (all.length < minRepeats || (performance.now() - start) / 1e3 < budgetS) {
        all.push(await once(encode));
        if (all.length >= 31) break;
      }
      const sorted = [...all].sort((a, b) => a - b);
      return { median: sorted[Math.floor(sorted.length / 2)], all };
    },
  };
}

function randomWords(n: number): Uint32Array {
  const out = new Uint32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s;
  }
  return out;
}

async function main(): Promise<void> {
  const ctx = await acquireGpu({ gpu: await nodeGpu() });
  watchUncapturedErrors(ctx.device);
  const device = ctx.device;
  const pool = new BufferPool(device);
  const reg = new KernelRegistry(device, pool);
  const timer = makeTimer(device);
  // The convolution layout the runtime picks on this adapter (src/gpu/kernels/conv.ts).
  const layout = convLayoutFor(ctx.isFallbackAdapter);
  console.log(`adapter: ${JSON.stringify(ctx.adapterInfo)} isFallbackAdapter=${ctx.isFallbackAdapter} timing=${timer.source} conv layout=${layout}`);

  // Peak XOR + popcount.
  reg.define({ name: 'popcount_peak', file: 'bench/kernels.ts (PEAK_WGSL)', code: PEAK_WGSL, contract: reflectWgsl(PEAK_WGSL, 'bench/kernels.ts (PEAK_WGSL)') });
  const iters = 2048;
  const peakPipe = await reg.pipeline('popcount_peak', { ITERS: iters });
  const invocations = 64 * 256;
  const sink = pool.acquire(invocations * 4, GPUBufferUsage.STORAGE);
  const peakBg = reg.bindGroup('popcount_peak', { sink });
  const peakT = await timer.time((pass) => {
    pass.setPipeline(peakPipe);
    pass.setBindGroup(0, peakBg);
    pass.dispatchWorkgroups(256);
  }, 5, quick ? 0.5 : 2);
  const peakBitOps = (invocations * iters * 8 * 4 * 32) / peakT.median;
  console.log(`peak XOR+popcount: ${(peakBitOps / 1e9).toFixed(1)} G bit-ops/s (${(peakBitOps / 32 / 1e9).toFixed(2)} G word-popcounts/s)`);

  const rows: Record<string, unknown>[] = [];
  for (const [h, w, c, o] of SHAPES) {
    for (const n of BATCHES) {
      const shape = { n, h, w, c };
      const g = { kernel: [3, 3] as [number, number], stride: [1, 1] as [number, number], padding: 'same' as const, outChannels: o };
      const macs = n * h * w * o * 9 * c;
      const active = pool.upload(Uint32Array.from({ length: n }, (_, i) => i));
      const params = pool.upload(new Uint32Array(5 * o));
      const xBits = pool.upload(randomWords(n * h * w * wordsFor(c)));
      const wOhwi = randomWords(o * 9 * wordsFor(c));
      const bOut = pool.acquire(n * h * w * wordsFor(o) * 4, GPUBufferUsage.STORAGE);
      const bd: Dispatch = await bconvDispatch(reg, pool, shape, g, { kind: 'threshold' }, {
        x: xBits,
        wt: pool.upload(bconvWeightsForGpu(wOhwi, g, c)),
        chan: params,
        clips: active,
        out: bOut,
      }, n, layout);
      const fd: Dispatch = await convRealDispatch(reg, pool, shape, g, { kind: 'affine', activation: 'none', residual: false }, {
        x: pool.upload(new Float32Array(n * h * w * c).fill(0.5)),
        // A constant filter: the same data in either layout's order.
        wt: pool.upload(new Float32Array(o * 9 * c).fill(0.25)),
        chan: params,
        clips: active,
        out: pool.acquire(n * h * w * o * 4, GPUBufferUsage.STORAGE),
      }, n, layout);
      const budget = quick ? 0.5 : 3;
      const bt = await timer.time((pass) => encodeDispatch(pass, bd), 5, budget);
      const ft = binaryOnly ? { median: NaN, all: [] } : await timer.time((pass) => encodeDispatch(pass, fd), 3, budget);
      const binOps = macs / bt.median;
      const fltOps = macs / ft.median;
      const row = {
        shape: `${h}x${w}x${c}->${o} 3x3 same`, batch: n, macs,
        binarySeconds: bt.median, floatSeconds: ft.median,
        binaryMacsPerS: binOps, floatMacsPerS: fltOps, ratio: binOps / fltOps,
        fractionOfPeak: binOps / peakBitOps, repeats: { binary: bt.all.length, float: ft.all.length },
      };
      rows.push(row);
      console.log(
        `${row.shape.padEnd(24)} batch ${String(n).padStart(2)}: binary ${(binOps / 1e9).toFixed(2)} G MAC/s ` +
        `(${(bt.median * 1e3).toFixed(2)} ms), float ${(fltOps / 1e9).toFixed(3)} G MAC/s (${(ft.median * 1e3).toFixed(2)} ms), ` +
        `ratio ${row.ratio.toFixed(1)}x, ${(100 * row.fractionOfPeak).toFixed(0)}% of popcount peak`,
      );
    }
  }
  const result = {
    date: new Date().toISOString(),
    adapter: ctx.adapterInfo,
    isFallbackAdapter: ctx.isFallbackAdapter,
    timing: timer.source,
    convLayout: layout,
    note: 'binary MACs are 1-bit multiply-accumulates (XNOR + popcount per bit); float MACs are f32 multiply-adds',
    peakBitOpsPerS: peakBitOps,
    rows,
  };
  mkdirSync('bench/results', { recursive: true });
  // A hardware adapter's results carry its name, so a GPU run never overwrites the day's SwiftShader file.
  const adapterName = ctx.adapterInfo.device || ctx.adapterInfo.vendor || 'gpu';
  const tag = ctx.isFallbackAdapter ? '' : `-${adapterName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;
  const file = `bench/results/kernels-${result.date.slice(0, 10)}${tag}.json`;
  if (!binaryOnly) writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  if (!binaryOnly) console.log(`wrote ${file}`);
}

await main();
