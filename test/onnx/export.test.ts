// The ONNX exporter: the float32 model computes beenet's CPU reference (src/cpu) within float rounding, the
// int8 models agree in class, on the shipped models (bundled clips + synthetic features) and on random models
// that cover every layer type, transform and activation. Runs the models in onnxruntime-web (WASM) in Node.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBee, type BeeModel } from '../../src/format/bee';
import { planModel } from '../../src/plan/plan';
import { bundledClips, syntheticFeatures } from '../../src/train/onnx/clips';
import { exportOnnx, type OnnxExportOptions } from '../../src/train/onnx/export';
import { compareLogits, referenceLogits, stackFeatures, type Agreement } from '../../src/train/onnx/reference';
import { createSession, runAll, runBatch } from '../../src/train/onnx/session';
import { RECIPE_NAMES, randomModel } from '../helpers/random-model';
import { mulberry32 } from '../helpers/rng';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SHIPPED = readdirSync(join(ROOT, 'models')).filter((f) => f.endsWith('.bee')).sort();

/** Float32 tolerance on a logit: ORT's convolutions sum in another order than the reference. */
const FLOAT_TOL = 1e-4;

async function lastExit(model: BeeModel, features: Float32Array[], options: OnnxExportOptions): Promise<Float32Array> {
  const e = exportOnnx(model.description, model.tensors, options);
  const session = await createSession(e.bytes);
  try {
    return await runBatch(session, stackFeatures(features), features.length, e.inputShape);
  } finally {
    await session.release();
  }
}

const atLeast99 = (a: Agreement): boolean => a.sameClass >= Math.ceil(0.99 * a.clips);

describe.each(SHIPPED)('ONNX export of models/%s', (file) => {
  const model = readBee(new Uint8Array(readFileSync(join(ROOT, 'models', file))));
  const plan = planModel(model.description, model.tensors);
  const clips = bundledClips(model, ROOT).features;
  const features = [...clips, ...syntheticFeatures(6, plan.inputElements, 11)];
  const reference = referenceLogits(plan, features).then((r) => r[r.length - 1]);

  it('float32: the last exit\'s logits equal the CPU reference within float rounding, every class the same', async () => {
    const got = await lastExit(model, features, { precision: 'float32' });
    const a = compareLogits(await reference, got, plan.classes);
    expect(clips.length).toBeGreaterThan(0);
    expect(a.maxRelDiff).toBeLessThan(FLOAT_TOL);
    expect(a.sameClass).toBe(a.clips);
  });

  it('int8 (QDQ, accumulators requantised at step 2): the same class on >= 99 % of the clips, logits within 0.25', async () => {
    const got = await lastExit(model, features, { precision: 'int8' });
    const ref = await reference;
    const onClips = compareLogits(ref.slice(0, clips.length), got.subarray(0, clips.length * plan.classes), plan.classes);
    expect(atLeast99(onClips), JSON.stringify(onClips)).toBe(true);
    // Synthetic noise has near-tied classes, so on all inputs the bound is on the logits: the requantisation error.
    const all = compareLogits(ref, got, plan.classes);
    expect(all.maxAbsDiff, JSON.stringify(all)).toBeLessThan(0.25);
  });

  it('int8 (ConvInteger / MatMulInteger): exact integer accumulators, so float32-close logits', async () => {
    const got = await lastExit(model, features, { precision: 'int8', int8Form: 'integer' });
    const a = compareLogits(await reference, got, plan.classes);
    expect(a.maxRelDiff).toBeLessThan(FLOAT_TOL);
    expect(a.sameClass).toBe(a.clips);
  });
});

describe('ONNX export of random models (every layer type, transform, activation, flips, padding)', () => {
  const cases = [...RECIPE_NAMES.map((r) => ({ recipe: r, seed: 1 })), ...[2, 3, 4, 5].map((seed) => ({ recipe: 'random' as const, seed }))];
  it.each(cases)('$recipe (seed $seed): every exit of the float32 and int8-integer models matches the CPU reference', async ({ recipe, seed }) => {
    const model = randomModel(mulberry32(seed), { recipe });
    const plan = planModel(model.description, model.tensors);
    const features = syntheticFeatures(5, plan.inputElements, seed);
    const reference = await referenceLogits(plan, features);
    for (const options of [{ precision: 'float32' }, { precision: 'int8', int8Form: 'integer' }] as const) {
      const e = exportOnnx(model.description, model.tensors, { ...options, exits: 'all' });
      const session = await createSession(e.bytes);
      const out = await runAll(session, stackFeatures(features), features.length, e.inputShape);
      await session.release();
      reference.forEach((r, k) => {
        const a = compareLogits(r, out.get(`exit${k}`)!, plan.classes);
        expect(a.maxRelDiff, `${options.precision} exit ${k}: ${JSON.stringify(a)}`).toBeLessThan(FLOAT_TOL);
      });
      expect(Array.from(out.get('logits')!)).toEqual(Array.from(out.get(`exit${reference.length - 1}`)!));
    }
  });

  it('the comparison fails on a wrong model: one binary weight bit flipped moves the logits', async () => {
    const model = randomModel(mulberry32(1), { recipe: 'reactnet' });
    const plan = planModel(model.description, model.tensors);
    const features = syntheticFeatures(5, plan.inputElements, 9);
    const reference = (await referenceLogits(plan, features)).at(-1)!;
    const bconv = plan.stages.flatMap((s) => s.layers).find((l) => l.op.type === 'bconv');
    const name = model.description.graph.blocks.flatMap((b) => b.layers).find((l) => l.type === 'bconv' && l.output === bconv?.output);
    expect(name?.type).toBe('bconv');
    const tensors = new Map(model.tensors);
    const w = tensors.get((name as { weights: string }).weights)!;
    const data = new Uint32Array(w.data as Uint32Array);
    for (let i = 0; i < data.length; i += 3) data[i] ^= 1; // channel 0 of every third tap
    tensors.set((name as { weights: string }).weights, { ...w, data });
    const got = await lastExit({ description: model.description, tensors }, features, { precision: 'float32' });
    expect(compareLogits(reference, got, plan.classes).maxRelDiff).toBeGreaterThan(FLOAT_TOL);
  });
});
