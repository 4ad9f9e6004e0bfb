// What a result says about the work and the audio behind it: `spent` is what ran (all of it in 'all-exits'
// mode), `window` is the stretch of the caller's audio the fixed-length clip covered.
import { describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/index';
import { tinyModel } from '../helpers/random-model';
import { mulberry32 } from '../helpers/rng';

describe('result.spent and result.window', () => {
  it('spent equals the exit taken, except in all-exits mode where every block ran', async () => {
    const rt = await createRuntime({ backend: 'cpu' });
    const m = await rt.load(tinyModel(6));
    const features = new Float32Array(m.plan.inputElements).fill(-3);
    const early = await m.classify({ features }, { threshold: 2 });
    expect(early.exit).toBe(0);
    expect(early.spent).toEqual({ blocksRun: early.blocksRun, binaryOpsFraction: early.binaryOpsFraction, floatOpsFraction: early.floatOpsFraction });
    const all = await m.classify({ features }, { threshold: 2, mode: 'all-exits' });
    expect(all.exit).toBe(0);
    expect(all.blocksRun).toBe(early.blocksRun);
    expect(all.spent.binaryOpsFraction).toBe(1);
    expect(all.spent.floatOpsFraction).toBe(1);
    expect(all.spent.blocksRun).toBe(m.info.exits[m.info.exits.length - 1].blocksRun);
    expect(all.spent.blocksRun).toBeGreaterThan(all.blocksRun);
    expect(early.window).toBeUndefined();
    rt.dispose();
  });

  it('window: all of a short clip, the centred second of a long one, at any sample rate', async () => {
    const rt = await createRuntime({ backend: 'cpu' });
    const m = await rt.load(tinyModel(7));
    const fe = m.description.frontend;
    const clipSeconds = fe.clipSamples / fe.sampleRate;
    const rng = mulberry32(3);
    const noise = (n: number): Float32Array => Float32Array.from({ length: n }, () => 0.1 * (rng() - 0.5));
    const [short, long] = await m.classifyBatch([
      { audio: noise(Math.round(0.4 * clipSeconds * 44100)), sampleRate: 44100 },
      { audio: noise(Math.round(3 * clipSeconds * 44100)), sampleRate: 44100 },
    ]);
    expect(short.window!.startSeconds).toBe(0);
    expect(short.window!.endSeconds).toBeCloseTo(0.4 * clipSeconds, 3);
    expect(long.window!.audioSeconds).toBeCloseTo(3 * clipSeconds, 4);
    expect(long.window!.startSeconds).toBeCloseTo(clipSeconds, 3);
    expect(long.window!.endSeconds - long.window!.startSeconds).toBeCloseTo(clipSeconds, 6);
    rt.dispose();
  });
});
