// The real-valued diagnostic (NetConfig.realValued): the same network with real weights and hard-tanh
// activations, to measure what binarisation costs. It must really be real-valued, and never reach a model file.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FRONTEND } from '../../src/audio/frontend';
import { initTrainingBackend } from '../../src/train/backend';
import { syntheticData } from '../../src/train/data';
import { exportModel } from '../../src/train/export';
import { BeeNet, type Architecture } from '../../src/train/model';
import { Rng } from '../../src/train/rng';
import { tinyNetConfig } from '../helpers/tiny-net';

const data = syntheticData(4, 4, 4, 9, 32, 16);
const x = (): tf.Tensor4D => tf.tensor4d(data.validation.features, [data.validation.count, 32, 16, 1]);

/** Last-exit logits before and after shrinking one binary unit's latent weights by 10 % (no sign changes). */
function logitsBeforeAfterShrink(arch: Architecture, realValued: boolean): [Float32Array, Float32Array] {
  const net = new BeeNet({ ...tinyNetConfig(arch), realValued }, new Rng(4));
  try {
    const run = (): Float32Array => tf.tidy(() => net.forward(x(), false).at(-1)!.dataSync() as Float32Array);
    const before = run();
    const w = net.v('b1.u0.w');
    tf.tidy(() => w.assign(tf.mul(w, 0.9)));
    return [before, run()];
  } finally {
    net.dispose();
  }
}

describe('real-valued diagnostic network', () => {
  for (const arch of ['binarynet', 'birealnet', 'reactnet'] as const) {
    it(`${arch}: binary units see only their weights' signs, the real-valued ones their values`, async () => {
      await initTrainingBackend();
      const [b0, b1] = logitsBeforeAfterShrink(arch, false);
      expect(b1).toEqual(b0);
      const [r0, r1] = logitsBeforeAfterShrink(arch, true);
      expect(r1).not.toEqual(r0);
    });
  }

  it('is refused by export', async () => {
    await initTrainingBackend();
    const cfg = { ...tinyNetConfig('reactnet'), realValued: true };
    const net = new BeeNet(cfg, new Rng(4));
    try {
      expect(() =>
        exportModel({
          cfg,
          values: net.snapshot(),
          name: 'real',
          task: 'synthetic',
          labels: data.labelNames,
          frontend: { ...DEFAULT_FRONTEND, melBands: 16, clipSamples: 400 + 31 * 160 },
          normalization: data.normalization,
          thresholds: [0.5, 0.5, 0.5, 1],
          provenance: {},
        }),
      ).toThrow(/real-valued diagnostic network has no binary form/);
    } finally {
      net.dispose();
    }
  });
});
