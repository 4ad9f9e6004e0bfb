// A runtime owns its models until they are disposed, and only until then.
import { describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/index';
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
