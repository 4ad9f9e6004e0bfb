// Node-only: which models to benchmark, the clips to feed them (real test-split audio so exits vary) and the
// float peer's weights.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { audioToFeatures } from '../src/audio/frontend';
import { decodeWav } from '../src/audio/wav';
import { readManifest } from '../src/data/manifest';
import { readBee, writeBee, type BeeModel } from '../src/format/bee';
import { randomModel } from '../test/helpers/random-model';
import { mulberry32 } from '../test/helpers/rng';
import { ROOT } from './env';
import { peerArchitecture, type PeerSpec, type PeerValues } from './peer';

export interface BenchModel {
  id: string;
  /** The .bee file, or null for the placeholder built in memory. */
  file: string | null;
  bytes: Uint8Array;
  model: BeeModel;
  /** False: no shipped model existed, so a random placeholder was measured. */
  shipped: boolean;
  /** models/reports/<id>.json (accuracy sweep) when present. */
  report: string | null;
  peer: PeerSpec;
  /** out/<id>.ckpt.json when present. */
  checkpoint: string | null;
  note: string;
}

const MODELS = join(ROOT, 'models');

/** The shipped models (models/*.bee), optionally filtered by id; a random placeholder when there is none. */
export function findModels(only: readonly string[] = []): BenchModel[] {
  const files = existsSync(MODELS) ? readdirSync(MODELS).filter((f) => f.endsWith('.bee')).sort() : [];
  const picked = files.filter((f) => only.length === 0 || only.includes(basename(f, '.bee')));
  if (picked.length > 0) {
    return picked.map((f) => {
      const id = basename(f, '.bee');
      const bytes = new Uint8Array(readFileSync(join(MODELS, f)));
      const model = readBee(bytes);
      const d = model.description;
      const [h, w, c] = d.graph.inputShape;
      const ckpt = join(ROOT, 'out', `${id}.ckpt.json`);
      const report = join(MODELS, 'reports', `${id}.json`);
      const checkpoint = existsSync(ckpt) ? ckpt : null;
      return {
        id,
        file: join(MODELS, f),
        bytes,
        model,
        shipped: true,
        report: existsSync(report) ? report : null,
        peer: {
          architecture: peerArchitecture(d.architecture),
          inputShape: [h, w, c],
          classes: d.labels.length,
          weights: checkpoint ? `checkpoint out/${id}.ckpt.json` : 'fresh initialisation (no checkpoint found)',
          sameArchitecture: true,
        },
        checkpoint,
        note: `shipped model models/${f}`,
      };
    });
  }
  if (only.length > 0 && !only.includes('placeholder')) throw new Error(`no model ${only.join(', ')} in models/`);
  const model = randomModel(mulberry32(1), { recipe: 'reactnet', inputShape: [98, 40, 1], labels: 12 });
  return [
    {
      id: 'placeholder-reactnet',
      file: null,
      bytes: writeBee(model),
      model,
      shipped: false,
      report: null,
      peer: { architecture: 'reactnet', inputShape: [98, 40, 1], classes: 12, weights: 'fresh initialisation', sameArchitecture: false },
      checkpoint: null,
      note:
        'PLACEHOLDER: no shipped model in models/ yet; a random reactnet-recipe model (test/helpers/random-model.ts, seed 1, ' +
        '98x40x1, 12 labels) was measured. Its architecture is smaller than the float peer (a freshly initialised BeeNet of the ' +
        'default reactnet config), so the ratios are not the shipped models\' figures.',
    },
  ];
}

/** The peer's parameters from the training checkpoint (the best epoch's values), or null. */
export function peerValues(m: BenchModel): PeerValues {
  if (!m.checkpoint) return null;
  const ck = JSON.parse(readFileSync(m.checkpoint, 'utf8')) as { best?: Record<string, string>; values?: Record<string, string> };
  const rec = ck.best && Object.keys(ck.best).length > 0 ? ck.best : ck.values;
  if (!rec) return null;
  return new Map(
    Object.entries(rec).map(([k, s]) => {
      const b = Buffer.from(s, 'base64');
      return [k, new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))];
    }),
  );
}

export interface Inputs {
  /** Normalised features, one per clip, exactly what `classify({ features })` and the peer take. */
  features: Float32Array[];
  labels: string[];
  source: string;
}

function norm(model: BeeModel): { mean: Float32Array; std: Float32Array } | undefined {
  const n = model.description.frontend.normalization;
  if (!n) return undefined;
  return { mean: model.tensors.get(n.mean)!.data as Float32Array, std: model.tensors.get(n.std)!.data as Float32Array };
}

function wavFeatures(model: BeeModel, file: string): Float32Array {
  const wav = decodeWav(new Uint8Array(readFileSync(file)));
  return audioToFeatures(wav.samples, wav.sampleRate, model.description.frontend, norm(model));
}

/**
 * `n` clips for a model: spread over the task's generated test split (data/<task>/manifest.json), else the
 * bundled clips (models/clips/<task>/), else seeded noise features.
 */
export function loadInputs(m: BenchModel, n: number): Inputs {
  const d = m.model.description;
  const [h, w] = d.graph.inputShape;
  const task = m.shipped ? d.task : 'kws';
  const fits = (f: Float32Array): boolean => f.length === h * w;
  const manifestPath = join(ROOT, 'data', task, 'manifest.json');
  if (existsSync(manifestPath)) {
    try {
      const manifest = readManifest(manifestPath);
      const base = manifest.baseDir ? (isAbsolute(manifest.baseDir) ? manifest.baseDir : resolve(dirname(manifestPath), manifest.baseDir)) : dirname(manifestPath);
      const test = manifest.clips.filter((c) => c.split === 'test' && c.offset === undefined && c.gain === undefined);
      const step = Math.max(1, Math.floor(test.length / n));
      const picked = Array.from({ length: Math.min(n, test.length) }, (_, i) => test[(i * step) % test.length]);
      const features = picked.map((c) => wavFeatures(m.model, isAbsolute(c.path) ? c.path : join(base, c.path)));
      if (features.length > 0 && features.every(fits)) {
        return { features, labels: picked.map((c) => c.label), source: `data/${task} test split, ${features.length} clips spread over ${test.length}` };
      }
    } catch {
      // Fall through to the bundled clips.
    }
  }
  const clipsDir = join(MODELS, 'clips', task);
  if (existsSync(clipsDir)) {
    const wavs = readdirSync(clipsDir).filter((f) => f.endsWith('.wav')).sort();
    const features = wavs.map((f) => wavFeatures(m.model, join(clipsDir, f)));
    if (features.length > 0 && features.every(fits)) {
      return { features, labels: wavs.map((f) => basename(f, '.wav')), source: `models/clips/${task}, ${features.length} clips` };
    }
  }
  const rng = mulberry32(7);
  const features = Array.from({ length: n }, () => Float32Array.from({ length: h * w }, () => rng() * 4 - 2));
  return { features, labels: features.map(() => '?'), source: `${n} seeded noise inputs (no clips found for task ${task})` };
}
