import { describe, expect, it } from 'vitest';
import { foldBnAffine, foldBnSignFloat, foldBnSignInt, hwioToOhwi, meanAbsPerOutput, packWeightsHwio, transposeDense, type BnParams } from '../../src/train/fold';
import { thresholdBit } from '../../src/cpu/transform';

const bn = (gamma: number[], beta: number[], mean: number[], variance: number[], epsilon = 0): BnParams => ({
  gamma: Float32Array.from(gamma),
  beta: Float32Array.from(beta),
  mean: Float32Array.from(mean),
  variance: Float32Array.from(variance),
  epsilon,
});

/** sign(BN(x)) computed directly: +1 (bit 0) iff the normalised value is >= 0. */
function direct(p: BnParams, c: number, x: number): number {
  const y = ((x - p.mean[c]) / Math.sqrt(p.variance[c] + p.epsilon)) * p.gamma[c] + p.beta[c];
  return y >= 0 ? 0 : 1;
}

describe('foldBnSignInt', () => {
  it('matches sign(BN(acc)) for every integer accumulator, including negative and zero gamma', () => {
    const p = bn([1.5, -0.7, 0, 0, 2, -3], [0.3, 0.4, 0.2, -0.1, -1.1, 0.9], [2.2, -3.5, 1, 1, 0.25, 4], [1, 4, 1, 1, 0.5, 2]);
    const k = 27;
    const t = foldBnSignInt(p, k);
    expect(Array.from(t.flip)).toEqual([0, 1, 0, 0, 0, 1]);
    for (let c = 0; c < 6; c++) {
      for (let acc = -k; acc <= k; acc++) expect(thresholdBit(acc, c, { kind: 'threshold', ...t })).toBe(direct(p, c, acc));
    }
  });

  it('rounds at the boundary: an accumulator exactly on the threshold maps to +1', () => {
    // mean - beta / s = 3 exactly: acc = 3 gives BN = 0 -> +1; acc = 2 gives -1.
    const pos = foldBnSignInt(bn([1], [-3], [0], [1]), 9);
    expect(pos.threshold[0]).toBe(3);
    expect(thresholdBit(3, 0, { kind: 'threshold', ...pos })).toBe(0);
    expect(thresholdBit(2, 0, { kind: 'threshold', ...pos })).toBe(1);
    // Negative gamma: BN = -(acc - 0) - 3 >= 0 <=> acc <= -3.
    const neg = foldBnSignInt(bn([-1], [-3], [0], [1]), 9);
    expect(neg.threshold[0]).toBe(-3);
    expect(neg.flip[0]).toBe(1);
    expect(thresholdBit(-3, 0, { kind: 'threshold', ...neg })).toBe(0);
    expect(thresholdBit(-2, 0, { kind: 'threshold', ...neg })).toBe(1);
    // Non-integer boundary 2.5: ceil for flip 0, floor for flip 1.
    expect(foldBnSignInt(bn([1], [-2.5], [0], [1]), 9).threshold[0]).toBe(3);
    expect(foldBnSignInt(bn([-1], [-2.5], [0], [1]), 9).threshold[0]).toBe(-3);
  });

  it('gamma == 0 gives a constant channel', () => {
    const t = foldBnSignInt(bn([0, 0], [0, -0.5], [5, 5], [1, 1]), 9);
    for (let acc = -9; acc <= 9; acc++) {
      expect(thresholdBit(acc, 0, { kind: 'threshold', ...t })).toBe(0);
      expect(thresholdBit(acc, 1, { kind: 'threshold', ...t })).toBe(1);
    }
  });

  it('clamps far thresholds into [-k-1, k+1]', () => {
    const t = foldBnSignInt(bn([1e-6, 1e-6], [1, -1], [0, 0], [1, 1]), 9);
    expect(Array.from(t.threshold)).toEqual([-10, 10]);
  });
});

describe('foldBnSignFloat', () => {
  it('matches sign(BN(x)) on a grid of floats', () => {
    const p = bn([0.8, -1.3, 0, 0], [0.2, -0.4, 1, -1], [0.1, -0.2, 0, 0], [0.5, 2, 1, 1], 1e-3);
    const t = foldBnSignFloat(p);
    expect(Array.from(t.flip)).toEqual([0, 1, 0, 0]);
    for (let c = 0; c < 4; c++) {
      for (let x = -3; x <= 3; x += 0.0137) {
        // Away from the exact boundary (float tolerance), the folded decision equals the direct one.
        if (p.gamma[c] !== 0 && Math.abs(x - t.threshold[c]) < 1e-5) continue;
        expect(thresholdBit(x, c, { kind: 'threshold', ...t })).toBe(direct(p, c, x));
      }
    }
    expect(Number.isFinite(t.threshold[2]) && Number.isFinite(t.threshold[3])).toBe(true);
  });
});

describe('foldBnAffine', () => {
  it('folds scale, bias and BN into mul/add', () => {
    const p = bn([2, -1], [0.5, 0.25], [1, -1], [3, 0], 1);
    const { mul, add } = foldBnAffine(p, Float32Array.from([0.5, 2]), Float32Array.from([0.1, -0.2]));
    for (let c = 0; c < 2; c++) {
      for (const acc of [-5, 0, 3]) {
        const scale = [0.5, 2][c];
        const bias = [0.1, -0.2][c];
        const want = ((acc * scale + bias - p.mean[c]) / Math.sqrt(p.variance[c] + 1)) * p.gamma[c] + p.beta[c];
        expect(acc * mul[c] + add[c]).toBeCloseTo(want, 5);
      }
    }
  });
});

describe('weight packing', () => {
  it('packs HWIO signs into OHWI words, bit 0 = +1, zero padding bits', () => {
    const kh = 1;
    const kw = 2;
    const inC = 35;
    const outC = 3;
    const w = new Float32Array(kh * kw * inC * outC);
    for (let i = 0; i < w.length; i++) w[i] = Math.sin(i * 1.7) - 0.1;
    w[0] = 0; // sign(0) = +1 -> bit 0
    const p = packWeightsHwio(w, kh, kw, inC, outC);
    expect(p.length).toBe(outC * kh * kw * 2);
    for (let o = 0; o < outC; o++) {
      for (let x = 0; x < kw; x++) {
        for (let i = 0; i < inC; i++) {
          const bit = (p[(o * kw + x) * 2 + (i >> 5)] >>> (i & 31)) & 1;
          expect(bit).toBe(w[(x * inC + i) * outC + o] < 0 ? 1 : 0);
        }
        // Channels 35..63 of the second word are padding: 0.
        expect(p[(o * kw + x) * 2 + 1] >>> 3).toBe(0);
      }
    }
    expect(p[0] & 1).toBe(0);
  });

  it('reorders real weights and dense matrices', () => {
    const w = Float32Array.from({ length: 2 * 1 * 3 * 4 }, (_, i) => i);
    const o = hwioToOhwi(w, 2, 1, 3, 4);
    // OHWI[o=1, y=1, x=0, i=2] = HWIO[y=1, x=0, i=2, o=1]
    expect(o[((1 * 2 + 1) * 1 + 0) * 3 + 2]).toBe(w[((1 * 1 + 0) * 3 + 2) * 4 + 1]);
    const d = transposeDense(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3);
    expect(Array.from(d)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(meanAbsPerOutput(Float32Array.from([1, -2, -3, 4]), 2))).toEqual([2, 3]);
  });
});
