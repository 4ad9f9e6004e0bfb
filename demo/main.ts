// The beenet demo page: pick a shipped model and a backend, feed it the microphone, example clips or a dropped
// file, and watch where each clip leaves the network. Plain DOM, no framework; every dynamic element is built
// with ui/dom.ts so the page runs under a strict CSP. This file only wires the modules in ui/ together.
import type { BackendChoice } from '../src/index';
import { offerBackends, probeWebGpu, useBackend } from './ui/backend';
import { onClipResult, rerunLast } from './ui/classify';
import { defaultControls, onRerun, renderControls, setSingleThreshold, applyChartPreset, wireControls } from './ui/controls';
import { pct } from './ui/dom';
import { $ } from './ui/elements';
import { firstLook, markClip, refreshExamples, renderClips, runAll } from './ui/examples';
import { clearWindows, rerunLongFile, wireFiles } from './ui/files';
import { GATE_DB, restartDetector, toggleMic } from './ui/listen';
import { Microphone } from './ui/mic';
import { fillArchitectures, loadModel, populateModelSelects, readCatalog, readyText, selectedEntry } from './ui/models';
import { renderResult } from './ui/result';
import { renderSession, resetSession } from './ui/session';
import { setStatus, showPageError } from './ui/status';
import { hooks, state } from './ui/state';
import { initChartInput, renderChart } from './ui/tradeoff';
import type { ModelEntry } from './ui/catalog';

hooks.renderChart = renderChart;
hooks.refreshExamples = refreshExamples;
onRerun(() => {
  restartDetector();
  if (!rerunLongFile()) rerunLast();
});
onClipResult((file, r) => {
  clearWindows();
  markClip(file, r);
});

/** Loads a model on the current runtime and brings every view to it; ends with something on screen. */
async function open(entry: ModelEntry): Promise<void> {
  const loaded = await loadModel(entry);
  if (!loaded) return;
  state.controls = defaultControls(loaded.model);
  state.last = null;
  state.lastResult = null;
  clearWindows();
  resetSession();
  renderClips(loaded.clips, entry);
  renderControls();
  renderResult(null);
  renderChart();
  // "ready" once the first look is on screen, so nothing the visitor does races it.
  setStatus('compiling', 'Running the examples…');
  await firstLook();
  if (state.model === loaded.model) setStatus('ready', readyText(loaded.model));
}

async function switchBackend(choice: BackendChoice): Promise<void> {
  state.loadToken++;
  if (!(await useBackend(choice))) return;
  updateUrl();
  offerBackends();
  const e = state.entry ?? selectedEntry();
  if (e) await open(e);
}

async function switchModel(e: ModelEntry): Promise<void> {
  updateUrl(e.id);
  if (!state.runtime && !(await useBackend(state.backendChoice))) return;
  await open(e);
}

function updateUrl(modelId?: string): void {
  const u = new URL(location.href);
  u.searchParams.set('backend', state.backendChoice);
  const id = modelId ?? state.entry?.id;
  if (id) u.searchParams.set('model', id);
  history.replaceState(null, '', u);
}

function wire(): void {
  $.micBtn.addEventListener('click', () => void toggleMic());
  $.runAll.addEventListener('click', () => void runAll(true));
  wireFiles();
  wireControls();
  initChartInput(setSingleThreshold, applyChartPreset);
  $.backend.addEventListener('change', () => void switchBackend($.backend.value as BackendChoice));
  $.task.addEventListener('change', () => {
    fillArchitectures(null);
    const e = selectedEntry();
    if (e) void switchModel(e);
  });
  $.arch.addEventListener('change', () => {
    const e = selectedEntry();
    if (e) void switchModel(e);
  });
}

async function main(): Promise<void> {
  wire();
  $.meterGate.style.left = pct((GATE_DB + 80) / 80, 1);
  if (!Microphone.supported()) $.micStatus.textContent = 'Microphone capture needs a browser with AudioWorklet, over https or localhost.';
  setStatus('loading', 'Checking WebGPU…');
  renderResult(null);
  renderSession();

  state.gpu = await probeWebGpu();
  offerBackends();
  const params = new URLSearchParams(location.search);
  const b = params.get('backend');
  const choice: BackendChoice = b === 'webgpu' || b === 'wasm' || b === 'cpu' ? b : 'auto';
  $.backend.value = choice;

  setStatus('loading', 'Reading the model catalogue…');
  const { listed } = await readCatalog();
  const entry = populateModelSelects(params.get('model'));
  if (!(await useBackend(choice))) return;
  if (choice !== state.backendChoice) updateUrl();
  if (!entry) {
    const msg = listed ? `None of the ${listed} models in index.json is available yet.` : 'No shipped models were found (index.json is missing or empty).';
    setStatus('error', msg);
    showPageError(msg);
    return;
  }
  await open(entry);
  if (!Microphone.supported()) $.micBtn.disabled = true;
}

void main();
