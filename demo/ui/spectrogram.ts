// A scrolling spectrogram of the microphone on a 2D canvas (no CSP change needed): each captured block is cut
// into 512-sample frames, Hann-windowed, transformed, and drawn as columns of log-spaced bands up to 8 kHz.
const N = 512;
const ROWS = 64;

function fftInPlace(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let size = 2; size <= n; size <<= 1) {
    const step = (-2 * Math.PI) / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < size / 2; k++) {
        const wr = Math.cos(step * k);
        const wi = Math.sin(step * k);
        const a = start + k;
        const b = a + size / 2;
        const tr = re[b] * wr - im[b] * wi;
        const ti = re[b] * wi + im[b] * wr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
    }
  }
}

/** Dark blue → amber → white, for a level in [0, 1]. */
function colour(v: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, v));
  return [Math.round(20 + 235 * Math.min(1, x * 1.4)), Math.round(24 + 200 * x * x), Math.round(40 + 80 * x * (1 - x) + 150 * x ** 4)];
}

export class Spectrogram {
  private readonly ctx: CanvasRenderingContext2D | null;
  private readonly hann = Float64Array.from({ length: N }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (N - 1)));
  private bandOf: Int32Array | null = null;
  private rate = 0;
  private columns = 0;

  constructor(private readonly canvas: HTMLCanvasElement) {
    this.ctx = canvas.getContext('2d');
    this.clear();
  }

  clear(): void {
    this.columns = 0;
    this.canvas.dataset.columns = '0';
    if (!this.ctx) return;
    this.ctx.fillStyle = '#14171c';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** FFT bin -> display row (log-spaced from 60 Hz to min(8 kHz, Nyquist)), computed once per rate. */
  private bands(rate: number): Int32Array {
    if (this.bandOf && this.rate === rate) return this.bandOf;
    const top = Math.min(8000, rate / 2);
    const lo = Math.log(60);
    const hi = Math.log(top);
    const out = new Int32Array(N / 2).fill(-1);
    for (let b = 1; b < N / 2; b++) {
      const f = (b * rate) / N;
      if (f < 60 || f > top) continue;
      out[b] = Math.min(ROWS - 1, Math.floor(((Math.log(f) - lo) / (hi - lo)) * ROWS));
    }
    this.bandOf = out;
    this.rate = rate;
    return out;
  }

  push(block: Float32Array, rate: number): void {
    const ctx = this.ctx;
    if (!ctx) return;
    const frames = Math.floor(block.length / N);
    if (frames === 0) return;
    const band = this.bands(rate);
    const H = this.canvas.height;
    const W = this.canvas.width;
    const img = ctx.createImageData(frames, H);
    const re = new Float64Array(N);
    const im = new Float64Array(N);
    const level = new Float64Array(ROWS);
    const count = new Int32Array(ROWS);
    for (let f = 0; f < frames; f++) {
      for (let i = 0; i < N; i++) {
        re[i] = block[f * N + i] * this.hann[i];
        im[i] = 0;
      }
      fftInPlace(re, im);
      level.fill(0);
      count.fill(0);
      for (let b = 1; b < N / 2; b++) {
        const r = band[b];
        if (r < 0) continue;
        level[r] += re[b] * re[b] + im[b] * im[b];
        count[r]++;
      }
      let prev = 0;
      for (let row = 0; row < ROWS; row++) {
        // Low rows may hold no bin at a low rate: repeat the band below.
        const p = count[row] ? level[row] / count[row] : prev;
        prev = p;
        const db = 10 * Math.log10(p / N + 1e-12);
        const [r, g, b] = colour((db + 90) / 75);
        const y0 = Math.floor(H - ((row + 1) * H) / ROWS);
        const y1 = Math.floor(H - (row * H) / ROWS);
        for (let y = y0; y < y1; y++) {
          const o = (y * frames + f) * 4;
          img.data[o] = r;
          img.data[o + 1] = g;
          img.data[o + 2] = b;
          img.data[o + 3] = 255;
        }
      }
    }
    // Scroll left by the new columns, then draw them at the right edge.
    ctx.drawImage(this.canvas, -frames, 0);
    ctx.putImageData(img, W - frames, 0);
    this.columns += frames;
    this.canvas.dataset.columns = String(this.columns);
  }
}
