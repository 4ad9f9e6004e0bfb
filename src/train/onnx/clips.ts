// Node-only: features of wav clips as beenet computes them (the model's own front end and band
// normalisation), the input both beenet's `{ features }` and the exported ONNX models take.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { audioToFeatures } from '../../audio/frontend';
import { decodeWav } from '../../audio/wav';
import type { BeeModel } from '../../format/bee';

export interface LabelledFeatures {
  features: Float32Array[];
  /** The label each clip is filed under (file name or folder), '?' when unknown. */
  labels: string[];
  files: string[];
}

function normalization(model: BeeModel): { mean: Float32Array; std: Float32Array } | undefined {
  const n = model.description.frontend.normalization;
  if (!n) return undefined;
  const mean = model.tensors.get(n.mean)?.data;
  const std = model.tensors.get(n.std)?.data;
  if (!(mean instanceof Float32Array) || !(std instanceof Float32Array)) throw new Error('normalisation tensors missing');
  return { mean, std };
}

/** The features of one wav file. */
export function wavFeatures(model: BeeModel, file: string): Float32Array {
  const wav = decodeWav(new Uint8Array(readFileSync(file)));
  return audioToFeatures(wav.samples, wav.sampleRate, model.description.frontend, normalization(model));
}

/** The bundled clips of the model's task (`<root>/models/clips/<task>/*.wav`, label = file name). */
export function bundledClips(model: BeeModel, root: string): LabelledFeatures {
  const dir = join(root, 'models', 'clips', model.description.task);
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.wav')).sort().map((f) => join(dir, f)) : [];
  return { features: files.map((f) => wavFeatures(model, f)), labels: files.map((f) => basename(f, '.wav')), files };
}

/** Every wav under `<dir>/<label>/`, at most `limit` of them spread evenly over the sorted list. */
export function labelledWavs(model: BeeModel, dir: string, limit = Infinity): LabelledFeatures {
  const all: { file: string; label: string }[] = [];
  for (const label of readdirSync(dir).sort()) {
    const sub = join(dir, label);
    let names: string[];
    try {
      names = readdirSync(sub);
    } catch {
      continue;
    }
    for (const f of names.filter((n) => n.endsWith('.wav')).sort()) all.push({ file: join(sub, f), label });
  }
  const step = all.length > limit ? all.length / limit : 1;
  const picked = all.length > limit ? Array.from({ length: limit }, (_, i) => all[Math.floor(i * step)]) : all;
  return { features: picked.map((p) => wavFeatures(model, p.file)), labels: picked.map((p) => p.label), files: picked.map((p) => p.file) };
}

/** Seeded synthetic features: uniform noise in [-2, 2) (a deterministic LCG, no dependency). */
export function syntheticFeatures(count: number, size: number, seed: number): Float32Array[] {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return Array.from({ length: count }, () => Float32Array.from({ length: size }, () => next() * 4 - 2));
}
