// The microfrontend's spectral stage on its WebAssembly SIMD kernel (wasm/assembly/spectrum.ts, a module of its
// own, about 3.4 KB: compiled synchronously, even on a browser's main thread), with the same bits as the TypeScript
// twin (src/audio/spectrum.ts). Each kernel instance has its own memory: the configuration's tables, the FFT
// buffer, one frame of samples in, the filterbank accumulators, channel amplitudes and (with a log table) the
// frame's pixels out, laid out once and read through views that live as long as the kernel.
import { SPECTRUM_WASM_BASE64 } from './generated/spectrum-kernel';
import type { LogPixelTable, SpectrumTables } from './spectrum';

interface SpectrumExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  spectrumFrame(cfg: number, samples: number): number;
  logPixels(cfg: number, amplitudes: number, count: number, out: number): number;
}

let compiled: WebAssembly.Module | null | undefined;

/** The compiled module, or null where this engine cannot run it (no WebAssembly, no SIMD, a CSP): the twin runs instead. */
function spectrumModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  if (typeof WebAssembly === 'object' && typeof atob === 'function') {
    const bin = atob(SPECTRUM_WASM_BASE64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    // validate() is false without SIMD; a page whose Content-Security-Policy forbids compiling WebAssembly
    // throws instead. Either way the twin runs.
    try {
      if (WebAssembly.validate(bytes)) compiled = new WebAssembly.Module(bytes);
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/** Whether the spectral kernel can run here. */
export function spectrumKernelSupported(): boolean {
  return spectrumModule() !== null;
}

/** Twiddles as two vectors each: [wr, wr] and [-wi, wi] (the kernel's complex product). */
function twiddleVectors(pairs: Float64Array): Float64Array {
  const out = new Float64Array(pairs.length * 2);
  for (let j = 0; j < pairs.length / 2; j++) out.set([pairs[2 * j], pairs[2 * j], -pairs[2 * j + 1], pairs[2 * j + 1]], 4 * j);
  return out;
}

/** Each bin's [weight, unweight] as one f64 pair: the kernel multiplies both by the bin's energy at once. */
function weightPairs(t: SpectrumTables): Float64Array {
  const out = new Float64Array(2 * t.weights.length);
  for (let k = 0; k < t.weights.length; k++) {
    out[2 * k] = t.weights[k];
    out[2 * k + 1] = t.unweights[k];
  }
  return out;
}

/** Whether x * s is exact in f32 for every f32 x short of overflow: s a power of two in [1, 2^64]. */
function powerOfTwoScale(s: number): boolean {
  return s >= 1 && s <= 2 ** 64 && 2 ** Math.round(Math.log2(s)) === s;
}

/** Bump layout in the kernel's memory: every part 16-byte aligned with 16 bytes of slack after it. */
class Layout {
  private top: number;
  readonly parts: { at: number; data: ArrayBufferView | null }[] = [];

  constructor(heapBase: number) {
    this.top = Math.ceil(heapBase / 16) * 16;
  }

  /** Places `data` (copied in later) or that many zeroed bytes; returns the address. */
  add(data: ArrayBufferView | number): number {
    const at = this.top;
    const bytes = typeof data === 'number' ? data : data.byteLength;
    this.parts.push({ at, data: typeof data === 'number' ? null : data });
    this.top = Math.ceil((at + bytes + 16) / 16) * 16;
    return at;
  }

  get end(): number {
    return this.top;
  }
}

const CFG_BYTES = 112;

export class SpectrumKernel {
  private readonly e: SpectrumExports;
  private readonly cfg: number;
  private readonly samples: number;
  private readonly n: number;
  private readonly samplesView: Float32Array;
  private readonly workView: Float64Array;
  /** The last frame's channel amplitudes, in the kernel's memory (overwritten by the next frame). */
  readonly amplitudes: Float64Array;
  /** The last frame's pixels (null without a log table) and whether they hold (0) or the host must compute them. */
  private readonly pixelView: Float32Array | null;
  private readonly status: Int32Array;

  private constructor(e: SpectrumExports, t: SpectrumTables, log: LogPixelTable | null) {
    this.e = e;
    this.n = t.n;
    const m = t.fftSize >> 1;
    const channels = Math.max(0, t.chanEnd.length - 1);
    const cfgBlock = new DataView(new ArrayBuffer(CFG_BYTES));
    // The window / 4096 (exact), padded with zeros to fftSize: the kernel's one pass reads every pair of the FFT's input.
    const window = new Float64Array(t.fftSize);
    for (let i = 0; i < t.n; i++) window[i] = t.window[i] / 4096;
    const lay = new Layout(e.heapBase());
    const cfg = lay.add(cfgBlock);
    const words = [
      t.n, t.fftSize, lay.add(window), lay.add(t.reverse), lay.add(twiddleVectors(t.twiddles)), lay.add(twiddleVectors(t.splitTwiddles)),
      t.binStart, t.chanEnd.length, lay.add(t.chanEnd), lay.add(weightPairs(t)), lay.add(16 * (m + 1)), lay.add(4 * t.n),
      lay.add(8 * t.chanEnd.length), lay.add(8 * channels), powerOfTwoScale(t.inputScale) ? 1 : 0, log ? log.top : -1,
      log ? lay.add(log.thresholds) : 0, log ? lay.add(log.pixels) : 0, lay.add(4 * channels), 0, 0, 0, 0, 0,
      log ? log.bucketBits : 0, log ? lay.add(log.buckets) : 0, 0, lay.add(t.window),
    ];
    words.forEach((w, i) => cfgBlock.setInt32(4 * i, w, true));
    cfgBlock.setFloat64(80, t.inputScale, true);
    cfgBlock.setFloat64(88, log ? log.amplitudeCap : 0, true);
    // Samples in: fftSize of them are readable (the kernel's pass reads pairs up to fftSize; the window zeroes them).
    this.samples = lay.add(4 * t.fftSize);
    const have = e.memory.buffer.byteLength;
    if (lay.end > have) e.memory.grow(Math.ceil((lay.end - have) / 65536));
    const u8 = new Uint8Array(e.memory.buffer);
    for (const p of lay.parts) if (p.data) u8.set(new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength), p.at);
    this.cfg = cfg;
    // Nothing grows the memory after this, so the views stay valid.
    const buf = e.memory.buffer;
    this.samplesView = new Float32Array(buf, this.samples, t.n);
    this.workView = new Float64Array(buf, words[12], t.chanEnd.length);
    this.amplitudes = new Float64Array(buf, words[13], channels);
    this.pixelView = log ? new Float32Array(buf, words[18], channels) : null;
    this.status = new Int32Array(buf, cfg + 76, 1);
  }

  /** A kernel for these tables (and the log, when given), or null where the kernel cannot run. */
  static tryCreate(t: SpectrumTables, log: LogPixelTable | null = null): SpectrumKernel | null {
    const m = spectrumModule();
    if (!m) return null;
    let e: SpectrumExports;
    try {
      e = new WebAssembly.Instance(m, {}).exports as unknown as SpectrumExports;
    } catch {
      return null; // no memory for another instance: the twin runs
    }
    return new SpectrumKernel(e, t, log);
  }

  /** Copies the frame's samples in and runs the kernel; returns the block shift. */
  private run(samples: Float32Array, offset: number): number {
    const view = this.samplesView;
    const n = this.n;
    // subarray + set is a memcpy (a JS loop copying the floats cost 4x as much).
    const frame = samples.subarray(offset, offset + n);
    view.set(frame);
    // Past the end of `samples` the twin reads undefined, which becomes a 0 sample: so do zeros here.
    if (frame.length < n) view.fill(0, frame.length);
    return this.e.spectrumFrame(this.cfg, this.samples);
  }

  /** As spectrumFrame (src/audio/spectrum.ts): the accumulators and amplitudes copied out. */
  frame(samples: Float32Array, offset: number, work: Float64Array, amplitudes: Float64Array): number {
    const shift = this.run(samples, offset);
    work.set(this.workView);
    amplitudes.set(this.amplitudes);
    return shift;
  }

  /**
   * One frame to pixels: writes them to `out[outOffset..]` and returns true, or returns false where the kernel has
   * no log table or an amplitude lies past it; then `amplitudes` holds the frame's amplitudes for the host's log.
   */
  pixelFrame(samples: Float32Array, offset: number, out: Float32Array, outOffset: number): boolean {
    this.run(samples, offset);
    const px = this.pixelView;
    if (!px || this.status[0] !== 0) return false;
    out.set(px, outOffset);
    return true;
  }

  /**
   * The kernel's log and pixel map of any amplitudes (integers >= 0, for tests): pixels into `out`; false where
   * one lies past the table (those pixels are then meaningless).
   */
  pixelsOf(amplitudes: Float64Array, out: Float32Array): boolean {
    const px = this.pixelView;
    if (!px) throw new Error('this kernel has no log table');
    const chunk = this.amplitudes.length;
    let ok = true;
    for (let at = 0; at < amplitudes.length; at += chunk) {
      const k = Math.min(chunk, amplitudes.length - at);
      this.amplitudes.set(amplitudes.subarray(at, at + k));
      ok = this.e.logPixels(this.cfg, this.amplitudes.byteOffset, k, px.byteOffset) === 0 && ok;
      out.set(px.subarray(0, k), at);
    }
    return ok;
  }
}
