// The result views: block/exit diagram, exit decisions, probability bars, exit histogram (the trade-off chart is
// tradeoff.ts).
// All SVG is generated here with presentation attributes and CSS classes (no inline style strings).
import type { ClassifyResult } from '../../src/index';
import { clear, h, pct, s } from './dom';
import { friendly } from './labels';

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
  const all = r?.mode === 'all-exits';
  const ranBlocks = r ? (all ? n : topo.exitAfter[r.exit] + 1) : 0;
  svg.setAttribute(
    'aria-label',
    !r
      ? `${n} blocks with ${topo.exitAfter.length} exits; nothing classified yet`
      : all
        ? `All ${n} blocks ran and all ${topo.exitAfter.length} exits were evaluated; the threshold would have exited at E${r.exit + 1}`
        : `Blocks 1 to ${ranBlocks} of ${n} ran; exits ${[...evaluated].filter((k) => k !== r.exit).map((k) => `E${k + 1}`).join(', ') || 'none'} passed the clip on; it left at E${r.exit + 1}`,
  );
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
      // In all-exits mode exits after the threshold's one ran too, but decided nothing.
      const word = taken ? (all ? 'would exit' : 'exit') : all && k > r.exit ? 'ran' : 'go on';
      svg.append(s('text', { x: cx, y: cy + 40, 'text-anchor': 'middle', class: `exit-label ${taken ? '' : 'dim'}`, 'data-testid': `exit-word-${k}` }, [word]));
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
    const all = r.mode === 'all-exits';
    const verdict = e.exit === r.exit ? (all ? 'would exit' : 'exit') : e.exit > r.exit ? `ran after E${r.exit + 1}${leaves ? ', passes' : ''}` : 'go on';
    root.append(
      h('div', { class: `gate ${e.exit === r.exit ? 'taken' : ''}`, testid: `gate-${e.exit}` }, [
        h('span', { class: 'gate-name', text: `E${e.exit + 1}` }),
        track,
        h('div', { class: 'gate-meta' }, [
          h('span', { class: 'gate-val', text: `${sym} ${rel}` }),
          h('span', { class: `gate-verdict ${e.exit === r.exit ? 'ok' : ''}`, text: `${verdict} · ${friendly(e.label)}` }),
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
        h('span', { class: 'bar-label', text: friendly(labels[i] ?? String(i)) }),
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
  svg.setAttribute('aria-label', total ? `Exits taken: ${counts.map((c, k) => `E${k + 1} ${c}`).join(', ')}` : 'Exits taken: none yet');
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
