// firstNonFinite, the input check of features and audio: exact on every float32 class, any position, any offset.
import { describe, expect, it } from 'vitest';
import { firstNonFinite } from '../../src/finite';
import { mulberry32 } from '../helpers/rng';

/** The reference: a plain scan. */
const scan = (v: Float32Array): number => v.findIndex((x) => !Number.isFinite(x));

describe('firstNonFinite', () => {
  it('finds NaN and both infinities at every position of short and odd-length arrays', () => {
    for (const len of [1, 2, 3, 4, 5, 7, 8, 33]) {
      for (const bad of [NaN, Infinity, -Infinity]) {
        for (let at = 0; at < len; at++) {
          const v = new Float32Array(len).fill(1.5);
          v[at] = bad;
          expect(firstNonFinite(v), `${bad} at ${at} of ${len}`).toBe(at);
        }
      }
    }
  });

  it('passes every finite class: zeros, subnormals, the largest float32, negatives', () => {
    const edge = Float32Array.of(0, -0, 1e-45, -1e-45, 1.1754942e-38, 3.4028235e38, -3.4028235e38, 1, -1, 65504);
    expect(firstNonFinite(edge)).toBe(-1);
    expect(firstNonFinite(new Float32Array(0))).toBe(-1);
  });

  it('agrees with a plain scan on random bit patterns (NaN payloads included) and on subarray views', () => {
    const rng = mulberry32(5);
    for (let t = 0; t < 200; t++) {
      const bits = Uint32Array.from({ length: 1 + Math.floor(rng() * 60) }, () => Math.floor(rng() * 2 ** 32));
      // Mostly finite: clear the exponent's top bit in most words.
      for (let i = 0; i < bits.length; i++) if (rng() < 0.97) bits[i] &= ~0x40000000;
      const v = new Float32Array(bits.buffer);
      expect(firstNonFinite(v)).toBe(scan(v));
      const off = Math.floor(rng() * v.length);
      const view = v.subarray(off);
      expect(firstNonFinite(view)).toBe(scan(view));
    }
  });
});
