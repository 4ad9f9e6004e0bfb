// FeatureStream's sample retention (src/stream/feature-stream.ts, Tail): dropped samples stay in place until an
// append needs their room. Whatever the chunking, every frame, window and energy-gate level must be the one a
// stream given the whole signal at once computes, and the level must be the plain sum over the right samples.
import { describe, expect, it } from 'vitest';
import { DEFAULT_FRONTEND, MICROFRONTEND_16K } from '../../src/audio/frontend';
import { FeatureStream } from '../../src/stream/feature-stream';
import type { FrontendConfig } from '../../src/model/graph';

function signal(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = (s / 2 ** 32 - 0.5) * (0.05 + 0.5 * Math.abs(Math.sin(i / 4000)));
  }
  return x;
}

/** Every window and the level of its last 5 hops, as each frame completes, over chunks of the given sizes. */
function run(cfg: FrontendConfig, rate: number, x: Float32Array, sizes: number[]): { windows: Float32Array[]; levels: number[] } {
  const fs = new FeatureStream(cfg, rate);
  const windows: Float32Array[] = [];
  const levels: number[] = [];
  const take = (end: number) => {
    levels.push(fs.levelDb(end, 5));
    if (end >= fs.windowFrames && end % 5 === 0) windows.push(fs.window(end)); // every 5th: enough, and quick
  };
  for (let at = 0, k = 0; at < x.length; k++) {
    const len = sizes[k % sizes.length];
    fs.push(x.subarray(at, at + len), take);
    at += len;
  }
  return { windows, levels };
}

describe('FeatureStream sample retention', () => {
  const SIZES = [1, 37, 160, 999, 3200, 7, 16000, 5000, 2];

  it.each([
    // Long enough for the kept samples to move to the front of their buffer several times.
    ['microfrontend, 16 kHz', MICROFRONTEND_16K, 16000, 7],
    ['microfrontend, 44.1 kHz input', MICROFRONTEND_16K, 44100, 5],
    ['log-mel, 16 kHz', DEFAULT_FRONTEND, 16000, 7],
    ['dependent frames (noise reduction), 16 kHz', { ...MICROFRONTEND_16K, microfrontend: { ...MICROFRONTEND_16K.microfrontend!, noiseReductionEnabled: true } }, 16000, 5],
  ] as [string, FrontendConfig, number, number][])('chunking changes nothing, %s', (_, cfg, rate, seconds) => {
    const x = signal(Math.round(rate * seconds), 3);
    const whole = run(cfg, rate, x, [x.length]);
    const chunked = run(cfg, rate, x, SIZES);
    expect(chunked.levels).toEqual(whole.levels);
    expect(chunked.windows.length).toBe(whole.windows.length);
    chunked.windows.forEach((w, i) => expect(w.every((v, j) => Object.is(v, whole.windows[i][j])), `window ${i}`).toBe(true));
  });

  it('the level is the mean square of the last hops, summed in order', () => {
    const cfg = MICROFRONTEND_16K;
    const x = signal(16000 * 7, 9);
    const { levels } = run(cfg, 16000, x, SIZES);
    const { hopSamples: hop, windowSamples: win } = cfg;
    levels.forEach((level, f) => {
      const end = f + 1;
      const to = (end - 1) * hop + win;
      const from = Math.max(0, to - 5 * hop);
      let s = 0;
      for (let i = from; i < to; i++) s += x[i] ** 2;
      expect(level, `frame ${end}`).toBe(10 * Math.log10(s / (to - from) + 1e-20));
    });
  });
});
