// Backends: probe the browser's WebGPU before offering it (absent, no adapter, software, hardware), start the
// runtime, and fall back to WebAssembly (then the CPU reference) with a visible banner in browser terms;
// never leave the page without a backend.
import { createRuntime, type BackendChoice } from '../../src/index';
import { clear, h } from './dom';
import { $ } from './elements';
import { setStatus, showPageError } from './status';
import { errorText, state, type GpuProbe } from './state';

export const BACKEND_NAMES: Record<string, string> = {
  webgpu: 'WebGPU',
  wasm: 'WebAssembly SIMD (CPU)',
  cpu: 'CPU reference (plain JS)',
};

const WHY_NO_WEBGPU: Record<Exclude<GpuProbe, 'software' | 'hardware'>, string> = {
  absent: 'this browser has no WebGPU',
  'no-adapter': 'this browser has WebGPU but offers no GPU adapter',
};

const HOW_TO_ENABLE: Record<Exclude<GpuProbe, 'software' | 'hardware'>, string> = {
  absent: 'WebGPU needs Chrome or Edge 113+ (on Linux: turn on chrome://flags/#enable-unsafe-webgpu), Safari 26+, or Firefox 141+ on Windows, and a page on https or localhost.',
  'no-adapter':
    'WebGPU may be switched off (Chrome on Linux: chrome://flags/#enable-unsafe-webgpu), hardware acceleration may be off (chrome://settings/system), or this GPU or driver is blocklisted (see chrome://gpu).',
};

/** Asks the browser for an adapter once, before the menu offers WebGPU. */
export async function probeWebGpu(): Promise<GpuProbe> {
  const gpu = typeof navigator !== 'undefined' ? navigator.gpu : undefined;
  if (!gpu) return 'absent';
  try {
    const a = await gpu.requestAdapter();
    if (!a) return 'no-adapter';
    // `isFallbackAdapter` moved to adapter.info in newer browsers; read either.
    const info = (a as GPUAdapter & { info?: { isFallbackAdapter?: boolean } }).info;
    const legacy = (a as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
    return info?.isFallbackAdapter || legacy ? 'software' : 'hardware';
  } catch {
    return 'no-adapter';
  }
}

export function offerBackends(): void {
  const o = [...$.backend.options].find((x) => x.value === 'webgpu');
  if (!o) return;
  const g = state.gpu;
  o.disabled = g === 'absent' || g === 'no-adapter';
  o.textContent = g === 'absent' ? 'WebGPU (not in this browser)' : g === 'no-adapter' ? 'WebGPU (no GPU adapter)' : g === 'software' ? 'WebGPU (software adapter, slow)' : 'WebGPU';
  $.backendHint.textContent =
    g === 'absent' || g === 'no-adapter'
      ? `WebGPU is not offered: ${WHY_NO_WEBGPU[g]}. ${HOW_TO_ENABLE[g]}`
      : g === 'software'
        ? 'The only WebGPU adapter here emulates a GPU on the CPU (about 100× slower than WebAssembly), so “auto” uses WebAssembly.'
        : '';
}

function banner(kind: 'warn' | 'info', title: string, body: string): void {
  clear($.notice);
  $.notice.className = `notice ${kind}`;
  $.notice.hidden = false;
  $.notice.append(h('strong', { text: `${title} ` }), body);
}

export function renderRuntimeInfo(fellBackFrom: BackendChoice | null, why: string | null): void {
  clear($.runtimeFacts);
  const info = state.runtime?.info ?? null;
  const facts: [string, string, string][] = [];
  if (info) {
    const a = info.adapter;
    const adapterText = a ? [a.vendor, a.architecture, a.description].filter((x) => x).join(' · ') || 'unnamed adapter' : info.backend === 'webgpu' ? 'unknown' : state.gpu === 'no-adapter' ? 'none offered' : 'not used';
    facts.push(['Backend', BACKEND_NAMES[info.backend] ?? info.backend, 'runtime-backend']);
    facts.push(['Chosen because', fellBackFrom ? `${BACKEND_NAMES[fellBackFrom] ?? fellBackFrom} was asked for but ${why ?? 'failed'}` : state.gpu === 'no-adapter' && info.backend !== 'webgpu' ? 'no WebGPU adapter in this browser' : info.reason, 'runtime-reason']);
    facts.push(['WebGPU adapter', adapterText, 'runtime-adapter']);
    if (a) facts.push(['Software fallback', info.isFallbackAdapter ? 'yes (emulated on the CPU)' : 'no (hardware)', 'runtime-fallback']);
    $.pillBackend.textContent = `backend: ${BACKEND_NAMES[info.backend] ?? info.backend}`;
    $.pillBackend.dataset.backend = info.backend;
    $.pillAdapter.textContent = a ? `adapter: ${a.architecture || a.vendor || a.description || 'unnamed'}${info.isFallbackAdapter ? ' (software)' : ''}` : state.gpu === 'no-adapter' || state.gpu === 'absent' ? 'adapter: none' : 'adapter: not used';
    $.pillAdapter.classList.toggle('warn', info.isFallbackAdapter || state.gpu === 'no-adapter');
  } else {
    $.pillBackend.textContent = 'backend: none';
    $.pillBackend.dataset.backend = 'none';
    $.pillAdapter.textContent = 'adapter: none';
  }
  for (const [k, v, id] of facts) $.runtimeFacts.append(h('dt', { text: k }), h('dd', { text: v, testid: id }));
  $.runtimeFacts.dataset.backend = info?.backend ?? 'none';

  // Say plainly what runs and why, at the top of the page.
  $.notice.hidden = true;
  $.notice.dataset.fallback = fellBackFrom ? 'yes' : 'no';
  const running = info ? BACKEND_NAMES[info.backend] : 'nothing';
  if (fellBackFrom) {
    banner('warn', `${BACKEND_NAMES[fellBackFrom] ?? fellBackFrom} is not available here, so the model runs on ${running}:`, `${why ?? 'it failed to start'}. ${state.gpu === 'absent' || state.gpu === 'no-adapter' ? HOW_TO_ENABLE[state.gpu] : ''}`);
  } else if (info && info.backend !== 'webgpu' && (state.gpu === 'absent' || state.gpu === 'no-adapter')) {
    banner('warn', `No WebGPU: running on ${running}.`, `${WHY_NO_WEBGPU[state.gpu]}. ${HOW_TO_ENABLE[state.gpu]} These small binary networks run fast on the CPU as well.`);
  } else if (info && info.backend !== 'webgpu' && info.isFallbackAdapter && state.backendChoice === 'auto') {
    banner('info', 'Running on WebAssembly:', `the only WebGPU adapter here is a software fallback (${info.adapter?.architecture || info.adapter?.description || 'unknown'}), about 100× slower than WASM on the same CPU. Pick “WebGPU” under Backend to run it anyway.`);
  }
}

/** Starts the asked-for backend; if it cannot start, the next one that can (with a banner saying so). */
export async function useBackend(choice: BackendChoice): Promise<boolean> {
  state.model = null;
  state.runtime?.dispose();
  state.runtime = null;
  showPageError(null);
  let asked = choice;
  let why: string | null = null;
  if (choice === 'webgpu' && (state.gpu === 'absent' || state.gpu === 'no-adapter')) {
    why = WHY_NO_WEBGPU[state.gpu];
    asked = 'auto';
  }
  const order: BackendChoice[] = asked === 'auto' ? ['auto', 'wasm', 'cpu'] : asked === 'webgpu' ? ['webgpu', 'wasm', 'cpu'] : asked === 'wasm' ? ['wasm', 'cpu'] : ['cpu'];
  for (const b of order) {
    setStatus('loading', `Starting the ${b === 'auto' ? 'best available' : BACKEND_NAMES[b]} backend…`);
    try {
      state.runtime = await createRuntime({ backend: b });
      const fell = choice !== 'auto' && state.runtime.info.backend !== choice;
      state.backendChoice = fell ? 'auto' : choice;
      $.backend.value = state.backendChoice;
      renderRuntimeInfo(fell ? choice : null, why);
      return true;
    } catch (e) {
      // Library errors speak Node (VK_ICD_FILENAMES …): keep only their first sentence.
      why ??= errorText(e).split(/[.(]/)[0].trim();
    }
  }
  renderRuntimeInfo(null, null);
  showPageError(`No backend could start in this browser (${why ?? 'unknown error'}). Try a current Chrome, Edge, Firefox or Safari.`);
  setStatus('error', 'No backend available.');
  return false;
}
