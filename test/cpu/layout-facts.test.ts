// Pins each arithmetic fact docs/layout.md states, on inputs where the other reading gives different bits; the
// kernel tests then hold every backend to these twins bit for bit.
import { describe, expect, it } from 'vitest';
import { denseCpu } from '../../src/cpu/dense';
import { exitResultCpu, summarizeLogits } from '../../src/cpu/exit-result';
import { gapFloatCpu, poolFloatCpu } from '../../src/cpu/pool';
import { mulberry32 } from '../helpers/rng';

const f = Math.fround;

/** Random f32 triples whose f32 sum divided by 3 differs from the sum times f32(1/3). */
function triplesWhereDivisionMatters(count: number): number[][] {
  const rng = mulberry32(5);
  const out: number[][] = [];
  while (out.length < count) {
    const t = [f(rng() * 10 - 5), f(rng() * 10 - 5), f(rng() * 10 - 5)];
    const s = f(f(t[0] + t[1]) + t[2]);
    if (f(s / 3) !== f(s * f(1 / 3))) out.push(t);
  }
  return out;
}

describe('docs/layout.md arithmetic, pinned', () => {
  it('average pooling sums in window order, then divides', () => {
    for (const t of triplesWhereDivisionMatters(20)) {
      const { out } = poolFloatCpu(Float32Array.from(t), { n: 1, h: 1, w: 3, c: 1 }, { kernel: [1, 3], stride: [1, 3] }, 'avg');
      const s = f(f(t[0] + t[1]) + t[2]);
      expect(out[0]).toBe(f(s / 3));
      expect(out[0]).not.toBe(f(s * f(1 / 3)));
    }
  });

  it('float global average pooling divides by H x W once', () => {
    for (const t of triplesWhereDivisionMatters(20)) {
      const out = gapFloatCpu(Float32Array.from(t), { n: 1, h: 3, w: 1, c: 1 });
      const s = f(f(t[0] + t[1]) + t[2]);
      expect(out[0]).toBe(f(s / 3));
      expect(out[0]).not.toBe(f(s * f(1 / 3)));
    }
  });

  it('dense layers add the bias after the sum', () => {
    // 1e8 + 1 rounds back to 1e8 in f32 (spacing 8), so the order decides whether the 1 survives.
    const out = denseCpu(Float32Array.of(1e8, 1), 1, 2, Float32Array.of(1, 1), Float32Array.of(-1e8));
    expect(out[0]).toBe(0);
    const biasFirst = f(f(-1e8 + 1e8) + 1);
    expect(biasFirst).toBe(1);
  });

  it('a tied argmax picks the first class; a one-class model has entropy 0 and max probability 1', () => {
    expect(summarizeLogits([0.5, 2, 2, -1]).argmax).toBe(1);
    expect(summarizeLogits([3, 3, 3]).argmax).toBe(0);
    const rec = exitResultCpu(Float32Array.of(2, 7, 7), 1, 3);
    expect(rec[5]).toBe(1);
    const one = exitResultCpu(Float32Array.of(-4.25), 1, 1);
    expect(Array.from(one)).toEqual([-4.25, 0, 1, 0]);
    // A uniform softmax has entropy exactly 1 after the clamp.
    expect(summarizeLogits([1, 1, 1, 1]).entropy).toBe(1);
  });
});
