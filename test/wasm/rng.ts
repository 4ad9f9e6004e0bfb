// Seeded random data for the WASM tests (test/helpers/rng.ts's mulberry32): every failure reproduces from its seed.
import { mulberry32 } from '../helpers/rng';

export class Rng {
  /** Uniform in [0, 1). */
  readonly next: () => number;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  floats(n: number, scale = 1): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = (this.next() * 2 - 1) * scale;
    return a;
  }

  /** Random words with bits at channels >= `channels` of each pixel cleared (docs/layout.md). */
  bits(pixels: number, channels: number): Uint32Array {
    const words = (channels + 31) >>> 5;
    const a = new Uint32Array(pixels * words);
    for (let p = 0; p < pixels; p++) {
      for (let w = 0; w < words; w++) {
        const left = channels - w * 32;
        const mask = left >= 32 ? 0xffffffff : (1 << left) - 1;
        a[p * words + w] = ((this.next() * 4294967296) >>> 0) & mask;
      }
    }
    return a;
  }

  ints(n: number, lo: number, hi: number): Int32Array {
    const a = new Int32Array(n);
    for (let i = 0; i < n; i++) a[i] = this.int(lo, hi);
    return a;
  }

  flips(n: number): Uint32Array {
    const a = new Uint32Array(n);
    for (let i = 0; i < n; i++) a[i] = this.next() < 0.3 ? 1 : 0;
    return a;
  }
}
