// A dropped or chosen audio file. A clip of about the model's length is classified as is; a longer one in
// 1 s windows every 0.5 s (one batch), with every window listed and the most confident one shown. A file that
// cannot be read clears the result and says why.
import { isBeenetError, type ClassifyResult } from '../../src/index';
import { decodeBytes } from './decode';
import { clear, h, pct } from './dom';
import { $ } from './elements';
import { playUrl } from './examples';
import { classify } from './classify';
import { friendly, isFiller } from './labels';
import { renderResult } from './result';
import { record } from './session';
import { announce, revealIfHidden, showInputError } from './status';
import { errorText, exitOptions, hooks, state, type Input } from './state';

const HOP_S = 0.5;
let droppedUrl: string | null = null;
/** The long file on show, so a control change re-runs all its windows. */
let long: { file: Input; best: Input } | null = null;

function clipSeconds(): number {
  const fe = state.model?.description.frontend;
  return fe ? fe.clipSamples / fe.sampleRate : 1;
}

export function clearWindows(): void {
  clear($.windows);
  $.windows.hidden = true;
}

/** Bad input: nothing of the previous result may stay on screen as if it were this file's. */
function clearResult(): void {
  long = null;
  state.last = null;
  state.lastResult = null;
  state.seq++;
  clearWindows();
  renderResult(null);
  hooks.renderChart();
}

export async function useFile(file: File): Promise<void> {
  showInputError(null);
  try {
    const bytes = await file.arrayBuffer();
    const a = await decodeBytes(bytes, state.model?.description.frontend.sampleRate ?? 16000);
    if (a.audio.length === 0) throw new Error('it holds no audio samples');
    if (droppedUrl) URL.revokeObjectURL(droppedUrl);
    droppedUrl = URL.createObjectURL(file);
    playUrl(droppedUrl);
    const input: Input = { ...a, source: file.name, kind: 'file' };
    const seconds = a.audio.length / a.sampleRate;
    if (seconds > clipSeconds() * 1.25) await classifyWindows(input, true);
    else {
      long = null;
      const clip = clipSeconds();
      const note = Math.abs(seconds - clip) < 0.01 ? null : seconds > clip ? `${seconds.toFixed(2)} s file: the middle ${clip} s was used.` : `${seconds.toFixed(2)} s file: padded with silence to ${clip} s.`;
      clearWindows();
      if (note) {
        $.windows.hidden = false;
        $.windows.append(h('p', { class: 'hint', testid: 'windows-note', text: note }));
      }
      await classify(input, true);
    }
  } catch (e) {
    clearResult();
    showInputError(`Could not read ${file.name}: ${errorText(e)}. Try a WAV, MP3 or OGG file with sound in it.`);
    announce(`Could not read ${file.name}.`);
  }
}

/** Window starts (seconds) covering the whole file: every hop, plus one flush with the end. */
function windowStarts(seconds: number, clip: number): number[] {
  const out: number[] = [];
  for (let t = 0; t + clip <= seconds + 1e-9; t += HOP_S) out.push(Math.round(t * 1000) / 1000);
  const tail = Math.round((seconds - clip) * 1000) / 1000;
  if (out.length === 0 || out[out.length - 1] < tail - 1e-3) out.push(tail);
  return out;
}

async function classifyWindows(file: Input, count: boolean): Promise<void> {
  const model = state.model;
  if (!model) return;
  const clip = clipSeconds();
  const sr = file.sampleRate;
  const len = Math.round(clip * sr);
  const starts = windowStarts(file.audio.length / sr, clip);
  const inputs = starts.map((t) => {
    const from = Math.round(t * sr);
    return { audio: file.audio.subarray(from, from + len), sampleRate: sr };
  });
  let results: ClassifyResult[];
  try {
    results = await model.classifyBatch(inputs, exitOptions());
  } catch (e) {
    if (isBeenetError(e) && e.code === 'DISPOSED') return;
    throw e;
  }
  if (model !== state.model) return;
  // The most confident window that heard something other than silence/unknown; else the most confident.
  const order = results.map((r, i) => i).sort((a, b) => results[b].maxProb - results[a].maxProb);
  const best = order.find((i) => !isFiller(results[i].label)) ?? order[0];
  const r = results[best];
  const span = `${starts[best].toFixed(1)}–${(starts[best] + clip).toFixed(1)} s`;
  const bestInput: Input = { audio: inputs[best].audio, sampleRate: sr, source: `${file.source} @ ${span}`, kind: 'file' };
  long = { file, best: bestInput };
  state.last = bestInput;
  state.lastResult = r;
  state.seq++;
  if (count) record(r, bestInput);
  clear($.windows);
  $.windows.hidden = false;
  $.windows.dataset.count = String(results.length);
  $.windows.dataset.best = String(best);
  $.windows.append(
    h('p', { class: 'hint', testid: 'windows-note', text: `${(file.audio.length / sr).toFixed(1)} s file: classified in ${results.length} windows of ${clip} s every ${HOP_S} s; the result shows the most confident one (${span}).` }),
  );
  const list = h('ol', { class: 'windows-list', attrs: { 'aria-label': 'label per window' } });
  results.forEach((w, i) => {
    list.append(
      h('li', { class: `win ${i === best ? 'best' : ''} e${w.exit}`, testid: 'window-item', attrs: { 'data-start': String(starts[i]), 'data-label': w.label, 'data-exit': String(w.exit) } }, [
        h('span', { class: 'win-t', text: `${starts[i].toFixed(1)} s` }),
        h('span', { class: 'win-label', text: friendly(w.label) }),
        h('span', { class: 'win-exit', text: `E${w.exit + 1} · ${pct(w.maxProb, 0)}` }),
      ]),
    );
  });
  $.windows.append(list);
  renderResult(r, bestInput);
  hooks.renderChart();
  if (count) revealIfHidden($.result);
}

/** Whether the last input is a long file (its re-run is all of its windows). */
export function rerunLongFile(): boolean {
  if (!long || state.last !== long.best) return false;
  void classifyWindows(long.file, false).catch((e: unknown) => showInputError(`Classification failed: ${errorText(e)}`));
  return true;
}

export function wireFiles(): void {
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
    if (f && state.model) void useFile(f);
  });
  // Dropping anywhere else would navigate away to the file.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());
}
