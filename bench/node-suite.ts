// Node-only: one model through beenet on Dawn's WebGPU and on WASM, and the float32 peer on TF.js WebGPU (the
// same Dawn adapter) and TF.js WASM, all in this process.
import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { acquireGpu, type AdapterSummary } from '../src/gpu/device';
import { createNodeRuntime, nodeGpu, type BeenetModel, type Runtime } from '../src/node';
import { watchUncapturedErrors } from '../src/node/gpu';
import { gpuStageTimes, PassTimer, type StageGpuTime } from './gpu-timing';
import { loadInputs, peerValues, type BenchModel } from './inputs';
import { buildPeer, measurePeer, type PeerMeasurements } from './peer';
import { now } from './stats';
import { adapterKind, guarded, measureBeenet, type BackendResult, type BeenetMeasurements, type ColdStart, type Log, type SuiteOptions } from './suite';


export interface AdapterRecord {
  info: AdapterSummary;
  isFallbackAdapter: boolean;
  /** Plain statement for readers: a CPU emulation or a hardware GPU. */
  kind: string;
  features: string[];
}

export interface NodeModelResult {
  inputs: { source: string; clips: number };
  webgpu: BackendResult<{ adapter: AdapterRecord; dawnLoadMs: number; coldStart: ColdStart; beenet: BeenetMeasurements; gpuTime: StageGpuTime[] | null }>;
  wasm: BackendResult<{ coldStart: ColdStart; beenet: BeenetMeasurements }>;
  peerWebgpu: BackendResult<PeerMeasurements & { tfAdapter: { vendor: string; architecture: string } }>;
  peerWasm: BackendResult<PeerMeasurements>;
}

/** Runtime, load (read + parse + compile), first result: each timed. */
async function coldStart(
  backend: string,
  m: BenchModel,
  input: Float32Array,
  makeRuntime: () => Promise<Runtime>,
): Promise<{ runtime: Runtime; model: BeenetModel; cold: ColdStart }> {
  const t0 = now();
  const runtime = await makeRuntime();
  const t1 = now();
  const model = await runtime.load(m.file ?? m.bytes);
  const t2 = now();
  await model.classify({ features: input }, { criterion: 'entropy', threshold: 0 });
  const t3 = now();
  return { runtime, model, cold: { backend, runtimeMs: t1 - t0, loadMs: t2 - t1, firstResultMs: t3 - t2, totalMs: t3 - t0 } };
}

let tfWasmReady: Promise<void> | null = null;
let tfWebgpuReady: Promise<void> | null = null;

/** TF.js WASM as the training code starts it (SIMD, one thread). */
function initTfWasm(): Promise<void> {
  tfWasmReady ??= (async () => {
    const require = createRequire(import.meta.url);
    setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + sep);
    setThreadsCount(1);
  })();
  return tfWasmReady;
}

/** TF.js WebGPU on Dawn: its backend registers only when navigator.gpu exists at import time. */
function initTfWebgpu(gpu: GPU): Promise<void> {
  tfWebgpuReady ??= (async () => {
    const g = globalThis as { navigator?: { gpu?: GPU } };
    if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    else if (!g.navigator.gpu) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    await import('@tensorflow/tfjs-backend-webgpu');
  })();
  return tfWebgpuReady;
}

export async function runNodeModel(m: BenchModel, o: SuiteOptions, log: Log): Promise<NodeModelResult> {
  const inputs = loadInputs(m, o.quick ? 8 : 64);
  log(`${m.id}: ${m.note}; inputs: ${inputs.source}`);
  const first = inputs.features[0];
  const maxBatch = Math.max(...o.batches);

  log(`${m.id}: beenet WebGPU (Dawn)`);
  const webgpu = await guarded('beenet webgpu', log, async () => {
    const t = now();
    const gpu = await nodeGpu();
    const dawnLoadMs = now() - t;
    let timer: PassTimer | null = null;
    let device: GPUDevice | null = null;
    let adapter: AdapterRecord | null = null;
    const { runtime, model, cold } = await coldStart('webgpu', m, first, async () => {
      const ctx = await acquireGpu({ gpu });
      watchUncapturedErrors(ctx.device);
      device = ctx.device;
      timer = new PassTimer(ctx.device);
      adapter = { info: ctx.adapterInfo, isFallbackAdapter: ctx.isFallbackAdapter, kind: adapterKind(ctx.adapterInfo, ctx.isFallbackAdapter), features: ctx.features };
      return createNodeRuntime({ backend: 'webgpu', device: ctx.device, maxBatch });
    });
    log(`  adapter ${JSON.stringify(adapter!.info)} isFallbackAdapter=${adapter!.isFallbackAdapter}: ${adapter!.kind}`);
    log(`  cold start ${cold.totalMs.toFixed(0)} ms (runtime ${cold.runtimeMs.toFixed(0)}, load+compile ${cold.loadMs.toFixed(0)}, first result ${cold.firstResultMs.toFixed(0)})`);
    try {
      const beenet = await measureBeenet(model, 'webgpu', inputs.features, o, log);
      const t2: PassTimer = timer!;
      const gpuTime = t2.supported ? await gpuStageTimes(model, t2, inputs.features, o.quick ? [1] : [1, maxBatch], o.quick ? 2 : 12) : null;
      for (const g of gpuTime ?? []) {
        log(`  GPU time (timestamp-query) batch ${g.batch}: stages ${g.stageGpu.map((s) => s.medianMs.toFixed(2)).join(' / ')} ms; gated run ${g.gatedGpu.medianMs.toFixed(2)} ms`);
      }
      return { adapter: adapter!, dawnLoadMs, coldStart: cold, beenet, gpuTime };
    } finally {
      model.dispose();
      runtime.dispose();
      (device as GPUDevice | null)?.destroy();
    }
  });

  log(`${m.id}: beenet WASM`);
  const wasm = await guarded('beenet wasm', log, async () => {
    const { runtime, model, cold } = await coldStart('wasm', m, first, () => createNodeRuntime({ backend: 'wasm', maxBatch }));
    log(`  cold start ${cold.totalMs.toFixed(0)} ms (load+compile ${cold.loadMs.toFixed(0)}, first result ${cold.firstResultMs.toFixed(1)})`);
    try {
      return { coldStart: cold, beenet: await measureBeenet(model, 'wasm', inputs.features, o, log) };
    } finally {
      model.dispose();
      runtime.dispose();
    }
  });

  const values = peerValues(m);
  log(`${m.id}: float32 peer (BeeNet ${m.peer.architecture}, weights: ${m.peer.weights})`);
  const peerWasm = await guarded('peer tfjs-wasm', log, async () => {
    await initTfWasm();
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs wasm backend did not start');
    const net = buildPeer(m.peer, values);
    try {
      return await measurePeer(tf, net, 'tfjs-wasm', inputs.features, o, log);
    } finally {
      net.dispose();
    }
  });
  const peerWebgpu = await guarded('peer tfjs-webgpu', log, async () => {
    const gpu = await nodeGpu();
    await initTfWebgpu(gpu);
    if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs webgpu backend did not start');
    // TF.js requests its own adapter and device from the same Dawn instance: record what it reports.
    const backend = tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string } };
    const tfAdapter = { vendor: backend.adapterInfo?.vendor ?? '', architecture: backend.adapterInfo?.architecture ?? '' };
    log(`  TF.js WebGPU adapter: ${JSON.stringify(tfAdapter)}`);
    const net = buildPeer(m.peer, values);
    try {
      return { ...(await measurePeer(tf, net, 'tfjs-webgpu', inputs.features, o, log, o.peerWebgpuBatches)), tfAdapter };
    } finally {
      net.dispose();
      tf.disposeVariables();
    }
  });
  return { inputs: { source: inputs.source, clips: inputs.features.length }, webgpu, wasm, peerWebgpu, peerWasm };
}

