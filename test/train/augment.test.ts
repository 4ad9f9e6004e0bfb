// The band-axis warp used as training augmentation.
import { describe, expect, it } from 'vitest';
import { warpBands } from '../../src/train/trainer';

describe('warpBands', () => {
  const frames = 3;
  const bands = 8;
  const ramp = (): Float32Array => Float32Array.from({ length: frames * bands }, (_, i) => (i % bands) * 10 + Math.floor(i / bands));

  it('leaves a clip unchanged at scale 1', () => {
    const x = ramp();
    warpBands(x, frames, bands, 1);
    expect(Array.from(x)).toEqual(Array.from(ramp()));
  });

  it('stretches every frame: band b takes the value at b / scale, interpolated, clamped at the top', () => {
    const x = ramp();
    warpBands(x, frames, bands, 2);
    for (let t = 0; t < frames; t++) {
      // Band b of the ramp holds 10 b + t, so band b after the warp holds 10 (b / 2) + t.
      for (let b = 0; b < bands; b++) expect(x[t * bands + b]).toBeCloseTo(5 * b + t, 5);
    }
    const y = ramp();
    warpBands(y, frames, bands, 0.5);
    for (let t = 0; t < frames; t++) {
      for (let b = 0; b < bands; b++) expect(y[t * bands + b]).toBeCloseTo(10 * Math.min(bands - 1, 2 * b) + t, 5);
    }
  });
});
