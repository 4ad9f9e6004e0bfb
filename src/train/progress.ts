// The training progress bar: one terminal line, redrawn in place, with the epoch's progress, its running loss,
// the last validation's accuracy per exit and the time left in the epoch. Off a terminal (CI logs, files) the
// trainer logs plain lines instead.

/** Where training stands after a step or a validation. */
export interface TrainProgress {
  /** 1-based. */
  epoch: number;
  epochs: number;
  /** Steps done in this epoch. */
  step: number;
  stepsPerEpoch: number;
  /** Mean loss over this epoch's steps so far (NaN before the first). */
  loss: number;
  /** Accuracy per exit at the last validation, null before the first. */
  validation: number[] | null;
  /** Seconds since this epoch began. */
  seconds: number;
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The bar's text, e.g. `epoch 3/13 [#########---------------] 74/197 loss 4.215 | val % 21.2/63.0/79.8/79.4 | 1:05 left`. */
export function progressLine(p: TrainProgress, width = 24): string {
  const frac = p.stepsPerEpoch > 0 ? Math.min(1, p.step / p.stepsPerEpoch) : 0;
  const filled = Math.round(frac * width);
  const left = p.step > 0 ? (p.seconds / p.step) * (p.stepsPerEpoch - p.step) : NaN;
  return [
    `epoch ${p.epoch}/${p.epochs} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.step}/${p.stepsPerEpoch}`,
    Number.isNaN(p.loss) ? 'loss -' : `loss ${p.loss.toFixed(3)}`,
    '| val % ' + (p.validation ? p.validation.map((a) => (100 * a).toFixed(1)).join('/') : '-'),
    '| ' + (Number.isNaN(left) ? '-' : `${clock(left)} left`),
  ].join(' ');
}

/** Something the bar can draw on (a TTY write stream). */
export interface ProgressSink {
  write(text: string): unknown;
}

/**
 * Draws `progressLine` in place on a terminal, at most every `intervalMs`; `log` prints a line above the bar
 * (clearing and redrawing it), so log lines and the bar do not tear each other.
 */
export class ProgressBar {
  private last: TrainProgress | null = null;
  private drawnAt = -Infinity;

  constructor(
    private readonly sink: ProgressSink,
    private readonly intervalMs = 100,
    private readonly now: () => number = () => performance.now(),
  ) {}

  update(p: TrainProgress): void {
    this.last = p;
    const t = this.now();
    // Always draw an epoch's last step, so the bar never stops short of full.
    if (t - this.drawnAt < this.intervalMs && p.step < p.stepsPerEpoch) return;
    this.drawnAt = t;
    this.draw();
  }

  log(line: string): void {
    this.sink.write(`\r\x1b[2K${line}\n`);
    if (this.last) this.draw();
  }

  /** Leaves the bar's last state on screen and moves below it. */
  done(): void {
    if (this.last) this.sink.write('\n');
    this.last = null;
  }

  private draw(): void {
    if (this.last) this.sink.write(`\r\x1b[2K${progressLine(this.last)}`);
  }
}
