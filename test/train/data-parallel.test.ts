// Data-parallel training: shards are cut and combined as documented, and the thread count never changes a
// result (a worker thread computes exactly what the calling thread would).
import { describe, expect, it } from 'vitest';
import { initTrainingBackend } from '../../src/train/backend';
import { syntheticData } from '../../src/train/data';
import { cutShards, GradientPool } from '../../src/train/data-parallel';
import { BeeNet } from '../../src/train/model';
import { Rng } from '../../src/train/rng';
import { combineShards, shardGradients, type ShardResult } from '../../src/train/shard-gradients';
import { train } from '../../src/train/trainer';
import { tinyNetConfig } from '../helpers/tiny-net';

const cfg = tinyNetConfig('reactnet');

describe('cutShards', () => {
  it('cuts contiguous parts whose sizes differ by at most one, and copies', () => {
    const labels = Int32Array.from({ length: 7 }, (_, i) => i);
    const features = Float32Array.from({ length: 14 }, (_, i) => i);
    const shards = cutShards(features, labels, 2, 3);
    expect(shards.map((s) => s.count)).toEqual([2, 2, 3]);
    expect(shards.map((s) => [...s.labels])).toEqual([[0, 1], [2, 3], [4, 5, 6]]);
    expect([...shards[2].features]).toEqual([8, 9, 10, 11, 12, 13]);
    shards[0].features[0] = 99;
    expect(features[0]).toBe(0);
    // More shards than clips: one clip each.
    expect(cutShards(features.subarray(0, 4), labels.subarray(0, 2), 2, 5).map((s) => s.count)).toEqual([1, 1]);
  });
});

describe('combineShards', () => {
  it('weights every shard by its clip count', () => {
    const r = (count: number, loss: number, g: number[], s: number[]): ShardResult => ({
      count,
      loss,
      grads: [Float32Array.from(g)],
      bnNames: ['stem.bn'],
      bnStats: [Float32Array.from(s), Float32Array.from(s)],
    });
    const c = combineShards([r(1, 4, [3, 0], [1]), r(3, 0, [-1, 4], [5])]);
    expect(c.count).toBe(4);
    expect(c.loss).toBe(1);
    expect([...c.grads[0]]).toEqual([0, 3]);
    expect([...c.bnStats[0]]).toEqual([4]);
    expect(c.bnNames).toEqual(['stem.bn']);
  });
});

describe('data-parallel training', () => {
  const data = syntheticData(4, 12, 4, 5, 32, 16);

  it('gives bit-identical weights on one thread and on two', async () => {
    await initTrainingBackend();
    const options = { epochs: 2, batchSize: 12, learningRate: 1e-2, warmupSteps: 2, seed: 4, shards: 3 };
    const one = await train(data, cfg, { ...options, threads: 1 });
    const two = await train(data, cfg, { ...options, threads: 2 });
    expect(two.steps).toBe(one.steps);
    expect(two.history.map((h) => h.loss)).toEqual(one.history.map((h) => h.loss));
    const a = one.net.snapshot();
    for (const [name, values] of two.net.snapshot()) expect(values, name).toEqual(a.get(name));
    // The shard count is part of the recipe: one shard normalises by other batch statistics.
    const whole = await train(data, cfg, { ...options, shards: 1 });
    expect(whole.history[0].loss).not.toBe(one.history[0].loss);
    for (const r of [one, two, whole]) r.net.dispose();
  }, 60_000);

  it('equals the calling thread computing the same shard', async () => {
    await initTrainingBackend();
    const net = new BeeNet(cfg, new Rng(9));
    const shards = cutShards(data.train.features.subarray(0, 8 * 32 * 16), data.train.labels.subarray(0, 8), 32 * 16, 2);
    const loss = { exitWeights: [1, 1, 1, 1], labelSmoothing: 0.05, distillWeight: 0, distillTemperature: 3 };
    const pool = await GradientPool.start(net, 32, 16, loss, 2);
    try {
      const pooled = await pool.step(shards);
      const local = combineShards(shards.map((s) => shardGradients(net, s, 32, 16, loss)));
      expect(pooled).toEqual(local);
    } finally {
      await pool.close();
      net.dispose();
    }
  }, 60_000);

  it('reports a failing shard with the worker error instead of hanging', async () => {
    await initTrainingBackend();
    const net = new BeeNet(cfg, new Rng(9));
    const pool = await GradientPool.start(net, 32, 16, { exitWeights: [1, 1, 1, 1], labelSmoothing: 0, distillWeight: 0, distillTemperature: 3 }, 2);
    try {
      const good = { features: new Float32Array(2 * 32 * 16), labels: new Int32Array(2), count: 2 };
      // The second shard (the worker's) claims more clips than its features hold.
      const bad = { features: new Float32Array(32 * 16), labels: new Int32Array(2), count: 2 };
      await expect(pool.step([good, bad])).rejects.toThrow(/gradient worker failed/);
    } finally {
      await pool.close();
      net.dispose();
    }
  }, 60_000);

  it('refuses a bad shard or thread count', async () => {
    await expect(train(data, cfg, { epochs: 1, shards: 0 })).rejects.toThrow(/shards must be a positive integer/);
    await expect(train(data, cfg, { epochs: 1, threads: -1 })).rejects.toThrow(/threads must be/);
  });
});
