// The microfrontend's spectral stage on its WebAssembly SIMD kernel (wasm/assembly/spectrum.ts, a module of its
// own, 2.3 KB: compiled synchronously, even on a browser's main thread), with the same bits as the TypeScript
// twin (src/audio/spectrum.ts). Each kernel instance has its own memory: the configuration's tables, the FFT
// buffer, one frame of samples in, the filterbank accumulators and channel amplitudes out, laid out once.
import { SPECTRUM_WASM_BASE64 } from './generated/spectrum-kernel';
import type { SpectrumTables } from './spectrum';

interface SpectrumExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  spectrumFrame(cfg: number, samples: number, inputScale: number, work: number, amplitudes: number): number;
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

export class SpectrumKernel {
  private readonly e: SpectrumExports;
  private readonly cfg: number;
  private readonly samples: number;
  private readonly n: number;
  private readonly inputScale: number;
  private readonly samplesView: Float32Array;
  private readonly workView: Float64Array;
  private readonly ampView: Float64Array;

  private constructor(e: SpectrumExports, t: SpectrumTables) {
    this.e = e;
    this.n = t.n;
    this.inputScale = t.inputScale;
    const m = t.fftSize >> 1;
    // Twiddles as two vectors each: [wr, wr] and [-wi, wi] (the kernel's complex product).
    const vectors = (pairs: Float64Array): Float64Array => {
      const out = new Float64Array(pairs.length * 2);
      for (let j = 0; j < pairs.length / 2; j++) out.set([pairs[2 * j], pairs[2 * j], -pairs[2 * j + 1], pairs[2 * j + 1]], 4 * j);
      return out;
    };
    const parts: (ArrayBufferView | number)[] = [];
    // Bump layout: every part 16-byte aligned with 16 bytes of slack; numbers are zeroed scratch of that many bytes.
    const block = new Int32Array(13);
    const twiddles = vectors(t.twiddles);
    const split = vectors(t.splitTwiddles);
    parts.push(block, t.window, t.reverse, twiddles, split, t.chanEnd, t.weights, t.unweights, 16 * Math.max(m, 1), 4 * t.n, 4 * t.n, 8 * t.chanEnd.length, 8 * t.chanEnd.length);
    const at: number[] = [];
    let top = Math.ceil(e.heapBase() / 16) * 16;
    for (const p of parts) {
      at.push(top);
      top = Math.ceil((top + (typeof p === 'number' ? p : p.byteLength) + 16) / 16) * 16;
    }
    const have = e.memory.buffer.byteLength;
    if (top > have) e.memory.grow(Math.ceil((top - have) / 65536));
    block.set([t.n, t.fftSize, at[1], at[2], at[3], at[4], t.binStart, t.chanEnd.length, at[5], at[6], at[7], at[8], at[9]]);
    const u8 = new Uint8Array(e.memory.buffer);
    parts.forEach((p, i) => {
      if (typeof p !== 'number') u8.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at[i]);
    });
    this.cfg = at[0];
    this.samples = at[10];
    // Nothing grows the memory after this, so the views stay valid.
    this.samplesView = new Float32Array(e.memory.buffer, at[10], t.n);
    this.workView = new Float64Array(e.memory.buffer, at[11], t.chanEnd.length);
    this.ampView = new Float64Array(e.memory.buffer, at[12], Math.max(0, t.chanEnd.length - 1));
  }

  /** A kernel for these tables, or null where the kernel cannot run. */
  static tryCreate(t: SpectrumTables): SpectrumKernel | null {
    const m = spectrumModule();
    if (!m) return null;
    let e: SpectrumExports;
    try {
      e = new WebAssembly.Instance(m, {}).exports as unknown as SpectrumExports;
    } catch {
      return null; // no memory for another instance: the twin runs
    }
    return new SpectrumKernel(e, t);
  }

  /** As spectrumFrame (src/audio/spectrum.ts). */
  frame(samples: Float32Array, offset: number, work: Float64Array, amplitudes: Float64Array): number {
    const frame = samples.subarray(offset, offset + this.n);
    this.samplesView.set(frame);
    // Past the end of `samples` the twin reads undefined, which becomes a 0 sample: so do zeros here.
    if (frame.length < this.n) this.samplesView.fill(0, frame.length);
    const shift = this.e.spectrumFrame(this.cfg, this.samples, this.inputScale, this.workView.byteOffset, this.ampView.byteOffset);
    work.set(this.workView);
    amplitudes.set(this.ampView);
    return shift;
  }
}
