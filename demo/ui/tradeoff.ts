// The trade-off chart: accuracy against binary ops over a one-for-all threshold sweep, with the calibrated
// points, the current threshold, the current clip, the session and the examples on it. A click or drag on the
// chart picks the threshold whose point spends that much; a preset's diamond applies that preset.
import type { TradeoffPoint } from './catalog';
import { clear, h, pct, s } from './dom';
import { $ } from './elements';
import { effectiveThresholds, spent, state } from './state';
import { niceTicks, pointAtThreshold, sweepFromRecords, thresholdAtOps } from './sweep';
import type { Criterion } from './views';

export interface Curve {
  points: TradeoffPoint[];
  /** Where it came from, for the note under the chart. */
  source: 'report' | 'records';
}

/** Each exit's cumulative share of the full model's binary ops (what a clip leaving there spent). */
export function exitOps(): number[] {
  const m = state.model;
  if (!m) return [];
  return m.info.exits.map((e) => e.binaryOpsFraction);
}

/** The sweep for a criterion: the report's, else one computed from its per-clip records, else none. */
export function curveFor(criterion: Criterion): Curve | null {
  const r = state.report;
  const m = state.model;
  if (!r || !m) return null;
  const reportCriterion = r.criterion ?? m.description.exitPolicy.criterion;
  if (criterion === reportCriterion && r.sweep.length > 1) return { points: r.sweep, source: 'report' };
  if (criterion === 'maxprob' && r.maxprobSweep.length > 1) return { points: r.maxprobSweep, source: 'report' };
  if (r.records) {
    const points = sweepFromRecords(r.records, criterion, exitOps());
    if (points.length > 1) return { points, source: 'records' };
  }
  return null;
}

/** Operating points of the report for the criterion in use, with their numbers. */
export function chartPresets(criterion: Criterion) {
  const m = state.model;
  const r = state.report;
  if (!m || !r) return [];
  return r.presets.filter((p) => (p.criterion ?? r.criterion ?? m.description.exitPolicy.criterion) === criterion);
}

interface Geometry {
  W: number;
  L: number;
  R: number;
  curve: TradeoffPoint[];
}

let geom: Geometry | null = null;

function sameThresholds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, k) => k === a.length - 1 || Math.abs(x - b[k]) < 1e-6);
}

export function renderChart(): void {
  const root = $.tradeoff;
  clear(root);
  clear($.tradeoffReadout);
  geom = null;
  const model = state.model;
  const c = state.controls;
  if (!model) {
    root.append(h('p', { class: 'empty', text: 'Load a model to see its trade-off.' }));
    $.tradeoffNote.textContent = '';
    return;
  }
  const curve = curveFor(c.criterion);
  if (!curve) {
    const why = !state.report
      ? 'No evaluation report ships with this model, so there is no trade-off curve to show.'
      : c.criterion === 'maxprob'
        ? 'No max-probability curve is available for this model: its evaluation report sweeps the entropy threshold only and has no per-clip records to compute one from. Switch the criterion to normalised entropy to see the curve.'
        : 'This model’s evaluation report has no entropy sweep.';
    root.append(h('p', { class: 'empty', text: why, testid: 'tradeoff-unavailable' }));
    $.tradeoffNote.textContent = '';
    return;
  }
  const pts = curve.points;
  const presets = chartPresets(c.criterion).filter((p) => p.accuracy !== null && p.binaryOpsFraction !== null);
  const ex = state.examples;
  const accs = [...pts.map((p) => p.accuracy), ...presets.map((p) => p.accuracy!), ...(ex ? [ex.accuracy] : [])];
  const yTicks = niceTicks(Math.min(...accs), Math.max(...accs));
  const lo = yTicks[0];
  const hi = yTicks[yTicks.length - 1];
  // Drawn at its real pixel size, so 14 px text stays 14 px on a phone as on a laptop.
  const W = Math.max(300, Math.min(760, Math.round(root.clientWidth || 560)));
  const H = Math.round(Math.max(250, Math.min(400, W * 0.62)));
  const L = 58;
  const R = 22;
  const T = 18;
  const B = 50;
  const x = (f: number): number => L + f * (W - L - R);
  const y = (a: number): number => T + (1 - (a - lo) / Math.max(1e-6, hi - lo)) * (H - T - B);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'chart-svg', role: 'img' });
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    svg.append(
      s('line', { x1: x(f), y1: T, x2: x(f), y2: H - B, class: 'grid-line' }),
      s('text', { x: x(f), y: H - B + 20, 'text-anchor': 'middle', class: 'axis-text' }, [pct(f)]),
    );
  }
  for (const a of yTicks) {
    svg.append(
      s('line', { x1: L, y1: y(a), x2: W - R, y2: y(a), class: 'grid-line' }),
      s('text', { x: L - 8, y: y(a) + 5, 'text-anchor': 'end', class: 'axis-text' }, [pct(a)]),
    );
  }
  svg.append(
    s('text', { x: (L + W - R) / 2, y: H - 8, 'text-anchor': 'middle', class: 'axis-title' }, ['binary ops spent (share of the full model)']),
    s('text', { x: 15, y: (T + H - B) / 2, 'text-anchor': 'middle', class: 'axis-title', transform: `rotate(-90 15 ${(T + H - B) / 2})` }, ['accuracy']),
  );
  const d = pts.map((p, i) => `${i ? 'L' : 'M'}${x(p.binaryOpsFraction).toFixed(1)},${y(p.accuracy).toFixed(1)}`).join(' ');
  svg.append(s('path', { d, class: 'curve' }));
  for (const p of pts) {
    const dot = s('circle', { cx: x(p.binaryOpsFraction), cy: y(p.accuracy), r: 4, class: 'pt', 'data-threshold': p.threshold ?? '' });
    dot.append(s('title', {}, [`t = ${p.threshold ?? '?'}: accuracy ${pct(p.accuracy, 1)}, ${pct(p.binaryOpsFraction, 1)} ops`]));
    svg.append(dot);
  }
  const cal = state.calibratedSingle !== null ? pointAtThreshold(pts, state.calibratedSingle) : null;
  if (cal) {
    svg.append(s('circle', { cx: x(cal.binaryOpsFraction), cy: y(cal.accuracy), r: 8, class: 'cal-pt', 'data-testid': 'tradeoff-calibrated' }, [
      s('title', {}, [`calibrated, one for all: t = ${state.calibratedSingle!.toFixed(2)}`]),
    ]));
  }
  const cur = effectiveThresholds();
  presets.forEach((p, i) => {
    const cx = x(p.binaryOpsFraction!);
    const cy = y(p.accuracy!);
    const current = c.perExit && sameThresholds(p.thresholds, cur);
    const r = current ? 10 : 8;
    const attrs: Record<string, string | number> = { d: `M${cx},${cy - r} L${cx + r},${cy} L${cx},${cy + r} L${cx - r},${cy} Z`, class: `preset-pt ${current ? 'current' : ''}`, 'data-preset': i };
    if (current) attrs['data-testid'] = 'tradeoff-current';
    svg.append(s('path', attrs, [s('title', {}, [`${p.name} (per exit ${p.thresholds.slice(0, -1).map((t) => t.toFixed(2)).join(' / ')}): accuracy ${pct(p.accuracy!, 1)}, ${pct(p.binaryOpsFraction!, 1)} ops`])]));
  });
  const readout: (Node | string)[] = [];
  const here = !c.perExit ? pointAtThreshold(pts, c.single) : null;
  if (here) {
    const cx = x(here.binaryOpsFraction);
    svg.append(
      s('line', { x1: cx, y1: T, x2: cx, y2: H - B, class: 'cur-line' }),
      s('circle', { cx, cy: y(here.accuracy), r: 8, class: 'cur-pt', 'data-testid': 'tradeoff-current' }),
    );
    readout.push(h('span', { class: 'ro-cur', testid: 'tradeoff-threshold', text: `t = ${c.single.toFixed(2)} for every exit: ${pct(here.accuracy, 1)} accuracy at ${pct(here.binaryOpsFraction, 0)} of the binary ops` }));
  } else {
    const p = presets.find((q) => sameThresholds(q.thresholds, cur));
    readout.push(h('span', { class: 'ro-cur', testid: 'tradeoff-threshold', text: p ? `per exit, ${p.name}: ${pct(p.accuracy!, 1)} accuracy at ${pct(p.binaryOpsFraction!, 0)} ops` : 'per-exit thresholds: not a point on this one-for-all curve' }));
  }
  const last = state.lastResult;
  if (last) {
    const ops = spent(last).ops;
    svg.append(
      s('line', { x1: x(ops), y1: T, x2: x(ops), y2: H - B, class: 'clip-line', 'data-testid': 'tradeoff-clip', 'data-ops': ops }),
      s('path', { d: `M${x(ops) - 7},${T - 2} L${x(ops) + 7},${T - 2} L${x(ops)},${T + 10} Z`, class: 'clip-mark' }),
    );
    readout.push(h('span', { class: 'ro-clip', text: `this clip (${state.last?.source ?? ''}): E${last.exit + 1}, ${pct(ops, 0)} ops` }));
  }
  const sOps = state.session.ops;
  if (sOps.length) {
    const mean = sOps.reduce((a, b) => a + b, 0) / sOps.length;
    svg.append(s('line', { x1: x(mean), y1: H - B - 10, x2: x(mean), y2: H - B, class: 'session-tick', 'data-testid': 'tradeoff-session' }));
    readout.push(h('span', { class: 'ro-session', text: `session: ${sOps.length} clips, mean ${pct(mean, 0)} ops` }));
  }
  if (ex) {
    const ex0 = x(ex.meanOps);
    const ey = y(ex.accuracy);
    svg.append(s('rect', { x: ex0 - 6, y: ey - 6, width: 12, height: 12, class: 'examples-pt', 'data-testid': 'tradeoff-examples' }));
    readout.push(h('span', { class: 'ro-examples', text: `examples: ${pct(ex.accuracy, 0)} right at ${pct(ex.meanOps, 0)} ops` }));
  }
  svg.setAttribute('aria-label', `Accuracy against binary operations for one threshold on every exit, ${pts.length} points from ${pct(pts[0].binaryOpsFraction, 0)} to ${pct(pts[pts.length - 1].binaryOpsFraction, 0)} ops. ${readout.map((n) => (typeof n === 'string' ? n : n.textContent)).join('. ')}. Click or drag on the chart to set the threshold; the slider does the same from the keyboard.`);
  root.append(svg);
  $.tradeoffReadout.append(...readout);
  geom = { W, L, R, curve: pts };
  $.tradeoffNote.textContent =
    (curve.source === 'report' ? 'From the model’s shipped evaluation (test set)' : 'Computed here from the per-clip records in the model’s evaluation report') +
    `: one ${c.criterion === 'entropy' ? 'entropy' : 'max-probability'} threshold for every exit, swept. Click or drag on the chart to set it. ` +
    'Amber: the current threshold; ringed: the calibrated one-for-all point; green diamonds: calibrated per-exit presets (click to use one); ' +
    'blue triangle: this clip; green tick: the session’s mean; square: the examples.';
}

/** Wires click/drag on the chart once (the SVG is rebuilt on every change; its container stays). */
export function initChartInput(onThreshold: (t: number) => void, onPreset: (index: number) => void): void {
  const root = $.tradeoff;
  let dragging = false;
  const pick = (ev: PointerEvent): void => {
    const g = geom;
    const svg = root.querySelector('svg');
    if (!g || !svg) return;
    const rect = svg.getBoundingClientRect();
    const vx = ((ev.clientX - rect.left) * g.W) / Math.max(1, rect.width);
    const ops = Math.min(1, Math.max(0, (vx - g.L) / (g.W - g.L - g.R)));
    const t = thresholdAtOps(g.curve, ops);
    if (t !== null) onThreshold(t);
  };
  root.addEventListener('pointerdown', (ev) => {
    const target = ev.target instanceof Element ? ev.target.closest('[data-preset]') : null;
    if (target) {
      onPreset(Number(target.getAttribute('data-preset')));
      return;
    }
    if (!geom) return;
    dragging = true;
    root.setPointerCapture(ev.pointerId);
    pick(ev);
  });
  root.addEventListener('pointermove', (ev) => {
    if (dragging) pick(ev);
  });
  const end = (ev: PointerEvent): void => {
    dragging = false;
    if (root.hasPointerCapture(ev.pointerId)) root.releasePointerCapture(ev.pointerId);
  };
  root.addEventListener('pointerup', end);
  root.addEventListener('pointercancel', end);
  let last = 0;
  window.addEventListener('resize', () => {
    // Redraw at the new pixel size (not on every resize event).
    const now = performance.now();
    last = now;
    setTimeout(() => {
      if (last === now) renderChart();
    }, 150);
  });
}
