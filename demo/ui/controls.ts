// The threshold controls: one slider for every exit by default (at the model's calibrated point), per-exit
// sliders as the advanced option, the criterion, presets, and the scheduling mode. Wording follows the
// criterion: for entropy a higher threshold exits earlier, for max probability a lower one does.
import type { BeenetModel } from '../../src/index';
import { clear, h, pct } from './dom';
import { $ } from './elements';
import { effectiveThresholds, hooks, state, type Controls } from './state';
import { calibratedSingle } from './sweep';
import { chartPresets, curveFor } from './tradeoff';
import type { Criterion } from './views';

interface Preset {
  id: string;
  name: string;
  note: string;
  /** A one-for-all preset sets this single threshold; otherwise `thresholds` per exit. */
  single: number | null;
  thresholds: number[];
}

function early(t: readonly number[]): number[] {
  return t.slice(0, -1);
}

function uniform(t: readonly number[]): boolean {
  const e = early(t);
  return e.every((x) => Math.abs(x - e[0]) < 1e-6);
}

/** The calibrated one-for-all threshold for a criterion, or null when the model has none for it. */
function calibratedFor(model: BeenetModel, criterion: Criterion): number | null {
  const policy = model.description.exitPolicy;
  const presets = chartPresets(criterion);
  if (criterion === policy.criterion && presets.length === 0 && uniform(policy.thresholds)) return policy.thresholds[0];
  const cal = presets[0] ?? null;
  if (cal && uniform(cal.thresholds)) return cal.thresholds[0];
  const curve = curveFor(criterion);
  return curve ? calibratedSingle(curve.points, cal) : null;
}

export function defaultControls(model: BeenetModel, criterion: Criterion = model.description.exitPolicy.criterion): Controls {
  const policy = model.description.exitPolicy;
  const n = model.info.exits.length;
  const cal = chartPresets(criterion)[0];
  const fallback = criterion === policy.criterion ? policy.thresholds[0] : criterion === 'maxprob' ? 0.9 : 0.5;
  const base = cal?.thresholds ?? (criterion === policy.criterion ? policy.thresholds : new Array<number>(n).fill(fallback));
  const thresholds = [...base];
  thresholds[n - 1] = 1;
  state.calibratedSingle = calibratedFor(model, criterion);
  return { criterion, perExit: false, single: state.calibratedSingle ?? fallback, thresholds, mode: state.controls.mode };
}

function presets(): Preset[] {
  const model = state.model;
  if (!model) return [];
  const n = model.info.exits.length;
  const c = state.controls.criterion;
  const out: Preset[] = [];
  const fill = (t: number): number[] => Array.from({ length: n }, (_, k) => (k === n - 1 ? 1 : t));
  if (state.calibratedSingle !== null) {
    const t = state.calibratedSingle;
    out.push({ id: 'calibrated', name: 'calibrated', note: 'the one-for-all threshold matching the model’s calibrated accuracy', single: t, thresholds: fill(t) });
  }
  const seen = new Set<string>();
  for (const p of chartPresets(c)) {
    const key = early(p.thresholds).map((x) => x.toFixed(4)).join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    const acc = p.accuracy !== null ? `, ${pct(p.accuracy, 1)} accuracy` : '';
    const ops = p.binaryOpsFraction !== null ? ` at ${pct(p.binaryOpsFraction, 0)} ops` : '';
    out.push({ id: `report-${out.length}`, name: `${p.name} (per exit)`, note: `calibrated per-exit point from the model’s evaluation${acc}${ops}`, single: null, thresholds: p.thresholds });
  }
  const policy = model.description.exitPolicy;
  if (policy.criterion === c && !seen.has(early(policy.thresholds).map((x) => x.toFixed(4)).join(','))) {
    out.push({ id: 'default', name: 'model file (per exit)', note: 'the thresholds stored in the model file', single: null, thresholds: [...policy.thresholds] });
  }
  const fast = c === 'entropy' ? 1 : 0;
  const full = c === 'entropy' ? 0 : 1.01;
  out.push({ id: 'fastest', name: 'fastest', note: 'every clip leaves at the first exit', single: fast, thresholds: fill(fast) });
  out.push({ id: 'full', name: 'full model', note: 'never exit early: every clip runs every block', single: full, thresholds: fill(full) });
  return out;
}

function isActive(p: Preset): boolean {
  const cur = effectiveThresholds();
  // A one-for-all preset is the one in use only in one-for-all mode, a per-exit one only per exit.
  if ((p.single !== null) === state.controls.perExit) return false;
  return p.thresholds.length === cur.length && p.thresholds.every((x, k) => k === cur.length - 1 || Math.abs(x - cur[k]) < 1e-6);
}

function apply(p: Preset): void {
  const c = state.controls;
  if (p.single !== null) {
    c.perExit = false;
    c.single = p.single;
  } else {
    c.perExit = true;
    c.thresholds = [...early(p.thresholds), 1];
  }
}

/** Applies the chart's n-th per-exit preset (a diamond was clicked). */
export function applyChartPreset(index: number): void {
  const p = chartPresets(state.controls.criterion).filter((q) => q.accuracy !== null && q.binaryOpsFraction !== null)[index];
  if (!p) return;
  state.controls.perExit = true;
  state.controls.thresholds = [...early(p.thresholds), 1];
  controlsChanged(true);
}

/** The chart picked a one-for-all threshold. */
export function setSingleThreshold(t: number): void {
  const c = state.controls;
  const max = c.criterion === 'entropy' ? 1 : 1.01;
  const v = Math.min(max, Math.max(0, t));
  const wasPerExit = c.perExit;
  c.perExit = false;
  if (!wasPerExit && Math.abs(v - c.single) < 1e-9) return;
  c.single = v;
  // Keep the slider element (a drag on the chart moves it) unless the mode changed.
  controlsChanged(wasPerExit);
}

function ends(criterion: Criterion): [string, string] {
  return criterion === 'entropy'
    ? ['deeper, more accurate', 'earlier, less work']
    : ['earlier, less work', 'deeper, more accurate'];
}

export function renderControls(): void {
  const c = state.controls;
  const n = state.topo.exitAfter.length;
  $.criterion.value = c.criterion;
  $.mode.value = c.mode;
  for (const r of document.querySelectorAll<HTMLInputElement>('input[name="tmode"]')) r.checked = r.value === (c.perExit ? 'per-exit' : 'single');
  clear($.sliders);
  const max = c.criterion === 'entropy' ? 1 : 1.01;
  const slider = (label: string, value: number, testid: string, onInput: (v: number) => void): HTMLElement => {
    const input = h('input', { testid, attrs: { type: 'range', min: '0', max: String(max), step: '0.01', value: String(value), 'aria-label': `threshold, ${label}` } });
    const out = h('output', { class: 'slider-val', text: value.toFixed(2), testid: `${testid}-value` });
    input.addEventListener('input', () => {
      const v = Number(input.value);
      out.textContent = v.toFixed(2);
      onInput(v);
    });
    return h('div', { class: 'slider' }, [h('span', { class: 'slider-name', text: label }), input, out]);
  };
  const [left, right] = ends(c.criterion);
  if (!c.perExit) {
    $.sliders.append(
      slider('every exit', c.single, 'threshold', (v) => {
        c.single = v;
        controlsChanged(false);
      }),
    );
  } else {
    for (let k = 0; k < n - 1; k++) {
      $.sliders.append(
        slider(`exit ${k + 1}`, c.thresholds[k], `threshold-${k}`, (v) => {
          c.thresholds[k] = v;
          controlsChanged(false);
        }),
      );
    }
  }
  $.sliders.append(h('div', { class: 'slider-ends', attrs: { 'aria-hidden': 'true' } }, [h('span', { text: `← ${left}` }), h('span', { text: `${right} →` })]));
  if (c.perExit) $.sliders.append(h('p', { class: 'hint', text: `Exit ${n} is the last: it always accepts.` }));
  const cal = state.calibratedSingle !== null ? ` The model’s calibrated one-for-all point is ${state.calibratedSingle.toFixed(2)}.` : '';
  $.sliderHint.textContent =
    (c.criterion === 'entropy'
      ? 'A clip leaves at the first exit whose normalised entropy (its uncertainty, 0 to 1) is below the threshold. Raise it and more clips leave early, with less work; lower it and clips run deeper, more accurately. 0 runs every block.'
      : 'A clip leaves at the first exit whose top probability is at least the threshold. Lower it and more clips leave early, with less work; raise it and clips run deeper, more accurately. Above 1 runs every block.') + cal;
  const webgpu = state.runtime?.info.backend === 'webgpu';
  $.modeHint.textContent =
    c.mode === 'all-exits'
      ? 'Every block and every exit runs (100 % of the work); the result says where the threshold would have exited.'
      : c.mode === 'gpu'
        ? webgpu ? 'The exit decision stays on the GPU: one readback per clip.' : '“gpu” scheduling needs the WebGPU backend; here it runs as readback.'
        : 'After each exit the page reads the scores back and stops as soon as one passes.';
  clear($.presets);
  for (const p of presets()) {
    const label = p.single !== null ? `${p.name} · ${p.single.toFixed(2)}` : p.name;
    const b = h('button', { class: `chip preset ${isActive(p) ? 'active' : ''}`, text: label, title: `${p.note}: ${early(p.thresholds).map((x) => x.toFixed(2)).join(' / ')}`, testid: `preset-${p.id}`, attrs: { type: 'button' } });
    b.addEventListener('click', () => {
      apply(p);
      controlsChanged(true);
    });
    $.presets.append(b);
  }
}

let rerun: () => void = () => undefined;

/** main.ts tells the controls how to re-run the current input. */
export function onRerun(f: () => void): void {
  rerun = f;
}

/** A control moved: re-render what depends on it and re-run the last input (nothing is reloaded). */
export function controlsChanged(rebuild: boolean): void {
  if (rebuild) renderControls();
  else {
    // Slider drags keep their element (and focus); only the value, the presets and the chart follow.
    const c = state.controls;
    const single = $.sliders.querySelector<HTMLInputElement>('[data-testid="threshold"]');
    if (single && !c.perExit && Number(single.value) !== c.single) {
      single.value = String(c.single);
      const out = $.sliders.querySelector('[data-testid="threshold-value"]');
      if (out) out.textContent = c.single.toFixed(2);
    }
    const ps = presets();
    [...$.presets.children].forEach((b, i) => b.classList.toggle('active', !!ps[i] && isActive(ps[i])));
  }
  hooks.renderChart();
  rerun();
  hooks.refreshExamples();
}

export function wireControls(): void {
  $.criterion.addEventListener('change', () => {
    const model = state.model;
    const crit: Criterion = $.criterion.value === 'maxprob' ? 'maxprob' : 'entropy';
    if (model) state.controls = { ...defaultControls(model, crit), mode: state.controls.mode };
    else state.controls.criterion = crit;
    controlsChanged(true);
  });
  for (const r of document.querySelectorAll<HTMLInputElement>('input[name="tmode"]')) {
    r.addEventListener('change', () => {
      const c = state.controls;
      const perExit = r.value === 'per-exit' && r.checked;
      if (perExit === c.perExit) return;
      c.perExit = perExit;
      // One for all goes back to the calibrated point, never to an arbitrary value.
      if (!perExit && state.calibratedSingle !== null) c.single = state.calibratedSingle;
      controlsChanged(true);
    });
  }
  $.mode.addEventListener('change', () => {
    const v = $.mode.value;
    state.controls.mode = v === 'gpu' || v === 'all-exits' ? v : 'readback';
    controlsChanged(true);
  });
}
