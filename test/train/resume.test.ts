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
});
