// Node-only: a task from the Speech Commands spectrogram images -> TrainData (pixels as features, per-band
// normalised with the training split's statistics, as loadTask does for wav manifests).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { audioToFeatures, featureShape } from '../audio/frontend';
import { decodeWav } from '../audio/wav';
import { bandStatistics } from '../data/dataset';
import { listFsdd } from '../data/fsdd';
import type { FrontendConfig } from '../model/graph';
import type { Split } from '../data/manifest';
import { IMAGE_BANDS, IMAGE_FRAMES, labelImages, listImages, loadImagePixels, type ImageTaskOptions, type LabelledImage } from '../data/spectrogram-images';
import { normalizeSplit, type SplitData, type TrainData } from './data';
import { Rng } from './rng';

const PER = IMAGE_FRAMES * IMAGE_BANDS;

/** Extra clips (e.g. real wavs through the same front end) joined to a split. */
export interface ExtraClips {
  split: Split;
  /** Features [count, 98, 40] in the images' pixel units. */
  features: Float32Array;
  labels: string[];
  ids: string[];
}

export function loadImageTask(corpus: string, opts: ImageTaskOptions, cacheDir: string, log: (s: string) => void = () => {}, extra: ExtraClips[] = []): TrainData {
  const { labels, clips } = labelImages(listImages(corpus), opts);
  // Decode each distinct image once (training repeats the noise images).
  const distinct = [...new Map(clips.map((c) => [c.file, c])).values()];
  const row = new Map(distinct.map((c, i) => [c.file, i]));
  const pixels = loadImagePixels(corpus, distinct, cacheDir, log);
  const index = new Map(labels.map((l, i) => [l, i]));
  const pick = (split: Split): SplitData => {
    const sel: LabelledImage[] = clips.filter((c) => c.split === split);
    const more = extra.filter((e) => e.split === split);
    const count = sel.length + more.reduce((s, e) => s + e.labels.length, 0);
    const features = new Float32Array(count * PER);
    sel.forEach((c, j) => {
      const r = row.get(c.file)!;
      const src = pixels.subarray(r * PER, (r + 1) * PER);
      for (let k = 0; k < PER; k++) features[j * PER + k] = src[k];
    });
    const lab = sel.map((c) => index.get(c.label)!);
    const ids = sel.map((c) => c.file);
    let at = sel.length;
    for (const e of more) {
      features.set(e.features, at * PER);
      for (const l of e.labels) {
        const k = index.get(l);
        if (k === undefined) throw new Error(`extra clip label '${l}' is not one of ${labels.join(', ')}`);
        lab.push(k);
      }
      ids.push(...e.ids);
      at += e.labels.length;
    }
    return { features, labels: Int32Array.from(lab), count, ids };
  };
  const train = pick('train');
  const norm = bandStatistics(train.features, IMAGE_BANDS);
  return {
    task: opts.task,
    labelNames: labels,
    frames: IMAGE_FRAMES,
    bands: IMAGE_BANDS,
    normalization: norm,
    train: normalizeSplit(train, norm),
    validation: normalizeSplit(pick('validation'), norm),
    test: normalizeSplit(pick('test'), norm),
    source: `speech-commands-v2 spectrogram images (${opts.task})`,
  };
}

/** Quietest gain of an FSDD level copy, in dB (the loudest is 0 dB: the recording as it is). */
export const FSDD_GAIN_MIN_DB = -26;

export interface FsddOptions {
  /**
   * Extra copies of each training and validation recording at a random gain (log-uniform in
   * [FSDD_GAIN_MIN_DB, 0] dB, drawn in file order from a fixed seed). The four training speakers recorded
   * 4-9x louder than the two held-out ones; without copies a quiet voice is a voice training never heard.
   * The test split is never copied.
   */
  gainCopies?: number;
  /**
   * When > 0, each copy is also played at a random speed 1 ± this much (uniform, in steps of 0.01): the
   * recording read as if sampled at speed x its rate, so pitch, formants and tempo move together, as between a
   * shorter and a longer vocal tract. Four training voices are few; this is how they become more. Drawn from its
   * own seed, so the gains are those of the same count without it.
   */
  speedRange?: number;
}

/** Steps of the speed factor (0.01): 8 kHz x speed is then a whole number of Hz. */
const SPEED_STEPS = 100;

/** FSDD recordings through the model's front end, as extra clips of each split (digits on real voices). */
export function fsddExtraClips(dir: string, frontend: FrontendConfig, options: FsddOptions = {}): ExtraClips[] {
  const copies = options.gainCopies ?? 0;
  if (!Number.isInteger(copies) || copies < 0) throw new Error(`gainCopies must be a whole number >= 0, got ${copies}`);
  const speedRange = options.speedRange ?? 0;
  if (!(speedRange >= 0 && speedRange < 0.5)) throw new Error(`speedRange must be in [0, 0.5), got ${speedRange}`);
  const clips = listFsdd(dir);
  // Raw features, like the image pixels: the caller normalises (a model's config names its statistics).
  const fe: FrontendConfig = { ...frontend, normalization: null };
  const per = featureShape(fe).reduce((x, y) => x * y, 1);
  const rng = new Rng(0xf5dd);
  const speedRng = new Rng(0x5eed);
  return (['train', 'validation', 'test'] as const).map((split) => {
    const sel = clips.filter((c) => c.split === split);
    const n = split === 'test' ? 0 : copies;
    const features = new Float32Array(sel.length * (1 + n) * per);
    const labels: string[] = [];
    const ids: string[] = [];
    let at = 0;
    for (const c of sel) {
      const wav = decodeWav(readFileSync(join(dir, c.file)));
      features.set(audioToFeatures(wav.samples, wav.sampleRate, fe), at++ * per);
      labels.push(c.label);
      ids.push(`fsdd/${c.file}`);
      for (let k = 0; k < n; k++) {
        // In steps of 0.1 dB, so the id names the gain exactly.
        const db = Math.round(10 * FSDD_GAIN_MIN_DB * rng.next()) / 10;
        const gain = 10 ** (db / 20);
        const quieter = wav.samples.map((x) => x * gain);
        let rate = wav.sampleRate;
        let id = `fsdd/${c.file}@${db.toFixed(1)}dB`;
        if (speedRange > 0) {
          const steps = Math.round(SPEED_STEPS * speedRange * (2 * speedRng.next() - 1));
          rate = (wav.sampleRate * (SPEED_STEPS + steps)) / SPEED_STEPS;
          if (!Number.isInteger(rate)) throw new Error(`${c.file}: ${wav.sampleRate} Hz x speed is not a whole rate`);
          id += `@x${((SPEED_STEPS + steps) / SPEED_STEPS).toFixed(2)}`;
        }
        features.set(audioToFeatures(quieter, rate, fe), at++ * per);
        labels.push(c.label);
        ids.push(id);
      }
    }
    return { split, features, labels, ids };
  });
}
