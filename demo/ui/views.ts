// The result views: block/exit diagram, exit decisions, probability bars, exit histogram, trade-off chart.
// All SVG is generated here with presentation attributes and CSS classes (no inline style strings).
import type { ClassifyResult } from '../../src/index';
import type { TradeoffPoint, OperatingPoint } from './catalog';
import { clear, h, pct, s } from './dom';

export type Criterion = 'entropy' | 'maxprob';

/** Which block each exit follows (from the model graph), so the diagram is right for any exit layout. */
export interface Topology {
  blocks: number;
  exitAfter: number[];
}

/**
 * Blocks in a row with an exit head under each exit's block: blocks that ran are lit, the exit taken is ringed,
 * exits evaluated and passed over are dimmed with a cross.
 */
export function renderDiagram(root: HTMLElement, topo: Topology, r: ClassifyResult | null): void {
  clear(root);
  const n = topo.blocks;
  // Narrow screens get a compact drawing (short names, no side labels) rather than a scaled-down wide one.
  const compact = root.clientWidth > 0 && root.clientWidth < 520;
  const W = compact ? 360 : 640;
  const H = 166;
  const pad = compact ? 4 : 16;
  const inW = compact ? 40 : 54;
  const gap = compact ? 14 : 26;
  const bw = (W - pad * 2 - inW - gap * n) / n;
  const by = 24;
  const bh = 46;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'diagram-svg', role: 'img' });
  const evaluated = new Set(r?.exits.map((e) => e.exit) ?? []);
  const ranBlocks = r ? topo.exitAfter[r.mode === 'all-exits' ? topo.exitAfter.length - 1 : r.exit] + 1 : 0;
  svg.append(
    s('rect', { x: pad, y: by + 8, width: inW, height: bh - 16, rx: 8, class: `node input ${r ? 'lit' : ''}` }),
    s('text', { x: pad + inW / 2, y: by + bh / 2 + 4, class: 'node-text', 'text-anchor': 'middle' }, ['mel']),
  );
  for (let b = 0; b < n; b++) {
    const x = pad + inW + gap + b * (bw + gap);
    const lit = b < ranBlocks;
    svg.append(
      s('line', { x1: x - gap + 2, y1: by + bh / 2, x2: x - 2, y2: by + bh / 2, class: `wire ${lit ? 'lit' : ''}` }),
      s('rect', { x, y: by, width: bw, height: bh, rx: 10, class: `node block ${lit ? 'lit' : ''}` }),
      s('text', { x: x + bw / 2, y: by + bh / 2 + 5, class: 'node-text', 'text-anchor': 'middle' }, [compact ? `B${b + 1}` : `block ${b + 1}`]),
    );
  }
  topo.exitAfter.forEach((after, k) => {
    const cx = pad + inW + gap + after * (bw + gap) + bw / 2;
    const cy = by + bh + 44;
    const taken = r !== null && r.exit === k;
    const passed = r !== null && evaluated.has(k) && !taken;
    const cls = taken ? 'taken' : passed ? 'passed' : '';
    svg.append(
      s('line', { x1: cx, y1: by + bh, x2: cx, y2: cy - 18, class: `wire ${taken || passed ? 'lit' : ''}` }),
      s('circle', { cx, cy, r: 18, class: `exit ${cls}` }),
      s('text', { x: cx, y: cy + 5, class: 'node-text', 'text-anchor': 'middle' }, [`E${k + 1}`]),
    );
    if (taken) svg.append(s('circle', { cx, cy, r: 24, class: 'exit-ring' }));
    if (taken || passed) {
      svg.append(s('text', { x: cx, y: cy + 40, 'text-anchor': 'middle', class: `exit-label ${taken ? '' : 'dim'}` }, [taken ? 'exit' : 'go on']));
    }
  });
  root.append(svg);
}

/** Per evaluated exit: the score against its threshold, and the decision. */
export function renderGates(root: HTMLElement, r: ClassifyResult | null, criterion: Criterion, thresholds: number[]): void {
  clear(root);
  if (!r) {
    root.append(h('p', { class: 'hint', text: 'Classify a clip to see each exit’s decision.' }));
    return;
  }
  const last = thresholds.length - 1;
  for (const e of r.exits) {
    const score = criterion === 'entropy' ? e.entropy : e.maxProb;
    const t = thresholds[e.exit];
    const isLast = e.exit === last;
    const leaves = isLast || (criterion === 'entropy' ? t >= 1 || score < t : score >= t);
    const fill = h('div', { class: `gate-fill ${leaves ? 'ok' : ''}` });
    fill.style.width = pct(Math.min(1, Math.max(0, score)), 2);
    const track = h('div', { class: 'gate-track' }, [fill]);
    if (!isLast) {
      const tick = h('div', { class: 'gate-tick', title: `threshold ${t.toFixed(2)}` });
      tick.style.left = pct(Math.min(1, t), 2);
      track.append(tick);
    }
    const sym = criterion === 'entropy' ? 'H' : 'p';
    const rel = isLast
      ? 'last exit: always accepts'
      : criterion === 'entropy' && t >= 1
        ? `${score.toFixed(2)}, t ≥ 1 always exits`
        : criterion === 'entropy' ? `${score.toFixed(2)} ${leaves ? '<' : '≥'} ${t.toFixed(2)}` : `${score.toFixed(2)} ${leaves ? '≥' : '<'} ${t.toFixed(2)}`;
    const verdict = e.exit === r.exit ? 'exit' : leaves ? 'would exit' : 'go on';
    root.append(
      h('div', { class: `gate ${e.exit === r.exit ? 'taken' : ''}`, testid: `gate-${e.exit}` }, [
        h('span', { class: 'gate-name', text: `E${e.exit + 1}` }),
        track,
        h('div', { class: 'gate-meta' }, [
          h('span', { class: 'gate-val', text: `${sym} ${rel}` }),
          h('span', { class: `gate-verdict ${verdict === 'go on' ? '' : 'ok'}`, text: `${verdict} · ${e.label}` }),
        ]),
      ]),
    );
  }
}

export function renderProbabilities(root: HTMLElement, labels: readonly string[], r: ClassifyResult | null): void {
  clear(root);
  if (!r) return;
  const order = [...r.probabilities.keys()].sort((a, b) => r.probabilities[b] - r.probabilities[a]).slice(0, 8);
  for (const i of order) {
    const p = r.probabilities[i];
    const fill = h('div', { class: `bar-fill ${i === r.classIndex ? 'top' : ''}` });
    fill.style.width = pct(p, 2);
    root.append(
      h('div', { class: 'bar', testid: 'prob-row' }, [
        h('span', { class: 'bar-label', text: labels[i] ?? String(i) }),
        h('div', { class: 'bar-track' }, [fill]),
        h('span', { class: 'bar-val', text: pct(p, 1) }),
      ]),
    );
  }
}

export function renderHistogram(root: HTMLElement, counts: number[]): void {
  clear(root);
  const W = 360;
  const H = 96;
  const total = counts.reduce((a, b) => a + b, 0);
  const maxC = Math.max(1, ...counts);
  const slot = W / counts.length;
  const bw = Math.min(56, slot - 16);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'hist-svg', role: 'img' });
  counts.forEach((c, k) => {
    const bh = (c / maxC) * (H - 42);
    const x = k * slot + (slot - bw) / 2;
    svg.append(
      s('line', { x1: x - 4, y1: H - 20, x2: x + bw + 4, y2: H - 20, class: 'grid-line' }),
      s('rect', { x, y: H - 20 - bh, width: bw, height: bh, rx: 4, class: 'hist-bar', 'data-exit': k }),
      s('text', { x: x + bw / 2, y: H - 5, 'text-anchor': 'middle', class: 'axis-text' }, [`E${k + 1}`]),
      s('text', { x: x + bw / 2, y: H - 25 - bh, 'text-anchor': 'middle', class: 'hist-val' }, [total ? `${c} · ${pct(c / total)}` : '0']),
    );
  });
  root.append(svg);
}

/** Where the current single threshold falls on the sweep, interpolated between its two nearest thresholds. */
function pointAtThreshold(sweep: TradeoffPoint[], t: number): TradeoffPoint | null {
  const withT = sweep.filter((p) => p.threshold !== null).sort((a, b) => a.threshold! - b.threshold!);
  if (withT.length === 0) return null;
  if (t <= withT[0].threshold!) return withT[0];
  for (let i = 1; i < withT.length; i++) {
    const a = withT[i - 1];
    const b = withT[i];
    if (t <= b.threshold!) {
      const u = (t - a.threshold!) / Math.max(1e-9, b.threshold! - a.threshold!);
      return {
        threshold: t,
        accuracy: a.accuracy + u * (b.accuracy - a.accuracy),
        binaryOpsFraction: a.binaryOpsFraction + u * (b.binaryOpsFraction - a.binaryOpsFraction),
        meanExit: null,
        latencyMs: null,
      };
    }
  }
  return withT[withT.length - 1];
}

export interface TradeoffState {
  sweep: TradeoffPoint[];
  presets: OperatingPoint[];
  /** The single threshold in use, or null when thresholds are set per exit. */
  threshold: number | null;
  /** The session's own mean binary-ops fraction, when clips have been classified. */
  sessionOps: number | null;
  /** Index in `presets` of the operating point in use, if the thresholds are one of them. */
  currentPreset: number | null;
}

/** Accuracy against the fraction of binary operations, from the model's shipped evaluation. */
export function renderTradeoff(root: HTMLElement, st: TradeoffState): void {
  clear(root);
  const W = 360;
  const H = 230;
  const L = 44;
  const R = 14;
  const T = 14;
  const B = 38;
  const pts = st.sweep;
  const presetPts = st.presets.filter((p) => p.accuracy !== null && p.binaryOpsFraction !== null);
  const accs = [...pts.map((p) => p.accuracy), ...presetPts.map((p) => p.accuracy!)];
  // Zoom the y axis to the data, on 5-point steps, so small accuracy differences stay visible.
  const lo = Math.max(0, Math.floor((Math.min(...accs) - 0.02) * 20) / 20);
  const hi = Math.min(1, Math.ceil((Math.max(...accs) + 0.01) * 20) / 20);
  const x = (f: number): number => L + f * (W - L - R);
  const y = (a: number): number => T + (1 - (a - lo) / Math.max(1e-6, hi - lo)) * (H - T - B);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart-svg', role: 'img' });
  // Labels sit right of a marker in the left half, left of it in the right half, so they stay inside.
  const beside = (cx: number): Record<string, string | number> =>
    cx < (L + W - R) / 2 ? { x: cx + 10, 'text-anchor': 'start' } : { x: cx - 10, 'text-anchor': 'end' };
  for (let k = 0; k <= 4; k++) {
    const f = k / 4;
    svg.append(
      s('line', { x1: x(f), y1: T, x2: x(f), y2: H - B, class: 'grid-line' }),
      s('text', { x: x(f), y: H - B + 16, 'text-anchor': 'middle', class: 'axis-text' }, [pct(f)]),
    );
    const a = lo + f * (hi - lo);
    svg.append(
      s('line', { x1: L, y1: y(a), x2: W - R, y2: y(a), class: 'grid-line' }),
      s('text', { x: L - 6, y: y(a) + 4, 'text-anchor': 'end', class: 'axis-text' }, [pct(a)]),
    );
  }
  svg.append(
    s('text', { x: (L + W - R) / 2, y: H - 4, 'text-anchor': 'middle', class: 'axis-title' }, ['binary operations spent (fraction of full model)']),
    s('text', { x: 12, y: (T + H - B) / 2, 'text-anchor': 'middle', class: 'axis-title', transform: `rotate(-90 12 ${(T + H - B) / 2})` }, ['accuracy']),
  );
  if (pts.length > 1) {
    const d = pts.map((p, i) => `${i ? 'L' : 'M'}${x(p.binaryOpsFraction).toFixed(1)},${y(p.accuracy).toFixed(1)}`).join(' ');
    svg.append(s('path', { d, class: 'curve' }));
  }
  for (const p of pts) {
    const c = s('circle', { cx: x(p.binaryOpsFraction), cy: y(p.accuracy), r: 3, class: 'pt' });
    c.append(s('title', {}, [`t=${p.threshold ?? '?'} · accuracy ${pct(p.accuracy, 1)} · ops ${pct(p.binaryOpsFraction, 1)}`]));
    svg.append(c);
  }
  for (const p of presetPts) {
    const cx = x(p.binaryOpsFraction!);
    const cy = y(p.accuracy!);
    const current = st.currentPreset !== null && st.presets[st.currentPreset] === p;
    const r = current ? 9 : 7;
    const d = s('path', { d: `M${cx},${cy - r} L${cx + r},${cy} L${cx},${cy + r} L${cx - r},${cy} Z`, class: `preset-pt ${current ? 'current' : ''}` });
    d.append(s('title', {}, [`${p.name}: accuracy ${pct(p.accuracy!, 1)}, ops ${pct(p.binaryOpsFraction!, 1)}`]));
    svg.append(d);
    if (current) {
      // Numbers only: the preset's name is on its highlighted button (and in the marker's tooltip), and a long
      // name would run out of the chart.
      svg.append(
        s('text', { ...beside(cx), y: Math.max(cy - 12, T + 12), class: 'cur-text', 'data-testid': 'tradeoff-current' }, [
          `${pct(p.accuracy!, 1)} at ${pct(p.binaryOpsFraction!)} ops`,
        ]),
      );
    }
  }
  const cur = st.threshold !== null ? pointAtThreshold(pts, st.threshold) : null;
  if (cur) {
    const cx = x(cur.binaryOpsFraction);
    const cy = y(cur.accuracy);
    svg.append(
      s('line', { x1: cx, y1: T, x2: cx, y2: H - B, class: 'cur-line' }),
      s('circle', { cx, cy, r: 7, class: 'cur-pt', 'data-testid': 'tradeoff-current' }),
      s('text', { ...beside(cx), y: Math.max(cy - 12, T + 12), class: 'cur-text' }, [
        `t=${st.threshold!.toFixed(2)}: ${pct(cur.accuracy, 1)} at ${pct(cur.binaryOpsFraction)} ops`,
      ]),
    );
  }
  if (st.sessionOps !== null) {
    svg.append(s('line', { x1: x(st.sessionOps), y1: H - B - 8, x2: x(st.sessionOps), y2: H - B, class: 'session-tick' }));
  }
  root.append(svg);
}
