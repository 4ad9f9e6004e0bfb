// The in-page half of the soak: many classifications in one page, resource counts and JS heap before and after.
import { createRuntime, type BackendKind } from '../../../src/index';
import { tinyModel } from '../../../test/helpers/random-model';
import { mulberry32 } from '../../../test/helpers/rng';

export interface SoakResult {
  backend: BackendKind;
  adapter: string;
  classifications: number;
  seconds: number;
  mismatches: number;
  liveBuffers: [number, number];
  liveBindGroups: [number, number];
  heapMB: [number, number] | null;
}

declare global {
  interface Window {
    __soakResult?: SoakResult;
    __soakError?: string;
  }
}

function heapMB(): number | null {
  // Collected first (Chromium runs with --js-flags=--expose-gc), so the figure is live memory, not garbage.
  (globalThis as { gc?: () => void }).gc?.();
  const m = (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory;
  return m ? m.usedJSHeapSize / 2 ** 20 : null;
}

async function soak(): Promise<SoakResult> {
  const params = new URLSearchParams(location.search);
  const backend = (params.get('backend') ?? 'webgpu') as BackendKind;
  const count = Number(params.get('count') ?? 10000);
  const runtime = await createRuntime({ backend });
  const model = await runtime.load(tinyModel(3));
  const rng = mulberry32(1);
  const inputs = Array.from({ length: 8 }, () => ({ features: Float32Array.from({ length: model.plan.inputElements }, () => rng() * 8 - 6) }));
  const first = await model.classifyBatch(inputs, { threshold: 0.5 });
  const s0 = model.stats();
  const h0 = heapMB();
  let mismatches = 0;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const r = await model.classify(inputs[i % 8], { threshold: 0.5, mode: i % 2 ? 'gpu' : 'readback' });
    if (r.classIndex !== first[i % 8].classIndex || r.exit !== first[i % 8].exit) mismatches++;
  }
  const seconds = (performance.now() - t0) / 1000;
  const s1 = model.stats();
  const h1 = heapMB();
  const a = runtime.info.adapter;
  runtime.dispose();
  return {
    backend,
    adapter: a ? `${a.vendor} ${a.architecture}${runtime.info.isFallbackAdapter ? ' (software)' : ''}` : 'none',
    classifications: count,
    seconds,
    mismatches,
    liveBuffers: [s0.liveBuffers, s1.liveBuffers],
    liveBindGroups: [s0.liveBindGroups, s1.liveBindGroups],
    heapMB: h0 !== null && h1 !== null ? [h0, h1] : null,
  };
}

soak().then(
  (r) => (window.__soakResult = r),
  (e: unknown) => (window.__soakError = e instanceof Error ? `${e.name}: ${e.message}` : String(e)),
);
