// The CPU twins on small hand-worked examples: the semantics every GPU kernel is checked against.
import { describe, expect, it } from 'vitest';
import { bconvCpu } from '../../src/cpu/bconv';
import { bdenseCpu } from '../../src/cpu/dense';
import { exitResultCpu, summarizeLogits } from '../../src/cpu/exit-result';
import { packCpu } from '../../src/cpu/pack';
import { gapBitsCpu, maxpoolBitsCpu } from '../../src/cpu/pool';
import { packSigns, unpackSigns } from '../../src/layout/bits';
import { identityAffine } from '../../src/layout/transform';
import { mulberry32, uniform } from '../helpers/rng';


describe('bconv twin', () => {
  it('equals the slow float +-1 dot product (valid 3x3, 40 channels so a partial word)', () => {
    const rng = mulberry32(3);
    const shape = { n: 1, h: 4, w: 5, c: 40 };
    const xs = Float32Array.from({ length: 4 * 5 * 40 }, () => (rng() < 0.5 ? -1 : 1));
    const ws = Float32Array.from({ length: 2 * 9 * 40 }, () => (rng() < 0.5 ? -1 : 1));
    const g = { kernel: [3, 3] as [number, number], stride: [1, 1] as [number, number], padding: 'valid' as const, outChannels: 2 };
    const { out, shape: os } = bconvCpu(packSigns(xs, 20, 40), shape, packSigns(ws, 18, 40), g, identityAffine(2));
    expect([os.h, os.w]).toEqual([2, 3]);
    for (let oy = 0; oy < 2; oy++) {
      for (let ox = 0; ox < 3; ox++) {
        for (let o = 0; o < 2; o++) {
          let dot = 0;
          for (let ky = 0; ky < 3; ky++) {
            for (let kx = 0; kx < 3; kx++) {
              for (let c = 0; c < 40; c++) dot += xs[((oy + ky) * 5 + ox + kx) * 40 + c] * ws[((o * 3 + ky) * 3 + kx) * 40 + c];
            }
          }
          expect(out[(oy * 3 + ox) * 2 + o]).toBe(dot);
        }
      }
    }
  });

  it('pads `same` borders with +1 (one-padding)', () => {
    // 1x1 map of one -1 channel; 3x3 weights all +1: the 8 padded pixels count +1 each, the centre -1.
    const x = packSigns([-1], 1, 1);
    const w = packSigns(new Array(9).fill(1), 9, 1);
    const g = { kernel: [3, 3] as [number, number], stride: [1, 1] as [number, number], padding: 'same' as const, outChannels: 1 };
    expect(bconvCpu(x, { n: 1, h: 1, w: 1, c: 1 }, w, g, identityAffine(1)).out[0]).toBe(8 - 1);
  });

  it('threshold: bit 0 (+1) iff acc >= t, or acc <= t when flipped', () => {
    const x = packSigns([1, 1, 1, -1], 1, 4); // dot with all-+1 weights = 2
    const w = packSigns([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 3, 4);
    const run = (t: number[], flip: number[]) =>
      bdenseCpu(x, 1, 4, w, 3, { kind: 'threshold', threshold: Int32Array.from(t), flip: Uint32Array.from(flip) })[0];
    // channel 0: 2 >= 2 -> +1 (0); channel 1: 2 >= 3 false -> -1 (1); channel 2 flipped: 2 <= 1 false -> 1.
    expect(run([2, 3, 1], [0, 0, 1])).toBe(0b110);
    expect(run([2, 3, 2], [1, 1, 1])).toBe(0b000);
  });
});

describe('pack twin', () => {
  it('maps x >= t to bit 0 and flips the comparison', () => {
    const x = Float32Array.of(0.5, -0.5, 0, 2);
    const bits = packCpu(x, { n: 1, h: 1, w: 1, c: 4 }, {
      kind: 'threshold', threshold: Float32Array.of(0.5, 0, 0, 3), flip: Uint32Array.of(0, 0, 1, 1),
    });
    // c0: 0.5 >= 0.5 -> 0; c1: -0.5 >= 0 no -> 1; c2: 0 <= 0 -> 0; c3: 2 <= 3 -> 0
    expect(bits[0]).toBe(0b0010);
    expect([...unpackSigns(packSigns([0, -0, -1e-9], 1, 3), 1, 3)]).toEqual([1, 1, -1]);
  });
});

describe('bit pooling twins', () => {
  it('maxpool on bits is the AND of the window', () => {
    const x = Uint32Array.of(0b1100, 0b1010, 0b1001, 0b1111);
    const { out } = maxpoolBitsCpu(x, { n: 1, h: 2, w: 2, c: 4 }, { kernel: [2, 2], stride: [2, 2] });
    expect(out[0]).toBe(0b1000); // -1 only where all four are -1
  });

  it('global average pooling on bits is (HW - 2 * ones) / HW', () => {
    // 2x2 map, 2 channels: channel 0 has three -1s, channel 1 none.
    const x = Uint32Array.of(0b01, 0b01, 0b01, 0b00);
    expect([...gapBitsCpu(x, { n: 1, h: 2, w: 2, c: 2 })]).toEqual([(4 - 6) / 4, 1]);
  });
});

describe('exit result twin', () => {
  it('uniform logits have entropy 1 and max probability 1/C; a near one-hot has entropy ~0', () => {
    const u = summarizeLogits([3, 3, 3, 3]);
    expect(u.entropy).toBeCloseTo(1, 12);
    expect(u.maxProb).toBeCloseTo(0.25, 12);
    expect(u.argmax).toBe(0);
    const h = summarizeLogits([0, 40, 0, 0]);
    expect(h.entropy).toBeLessThan(1e-12);
    expect(h.maxProb).toBeCloseTo(1, 12);
    expect(h.argmax).toBe(1);
    expect(summarizeLogits([7]).entropy).toBe(0);
  });

  it('writes records of stride classes + 3 and keeps the first max', () => {
    const rng = mulberry32(9);
    const logits = Float32Array.from({ length: 6 }, () => uniform(rng, -1, 1));
    logits[3] = logits[4] = 5;
    const r = exitResultCpu(logits, 2, 3);
    expect(r.length).toBe(12);
    expect([...r.subarray(6, 9)]).toEqual([...logits.subarray(3, 6)]);
    expect(r[11]).toBe(0);
  });
});
