// The model catalogue and loading: which shipped models exist, download with progress, compile, and the
// model's facts. Inputs stay disabled until a model is ready (status.ts).
import type { BeenetModel } from '../../src/index';
import { loadCatalog, loadClips, loadReport, type ClipEntry, type ModelEntry } from './catalog';
import { bigNumber, clear, h, ms } from './dom';
import { $ } from './elements';
import { BACKEND_NAMES } from './backend';
import { setStatus, showPageError } from './status';
import { errorText, state } from './state';

async function fetchBytes(url: string, onProgress: (f: number | null) => void): Promise<Uint8Array> {
  const r = await fetch(url);
  // A dev server answers a missing file with its HTML page: treat that as missing too.
  if (!r.ok || (r.headers.get('content-type') ?? '').includes('text/html')) throw new Error(`${url} is not available (HTTP ${r.ok ? 'HTML page' : r.status})`);
  const total = Number(r.headers.get('content-length')) || 0;
  if (!r.body) return new Uint8Array(await r.arrayBuffer());
  const reader = r.body.getReader();
  const parts: Uint8Array[] = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    got += value.length;
    onProgress(total ? got / total : null);
  }
  const out = new Uint8Array(got);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export interface Loaded {
  model: BeenetModel;
  clips: ClipEntry[];
}

/** Downloads and compiles a model; null when a newer load or backend switch overtook this one. */
export async function loadModel(entry: ModelEntry): Promise<Loaded | null> {
  const token = ++state.loadToken;
  const runtime = state.runtime;
  if (!runtime) return null;
  state.entry = entry;
  const previous = state.model;
  state.model = null;
  previous?.dispose();
  setStatus('loading', `Downloading ${entry.file}…`, 0);
  try {
    const bytes = await fetchBytes(`./${entry.file}`, (f) => {
      if (token === state.loadToken) setStatus('loading', `Downloading ${entry.file}…`, f);
    });
    if (token !== state.loadToken) return null;
    state.modelBytes = bytes.length;
    const backendName = BACKEND_NAMES[runtime.info.backend];
    setStatus('compiling', runtime.info.backend === 'webgpu' ? `Compiling WebGPU pipelines on ${runtime.info.adapter?.architecture || 'the adapter'}…` : `Preparing the ${backendName} kernels…`);
    const t0 = performance.now();
    const model = await runtime.load(bytes);
    state.compileMs = performance.now() - t0;
    if (token !== state.loadToken || runtime !== state.runtime) {
      model.dispose();
      return null;
    }
    const report = entry.report ? await loadReport(`./${entry.report}`, model.info.exits.length) : null;
    const clips = entry.clips ? await loadClips(`./${entry.clips}`) : [];
    if (token !== state.loadToken) {
      model.dispose();
      return null;
    }
    state.model = model;
    state.report = report;
    state.topo = { blocks: model.description.graph.blocks.length, exitAfter: model.description.graph.exits.map((e) => e.after) };
    renderModelFacts(model, entry);
    $.status.dataset.model = entry.id;
    $.status.dataset.backend = runtime.info.backend;
    return { model, clips };
  } catch (e) {
    if (token !== state.loadToken) return null;
    setStatus('error', `Could not load ${entry.id}: ${errorText(e)}`);
    showPageError(`The model ${entry.id} could not be loaded: ${errorText(e)}. Pick another model or backend below.`);
    return null;
  }
}

export function readyText(model: BeenetModel): string {
  const b = state.runtime ? BACKEND_NAMES[state.runtime.info.backend] : '';
  return `Ready: ${model.description.name} on ${b}, loaded in ${ms(state.compileMs)}`;
}

function renderModelFacts(model: BeenetModel, entry: ModelEntry): void {
  clear($.modelFacts);
  const d = model.description;
  const total = model.info.totalOps;
  const params = d.ops.blocks.reduce((a, b) => a + b.params, 0) + d.ops.exits.reduce((a, b) => a + b.params, 0);
  const facts: [string, string][] = [
    ['Model', `${d.name} (${entry.task} · ${entry.architecture})`],
    ['Classes', `${d.labels.length}: ${d.labels.slice(0, 6).join(', ')}${d.labels.length > 6 ? ', …' : ''}`],
    ['Blocks / exits', `${d.graph.blocks.length} / ${d.graph.exits.length}`],
    ['Work per clip (full)', `${bigNumber(total.binaryOps)} binary ops + ${bigNumber(total.floatOps)} float ops`],
    ['Parameters', `${bigNumber(params)} (${(state.modelBytes / 1024).toFixed(0)} KiB file)`],
    ['Input', `${d.frontend.clipSamples / d.frontend.sampleRate} s at ${d.frontend.sampleRate / 1000} kHz → ${d.graph.inputShape[0]}×${d.graph.inputShape[1]} ${d.frontend.kind === 'microfrontend' ? 'microfrontend' : 'log-mel'}`],
    ['Load + compile', ms(state.compileMs)],
  ];
  for (const [k, v] of facts) $.modelFacts.append(h('dt', { text: k }), h('dd', { text: v }));
}

/** Whether a catalogue entry's model file is really there (the list may name models still being trained). */
async function available(e: ModelEntry): Promise<boolean> {
  try {
    const r = await fetch(`./${e.file}`, { method: 'HEAD' });
    return r.ok && !(r.headers.get('content-type') ?? '').includes('text/html');
  } catch {
    return false;
  }
}

export async function readCatalog(): Promise<{ listed: number }> {
  const listed = await loadCatalog('./index.json');
  const present = await Promise.all(listed.map(available));
  state.catalog = listed.filter((_, i) => present[i]);
  return { listed: listed.length };
}

export function populateModelSelects(selectedId: string | null): ModelEntry | null {
  const tasks = [...new Set(state.catalog.map((e) => e.task))];
  clear($.task);
  for (const t of tasks) $.task.append(h('option', { text: t, attrs: { value: t } }));
  const initial = state.catalog.find((e) => e.id === selectedId) ?? state.catalog[0] ?? null;
  if (initial) $.task.value = initial.task;
  fillArchitectures(initial?.id ?? null);
  return initial;
}

export function fillArchitectures(selectedId: string | null): void {
  clear($.arch);
  for (const e of state.catalog.filter((x) => x.task === $.task.value)) {
    $.arch.append(h('option', { text: e.architecture, attrs: { value: e.id } }));
  }
  if (selectedId && state.catalog.some((e) => e.id === selectedId && e.task === $.task.value)) $.arch.value = selectedId;
}

export function selectedEntry(): ModelEntry | null {
  return state.catalog.find((e) => e.id === $.arch.value) ?? null;
}
