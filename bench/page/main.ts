// The browser half of `npm run bench`: the same measurements as the Node run (bench/suite.ts, bench/peer.ts),
// in Chromium, on its WebGPU adapter and its WebAssembly engine. Reads manifest.json from the served folder,
// logs progress to the console and leaves the result in window.__benchResult (or window.__benchError).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRuntime, type BeenetModel, type Runtime } from '../../src/index';
import { acquireGpu, isSoftwareAdapter } from '../../src/gpu/device';
import { gpuStageTimes, PassTimer } from '../gpu-timing';
import { buildPeer, measurePeer, type PeerValues } from '../peer';
import { now } from '../stats';
import { adapterKind, guarded, measureBeenet, type ColdStart } from '../suite';
import type { PageAdapter, PageManifest, PageModel, PageModelResult } from './protocol';

const logEl = document.getElementById('log');
const log = (s: string): void => {
  console.log(`[page] ${s}`);
  if (logEl) logEl.textContent += `${s}\n`;
};


async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.arrayBuffer();
}

async function describeAdapter(): Promise<PageAdapter | null> {
  if (!navigator.gpu) return null;
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) return null;
  const raw = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const flag = raw.isFallbackAdapter ?? (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? null;
  const info = { vendor: raw.vendor, architecture: raw.architecture, device: raw.device, description: raw.description };
  const software = isSoftwareAdapter(info, flag ?? undefined);
  return { info, isFallbackAdapter: flag, software, kind: adapterKind(info, software), features: [...adapter.features].map(String).sort() };
}

async function coldStart(
  backend: 'webgpu' | 'wasm',
  m: PageModel,
  input: Float32Array,
  maxBatch: number,
): Promise<{ runtime: Runtime; model: BeenetModel; cold: ColdStart; timer: PassTimer | null; device: GPUDevice | null }> {
  const t0 = now();
  let timer: PassTimer | null = null;
  let device: GPUDevice | null = null;
  if (backend === 'webgpu') {
    // The device is requested here (beenet's features: timestamp-query where offered) so passes can be timed.
    const ctx = await acquireGpu();
    device = ctx.device;
    timer = new PassTimer(ctx.device);
  }
  const runtime = await createRuntime({ backend, maxBatch, device: device ?? undefined });
  const t1 = now();
  const model = await runtime.load(`./${m.bee}`);
  const t2 = now();
  await model.classify({ features: input }, { criterion: 'entropy', threshold: 0 });
  const t3 = now();
  return { runtime, model, cold: { backend, runtimeMs: t1 - t0, loadMs: t2 - t1, firstResultMs: t3 - t2, totalMs: t3 - t0 }, timer, device };
}

async function peerValues(m: PageModel): Promise<PeerValues> {
  if (!m.peerValues) return null;
  const all = new Float32Array(await fetchBytes(`./${m.peerValues}`));
  const out = new Map<string, Float32Array>();
  let at = 0;
  for (const [name, length] of m.peerNames) {
    out.set(name, all.subarray(at, at + length));
    at += length;
  }
  return out;
}

async function runModel(man: PageManifest, m: PageModel): Promise<PageModelResult> {
  const o = man.options;
  const raw = new Float32Array(await fetchBytes(`./${m.inputs}`));
  const inputs = Array.from({ length: m.clips }, (_, i) => raw.slice(i * m.inputSize, (i + 1) * m.inputSize));
  const maxBatch = Math.max(...o.batches);
  log(`${m.id}: inputs ${m.inputsSource}`);

  const beenetOn = async (backend: 'webgpu' | 'wasm') => {
    const { runtime, model, cold, timer, device } = await coldStart(backend, m, inputs[0], maxBatch);
    log(`  ${backend} cold start ${cold.totalMs.toFixed(0)} ms (runtime ${cold.runtimeMs.toFixed(0)}, load ${cold.loadMs.toFixed(0)}, first result ${cold.firstResultMs.toFixed(1)})`);
    try {
      const beenet = await measureBeenet(model, backend, inputs, o, log);
      const gpuTime = timer?.supported ? await gpuStageTimes(model, timer, inputs, o.quick ? [1] : [1, maxBatch], o.quick ? 2 : 12) : null;
      for (const g of gpuTime ?? []) {
        log(`  GPU time (timestamp-query) batch ${g.batch}: stages ${g.stageGpu.map((s) => s.medianMs.toFixed(2)).join(' / ')} ms; gated run ${g.gatedGpu.medianMs.toFixed(2)} ms`);
      }
      return { coldStart: cold, beenet, gpuTime, runtimeInfo: runtime.info };
    } finally {
      model.dispose();
      runtime.dispose();
      device?.destroy();
    }
  };
  const webgpu = await guarded('beenet webgpu', log, () => beenetOn('webgpu'));
  const wasm = await guarded('beenet wasm', log, () => beenetOn('wasm'));

  const values = await peerValues(m);
  const peerOn = async (backend: 'wasm' | 'webgpu', batches: number[]) => {
    if (!(await tf.setBackend(backend))) throw new Error(`tfjs ${backend} backend did not start`);
    const net = buildPeer(m.peer, values);
    try {
      return await measurePeer(tf, net, `tfjs-${backend}`, inputs, o, log, batches);
    } finally {
      net.dispose();
    }
  };
  const peerWasm = await guarded('peer tfjs-wasm', log, () => peerOn('wasm', o.batches));
  const peerWebgpu = await guarded('peer tfjs-webgpu', log, () => peerOn('webgpu', o.peerWebgpuBatches));
  return { webgpu, wasm, peerWebgpu, peerWasm };
}

async function main(): Promise<void> {
  const man = (await (await fetch('./manifest.json')).json()) as PageManifest;
  setWasmPaths(man.tfjsWasm);
  setThreadsCount(1);
  const adapter = await describeAdapter();
  log(`adapter ${JSON.stringify(adapter?.info ?? null)} isFallbackAdapter=${adapter?.isFallbackAdapter}: ${adapter?.kind ?? 'no WebGPU'}`);
  const results: Record<string, PageModelResult> = {};
  for (const m of man.models) results[m.id] = await runModel(man, m);
  window.__benchResult = { userAgent: navigator.userAgent, adapter, crossOriginIsolated: globalThis.crossOriginIsolated === true, results };
  log('done');
}

main().catch((e: unknown) => {
  window.__benchError = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e);
  log(`FAILED: ${window.__benchError}`);
});
