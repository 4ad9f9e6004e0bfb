// Seeded random data for the WASM tests (mulberry32): every failure reproduces from its seed.
export class Rng {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
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
