// Band-limited resampling: a Kaiser-windowed sinc low-pass at the lower of the two Nyquist frequencies.

import { BeenetError } from '../errors';

/** Zero crossings of the sinc on each side: sets the transition width (~5 * rolloff / ZEROS of Nyquist). */
const ZEROS = 48;
/** Cutoff as a fraction of the lower Nyquist; the transition band is centred here. */
const ROLLOFF = 0.94;
/** Kaiser beta for ~85 dB stopband attenuation. */
const BETA = 8.6;
/** Above this many polyphase phases the kernel is evaluated per output sample instead of tabulated. */
const MAX_TABLE_PHASES = 2048;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (power series). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** A resampler between two fixed integer rates. Kernel tables are built once. */
export class Resampler {
  readonly inRate: number;
  readonly outRate: number;
  /** Output rate / input rate as the reduced fraction up / down. */
  private readonly up: number;
  private readonly down: number;
  /** Cutoff in cycles per input sample. */
  private readonly fc: number;
  /** Taps per output sample (input samples base - half + 1 .. base + half). */
  private readonly half: number;
  private readonly i0Beta: number;
  private readonly table: Float32Array | null;

  constructor(inRate: number, outRate: number) {
    for (const r of [inRate, outRate]) {
      if (!Number.isInteger(r) || r < 1) throw new BeenetError('BAD_INPUT', `sample rates must be positive integers, got ${r}`);
    }
    this.inRate = inRate;
    this.outRate = outRate;
    const g = gcd(inRate, outRate);
    this.up = outRate / g;
    this.down = inRate / g;
    this.fc = 0.5 * Math.min(1, outRate / inRate) * ROLLOFF;
    this.half = Math.ceil(ZEROS / (2 * this.fc));
    this.i0Beta = besselI0(BETA);
    this.table = null;
    if (this.up !== this.down && this.up <= MAX_TABLE_PHASES) {
      const taps = 2 * this.half;
      const t = new Float32Array(this.up * taps);
      const row = new Float64Array(taps);
      for (let p = 0; p < this.up; p++) {
        this.kernel(p / this.up, row);
        t.set(row, p * taps);
      }
      this.table = t;
    }
  }

  /** Output length for n input samples: round(n * out / in). */
  outputLength(n: number): number {
    return Math.round((n * this.up) / this.down);
  }

  /** Kernel weights for an output instant `frac` (0 <= frac < 1) input samples after input sample `base`. */
  private kernel(frac: number, row: Float64Array): void {
    const { half, fc } = this;
    const width = half; // window support in input samples on each side
    let sum = 0;
    for (let k = 0; k < 2 * half; k++) {
      // Input sample index base - half + 1 + k sits at distance d from the output instant.
      const d = frac + half - 1 - k;
      const u = d / width;
      let w = 0;
      if (u > -1 && u < 1) {
        const x = 2 * fc * d;
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        w = (2 * fc * sinc * besselI0(BETA * Math.sqrt(1 - u * u))) / this.i0Beta;
      }
      row[k] = w;
      sum += w;
    }
    // Unit DC gain for every phase.
    for (let k = 0; k < 2 * half; k++) row[k] /= sum;
  }

  /**
   * Output samples [start, start + count) of the resampled signal, reading only the input samples they need
   * (so a short window of a long recording costs only the window). Input outside the signal is zero.
   * `inputOffset`: `input[0]` is sample `inputOffset` of the signal (a stream's retained tail); samples before
   * it count as zero, so a caller keeps at least `lastInputNeeded`'s window of history.
   */
  processRange(input: Float32Array, start: number, count: number, inputOffset = 0): Float32Array {
    const out = new Float32Array(count);
    if (this.up === this.down) {
      for (let j = 0; j < count; j++) {
        const i = start + j - inputOffset;
        out[j] = i >= 0 && i < input.length ? input[i] : 0;
      }
      return out;
    }
    const { up, down, half, table } = this;
    const taps = 2 * half;
    const n = input.length;
    const row = new Float64Array(table ? 0 : taps);
    for (let j = 0; j < count; j++) {
      const pos = (start + j) * down; // output instant in units of 1/up input samples
      const base = Math.floor(pos / up);
      const phase = pos - base * up;
      let w: ArrayLike<number> = row;
      let wo = 0;
      if (table) {
        w = table;
        wo = phase * taps;
      } else {
        this.kernel(phase / up, row);
      }
      const first = base - half + 1 - inputOffset;
      const k0 = Math.max(0, -first);
      const k1 = Math.min(taps, n - first);
      let acc = 0;
      for (let k = k0; k < k1; k++) acc += w[wo + k] * input[first + k];
      out[j] = acc;
    }
    return out;
  }

  /** The first and last input samples output sample `j` reads (streams wait for the last, keep from the first). */
  inputSpan(j: number): [number, number] {
    if (this.up === this.down) return [j, j];
    const base = Math.floor((j * this.down) / this.up);
    return [base - this.half + 1, base + this.half];
  }

  /** The whole signal resampled: length round(n * out / in). */
  process(input: Float32Array): Float32Array {
    return this.processRange(input, 0, this.outputLength(input.length));
  }
}

const cache = new Map<string, Resampler>();

/** A cached resampler for a pair of rates. */
export function getResampler(inRate: number, outRate: number): Resampler {
  const key = `${inRate}:${outRate}`;
  let r = cache.get(key);
  if (!r) {
    r = new Resampler(inRate, outRate);
    if (cache.size > 16) cache.clear();
    cache.set(key, r);
  }
  return r;
}

/** Resamples `input` from `inRate` to `outRate` (identity copy when they match). */
export function resample(input: Float32Array, inRate: number, outRate: number): Float32Array {
  if (inRate === outRate) return input.slice();
  return getResampler(inRate, outRate).process(input);
}
