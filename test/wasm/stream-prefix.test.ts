// The WASM stream prefix (src/wasm/stream-prefix.ts): stage 0 computed once per row of a stream and shared by
// overlapping windows must give every window the bits of that window run whole, at every stage after it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readBee } from '../../src/format/bee';
import { planModel, type ModelPlan } from '../../src/plan/plan';
import type { StreamPrefix } from '../../src/plan/executor';
import { WasmExecutor } from '../../src/wasm/executor';
import { mulberry32 } from '../helpers/rng';
import { randomModel, type ModelRecipe } from '../helpers/random-model';
import { Rng } from './rng';

const gapDense = [{ op: 'gap' as const }, { op: 'dense' as const, out: 'labels' as const }];

/** Stage 0 as the shipped models have it, at odd sizes: a strided stem, a pool, a pack, one binary conv. */
const RECIPES: Record<string, ModelRecipe> = {
  // ReActNet / Bi-Real: the avgpool folds into the stem; its map is also the binary conv's shortcut.
  folded: {
    name: 'folded', architecture: 'reactnet', inputShape: [38, 23, 1], labels: 5, criterion: 'entropy',
    stem: [{ op: 'conv_real', out: 13, to: 'affine', stride: 2 }],
    blocks: [
      { layers: [{ op: 'avgpool', kernel: 2, stride: 2 }, { op: 'pack' }, { op: 'bconv', out: 13, to: 'affine', residual: true, activation: 'rprelu' }], exit: gapDense },
      { layers: [{ op: 'avgpool', kernel: [2, 1], stride: [2, 1] }, { op: 'pack' }, { op: 'bconv', out: 33, to: 'affine', activation: 'rprelu' }], exit: gapDense },
    ],
  },
  // XNOR-Net: stem, max pool and pack run as one fused kernel; no shortcut.
  fused: {
    name: 'fused', architecture: 'xnornet', inputShape: [42, 19, 1], labels: 4, criterion: 'entropy',
    stem: [{ op: 'conv_real', out: 9, to: 'affine', stride: 2, activation: 'relu' }],
    blocks: [
      { layers: [{ op: 'maxpool', kernel: 2, stride: 2 }, { op: 'pack' }, { op: 'bconv', out: 35, to: 'affine', activation: 'prelu' }], exit: gapDense },
      { layers: [{ op: 'pack' }, { op: 'bconv', out: 17, to: 'affine', stride: 2, activation: 'relu' }], exit: gapDense },
    ],
  },
  // BinaryNet: everything in bits after the stem, a 5-tap binary conv (two padded rows at each edge).
  bits: {
    name: 'bits', architecture: 'binarynet', inputShape: [34, 11, 1], labels: 3, criterion: 'maxprob',
    stem: [{ op: 'conv_real', out: 33, to: 'bits', stride: 2 }],
    blocks: [
      { layers: [{ op: 'maxpool', kernel: 2, stride: 2 }, { op: 'bconv', out: 31, to: 'bits', kernel: 5 }], exit: [{ op: 'gap' }, { op: 'pack' }, { op: 'bdense', out: 'labels', to: 'affine' }] },
      { layers: [{ op: 'bconv', out: 20, to: 'affine', activation: 'relu' }], exit: gapDense },
    ],
  },
};

function recipePlan(recipe: ModelRecipe, seed: number): ModelPlan {
  const m = randomModel(mulberry32(seed), { recipe });
  return planModel(m.description, m.tensors);
}

function prefixOf(ex: WasmExecutor, plan: ModelPlan, hop: number, windows = 8): StreamPrefix {
  const p = ex.createStreamPrefix({ windowFrames: plan.inputShape[0], hopFrames: hop, windows });
  if ('unsupported' in p) throw new Error(`no prefix: ${p.unsupported}`);
  return p;
}

const bitsOf = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);

/**
 * Streams `count` windows `hop` frames apart in chunks of `chunk` frames, and checks every stage's exit records of
 * each batch of windows (stage 0 from the prefix) against the same windows' features run whole.
 */
async function checkStream(plan: ModelPlan, hop: number, count: number, chunk: number, batch: number, seed: number): Promise<void> {
  const [h, w] = plan.inputShape;
  const frames = new Rng(seed).floats((h + hop * (count - 1)) * w, 3);
  const streamed = new WasmExecutor(plan);
  const whole = new WasmExecutor(plan);
  const prefix = prefixOf(streamed, plan, hop, batch + 1);
  let added = 0;
  for (let first = 0; first < count; first += batch) {
    const starts = Array.from({ length: Math.min(batch, count - first) }, (_, i) => (first + i) * hop);
    const taken = starts.map((start) => {
      // Frames arrive in chunks that need not line up with windows.
      while (added < start + h) {
        const n = Math.min(chunk, start + h - added, frames.length / w - added);
        prefix.addFrames(frames.subarray(added * w, (added + n) * w), n);
        added += n;
      }
      const win = prefix.takeWindow(start);
      if (!win) throw new Error('no free window slot');
      return win;
    });
    const features = new Float32Array(starts.length * h * w);
    starts.forEach((start, i) => features.set(frames.subarray(start * w, (start + h) * w), i * h * w));
    await streamed.setTrunkOutput(taken.map((t) => t.bytes), starts.length);
    await whole.setInput(features, starts.length);
    const active = Uint32Array.from(starts, (_, i) => i);
    for (let s = 0; s < plan.stages.length; s++) {
      expect(bitsOf(await streamed.runStage(s, active)), `windows from ${starts[0]}, stage ${s}`).toEqual(bitsOf(await whole.runStage(s, active)));
    }
    taken.forEach((t) => t.release());
  }
}

describe('WASM stream prefix', () => {
  for (const [name, recipe] of Object.entries(RECIPES)) {
    it(`${name}: streamed stage 0 gives every window the bits of the whole window (several hops, chunkings, batches)`, async () => {
      const plan = recipePlan(recipe, 11);
      await checkStream(plan, 4, 9, 3, 1, 1);
      await checkStream(plan, 8, 12, 17, 3, 2);
      await checkStream(plan, 12, 7, 1, 4, 3);
    });
  }

  it('the shipped models: supported at a 16-frame hop, bit-exact on a stream of noise', async () => {
    for (const m of ['kws-reactnet', 'kws-birealnet', 'kws-xnornet', 'kws-binarynet']) {
      const bee = readBee(readFileSync(`models/${m}.bee`));
      const plan = planModel(bee.description, bee.tensors);
      await checkStream(plan, 16, 12, 10, 4, 7);
    }
  });

  it('says why when stage 0 cannot be shared', () => {
    const plan = recipePlan(RECIPES.folded, 3);
    const ex = new WasmExecutor(plan);
    const odd = ex.createStreamPrefix({ windowFrames: 38, hopFrames: 6, windows: 2 });
    expect(odd).toEqual({ unsupported: "a hop of 6 frames is not a multiple of stage 0's 4" });
    expect(ex.createStreamPrefix({ windowFrames: 37, hopFrames: 4, windows: 2 })).toEqual({ unsupported: 'windows of 37 frames, the model takes 38' });
    // An odd number of frames pads the strided stem's first row: nothing can be shared.
    const padded = recipePlan({ ...RECIPES.folded, inputShape: [37, 23, 1] }, 3);
    const reason = new WasmExecutor(padded).createStreamPrefix({ windowFrames: 37, hopFrames: 4, windows: 2 });
    expect(reason).toEqual({ unsupported: expect.stringMatching(/pads the window's first rows/) });
  });

  it('rejects windows out of order, unaligned or not yet streamed, and runs out of slots without losing data', () => {
    const plan = recipePlan(RECIPES.folded, 5);
    const ex = new WasmExecutor(plan);
    const prefix = prefixOf(ex, plan, 4, 2);
    const frames = new Rng(9).floats(60 * 23, 2);
    prefix.addFrames(frames, 38);
    expect(() => prefix.takeWindow(2)).toThrow(/multiples of 4/);
    expect(() => prefix.takeWindow(4)).toThrow(/have not all been added/);
    const a = prefix.takeWindow(0)!;
    prefix.addFrames(frames.subarray(38 * 23), 8);
    const b = prefix.takeWindow(4)!;
    expect(prefix.takeWindow(8)).toBeNull();
    const kept = b.bytes.slice();
    a.release();
    a.release(); // twice is harmless
    expect(prefix.takeWindow(8)).not.toBeNull();
    expect(b.bytes).toEqual(kept);
    expect(() => prefix.takeWindow(0)).toThrow(/from frame 9/);
  });

  it('setTrunkOutput checks its windows', async () => {
    const plan = recipePlan(RECIPES.folded, 5);
    const ex = new WasmExecutor(plan);
    await expect(ex.setTrunkOutput([new Uint8Array(8)], 1)).rejects.toThrow(/needs a stream prefix/);
    prefixOf(ex, plan, 4);
    await expect(ex.setTrunkOutput([new Uint8Array(8)], 1)).rejects.toThrow(/holds 8 bytes/);
  });
});
