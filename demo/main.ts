// The beenet demo page: pick a shipped model and a backend, feed it the microphone, example clips or a dropped
// file, and watch where each clip leaves the network. Plain DOM, no framework; every dynamic element is built
// with ui/dom.ts so the page runs under a strict CSP.
import { createDetector, createRuntime, decodeWav, isBeenetError, type BackendChoice, type Detection, type KeywordDetector, type WindowOutcome, type BeenetModel, type ClassifyResult, type Runtime, type ScheduleMode } from '../src/index';
import { decodeAudio } from '../src/audio/browser';
import { loadCatalog, loadClips, loadReport, type ClipEntry, type ModelEntry, type ParsedReport } from './ui/catalog';
import { bigNumber, byId, clear, h, median, ms, pct } from './ui/dom';
import { Microphone } from './ui/mic';
import { renderDiagram, renderGates, renderHistogram, renderProbabilities, renderTradeoff, type Criterion, type Topology } from './ui/views';

const $ = {
  pillBackend: byId('pill-backend', HTMLElement),
  pillAdapter: byId('pill-adapter', HTMLElement),
  notice: byId('webgpu-notice', HTMLElement),
  micBtn: byId('mic-btn', HTMLButtonElement),
  micLabel: byId('mic-label', HTMLElement),
  meterFill: byId('meter-fill', HTMLElement),
  meterGate: byId('meter-gate', HTMLElement),
  micStatus: byId('mic-status', HTMLElement),
  clips: byId('clips', HTMLElement),
  clipsTask: byId('clips-task', HTMLElement),
  inputError: byId('input-error', HTMLElement),
  drop: byId('drop', HTMLElement),
  fileInput: byId('file-input', HTMLInputElement),
  result: byId('result', HTMLElement),
  resultSource: byId('result-source', HTMLElement),
  resultLabel: byId('result-label', HTMLElement),
  resultConfidence: byId('result-confidence', HTMLElement),
  mExit: byId('m-exit', HTMLElement),
  mLatency: byId('m-latency', HTMLElement),
  mOps: byId('m-ops', HTMLElement),
  diagram: byId('diagram', HTMLElement),
  gates: byId('gates', HTMLElement),
  probs: byId('probs', HTMLElement),
  criterion: byId('criterion', HTMLSelectElement),
  sliders: byId('sliders', HTMLElement),
  sliderHint: byId('slider-hint', HTMLElement),
  presets: byId('presets', HTMLElement),
  mode: byId('mode', HTMLSelectElement),
  backend: byId('backend', HTMLSelectElement),
  tradeoff: byId('tradeoff', HTMLElement),
  tradeoffNote: byId('tradeoff-note', HTMLElement),
  sCount: byId('s-count', HTMLElement),
  sLatency: byId('s-latency', HTMLElement),
  sSaved: byId('s-saved', HTMLElement),
  histogram: byId('histogram', HTMLElement),
  log: byId('log', HTMLOListElement),
  task: byId('task', HTMLSelectElement),
  arch: byId('arch', HTMLSelectElement),
  status: byId('model-status', HTMLElement),
  statusText: byId('model-status-text', HTMLElement),
  progressFill: byId('progress-fill', HTMLElement),
  modelFacts: byId('model-facts', HTMLElement),
  runtimeFacts: byId('runtime-facts', HTMLElement),
};

const BACKEND_NAMES: Record<string, string> = {
  webgpu: 'WebGPU',
  wasm: 'WebAssembly SIMD (CPU)',
  cpu: 'CPU reference (plain JS)',
};

/** Mic windows below this RMS level (dBFS, loudest quarter of the window) are not classified. */
const GATE_DB = -42;
const LOG_MAX = 40;

interface Input {
  audio: Float32Array;
  sampleRate: number;
  /** What the visitor sees as the source ("yes.wav", "microphone"). */
  source: string;
  kind: 'clip' | 'file' | 'mic';
}

interface Controls {
  criterion: Criterion;
  perExit: boolean;
  single: number;
  thresholds: number[];
  mode: ScheduleMode;
}

const state = {
  catalog: [] as ModelEntry[],
  entry: null as ModelEntry | null,
  runtime: null as Runtime | null,
  backendChoice: 'auto' as BackendChoice,
  model: null as BeenetModel | null,
  report: null as ParsedReport | null,
  topo: { blocks: 4, exitAfter: [0, 1, 2, 3] } as Topology,
  controls: { criterion: 'entropy', perExit: false, single: 0.5, thresholds: [0.5, 0.5, 0.5, 1], mode: 'readback' } as Controls,
  last: null as Input | null,
  lastResult: null as ClassifyResult | null,
  seq: 0,
  session: { latencies: [] as number[], ops: [] as number[], counts: [0, 0, 0, 0] },
  loadToken: 0,
  compileMs: 0,
  modelBytes: 0,
};

const mic = new Microphone();
const audioCache = new Map<string, Promise<{ audio: Float32Array; sampleRate: number }>>();

// ---------------------------------------------------------------- status and errors

function setStatus(kind: 'idle' | 'loading' | 'compiling' | 'ready' | 'error', text: string, progress: number | null = null): void {
  $.status.dataset.state = kind;
  $.statusText.textContent = text;
  $.status.classList.toggle('indeterminate', progress === null && (kind === 'loading' || kind === 'compiling'));
  $.progressFill.style.width = kind === 'ready' ? '100%' : progress === null ? '0%' : pct(progress, 1);
}

function showInputError(message: string | null): void {
  $.inputError.hidden = message === null;
  $.inputError.textContent = message ?? '';
}

function errorText(e: unknown): string {
  if (isBeenetError(e)) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

// ---------------------------------------------------------------- runtime and backend

function webgpuPresent(): boolean {
  return typeof navigator !== 'undefined' && 'gpu' in navigator && !!navigator.gpu;
}

function renderRuntimeInfo(error: string | null = null): void {
  clear($.runtimeFacts);
  const info = state.runtime?.info ?? null;
  const facts: [string, string, string][] = [];
  if (info) {
    const a = info.adapter;
    const adapterText = a
      ? [a.vendor, a.architecture, a.description].filter((x) => x).join(' · ') || 'unnamed adapter'
      : info.backend === 'webgpu'
        ? 'unknown'
        : 'not used';
    facts.push(['Backend', BACKEND_NAMES[info.backend] ?? info.backend, 'runtime-backend']);
    facts.push(['Chosen because', info.reason, 'runtime-reason']);
    facts.push(['WebGPU adapter', adapterText, 'runtime-adapter']);
    if (a) facts.push(['Software fallback', info.isFallbackAdapter ? 'yes (emulated on the CPU)' : 'no (hardware)', 'runtime-fallback']);
    $.pillBackend.textContent = `backend: ${BACKEND_NAMES[info.backend] ?? info.backend}`;
    $.pillBackend.dataset.backend = info.backend;
    $.pillAdapter.textContent = a ? `adapter: ${a.architecture || a.vendor || a.description || 'unnamed'}${info.isFallbackAdapter ? ' (software)' : ''}` : 'adapter: none';
    $.pillAdapter.classList.toggle('warn', info.isFallbackAdapter);
  } else {
    $.pillBackend.textContent = 'backend: none';
    $.pillBackend.dataset.backend = 'none';
  }
  if (error) facts.push(['Error', error, 'runtime-error']);
  for (const [k, v, id] of facts) $.runtimeFacts.append(h('dt', { text: k }), h('dd', { text: v, testid: id }));
  $.runtimeFacts.dataset.backend = info?.backend ?? 'none';

  // Say plainly why WebGPU is not what runs, and how to change that.
  clear($.notice);
  $.notice.hidden = true;
  $.notice.className = 'notice';
  if (!webgpuPresent()) {
    $.notice.hidden = false;
    $.notice.classList.add('warn');
    $.notice.append(
      h('strong', { text: 'WebGPU is not available in this browser. ' }),
      'To enable it: Chrome or Edge 113+ (on Linux, start Chrome with --enable-unsafe-webgpu or turn on chrome://flags/#enable-unsafe-webgpu), Safari 26+, or Firefox 141+ on Windows; the page must be served over https or from localhost. ',
      'Meanwhile the model runs on the WebAssembly SIMD backend (CPU), or on the plain-JavaScript CPU reference.',
    );
  } else if (info && info.backend !== 'webgpu' && info.isFallbackAdapter && state.backendChoice === 'auto') {
    $.notice.hidden = false;
    $.notice.classList.add('info');
    $.notice.append(
      h('strong', { text: 'Running on WebAssembly: ' }),
      `the only WebGPU adapter here is a software fallback (${info.adapter?.architecture || info.adapter?.description || 'unknown'}), about 100× slower than WASM on the same CPU. `,
      'Pick “WebGPU” under Backend to run it anyway.',
    );
  }
}

async function useBackend(choice: BackendChoice): Promise<boolean> {
  state.backendChoice = choice;
  state.model = null;
  state.runtime?.dispose();
  state.runtime = null;
  setStatus('loading', `Starting the ${choice === 'auto' ? 'best available' : BACKEND_NAMES[choice]} backend…`);
  try {
    state.runtime = await createRuntime({ backend: choice });
    renderRuntimeInfo();
    return true;
  } catch (e) {
    renderRuntimeInfo(errorText(e));
    setStatus('error', `${BACKEND_NAMES[choice] ?? choice} is unavailable: ${errorText(e)} Choose WebAssembly or the CPU reference.`);
    return false;
  }
}

// ---------------------------------------------------------------- models

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

function defaultControls(model: BeenetModel, report: ParsedReport | null): Controls {
  const policy = model.description.exitPolicy;
  const n = model.plan.stages.length;
  const calibrated = report?.presets.find((p) => (p.criterion ?? policy.criterion) === policy.criterion);
  const thresholds = [...(calibrated?.thresholds ?? policy.thresholds)];
  thresholds[n - 1] = 1;
  const early = thresholds.slice(0, -1);
  const uniform = early.every((t) => Math.abs(t - early[0]) < 1e-6);
  return { criterion: policy.criterion, perExit: !uniform, single: early[0] ?? 0.5, thresholds, mode: state.controls.mode };
}

async function loadModel(entry: ModelEntry): Promise<void> {
  const token = ++state.loadToken;
  const runtime = state.runtime;
  if (!runtime) return;
  state.entry = entry;
  const previous = state.model;
  state.model = null;
  previous?.dispose();
  setStatus('loading', `Downloading ${entry.file}…`, 0);
  try {
    const bytes = await fetchBytes(`./${entry.file}`, (f) => {
      if (token === state.loadToken) setStatus('loading', `Downloading ${entry.file}…`, f);
    });
    if (token !== state.loadToken) return;
    state.modelBytes = bytes.length;
    const backendName = BACKEND_NAMES[runtime.info.backend];
    setStatus('compiling', runtime.info.backend === 'webgpu' ? `Compiling WebGPU pipelines on ${runtime.info.adapter?.architecture || 'the adapter'}…` : `Preparing the ${backendName} kernels…`);
    const t0 = performance.now();
    const model = await runtime.load(bytes);
    state.compileMs = performance.now() - t0;
    if (token !== state.loadToken || runtime !== state.runtime) {
      model.dispose();
      return;
    }
    const report = entry.report ? await loadReport(`./${entry.report}`, model.plan.stages.length) : null;
    const clips = entry.clips ? await loadClips(`./${entry.clips}`) : [];
    if (token !== state.loadToken) {
      model.dispose();
      return;
    }
    state.model = model;
    state.report = report;
    state.topo = { blocks: model.description.graph.blocks.length, exitAfter: model.description.graph.exits.map((e) => e.after) };
    state.controls = defaultControls(model, report);
    resetSession();
    renderModelFacts(model, entry);
    renderControls();
    renderClips(clips, entry);
    setStatus('ready', `Ready: ${model.description.name} on ${backendName}, loaded in ${ms(state.compileMs)}`);
    $.status.dataset.model = entry.id;
    $.status.dataset.backend = runtime.info.backend;
    if (state.last) void classify(state.last, false);
    else renderResult(null);
  } catch (e) {
    if (token !== state.loadToken) return;
    setStatus('error', `Could not load ${entry.id}: ${errorText(e)}`);
  }
}

function renderModelFacts(model: BeenetModel, entry: ModelEntry): void {
  clear($.modelFacts);
  const d = model.description;
  const total = model.plan.totalOps;
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

function populateModelSelects(selectedId: string | null): ModelEntry | null {
  const tasks = [...new Set(state.catalog.map((e) => e.task))];
  clear($.task);
  for (const t of tasks) $.task.append(h('option', { text: t, attrs: { value: t } }));
  const initial = state.catalog.find((e) => e.id === selectedId) ?? state.catalog[0] ?? null;
  if (initial) $.task.value = initial.task;
  fillArchitectures(initial?.id ?? null);
  return initial;
}

function fillArchitectures(selectedId: string | null): void {
  clear($.arch);
  for (const e of state.catalog.filter((x) => x.task === $.task.value)) {
    $.arch.append(h('option', { text: e.architecture, attrs: { value: e.id } }));
  }
  if (selectedId && state.catalog.some((e) => e.id === selectedId && e.task === $.task.value)) $.arch.value = selectedId;
}

function selectedEntry(): ModelEntry | null {
  return state.catalog.find((e) => e.id === $.arch.value) ?? null;
}

// ---------------------------------------------------------------- inputs

function renderClips(clips: ClipEntry[], entry: ModelEntry): void {
  clear($.clips);
  $.clipsTask.textContent = clips.length ? `(${entry.task}: click to play and classify)` : '';
  if (clips.length === 0) {
    $.clips.append(h('p', { class: 'hint', text: 'No example clips ship with this model.' }));
    return;
  }
  for (const c of clips) {
    const b = h('button', { class: 'chip', text: c.label, testid: 'clip', title: c.file, attrs: { type: 'button', 'data-file': c.file, 'data-label': c.label } });
    b.addEventListener('click', () => void playClip(c));
    $.clips.append(b);
  }
}

/** Marks an example with what the current model and settings made of it: expected vs got, and the exit. */
function markClip(file: string, r: ClassifyResult): void {
  const b = $.clips.querySelector<HTMLElement>(`[data-testid="clip"][data-file="${CSS.escape(file)}"]`);
  if (!b) return;
  const expected = b.dataset.label ?? '';
  const ok = r.label === expected;
  b.classList.toggle('right', ok);
  b.classList.toggle('wrong', !ok);
  b.dataset.got = r.label;
  b.textContent = ok ? `${expected} ✓` : `${expected} ✗ ${r.label}`;
  b.title = `${file}: expected ${expected}, got ${r.label} at exit ${r.exit + 1}`;
  b.setAttribute('aria-label', `${expected}: ${ok ? 'right' : `wrong, heard ${r.label}`} (exit ${r.exit + 1})`);
}

async function decodeBytes(bytes: ArrayBuffer, fallbackRate: number): Promise<{ audio: Float32Array; sampleRate: number }> {
  try {
    // Our own WAV reader gives exactly the samples the Node runtime sees; the browser's decoder is the fallback.
    const w = decodeWav(bytes);
    return { audio: w.samples, sampleRate: w.sampleRate };
  } catch {
    return { audio: await decodeAudio(bytes, fallbackRate), sampleRate: fallbackRate };
  }
}

function modelRate(): number {
  return state.model?.description.frontend.sampleRate ?? 16000;
}

function playUrl(url: string): void {
  const a = new Audio(url);
  // Autoplay can be refused (no audio device, policy): classification does not depend on it.
  a.play().catch(() => undefined);
}

async function playClip(c: ClipEntry): Promise<void> {
  showInputError(null);
  playUrl(c.url);
  try {
    let p = audioCache.get(c.url);
    if (!p) {
      p = fetch(c.url)
        .then((r) => {
          if (!r.ok) throw new Error(`${c.file}: HTTP ${r.status}`);
          return r.arrayBuffer();
        })
        .then((b) => decodeBytes(b, modelRate()));
      audioCache.set(c.url, p);
      p.catch(() => audioCache.delete(c.url));
    }
    const a = await p;
    await classify({ ...a, source: c.file, kind: 'clip' }, true);
  } catch (e) {
    showInputError(`Could not classify ${c.file}: ${errorText(e)}`);
  }
}

let droppedUrl: string | null = null;

async function useFile(file: File): Promise<void> {
  showInputError(null);
  try {
    const bytes = await file.arrayBuffer();
    const a = await decodeBytes(bytes, modelRate());
    if (droppedUrl) URL.revokeObjectURL(droppedUrl);
    droppedUrl = URL.createObjectURL(file);
    playUrl(droppedUrl);
    await classify({ ...a, source: file.name, kind: 'file' }, true);
  } catch (e) {
    showInputError(`Could not read ${file.name}: ${errorText(e)}`);
  }
}

function setLevel(db: number): void {
  const f = Math.min(1, Math.max(0, (db + 80) / 80));
  $.meterFill.style.width = pct(f, 1);
  $.meterFill.classList.toggle('open', db >= GATE_DB);
}

let lastMicLog = 0;
/** The streaming detector the microphone feeds (src/stream/detector.ts): windows, smoothing, events. */
let detector: KeywordDetector | null = null;
let lastDetection: Detection | null = null;

const MIC_INPUT: Input = { audio: new Float32Array(0), sampleRate: 16000, source: 'microphone', kind: 'mic' };

function onMicWindow(w: WindowOutcome): void {
  if (!detector) return;
  const st = detector.stats();
  const ran = st.windows - st.gated - st.dropped;
  const saved = ran > 0 ? `${pct(1 - st.meanBinaryOpsFraction, 0)} of the binary ops saved` : 'nothing run yet';
  const heard = lastDetection ? `; last: “${lastDetection.label}” at ${lastDetection.time.toFixed(1)} s (E${lastDetection.exit + 1})` : '';
  $.micStatus.textContent =
    `Listening: ${st.windows} windows in ${st.audioSeconds.toFixed(0)} s, exits ${st.exits.join('/')}, ${st.gated} below the ` +
    `${GATE_DB} dBFS gate, ${st.dropped} dropped; ${saved}${heard}`;
  if (w.result) {
    record(w.result, MIC_INPUT);
    renderResult(w.result, MIC_INPUT);
  }
}

function onMicDetection(d: Detection): void {
  lastDetection = d;
  const li = h('li', { class: 'log-item detection', testid: 'detection', attrs: { 'data-key': `detect:${d.label}` } }, [
    h('span', { class: 'log-src mic', text: 'heard' }),
    h('span', { class: 'log-label', text: d.label }),
    h('span', { class: `log-exit e${d.exit}`, text: `E${d.exit + 1}` }),
    h('span', { class: 'log-ms', text: `p ${d.probability.toFixed(2)}` }),
    h('span', { class: 'log-count', text: '' }),
    h('span', { class: 'log-from muted', text: `${d.time.toFixed(1)} s` }),
  ]);
  $.log.prepend(li);
  while ($.log.children.length > LOG_MAX) $.log.lastElementChild?.remove();
}

async function toggleMic(): Promise<void> {
  showInputError(null);
  if (mic.running) {
    mic.stop();
    detector?.stop();
    detector = null;
    $.micLabel.textContent = 'Start microphone';
    $.micBtn.classList.remove('live');
    $.micStatus.textContent = 'Microphone off.';
    setLevel(-120);
    return;
  }
  if (!Microphone.supported()) {
    showInputError('This browser has no microphone capture with AudioWorklet (needs https or localhost).');
    return;
  }
  if (!state.model) return;
  let detectorModel: BeenetModel | null = null;
  try {
    $.micBtn.disabled = true;
    lastDetection = null;
    await mic.start({
      onBlock: (block, sampleRate) => {
        const model = state.model;
        if (!model) return;
        // One detector per capture and model: created at the context's rate, replaced when the model changes.
        if (detector && detectorModel !== model) {
          detector.stop();
          detector = null;
        }
        detectorModel = model;
        detector ??= createDetector(model, {
          sampleRate,
          hopMs: 100,
          energyGateDb: GATE_DB,
          exit: exitOptions(),
          onWindow: onMicWindow,
          onDetection: onMicDetection,
        });
        detector.push(block).catch((e: unknown) => {
          if (!(isBeenetError(e) && e.code === 'DISPOSED')) showInputError(`Listening failed: ${errorText(e)}`);
        });
      },
      onLevel: setLevel,
    });
    $.micLabel.textContent = 'Stop microphone';
    $.micBtn.classList.add('live');
    $.micStatus.textContent = 'Listening… say a keyword.';
  } catch (e) {
    showInputError(`Microphone unavailable: ${errorText(e)}`);
  } finally {
    $.micBtn.disabled = false;
  }
}

// ---------------------------------------------------------------- classification

let busy = false;
let queued: { input: Input; count: boolean } | null = null;

function exitOptions(): { criterion: Criterion; mode: ScheduleMode; threshold?: number; thresholds?: number[] } {
  const c = state.controls;
  if (c.perExit) return { criterion: c.criterion, mode: c.mode, thresholds: [...c.thresholds] };
  return { criterion: c.criterion, mode: c.mode, threshold: c.single };
}

function effectiveThresholds(): number[] {
  const n = state.topo.exitAfter.length;
  const c = state.controls;
  return Array.from({ length: n }, (_, k) => (k === n - 1 ? 1 : c.perExit ? c.thresholds[k] : c.single));
}

/** Classifies one input; `count` = add it to the session statistics (replays after a control change do not). */
async function classify(input: Input, count: boolean): Promise<void> {
  if (busy) {
    // Keep the newest request; a counted one is never replaced by a replay.
    if (!queued || count || !queued.count) queued = { input, count };
    return;
  }
  const model = state.model;
  if (!model) return;
  busy = true;
  try {
    const r = await model.classify({ audio: input.audio, sampleRate: input.sampleRate }, exitOptions());
    if (model !== state.model) return;
    state.last = input;
    state.lastResult = r;
    state.seq++;
    if (count) record(r, input);
    if (input.kind === 'clip') markClip(input.source, r);
    renderResult(r, input);
  } catch (e) {
    if (model === state.model && !(isBeenetError(e) && e.code === 'DISPOSED')) showInputError(`Classification failed: ${errorText(e)}`);
  } finally {
    busy = false;
    const next = queued;
    queued = null;
    if (next) void classify(next.input, next.count);
  }
}

function renderResult(r: ClassifyResult | null, input: Input | null = null): void {
  const labels = state.model?.labels ?? [];
  const n = state.topo.exitAfter.length;
  const t = effectiveThresholds();
  renderDiagram($.diagram, state.topo, r);
  renderGates($.gates, r, state.controls.criterion, t);
  renderProbabilities($.probs, labels, r);
  const el = $.result;
  el.dataset.seq = String(state.seq);
  if (!r) {
    $.resultLabel.textContent = '—';
    $.resultConfidence.textContent = 'Speak, pick an example clip, or drop a WAV file.';
    $.resultSource.textContent = '';
    $.mExit.textContent = '—';
    $.mLatency.textContent = '—';
    $.mOps.textContent = '—';
    delete el.dataset.label;
    delete el.dataset.exit;
    return;
  }
  el.dataset.label = r.label;
  el.dataset.exit = String(r.exit);
  el.dataset.source = input?.source ?? '';
  el.dataset.backend = r.backend;
  el.dataset.criterion = state.controls.criterion;
  el.dataset.thresholds = JSON.stringify(t);
  $.resultLabel.textContent = r.label;
  $.resultSource.textContent = input ? `· ${input.source}` : '';
  const score = state.controls.criterion === 'entropy' ? `entropy ${r.entropy.toFixed(2)}` : `max p ${r.maxProb.toFixed(2)}`;
  $.resultConfidence.textContent = `p = ${pct(r.maxProb, 1)} · ${score} · ran ${r.blocksRun} of ${state.topo.blocks} blocks`;
  $.mExit.textContent = `E${r.exit + 1} of ${n}`;
  $.mExit.dataset.exit = String(r.exit);
  $.mLatency.textContent = ms(r.timings.inferenceMs);
  $.mLatency.title = `inference ${ms(r.timings.inferenceMs)} + front end ${ms(r.timings.featuresMs)}`;
  $.mOps.textContent = pct(r.binaryOpsFraction, 0);
  $.mOps.title = `${pct(1 - r.binaryOpsFraction, 0)} of the binary operations saved; float ops ${pct(r.floatOpsFraction, 0)}`;
}

function resetSession(): void {
  state.session = { latencies: [], ops: [], counts: new Array<number>(state.topo.exitAfter.length).fill(0) };
  clear($.log);
  renderSession();
}

function record(r: ClassifyResult, input: Input): void {
  const s = state.session;
  s.latencies.push(r.timings.inferenceMs);
  s.ops.push(r.binaryOpsFraction);
  s.counts[r.exit]++;
  const now = Date.now();
  const first = $.log.firstElementChild;
  // Consecutive mic windows of one word say the same thing: fold them into one log line.
  if (input.kind === 'mic' && first instanceof HTMLElement && first.dataset.key === `mic:${r.label}:${r.exit}` && now - lastMicLog < 2000) {
    const c = Number(first.dataset.count ?? '1') + 1;
    first.dataset.count = String(c);
    const tail = first.querySelector('.log-count');
    if (tail) tail.textContent = `×${c}`;
  } else {
    const li = h('li', { class: 'log-item', testid: 'log-item', attrs: { 'data-key': `${input.kind}:${r.label}:${r.exit}`, 'data-count': '1' } }, [
      h('span', { class: `log-src ${input.kind}`, text: input.kind }),
      h('span', { class: 'log-label', text: r.label }),
      h('span', { class: `log-exit e${r.exit}`, text: `E${r.exit + 1}` }),
      h('span', { class: 'log-ms', text: ms(r.timings.inferenceMs) }),
      h('span', { class: 'log-count', text: '' }),
      h('span', { class: 'log-from muted', text: input.kind === 'mic' ? '' : input.source }),
    ]);
    $.log.prepend(li);
    while ($.log.children.length > LOG_MAX) $.log.lastElementChild?.remove();
  }
  if (input.kind === 'mic') lastMicLog = now;
  renderSession();
}

function renderSession(): void {
  const s = state.session;
  $.sCount.textContent = String(s.latencies.length);
  $.sLatency.textContent = ms(median(s.latencies));
  const meanOps = s.ops.length ? s.ops.reduce((a, b) => a + b, 0) / s.ops.length : NaN;
  $.sSaved.textContent = Number.isFinite(meanOps) ? pct(1 - meanOps, 0) : '—';
  $.sSaved.title = Number.isFinite(meanOps) ? `mean binary ops per clip: ${pct(meanOps, 1)} of the full model` : '';
  renderHistogram($.histogram, s.counts);
  renderChart();
}

// ---------------------------------------------------------------- controls

function presetsFor(): { id: string; name: string; thresholds: number[]; note: string }[] {
  const model = state.model;
  if (!model) return [];
  const n = model.plan.stages.length;
  const c = state.controls.criterion;
  const out: { id: string; name: string; thresholds: number[]; note: string }[] = [];
  const fill = (t: number): number[] => Array.from({ length: n }, (_, k) => (k === n - 1 ? 1 : t));
  for (const p of state.report?.presets ?? []) {
    if ((p.criterion ?? model.description.exitPolicy.criterion) !== c) continue;
    const acc = p.accuracy !== null ? ` · ${pct(p.accuracy, 1)} accuracy` : '';
    const ops = p.binaryOpsFraction !== null ? ` at ${pct(p.binaryOpsFraction, 0)} ops` : '';
    out.push({ id: `report-${out.length}`, name: p.name || 'calibrated', thresholds: p.thresholds, note: `from the model's evaluation${acc}${ops}` });
  }
  if (model.description.exitPolicy.criterion === c) {
    out.push({ id: 'default', name: 'model default', thresholds: [...model.description.exitPolicy.thresholds], note: 'the thresholds stored in the model file' });
  }
  if (c === 'entropy') {
    out.push({ id: 'fastest', name: 'fastest', thresholds: fill(1), note: 'every clip leaves at the first exit' });
    out.push({ id: 'full', name: 'full model', thresholds: fill(0), note: 'never exit early: every clip runs every block' });
  } else {
    out.push({ id: 'fastest', name: 'fastest', thresholds: fill(0), note: 'every clip leaves at the first exit' });
    out.push({ id: 'full', name: 'full model', thresholds: fill(1.01), note: 'never exit early: every clip runs every block' });
  }
  return out;
}

function applyThresholds(t: number[]): void {
  const n = state.topo.exitAfter.length;
  const early = t.slice(0, n - 1);
  const uniform = early.every((x) => Math.abs(x - early[0]) < 1e-6);
  state.controls.thresholds = [...early, 1];
  state.controls.perExit = !uniform;
  state.controls.single = early[0] ?? state.controls.single;
}

function renderControls(): void {
  const c = state.controls;
  const n = state.topo.exitAfter.length;
  $.criterion.value = c.criterion;
  $.mode.value = c.mode;
  for (const r of document.querySelectorAll<HTMLInputElement>('input[name="tmode"]')) r.checked = r.value === (c.perExit ? 'per-exit' : 'single');
  clear($.sliders);
  const max = c.criterion === 'entropy' ? 1 : 1.01;
  const slider = (label: string, value: number, testid: string, onInput: (v: number) => void): HTMLElement => {
    const input = h('input', { testid, attrs: { type: 'range', min: '0', max: String(max), step: '0.01', value: String(value), 'aria-label': label } });
    const out = h('output', { class: 'slider-val', text: value.toFixed(2) });
    input.addEventListener('input', () => {
      const v = Number(input.value);
      out.textContent = v.toFixed(2);
      onInput(v);
    });
    return h('div', { class: 'slider' }, [h('span', { class: 'slider-name', text: label }), input, out]);
  };
  if (!c.perExit) {
    $.sliders.append(
      slider('all exits', c.single, 'threshold', (v) => {
        c.single = v;
        c.thresholds = Array.from({ length: n }, (_, k) => (k === n - 1 ? 1 : v));
        onControlsChanged(false);
      }),
    );
  } else {
    for (let k = 0; k < n - 1; k++) {
      $.sliders.append(
        slider(`exit ${k + 1}`, c.thresholds[k], `threshold-${k}`, (v) => {
          c.thresholds[k] = v;
          onControlsChanged(false);
        }),
      );
    }
    $.sliders.append(h('p', { class: 'hint', text: `Exit ${n} is the last: it always accepts.` }));
  }
  const modeNote = c.mode === 'gpu' && state.runtime?.info.backend !== 'webgpu' ? ' “gpu” scheduling needs the WebGPU backend; here it runs as readback.' : '';
  $.sliderHint.textContent =
    (c.criterion === 'entropy'
      ? 'A clip leaves at the first exit whose normalised entropy is below the threshold. Lower = stricter: deeper, more accurate, more work; 0 runs every clip to the last exit.'
      : 'A clip leaves at the first exit whose top probability reaches the threshold. Higher = stricter: deeper, more accurate, more work.') + modeNote;
  clear($.presets);
  const cur = effectiveThresholds();
  for (const p of presetsFor()) {
    const active = p.thresholds.length === n && p.thresholds.every((x, k) => k === n - 1 || Math.abs(x - cur[k]) < 1e-6);
    const b = h('button', { class: `chip preset ${active ? 'active' : ''}`, text: p.name, title: `${p.note}: ${p.thresholds.slice(0, -1).map((x) => x.toFixed(2)).join(' / ')}`, testid: `preset-${p.id}`, attrs: { type: 'button' } });
    b.addEventListener('click', () => {
      applyThresholds(p.thresholds);
      onControlsChanged(true);
    });
    $.presets.append(b);
  }
  renderChart();
}

/** A control moved: re-render what depends on it and re-run the last input (nothing is reloaded). */
function onControlsChanged(rebuild: boolean): void {
  if (rebuild) renderControls();
  else {
    // Slider drags keep their element (and focus); only the preset highlights and the chart follow.
    const cur = effectiveThresholds();
    const n = cur.length;
    const ps = presetsFor();
    [...$.presets.children].forEach((b, i) => {
      const p = ps[i];
      b.classList.toggle('active', !!p && p.thresholds.every((x, k) => k === n - 1 || Math.abs(x - cur[k]) < 1e-6));
    });
    renderChart();
  }
  if (state.last) void classify(state.last, false);
}

function renderChart(): void {
  const r = state.report;
  const model = state.model;
  if (!r || r.sweep.length === 0 || !model) {
    clear($.tradeoff);
    $.tradeoff.append(h('p', { class: 'empty', text: model ? 'No evaluation report ships with this model, so there is no trade-off curve to show.' : 'Load a model to see its trade-off.' }));
    $.tradeoffNote.textContent = '';
    return;
  }
  const c = state.controls;
  const sweepCriterion = r.criterion ?? model.description.exitPolicy.criterion;
  const s = state.session;
  const presets = r.presets.filter((p) => (p.criterion ?? sweepCriterion) === c.criterion);
  const cur = effectiveThresholds();
  const at = presets.findIndex((p) => p.thresholds.length === cur.length && p.thresholds.every((x, k) => k === cur.length - 1 || Math.abs(x - cur[k]) < 1e-6));
  renderTradeoff($.tradeoff, {
    sweep: r.sweep,
    presets,
    currentPreset: c.perExit && at >= 0 ? at : null,
    threshold: !c.perExit && c.criterion === sweepCriterion ? c.single : null,
    sessionOps: s.ops.length ? s.ops.reduce((a, b) => a + b, 0) / s.ops.length : null,
  });
  $.tradeoffNote.textContent =
    `From the model's shipped evaluation: one threshold for every exit, swept from 0 to 1 (${sweepCriterion}). ` +
    (c.perExit || c.criterion !== sweepCriterion ? 'The amber marker follows the one-for-all slider. ' : 'The amber marker is the current threshold. ') +
    'Green diamonds are calibrated per-exit operating points; the green tick on the x axis is this session’s mean.';
}

// ---------------------------------------------------------------- wiring

function wire(): void {
  $.micBtn.addEventListener('click', () => void toggleMic());
  $.fileInput.addEventListener('change', () => {
    const f = $.fileInput.files?.[0];
    if (f) void useFile(f);
    $.fileInput.value = '';
  });
  $.drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    $.drop.classList.add('over');
  });
  $.drop.addEventListener('dragleave', () => $.drop.classList.remove('over'));
  $.drop.addEventListener('drop', (e) => {
    e.preventDefault();
    $.drop.classList.remove('over');
    const f = e.dataTransfer?.files[0];
    if (f) void useFile(f);
  });
  // Dropping anywhere else would navigate away to the file.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());

  $.criterion.addEventListener('change', () => {
    const c = state.controls;
    const model = state.model;
    c.criterion = $.criterion.value === 'maxprob' ? 'maxprob' : 'entropy';
    if (model && c.criterion === model.description.exitPolicy.criterion) {
      Object.assign(c, { ...defaultControls(model, state.report), mode: c.mode });
    } else {
      // The other criterion's scale runs the other way: start from a typical confidence bar.
      applyThresholds(new Array<number>(state.topo.exitAfter.length).fill(c.criterion === 'maxprob' ? 0.9 : 0.5));
    }
    onControlsChanged(true);
  });
  for (const r of document.querySelectorAll<HTMLInputElement>('input[name="tmode"]')) {
    r.addEventListener('change', () => {
      const c = state.controls;
      c.perExit = r.value === 'per-exit' && r.checked;
      if (c.perExit) c.thresholds = c.thresholds.map((x, k) => (k === c.thresholds.length - 1 ? 1 : c.single));
      onControlsChanged(true);
    });
  }
  $.mode.addEventListener('change', () => {
    const v = $.mode.value;
    state.controls.mode = v === 'gpu' || v === 'all-exits' ? v : 'readback';
    onControlsChanged(true);
  });
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

async function switchBackend(choice: BackendChoice): Promise<void> {
  state.loadToken++;
  if (!(await useBackend(choice))) return;
  updateUrl();
  const e = state.entry ?? selectedEntry();
  if (e) await loadModel(e);
}

async function switchModel(e: ModelEntry): Promise<void> {
  // Inputs belong to the old model's task.
  state.last = null;
  state.lastResult = null;
  updateUrl(e.id);
  if (!state.runtime && !(await useBackend(state.backendChoice))) return;
  await loadModel(e);
}

function updateUrl(modelId?: string): void {
  const u = new URL(location.href);
  u.searchParams.set('backend', state.backendChoice);
  const id = modelId ?? state.entry?.id;
  if (id) u.searchParams.set('model', id);
  history.replaceState(null, '', u);
}

async function main(): Promise<void> {
  wire();
  $.meterGate.style.left = pct((GATE_DB + 80) / 80, 1);
  if (!webgpuPresent()) {
    const o = [...$.backend.options].find((x) => x.value === 'webgpu');
    if (o) {
      o.textContent = 'WebGPU (not available in this browser)';
      o.disabled = true;
    }
  }
  if (!Microphone.supported()) {
    $.micBtn.disabled = true;
    $.micStatus.textContent = 'Microphone capture needs a browser with AudioWorklet, over https or localhost.';
  }
  renderResult(null);
  renderHistogram($.histogram, state.session.counts);
  renderChart();

  const params = new URLSearchParams(location.search);
  const b = params.get('backend');
  const choice: BackendChoice = b === 'webgpu' || b === 'wasm' || b === 'cpu' ? b : 'auto';
  $.backend.value = choice;

  setStatus('loading', 'Reading the model catalogue…');
  const listed = await loadCatalog('./index.json');
  const present = await Promise.all(listed.map(available));
  state.catalog = listed.filter((_, i) => present[i]);
  const entry = populateModelSelects(params.get('model'));
  if (!(await useBackend(choice))) return;
  if (!entry) {
    setStatus('error', listed.length ? `None of the ${listed.length} models in index.json is available yet.` : 'No shipped models were found (index.json is missing or empty).');
    return;
  }
  await loadModel(entry);
}

void main();
