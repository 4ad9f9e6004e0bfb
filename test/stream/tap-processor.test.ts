// The microphone tap's AudioWorklet processor (src/stream/tap-processor.ts), run from its own source text in a
// bare scope, as tapMediaStream loads it from a Blob URL: self-contained, channels averaged, 2048-sample blocks.
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { registerTapProcessor } from '../../src/stream/tap-processor';

describe('tap processor', () => {
  it('runs from its source alone and posts the channel mean in blocks of 2048, in order', () => {
    const posted: Float32Array[] = [];
    let registered: { name: string; ctor: new () => { process(inputs: Float32Array[][]): boolean } } | null = null;
    class AudioWorkletProcessor {
      readonly port = { postMessage: (block: Float32Array) => posted.push(block) };
    }
    const scope = {
      AudioWorkletProcessor,
      registerProcessor: (name: string, ctor: new () => { process(inputs: Float32Array[][]): boolean }) => {
        registered = { name, ctor };
      },
      Float32Array,
    };
    runInNewContext(`(${registerTapProcessor.toString()})();`, scope);
    expect(registered).not.toBeNull();
    const { name, ctor } = registered!;
    expect(name).toBe('beenet-tap');
    const tap = new ctor();
    const left = Float32Array.from({ length: 128 * 40 }, (_, i) => Math.sin(i * 0.01));
    const right = Float32Array.from({ length: 128 * 40 }, (_, i) => Math.cos(i * 0.03));
    for (let q = 0; q < 40; q++) {
      expect(tap.process([[left.subarray(q * 128, (q + 1) * 128), right.subarray(q * 128, (q + 1) * 128)]])).toBe(true);
    }
    expect(tap.process([])).toBe(true); // no input connected yet
    expect(posted.map((b) => b.length)).toEqual([2048, 2048]);
    const want = left.map((v, i) => (v + right[i]) / 2);
    expect([...posted[0], ...posted[1]]).toEqual([...want.subarray(0, 4096)]);
    expect(posted[0]).not.toBe(posted[1]);
  });
});
