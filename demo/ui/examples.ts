// The model's example clips: one button each (plays and classifies it), expected vs got kept on the button
// (misses stay, marked), and "run all examples": accuracy, mean exit and ops saved for the current settings.
import { isBeenetError, type ClassifyResult } from '../../src/index';
import type { ClipEntry, ModelEntry } from './catalog';
import { decodeBytes } from './decode';
import { clear, h, pct } from './dom';
import { $ } from './elements';
import { friendly } from './labels';
import { classify } from './classify';
import { announce, revealIfHidden, showInputError } from './status';
import { effectiveThresholds, errorText, exitOptions, hooks, spent, state } from './state';

const audioCache = new Map<string, Promise<{ audio: Float32Array; sampleRate: number }>>();

function modelRate(): number {
  return state.model?.description.frontend.sampleRate ?? 16000;
}

function clipAudio(c: ClipEntry): Promise<{ audio: Float32Array; sampleRate: number }> {
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
  return p;
}

export function playUrl(url: string): void {
  const a = new Audio(url);
  // Autoplay can be refused (no audio device, policy): classification does not depend on it.
  a.play().catch(() => undefined);
}

export function renderClips(clips: ClipEntry[], entry: ModelEntry): void {
  state.clips = clips;
  state.examples = null;
  clear($.clips);
  clear($.runAllSummary);
  $.runAll.hidden = clips.length === 0;
  $.clipsTask.textContent = clips.length ? `(${entry.task}: tap one to play and classify it)` : '';
  if (clips.length === 0) {
    $.clips.append(h('p', { class: 'hint', text: 'No example clips ship with this model.' }));
    return;
  }
  for (const c of clips) {
    const b = h('button', { class: 'chip', text: friendly(c.label), testid: 'clip', title: c.file, attrs: { type: 'button', 'data-file': c.file, 'data-label': c.label } });
    b.addEventListener('click', () => void playClip(c));
    $.clips.append(b);
  }
}

/** Marks an example with what the current model and settings made of it: expected vs got, and the exit. */
export function markClip(file: string, r: ClassifyResult): void {
  const b = $.clips.querySelector<HTMLElement>(`[data-testid="clip"][data-file="${CSS.escape(file)}"]`);
  if (!b) return;
  const expected = b.dataset.label ?? '';
  const ok = r.label === expected;
  b.classList.toggle('right', ok);
  b.classList.toggle('wrong', !ok);
  b.dataset.got = r.label;
  b.dataset.exit = String(r.exit);
  b.textContent = ok ? `${friendly(expected)} ✓` : `${friendly(expected)} ✗ ${friendly(r.label)}`;
  b.title = `${file}: expected ${friendly(expected)}, got ${friendly(r.label)} at exit ${r.exit + 1}`;
  b.setAttribute('aria-label', `${friendly(expected)}: ${ok ? 'right' : `wrong, heard ${friendly(r.label)}`} (exit ${r.exit + 1})`);
}

async function playClip(c: ClipEntry): Promise<void> {
  showInputError(null);
  playUrl(c.url);
  try {
    const a = await clipAudio(c);
    await classify({ ...a, source: c.file, kind: 'clip' }, true);
  } catch (e) {
    showInputError(`Could not classify ${c.file}: ${errorText(e)}`);
  }
}

let runToken = 0;

/** Classifies every example in one batch with the current settings and reports how they did. */
export async function runAll(reveal: boolean): Promise<void> {
  const model = state.model;
  const clips = state.clips;
  if (!model || clips.length === 0) return;
  const token = ++runToken;
  $.runAll.disabled = true;
  try {
    const audio = await Promise.all(clips.map(clipAudio));
    const results = await model.classifyBatch(audio, exitOptions());
    if (token !== runToken || model !== state.model) return;
    results.forEach((r, i) => markClip(clips[i].file, r));
    const n = results.length;
    const right = results.filter((r, i) => r.label === clips[i].label).length;
    const meanExit = results.reduce((a, r) => a + r.exit + 1, 0) / n;
    const meanOps = results.reduce((a, r) => a + spent(r).ops, 0) / n;
    const thresholdOps = results.reduce((a, r) => a + r.binaryOpsFraction, 0) / n;
    state.examples = { accuracy: right / n, meanExit, meanOps, count: n };
    clear($.runAllSummary);
    const el = $.runAllSummary;
    el.dataset.seq = String(token);
    el.dataset.thresholds = JSON.stringify(effectiveThresholds());
    el.dataset.criterion = state.controls.criterion;
    el.dataset.accuracy = String(right / n);
    el.dataset.right = String(right);
    el.dataset.count = String(n);
    el.dataset.meanExit = String(meanExit);
    el.dataset.ops = String(meanOps);
    const wrong = results.map((r, i) => (r.label === clips[i].label ? null : `${friendly(clips[i].label)} → ${friendly(r.label)}`)).filter((x) => x);
    const all = results[0]?.mode === 'all-exits';
    el.append(
      h('span', { class: 'sum-k', text: 'accuracy' }), h('strong', { testid: 'run-all-accuracy', text: `${right}/${n} (${pct(right / n, 0)})` }),
      h('span', { class: 'sum-k', text: 'mean exit' }), h('strong', { testid: 'run-all-exit', text: `E${meanExit.toFixed(2)}` }),
      h('span', { class: 'sum-k', text: 'ops saved' }), h('strong', { testid: 'run-all-saved', text: pct(1 - meanOps, 0) }),
      h('span', { class: 'sum-note muted', text: (all ? `all exits evaluated, so nothing saved; the threshold would have saved ${pct(1 - thresholdOps, 0)}. ` : '') + (wrong.length ? `Missed: ${wrong.join(', ')}.` : 'Every example right.') }),
    );
    hooks.renderChart();
    announce(`Examples: ${right} of ${n} right, mean exit ${meanExit.toFixed(1)}, ${pct(1 - meanOps, 0)} of the binary operations saved.`);
    if (reveal) revealIfHidden($.runAllSummary);
  } catch (e) {
    if (!(isBeenetError(e) && e.code === 'DISPOSED')) showInputError(`Could not run the examples: ${errorText(e)}`);
  } finally {
    if (token === runToken) $.runAll.disabled = !state.model;
  }
}

/** After a control change, a shown summary is re-measured with the new settings. */
let refreshTimer: ReturnType<typeof setTimeout> | null = null;
export function refreshExamples(): void {
  if (!state.examples) return;
  // A drag on the slider or chart moves many times a second: measure once it rests.
  if (refreshTimer) clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void runAll(false), 120);
}

/** On load: measure the examples and show the first one, so the page has something to say at once. */
export async function firstLook(): Promise<void> {
  const first = state.clips[0];
  if (!first || !state.model) return;
  await runAll(false);
  try {
    const a = await clipAudio(first);
    if (!state.last) await classify({ ...a, source: first.file, kind: 'clip' }, false);
  } catch {
    // runAll has already said what failed.
  }
}
