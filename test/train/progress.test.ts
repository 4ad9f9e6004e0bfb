// The training progress bar: its text, its redraw throttle, log lines above it, and what the trainer reports.
import { describe, expect, it } from 'vitest';
import { initTrainingBackend } from '../../src/train/backend';
import { syntheticData } from '../../src/train/data';
import { ProgressBar, progressLine, type TrainProgress } from '../../src/train/progress';
import { train } from '../../src/train/trainer';
import { tinyNetConfig } from '../helpers/tiny-net';

const at = (over: Partial<TrainProgress>): TrainProgress => ({
  epoch: 3,
  epochs: 13,
  step: 50,
  stepsPerEpoch: 200,
  loss: 4.2154,
  validation: [0.212, 0.63, 0.798, 0.7944],
  seconds: 10,
  ...over,
});

describe('progressLine', () => {
  it('shows the epoch, a bar filled in proportion, the running loss, validation per exit and time left', () => {
    expect(progressLine(at({}), 24)).toBe(
      'epoch 3/13 [######------------------] 50/200 loss 4.215 | val % 21.2/63.0/79.8/79.4 | 0:30 left',
    );
    expect(progressLine(at({ step: 200, seconds: 125 }), 10)).toBe(
      'epoch 3/13 [##########] 200/200 loss 4.215 | val % 21.2/63.0/79.8/79.4 | 0:00 left',
    );
  });

  it('before the first step and the first validation it shows dashes, not NaN', () => {
    const line = progressLine(at({ epoch: 1, step: 0, loss: NaN, validation: null, seconds: 0 }), 8);
    expect(line).toBe('epoch 1/13 [--------] 0/200 loss - | val % - | -');
  });
});

describe('ProgressBar', () => {
  it('redraws at most once per interval, but always at the end of an epoch; log lines go above it', () => {
    const out: string[] = [];
    let t = 0;
    const bar = new ProgressBar({ write: (s: string) => out.push(s) }, 100, () => t);
    bar.update(at({ step: 1 }));
    t = 50;
    bar.update(at({ step: 2 }));
    expect(out).toHaveLength(1);
    t = 60;
    bar.update(at({ step: 200 }));
    expect(out).toHaveLength(2);
    expect(out[1]).toContain('200/200');
    bar.log('epoch 3/13 done');
    expect(out[2]).toBe('\r\x1b[2Kepoch 3/13 done\n');
    expect(out[3]).toContain('200/200');
    bar.done();
    expect(out[4]).toBe('\n');
    bar.log('after');
    expect(out.slice(5)).toEqual(['\r\x1b[2Kafter\n']);
  });
});

describe('trainer progress', () => {
  it('is called after every step and every validation, and replaces the per-step log lines', async () => {
    await initTrainingBackend();
    const data = syntheticData(4, 12, 4, 5, 32, 16);
    const seen: TrainProgress[] = [];
    const lines: string[] = [];
    const res = await train(data, tinyNetConfig('reactnet'), {
      epochs: 2,
      batchSize: 16,
      seed: 2,
      log: (l) => lines.push(l),
      progress: (p) => seen.push({ ...p }),
    });
    try {
      // 48 clips in batches of 16: 3 steps an epoch, plus one report after each validation.
      expect(seen.map((p) => `${p.epoch}:${p.step}`)).toEqual(['1:1', '1:2', '1:3', '1:3', '2:1', '2:2', '2:3', '2:3']);
      expect(seen[0].validation).toBeNull();
      expect(seen[3].validation).toEqual(res.history[0].validationAccuracy);
      expect(seen[4].validation).toEqual(res.history[0].validationAccuracy);
      expect(seen[7].validation).toEqual(res.history[1].validationAccuracy);
      expect(seen[2].loss).toBeCloseTo(res.history[0].loss, 6);
      expect(lines.some((l) => l.includes(' step '))).toBe(false);
      expect(lines.filter((l) => l.startsWith('epoch '))).toHaveLength(2);
    } finally {
      res.net.dispose();
    }
  }, 60_000);
});
