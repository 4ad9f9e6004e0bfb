// A run cut into sessions (untilEpoch, then resume from the checkpoint) ends bit for bit where one long run ends.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initTrainingBackend } from '../../src/train/backend';
import { syntheticData } from '../../src/train/data';
import { train } from '../../src/train/trainer';
import { tinyNetConfig } from '../helpers/tiny-net';

const dir = mkdtempSync(join(tmpdir(), 'beenet-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resumable training', () => {
  it('epochs 1 + resume 2..3 == one run of 3 epochs (weights, Adam state, history, best)', async () => {
    await initTrainingBackend();
    const data = syntheticData(4, 12, 4, 5, 32, 16);
    const cfg = tinyNetConfig('reactnet');
    const options = { epochs: 3, batchSize: 12, learningRate: 1e-2, warmupSteps: 2, seed: 4, shards: 2, threads: 1 };
    const whole = await train(data, cfg, { ...options, checkpoint: join(dir, 'whole.json') });
    const first = await train(data, cfg, { ...options, untilEpoch: 1, checkpoint: join(dir, 'cut.json') });
    expect(first.history).toHaveLength(1);
    const rest = await train(data, cfg, { ...options, resume: join(dir, 'cut.json'), checkpoint: join(dir, 'cut.json') });
    expect(rest.steps).toBe(whole.steps);
    expect(rest.history.map((h) => [h.loss, h.validationAccuracy])).toEqual(whole.history.map((h) => [h.loss, h.validationAccuracy]));
    expect(rest.bestEpoch).toBe(whole.bestEpoch);
    const a = JSON.parse(readFileSync(join(dir, 'whole.json'), 'utf8')) as Record<string, unknown>;
    const b = JSON.parse(readFileSync(join(dir, 'cut.json'), 'utf8')) as Record<string, unknown>;
    for (const k of ['values', 'best', 'adamM', 'adamV', 'rng', 'step', 'epoch']) expect(b[k], k).toEqual(a[k]);
    const w = whole.net.snapshot();
    for (const [name, values] of rest.net.snapshot()) expect(values, name).toEqual(w.get(name));
  });

  it('init starts a new run from a checkpoint\'s best weights, with a fresh schedule', async () => {
    await initTrainingBackend();
    const data = syntheticData(4, 12, 4, 5, 32, 16);
    const cfg = tinyNetConfig('reactnet');
    const options = { epochs: 2, batchSize: 12, learningRate: 1e-2, warmupSteps: 2, seed: 4, shards: 1, threads: 1 };
    const source = join(dir, 'source.json');
    const trained = await train(data, cfg, { ...options, checkpoint: source });
    // At learning rate 0 nothing trainable moves: the run holds exactly the source's best weights.
    const frozen = await train(data, cfg, { ...options, epochs: 1, learningRate: 0, init: source });
    const names = new Set(frozen.net.trainableVariables().map((v) => v.name.slice(v.name.indexOf('/') + 1)));
    expect(names.size).toBeGreaterThan(0);
    const best = trained.best;
    for (const [name, values] of frozen.net.snapshot()) if (names.has(name)) expect(values, name).toEqual(best.get(name));
    expect(frozen.steps).toBe(Math.ceil(data.train.count / options.batchSize));
    // Trained on, it starts where the source ended, not from scratch.
    const fresh = await train(data, cfg, { ...options, epochs: 1 });
    const warm = await train(data, cfg, { ...options, epochs: 1, init: source });
    expect(warm.firstLoss).toBeLessThan(fresh.firstLoss);
    await expect(train(data, cfg, { ...options, init: source, resume: source })).rejects.toThrow(/exclude/);
    // A chain of warm restarts keeps the whole line: the third run knows both runs before it, and so does its
    // checkpoint (a later restart, or a resumed one, carries them on).
    expect(fresh.earlier).toEqual([]);
    const second = join(dir, 'second.json');
    const stage2 = await train(data, cfg, { ...options, epochs: 1, init: source, checkpoint: second });
    const sourceSeconds = trained.history.reduce((sum, h) => sum + h.seconds, 0);
    expect(stage2.earlier).toEqual([{ epochs: 2, seconds: sourceSeconds }]);
    const stage3 = await train(data, cfg, { ...options, epochs: 1, init: second, checkpoint: join(dir, 'third.json') });
    expect(stage3.earlier).toEqual([{ epochs: 2, seconds: sourceSeconds }, { epochs: 1, seconds: stage2.history[0].seconds }]);
    const third = JSON.parse(readFileSync(join(dir, 'third.json'), 'utf8')) as { earlier: unknown };
    expect(third.earlier).toEqual(stage3.earlier);
  });
});
