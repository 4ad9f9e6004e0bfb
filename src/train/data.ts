// Training data in memory: normalised features per split, plus a tiny synthetic set for tests and development.
import { normalizeBands } from '../audio/logmel';
import { Rng } from './rng';

export interface SplitData {
  /** Normalised features [count, frames, bands]. */
  features: Float32Array;
  labels: Int32Array;
  count: number;
  /** Clip identifiers (paths) for reports. */
  ids: string[];
}

export interface TrainData {
  task: string;
  labelNames: string[];
  frames: number;
  bands: number;
  normalization: { mean: Float32Array; std: Float32Array };
  train: SplitData;
  validation: SplitData;
  test: SplitData;
  /** Where the data came from (manifest path or 'synthetic'). */
  source: string;
}

/** Normalises in place with the front end's own function (the same f32 arithmetic as inference). */
export function normalizeSplit(s: SplitData, norm: { mean: Float32Array; std: Float32Array }): SplitData {
  return { ...s, features: normalizeBands(s.features, norm.mean, norm.std) };
}

/**
 * A small learnable set: each class is a band-limited "chirp" pattern (a ridge moving across bands at a
 * class-specific slope and offset) in noise, with random time shifts. Already roughly unit-scaled.
 */
export function syntheticData(classes: number, perClassTrain: number, perClassEval: number, seed: number, frames = 98, bands = 40): TrainData {
  const rng = new Rng(seed);
  const make = (perClass: number, tag: string): SplitData => {
    const count = classes * perClass;
    const features = new Float32Array(count * frames * bands);
    const labels = new Int32Array(count);
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const c = i % classes;
      labels[i] = c;
      ids.push(`${tag}/${i}`);
      const span = Math.round(frames * 0.4);
      const shift = rng.int(Math.round(frames / 5)) - Math.round(frames / 10);
      const start = Math.round(bands * 0.25) + ((c * 7) % Math.round(bands * 0.5));
      const slope = (((c % 4) - 1.5) * 0.4 * 40) / span;
      for (let t = 0; t < frames; t++) {
        for (let b = 0; b < bands; b++) {
          const tt = t - Math.round(frames * 0.3) - shift;
          const ridge = tt >= 0 && tt < span ? Math.exp(-((b - start - slope * tt) ** 2) / 6) * 2.5 : 0;
          features[(i * frames + t) * bands + b] = ridge + (rng.next() - 0.5) * 1.2 - 0.3;
        }
      }
    }
    return { features, labels, count, ids };
  };
  return {
    task: 'synthetic',
    labelNames: Array.from({ length: classes }, (_, c) => `class${c}`),
    frames,
    bands,
    normalization: { mean: new Float32Array(bands), std: new Float32Array(bands).fill(1) },
    train: make(perClassTrain, 'train'),
    validation: make(perClassEval, 'validation'),
    test: make(perClassEval, 'test'),
    source: 'synthetic',
  };
}
