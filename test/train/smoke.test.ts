// A few training steps on a tiny generated set per architecture: the loss falls, and the exported model agrees
// with the runtime's CPU reference (same predictions and exits).
import { describe, expect, it } from 'vitest';
import { readBee, writeBee } from '../../src/format/bee';
import { DEFAULT_FRONTEND } from '../../src/audio/frontend';
import { initTrainingBackend } from '../../src/train/backend';
import { syntheticData } from '../../src/train/data';
import { checkConsistency, exportModel } from '../../src/train/export';
import { ARCHITECTURES } from '../../src/train/model';
import { evaluateSplit, train } from '../../src/train/trainer';
import { tinyNetConfig } from '../helpers/tiny-net';

describe('smoke training', () => {
  const data = syntheticData(4, 24, 8, 7, 32, 16);
  for (const arch of ARCHITECTURES) {
    it(`${arch}: loss falls and export matches the CPU reference`, async () => {
      await initTrainingBackend();
      const cfg = tinyNetConfig(arch);
      const res = await train(data, cfg, { epochs: 4, batchSize: 16, learningRate: 1e-2, warmupSteps: 2, seed: 3, timeMask: 2, bandMask: 2, timeShift: 2, freqWarp: 0.1 });
      expect(res.steps).toBe(24);
      const last = res.history[res.history.length - 1].loss;
      expect(last).toBeLessThan(res.history[0].loss);
      const thresholds = [0.5, 0.5, 0.5, 1];
      const model = exportModel({
        cfg,
        values: res.best,
        name: `smoke-${arch}`,
        task: 'synthetic',
        labels: data.labelNames,
        // A front end whose feature shape is the tiny input: 32 frames of 16 bands.
        frontend: { ...DEFAULT_FRONTEND, melBands: 16, clipSamples: 400 + 31 * 160 },
        normalization: data.normalization,
        thresholds,
        provenance: { test: true },
      });
      // Exact agreement on this tiny set: the runtime folds BN exactly as trained.
      const ref = evaluateSplit(res.net, data.validation, data.frames, data.bands);
      const check = await checkConsistency(model, data.validation.features, ref, thresholds, 1);
      expect(check.policyAgreement).toBe(1);
      const back = readBee(writeBee(model));
      expect(back.description.architecture).toBe(arch);
      const pools = back.description.graph.blocks.flatMap((b) => b.layers).filter((l) => l.type === 'avgpool' || l.type === 'maxpool');
      expect(pools.map((l) => ('kernel' in l ? l.kernel : null))).toEqual([[2, 2], [2, 1]]);
      res.net.dispose();
    }, 40_000);
  }
});
