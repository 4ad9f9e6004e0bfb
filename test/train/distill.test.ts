// Self-distillation between exits: the earlier exits learn the last exit's softened prediction, and the last exit
// is not pulled towards them (its head's gradient is that of its own cross-entropy).
import { describe, expect, it } from 'vitest';
import { initTrainingBackend } from '../../src/train/backend';
import { syntheticData } from '../../src/train/data';
import { BeeNet } from '../../src/train/model';
import { Rng } from '../../src/train/rng';
import { shardGradients, type LossOptions } from '../../src/train/shard-gradients';
import { train } from '../../src/train/trainer';
import { tinyNetConfig } from '../helpers/tiny-net';

const cfg = tinyNetConfig('reactnet');
const data = syntheticData(4, 12, 4, 5, 32, 16);
const shard = { features: data.train.features.slice(0, 8 * 32 * 16), labels: data.train.labels.slice(0, 8), count: 8 };
const base: LossOptions = { exitWeights: [1, 1, 1, 1], labelSmoothing: 0.05, distillWeight: 0, distillTemperature: 3 };

describe('self-distillation', () => {
  it('changes the earlier exits\' gradients only, never the last exit head\'s', async () => {
    await initTrainingBackend();
    const net = new BeeNet(cfg, new Rng(3));
    try {
      const names = net.trainableVariables().map((v) => v.name.slice(v.name.indexOf('/') + 1));
      const grad = (r: ReturnType<typeof shardGradients>, name: string): Float32Array => r.grads[names.indexOf(name)];
      const off = shardGradients(net, shard, 32, 16, base);
      // Weight 0 is off: the temperature then changes nothing.
      expect(shardGradients(net, shard, 32, 16, { ...base, distillTemperature: 7 })).toEqual(off);
      const on = shardGradients(net, shard, 32, 16, { ...base, distillWeight: 0.5 });
      expect(on.loss).not.toBe(off.loss);
      for (const name of ['exit3.w', 'exit3.b']) expect(grad(on, name), name).toEqual(grad(off, name));
      for (const name of ['exit0.w', 'exit1.w', 'exit2.w', 'stem.w']) expect(grad(on, name), name).not.toEqual(grad(off, name));
    } finally {
      net.dispose();
    }
  }, 60_000);

  it('with weight 1 replaces an earlier exit\'s labels by the last exit\'s prediction', async () => {
    await initTrainingBackend();
    const net = new BeeNet(cfg, new Rng(3));
    try {
      // Only exit 0 counts: its loss is then T^2 KL(last || exit 0), whatever the labels say.
      const only0 = { ...base, exitWeights: [1, 0, 0, 0], distillWeight: 1, distillTemperature: 2 };
      const a = shardGradients(net, shard, 32, 16, only0);
      const relabelled = { ...shard, labels: shard.labels.map((l) => (l + 1) % 4) };
      const b = shardGradients(net, relabelled, 32, 16, only0);
      expect(b.loss).toBe(a.loss);
      expect(b.grads).toEqual(a.grads);
      expect(a.loss).toBeGreaterThanOrEqual(0);
    } finally {
      net.dispose();
    }
  }, 60_000);

  it('refuses a weight outside [0, 1] or a non-positive temperature', async () => {
    await expect(train(data, cfg, { epochs: 1, distillWeight: 1.5 })).rejects.toThrow(/distillWeight must be in \[0, 1\]/);
    await expect(train(data, cfg, { epochs: 1, distillWeight: 0.5, distillTemperature: 0 })).rejects.toThrow(/distillTemperature must be positive/);
  });
});
