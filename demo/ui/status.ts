// Status line, errors, the screen-reader announcer, and whether inputs accept anything (only with a model).
import { pct } from './dom';
import { $ } from './elements';
import { Microphone } from './mic';

export function setStatus(kind: 'idle' | 'loading' | 'compiling' | 'ready' | 'error', text: string, progress: number | null = null): void {
  $.status.dataset.state = kind;
  $.statusText.textContent = text;
  $.status.classList.toggle('indeterminate', progress === null && (kind === 'loading' || kind === 'compiling'));
  $.progressFill.style.width = kind === 'ready' ? '100%' : progress === null ? '0%' : pct(progress, 1);
  // Until a model is ready nothing can be classified: say so on the inputs rather than ignore clicks.
  setInputsEnabled(kind === 'ready');
}

export function setInputsEnabled(on: boolean): void {
  $.micBtn.disabled = (!on && !$.micBtn.classList.contains('live')) || !Microphone.supported();
  $.fileInput.disabled = !on;
  $.runAll.disabled = !on;
  $.drop.classList.toggle('disabled', !on);
  $.drop.setAttribute('aria-disabled', String(!on));
  for (const b of $.clips.querySelectorAll<HTMLButtonElement>('button')) b.disabled = !on;
  document.body.dataset.inputs = on ? 'on' : 'off';
}

export function showInputError(message: string | null): void {
  $.inputError.hidden = message === null;
  $.inputError.textContent = message ?? '';
  if (message !== null) revealIfHidden($.inputError);
}

/** Page-level failures (backend, model): at the top, where they cannot be missed. */
export function showPageError(message: string | null): void {
  $.pageError.hidden = message === null;
  $.pageError.textContent = message ?? '';
}

/** Polite screen-reader announcement of what just happened. */
export function announce(text: string): void {
  $.announcer.textContent = text;
}

/** Scrolls an element into view unless it already is (a phone's result sits far below the clip buttons). */
export function revealIfHidden(el: HTMLElement): void {
  const r = el.getBoundingClientRect();
  if (r.top >= 0 && r.top < window.innerHeight * 0.6) return;
  const reduce = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  el.scrollIntoView({ block: 'start', behavior: reduce ? 'auto' : 'smooth' });
}
