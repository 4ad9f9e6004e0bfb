// Classifying one input with the current settings: one call at a time, the newest request kept while busy,
// and the result shown (and, when the visitor asked for it, counted and scrolled into view).
import { isBeenetError, type ClassifyResult } from '../../src/index';
import { $ } from './elements';
import { renderResult } from './result';
import { record } from './session';
import { errorText, exitOptions, hooks, state, type Input } from './state';
import { revealIfHidden, showInputError } from './status';

let busy = false;
let queued: { input: Input; count: boolean } | null = null;
/** Called after a clip's result is shown (the examples mark their chip). */
let onClip: (file: string, r: ClassifyResult) => void = () => undefined;

export function onClipResult(f: typeof onClip): void {
  onClip = f;
}

/** Classifies one input; `count` = a visitor's input (added to the session, scrolled to); replays are not. */
export async function classify(input: Input, count: boolean): Promise<void> {
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
    if (input.kind === 'clip') onClip(input.source, r);
    renderResult(r, input);
    hooks.renderChart();
    if (count) revealIfHidden($.result);
  } catch (e) {
    if (model === state.model && !(isBeenetError(e) && e.code === 'DISPOSED')) showInputError(`Classification failed: ${errorText(e)}`);
  } finally {
    busy = false;
    const next = queued;
    queued = null;
    if (next) void classify(next.input, next.count);
  }
}

/** Re-runs the last input after a control change (nothing counted). */
export function rerunLast(): void {
  if (state.last && state.last.kind !== 'mic') void classify(state.last, false);
}
