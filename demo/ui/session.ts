// "This session": what the visitor has classified so far (count, median latency, binary ops saved, exits
// taken) and the log. Replays after a control change and run-all do not count.
import type { ClassifyResult } from '../../src/index';
import { clear, h, median, ms, pct } from './dom';
import { $ } from './elements';
import { friendly } from './labels';
import { hooks, spent, state, type Input } from './state';
import { renderHistogram } from './views';

const LOG_MAX = 40;
let lastMicLog = 0;

export function resetSession(): void {
  state.session = { latencies: [], ops: [], counts: new Array<number>(state.topo.exitAfter.length).fill(0) };
  clear($.log);
  renderSession();
}

export function logLine(li: HTMLElement): void {
  $.log.prepend(li);
  while ($.log.children.length > LOG_MAX) $.log.lastElementChild?.remove();
}

export function record(r: ClassifyResult, input: Input): void {
  const s = state.session;
  s.latencies.push(r.timings.inferenceMs);
  s.ops.push(spent(r).ops);
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
    logLine(
      h('li', { class: 'log-item', testid: 'log-item', attrs: { 'data-key': `${input.kind}:${r.label}:${r.exit}`, 'data-count': '1' } }, [
        h('span', { class: `log-src ${input.kind}`, text: input.kind }),
        h('span', { class: 'log-label', text: friendly(r.label) }),
        h('span', { class: `log-exit e${r.exit}`, text: `E${r.exit + 1}` }),
        h('span', { class: 'log-ms', text: ms(r.timings.inferenceMs) }),
        h('span', { class: 'log-count', text: '' }),
        h('span', { class: 'log-from muted', text: input.kind === 'mic' ? '' : input.source }),
      ]),
    );
  }
  if (input.kind === 'mic') lastMicLog = now;
  renderSession();
}

export function renderSession(): void {
  const s = state.session;
  $.sCount.textContent = String(s.latencies.length);
  $.sLatency.textContent = ms(median(s.latencies));
  const meanOps = s.ops.length ? s.ops.reduce((a, b) => a + b, 0) / s.ops.length : NaN;
  $.sSaved.textContent = Number.isFinite(meanOps) ? pct(1 - meanOps, 0) : '—';
  $.sSaved.title = Number.isFinite(meanOps) ? `mean binary ops per clip: ${pct(meanOps, 1)} of the full model` : '';
  renderHistogram($.histogram, s.counts);
  hooks.renderChart();
}
