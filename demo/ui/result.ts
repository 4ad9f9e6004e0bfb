// The result card: label, the exit taken, latency and the work really spent, in words that are true for the
// scheduling mode that ran (all-exits runs everything and only says where the threshold would have exited).
import type { ClassifyResult } from '../../src/index';
import { ms, pct } from './dom';
import { $ } from './elements';
import { friendly } from './labels';
import { announce } from './status';
import { effectiveThresholds, spent, state, type Input } from './state';
import { renderDiagram, renderGates, renderProbabilities } from './views';

export function renderResult(r: ClassifyResult | null, input: Input | null = null): void {
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
    $.resultConfidence.textContent = state.model ? 'Pick an example clip, drop an audio file, or start the microphone.' : 'Waiting for a model…';
    $.resultSource.textContent = '';
    $.mExit.textContent = '—';
    $.mLatency.textContent = '—';
    $.mOps.textContent = '—';
    for (const k of ['label', 'exit', 'source', 'backend', 'blocks', 'ops', 'mode']) delete el.dataset[k];
    return;
  }
  const used = spent(r);
  el.dataset.label = r.label;
  el.dataset.exit = String(r.exit);
  el.dataset.source = input?.source ?? '';
  el.dataset.backend = r.backend;
  el.dataset.criterion = state.controls.criterion;
  el.dataset.thresholds = JSON.stringify(t);
  el.dataset.blocks = String(used.blocks);
  el.dataset.ops = String(used.ops);
  el.dataset.mode = r.mode;
  $.resultLabel.textContent = friendly(r.label);
  $.resultSource.textContent = input ? `· ${input.source}` : '';
  const score = state.controls.criterion === 'entropy' ? `entropy ${r.entropy.toFixed(2)}` : `max p ${r.maxProb.toFixed(2)}`;
  const work =
    r.mode === 'all-exits'
      ? `all exits evaluated: ran ${used.blocks} of ${state.topo.blocks} blocks, ${pct(used.ops, 0)} of the binary ops; the threshold would have exited at E${r.exit + 1} (${pct(r.binaryOpsFraction, 0)})`
      : `ran ${used.blocks} of ${state.topo.blocks} blocks, ${pct(used.ops, 0)} of the binary ops`;
  $.resultConfidence.textContent = `p = ${pct(r.maxProb, 1)} · ${score} · ${work}`;
  $.mExit.textContent = r.mode === 'all-exits' ? `E${r.exit + 1} of ${n} (would exit)` : `E${r.exit + 1} of ${n}`;
  $.mExit.dataset.exit = String(r.exit);
  $.mLatency.textContent = ms(r.timings.inferenceMs);
  $.mLatency.title = `inference ${ms(r.timings.inferenceMs)} + front end ${ms(r.timings.featuresMs)}`;
  $.mOps.textContent = pct(used.ops, 0);
  $.mOps.title = `${pct(1 - used.ops, 0)} of the binary operations saved; float ops ${pct(r.mode === 'all-exits' ? 1 : r.floatOpsFraction, 0)}`;
  if (input && input.kind !== 'mic') {
    announce(`${input.source}: ${friendly(r.label)}, ${pct(r.maxProb, 0)} sure, ${r.mode === 'all-exits' ? `all blocks ran, the threshold would have exited at exit ${r.exit + 1}` : `left at exit ${r.exit + 1} of ${n}, ${pct(used.ops, 0)} of the binary operations`}.`);
  }
}
