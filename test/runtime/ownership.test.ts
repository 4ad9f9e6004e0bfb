// A runtime owns its models until they are disposed, and only until then.
import { describe, expect, it } from 'vitest';
import { createDetector, createRuntime, type BeenetModel, type KeywordDetector, type Runtime } from '../../src/index';
import { tinyModel } from '../helpers/random-model';

describe('model ownership', () => {
  it('a disposed model leaves the runtime; disposing the runtime disposes the rest', async () => {
    const rt = await createRuntime({ backend: 'cpu' });
    const a = await rt.load(tinyModel(1));
    const b = await rt.load(tinyModel(2));
    expect(rt.modelCount).toBe(2);
    a.dispose();
    a.dispose();
    expect(rt.modelCount).toBe(1);
    rt.dispose();
    expect(rt.modelCount).toBe(0);
    await expect(b.classify({ features: new Float32Array(b.plan.inputElements) })).rejects.toThrow(/disposed/);
  });
});

describe('Symbol.dispose', () => {
  it('`using` disposes a model, a detector and a runtime (with its models) when the scope ends', async () => {
    let outer: Runtime;
    let kept: BeenetModel;
    let scoped: BeenetModel;
    let stopped: KeywordDetector;
    {
      using rt = await createRuntime({ backend: 'cpu' });
      outer = rt;
      kept = await rt.load(tinyModel(5));
      {
        using m = await rt.load(tinyModel(6));
        scoped = m;
        using detector = createDetector(m, { sampleRate: 16000 });
        stopped = detector;
        expect(rt.modelCount).toBe(2);
        await detector.push(new Float32Array(160));
        expect(detector.stats().windows).toBeGreaterThanOrEqual(0);
      }
      // The inner scope ended: the detector stopped, then the model left the runtime.
      expect(rt.modelCount).toBe(1);
      await expect(stopped.push(new Float32Array(160))).rejects.toMatchObject({ code: 'DISPOSED' });
      await expect(scoped.classify({ features: new Float32Array(scoped.info.inputShape[0] * scoped.info.inputShape[1]) })).rejects.toMatchObject({ code: 'DISPOSED' });
    }
    expect(outer.modelCount).toBe(0);
    await expect(kept.classify({ features: new Float32Array(kept.info.inputShape[0] * kept.info.inputShape[1]) })).rejects.toMatchObject({ code: 'DISPOSED' });
  });
});

describe('model.info', () => {
  it('states the input, labels and each exit\'s blocks and share of the ops, as a result reports them', async () => {
    const rt = await createRuntime({ backend: 'cpu' });
    const m = await rt.load(tinyModel(3));
    const info = m.info;
    expect(info.inputShape[0] * info.inputShape[1]).toBe(m.plan.inputElements);
    expect(info.labels).toEqual(m.labels);
    expect(info.exits.map((e) => e.index)).toEqual(m.plan.stages.map((_, k) => k));
    expect(info.exits[info.exits.length - 1].binaryOpsFraction).toBe(1);
    for (let k = 1; k < info.exits.length; k++) expect(info.exits[k].binaryOpsFraction).toBeGreaterThan(info.exits[k - 1].binaryOpsFraction);
    const features = new Float32Array(m.plan.inputElements).fill(-2);
    for (const exit of info.exits) {
      // Threshold 0 never exits, 2 always does: every clip leaves at this exit.
      const r = await m.classify({ features }, { thresholds: info.exits.map((e) => (e.index === exit.index ? 2 : 0)) });
      expect(r.exit).toBe(exit.index);
      expect(r.binaryOpsFraction).toBe(exit.binaryOpsFraction);
      expect(r.blocksRun).toBe(exit.blocksRun);
    }
    rt.dispose();
  });
});

describe('AbortSignal', () => {
  it('an aborted signal rejects classify with ABORTED; a call aborted while queued never runs, the others do', async () => {
    const rt = await createRuntime({ backend: 'cpu' });
    const m = await rt.load(tinyModel(4));
    const input = { features: new Float32Array(m.plan.inputElements).fill(-1) };
    const early = new AbortController();
    early.abort('user left');
    await expect(m.classify(input, { signal: early.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    const late = new AbortController();
    const first = m.classifyBatch(Array.from({ length: 32 }, () => input), { threshold: 0 });
    const second = m.classify(input, { signal: late.signal });
    const third = m.classify(input);
    late.abort();
    await expect(first).resolves.toHaveLength(32);
    await expect(second).rejects.toMatchObject({ code: 'ABORTED', message: expect.stringMatching(/classify was aborted/) });
    await expect(third).resolves.toMatchObject({ label: expect.any(String) });
    expect(m.stats().calls).toBe(2);
    await expect(m.classify(input, { signal: 'nope' as unknown as AbortSignal })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    rt.dispose();
  });

  it('an aborted load rejects with ABORTED and leaves nothing in the runtime', async () => {
    const rt = await createRuntime({ backend: 'cpu' });
    const c = new AbortController();
    const pending = rt.load(tinyModel(5), { signal: c.signal });
    c.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
    expect(rt.modelCount).toBe(0);
    rt.dispose();
  });
});
