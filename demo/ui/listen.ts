// Listening: the microphone through the library's streaming detector (createDetector), with a live
// spectrogram, every window on a timeline (the exit it took, or skipped by the gate), the detections, and
// the binary ops saved so far. Permission problems get help text in browser terms.
import { createDetector, isBeenetError, type BeenetModel, type Detection, type KeywordDetector, type WindowOutcome } from '../../src/index';
import { clear, h, pct } from './dom';
import { $ } from './elements';
import { friendly } from './labels';
import { Microphone } from './mic';
import { renderResult } from './result';
import { logLine, record } from './session';
import { Spectrogram } from './spectrogram';
import { announce, revealIfHidden, showInputError } from './status';
import { errorText, exitOptions, spent, state, type Input } from './state';

/** Mic windows below this RMS level (dBFS, newest hop) are not classified. */
export const GATE_DB = -42;
const TIMELINE_MAX = 120;

const mic = new Microphone();
let spectrogram: Spectrogram | null = null;
/** The streaming detector the microphone feeds (src/stream/detector.ts): windows, smoothing, events. */
let detector: KeywordDetector | null = null;
let lastDetection: Detection | null = null;
const tally = { windows: 0, ran: 0, gated: 0, ops: 0 };
/** Blocks the microphone has delivered in this capture: none after a few seconds means no audio is flowing. */
let blocks = 0;
let silenceCheck: ReturnType<typeof setTimeout> | null = null;
const SILENCE_CHECK_MS = 3000;

const MIC_INPUT: Input = { audio: new Float32Array(0), sampleRate: 16000, source: 'microphone', kind: 'mic' };

function setLevel(db: number): void {
  const f = Math.min(1, Math.max(0, (db + 80) / 80));
  $.meterFill.style.width = pct(f, 1);
  $.meterFill.classList.toggle('open', db >= GATE_DB);
}

function renderSaved(): void {
  const el = $.listenSaved;
  el.dataset.windows = String(tally.windows);
  el.dataset.ran = String(tally.ran);
  if (tally.ran === 0) {
    el.textContent = tally.windows ? `${tally.windows} windows, all below the gate: nothing computed yet.` : 'Nothing heard yet.';
    return;
  }
  const mean = tally.ops / tally.ran;
  el.dataset.ops = String(mean);
  el.textContent = `${tally.ran} windows classified: mean ${pct(mean, 0)} of the binary ops, ${pct(1 - mean, 0)} saved by exiting early; ${tally.gated} quiet windows skipped the model.`;
}

function onWindow(w: WindowOutcome): void {
  if (!detector) return;
  const st = detector.stats();
  const heard = lastDetection ? `; last: “${friendly(lastDetection.label)}” at ${lastDetection.time.toFixed(1)} s (E${lastDetection.exit + 1})` : '';
  $.micStatus.textContent =
    `Listening: ${st.windows} windows in ${st.audioSeconds.toFixed(0)} s, exits ${st.exits.join('/')}, ${st.gated} below the ` +
    `${GATE_DB} dBFS gate, ${st.dropped} dropped${st.sharedStage0.on ? ', stage 0 shared between windows' : ''}${heard}`;
  tally.windows++;
  const n = state.topo.exitAfter.length;
  const item = h('span', { class: 'tl-win', testid: 'timeline-window', attrs: { 'data-time': w.time.toFixed(2) } });
  if (w.result) {
    const r = w.result;
    tally.ran++;
    tally.ops += spent(r).ops;
    item.classList.add(`e${r.exit}`);
    item.dataset.exit = String(r.exit);
    item.dataset.label = r.label;
    item.title = `${w.time.toFixed(1)} s: ${friendly(r.label)} at E${r.exit + 1}`;
    // Taller = deeper: the exit each window took reads at a glance.
    item.style.height = pct((r.exit + 1) / n, 0);
    record(r, MIC_INPUT);
    renderResult(r, MIC_INPUT);
  } else {
    tally.gated++;
    item.classList.add('gated');
    item.title = `${w.time.toFixed(1)} s: below the gate`;
  }
  $.timeline.append(item);
  while ($.timeline.children.length > TIMELINE_MAX) $.timeline.firstElementChild?.remove();
  $.timeline.dataset.windows = String(tally.windows);
  renderSaved();
}

function onDetection(d: Detection): void {
  lastDetection = d;
  const last = $.timeline.lastElementChild;
  if (last instanceof HTMLElement) {
    last.classList.add('hit');
    last.append(h('span', { class: 'tl-hit', text: friendly(d.label) }));
  }
  $.detections.prepend(
    h('li', { class: 'det', testid: 'timeline-detection', attrs: { 'data-label': d.label, 'data-exit': String(d.exit), 'data-time': d.time.toFixed(2) } }, [
      h('strong', { text: friendly(d.label) }),
      h('span', { class: 'muted', text: ` at ${d.time.toFixed(1)} s · E${d.exit + 1} · p ${d.probability.toFixed(2)} · ${pct(d.binaryOpsFraction, 0)} ops` }),
    ]),
  );
  while ($.detections.children.length > 12) $.detections.lastElementChild?.remove();
  logLine(
    h('li', { class: 'log-item detection', testid: 'detection', attrs: { 'data-key': `detect:${d.label}` } }, [
      h('span', { class: 'log-src mic', text: 'heard' }),
      h('span', { class: 'log-label', text: friendly(d.label) }),
      h('span', { class: `log-exit e${d.exit}`, text: `E${d.exit + 1}` }),
      h('span', { class: 'log-ms', text: `p ${d.probability.toFixed(2)}` }),
      h('span', { class: 'log-count', text: '' }),
      h('span', { class: 'log-from muted', text: `${d.time.toFixed(1)} s` }),
    ]),
  );
  announce(`Heard “${friendly(d.label)}” at ${d.time.toFixed(1)} seconds, exit ${d.exit + 1}.`);
}

function permissionHelp(e: unknown): string | null {
  const name = e instanceof DOMException ? e.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') {
    return 'The browser blocked the microphone for this page. To allow it: click the icon left of the address (a lock, a sliders icon or a crossed-out microphone), set Microphone to “Allow”, then press Start microphone again. In Safari: Settings → Websites → Microphone. The page must be on https or localhost; the audio never leaves this page.';
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'No microphone was found: plug one in (or pick one in the system’s sound settings) and try again.';
  if (name === 'NotReadableError') return 'The microphone is in use by another program or blocked by the system: close the other program and try again.';
  return null;
}

export async function toggleMic(): Promise<void> {
  showInputError(null);
  if (mic.running) {
    stopMic();
    return;
  }
  if (!Microphone.supported()) {
    showInputError('This browser has no microphone capture with AudioWorklet (it needs https or localhost).');
    return;
  }
  if (!state.model) return;
  $.micHelp.hidden = true;
  let detectorModel: BeenetModel | null = null;
  try {
    $.micBtn.disabled = true;
    lastDetection = null;
    Object.assign(tally, { windows: 0, ran: 0, gated: 0, ops: 0 });
    blocks = 0;
    clear($.timeline);
    clear($.detections);
    spectrogram ??= new Spectrogram($.spectrogram);
    spectrogram.clear();
    renderSaved();
    await mic.start({
      onBlock: (block, sampleRate) => {
        blocks++;
        spectrogram?.push(block, sampleRate);
        const model = state.model;
        if (!model) return;
        // One detector per capture and model: created at the context's rate, replaced when the model changes.
        if (detector && detectorModel !== model) {
          detector.stop();
          detector = null;
        }
        detectorModel = model;
        detector ??= createDetector(model, { sampleRate, energyGateDb: GATE_DB, exit: exitOptions(), onWindow, onDetection });
        detector.push(block).catch((e: unknown) => {
          if (!(isBeenetError(e) && e.code === 'DISPOSED')) showInputError(`Listening failed: ${errorText(e)}`);
        });
      },
      onLevel: setLevel,
    });
    $.micLabel.textContent = 'Stop microphone';
    $.micBtn.classList.add('live');
    $.listen.hidden = false;
    $.micStatus.textContent = 'Listening… say a keyword.';
    silenceCheck = setTimeout(() => {
      // Say so rather than wait in silence: a suspended context or a muted device delivers nothing.
      if (mic.running && blocks === 0) {
        $.micStatus.textContent = `No audio has arrived from the microphone in ${SILENCE_CHECK_MS / 1000} s (audio context: ${mic.contextState}). Check that the microphone is not muted, then press Stop microphone and Start microphone again.`;
      }
    }, SILENCE_CHECK_MS);
    revealIfHidden($.listen);
  } catch (e) {
    const help = permissionHelp(e);
    showInputError(`Microphone unavailable: ${errorText(e)}`);
    if (help) {
      $.micHelp.hidden = false;
      $.micHelp.textContent = help;
    }
  } finally {
    $.micBtn.disabled = !state.model;
  }
}

export function stopMic(): void {
  if (!mic.running) return;
  if (silenceCheck) clearTimeout(silenceCheck);
  silenceCheck = null;
  mic.stop();
  detector?.stop();
  detector = null;
  $.micLabel.textContent = 'Start microphone';
  $.micBtn.classList.remove('live');
  $.micStatus.textContent = 'Microphone off.';
  setLevel(-120);
}

/** Thresholds changed: the next windows use them (a new detector on the next block). */
export function restartDetector(): void {
  detector?.stop();
  detector = null;
}
