// Node-only: a task's manifest -> TrainData through src/data/dataset (feature cache), normalised with train stats.
import type { FrontendConfig } from '../model/graph';
import { bandStatistics, loadDataset, splitIndices } from '../data/dataset';
import type { Split } from '../data/manifest';
import { normalizeSplit, type SplitData, type TrainData } from './data';

export function loadTask(task: string, manifestPath: string, frontend: FrontendConfig, log: (s: string) => void = () => {}): TrainData {
  const ds = loadDataset(manifestPath, frontend, {
    onProgress: (d, t) => {
      if (d === t || d % 2000 < 200) log(`features ${d}/${t}`);
    },
  });
  const per = ds.frames * ds.melBands;
  const pick = (split: Split): SplitData => {
    const idx = splitIndices(ds, split);
    const features = new Float32Array(idx.length * per);
    idx.forEach((i, j) => features.set(ds.features.subarray(i * per, (i + 1) * per), j * per));
    return { features, labels: Int32Array.from(idx, (i) => ds.labels[i]), count: idx.length, ids: Array.from(idx, (i) => ds.clips[i].path) };
  };
  const train = pick('train');
  const norm = bandStatistics(train.features, ds.melBands);
  return {
    task,
    labelNames: ds.labelNames,
    frames: ds.frames,
    bands: ds.melBands,
    normalization: norm,
    train: normalizeSplit(train, norm),
    validation: normalizeSplit(pick('validation'), norm),
    test: normalizeSplit(pick('test'), norm),
    source: manifestPath,
  };
}
