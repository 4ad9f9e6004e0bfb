// Node-only: the Speech Commands v0.02 spectrogram images (../shared/data/speech-commands-v2/spectrograms) as
// training data. Each 40 x 98 JPEG holds what the microfrontend front end computes from a clip (pixel units,
// rows = frames), so a model trained on the pixels runs on features computed from audio.
//
// Splits follow the corpus's own lists, by speaker: validation_list.txt speakers validate, testing_list.txt
// speakers test, and only speakers in neither list train. Background-noise images have no speaker; they are
// split 80/10/10 by a hash of their name.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import jpeg from 'jpeg-js';
import { BeenetError } from '../errors';
import { readList, SPEECH_COMMANDS_DIGITS, SPEECH_COMMANDS_KWS, speakerOf, unit } from './corpora';
import type { Split } from './manifest';

export const IMAGE_FRAMES = 98;
export const IMAGE_BANDS = 40;
const PER = IMAGE_FRAMES * IMAGE_BANDS;
const BACKGROUND_DIR = '_background_noise_';
const UNKNOWN_DIR = 'unknown';

export interface ImageClip {
  /** Path under the spectrogram folder, e.g. `yes/0a7c2a8d_nohash_0.yes.jpg`. */
  file: string;
  /** The spoken word (or `_background_noise_`). */
  word: string;
  speaker: string;
  split: Split;
}

/** Speakers of a split list (`word/<speaker>_nohash_<n>.wav` lines). */
function listSpeakers(lines: Set<string>): Set<string> {
  return new Set([...lines].map((l) => speakerOf(l.split('/').pop()!)));
}

/**
 * Every image of the corpus with its word, speaker and split. `corpus` is the speech-commands-v2 folder (holding
 * `spectrograms/` and `lists/`).
 */
export function listImages(corpus: string): ImageClip[] {
  const root = join(corpus, 'spectrograms');
  if (!existsSync(root)) throw new BeenetError('BAD_INPUT', `no spectrogram folder at ${root}`);
  const list = (name: string): Set<string> => {
    const file = join(corpus, 'lists', name);
    if (!existsSync(file)) throw new BeenetError('BAD_INPUT', `missing split list ${file}`);
    return listSpeakers(readList(file));
  };
  const valSpk = list('validation_list.txt');
  const testSpk = list('testing_list.txt');
  const out: ImageClip[] = [];
  for (const dir of readdirSync(root).sort()) {
    const files = readdirSync(join(root, dir))
      .filter((f) => f.endsWith('.jpg'))
      .sort();
    for (const f of files) {
      const file = `${dir}/${f}`;
      if (dir === BACKGROUND_DIR) {
        const r = unit(`background:${f}`);
        out.push({ file, word: BACKGROUND_DIR, speaker: `noise:${f}`, split: r < 0.8 ? 'train' : r < 0.9 ? 'validation' : 'test' });
        continue;
      }
      // <speaker>_nohash_<n>.<word>.jpg
      const m = /^(.+_nohash_\d+)\.([^.]+)\.jpg$/.exec(f);
      if (!m) continue;
      const speaker = speakerOf(m[1]);
      const split: Split = testSpk.has(speaker) ? 'test' : valSpk.has(speaker) ? 'validation' : 'train';
      out.push({ file, word: m[2], speaker, split });
    }
  }
  if (out.length === 0) throw new BeenetError('BAD_INPUT', `no spectrogram images under ${root}`);
  return out;
}

/** Decodes one greyscale JPEG to [98 frames, 40 bands] pixel values (0..255). */
export function decodeSpectrogram(bytes: Uint8Array, name = 'image'): Uint8Array {
  const im = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false });
  if (im.width !== IMAGE_BANDS || im.height !== IMAGE_FRAMES) {
    throw new BeenetError('BAD_INPUT', `${name}: expected a ${IMAGE_BANDS} x ${IMAGE_FRAMES} image, got ${im.width} x ${im.height}`);
  }
  const channels = im.data.length / PER;
  const out = new Uint8Array(PER);
  for (let i = 0; i < PER; i++) out[i] = im.data[i * channels];
  return out;
}

/**
 * The pixels of every listed image, [clips, 98, 40] u8, cached in one file (decoding 49k JPEGs takes a minute;
 * the cache is keyed by the file list).
 */
export function loadImagePixels(corpus: string, clips: ImageClip[], cacheDir: string, log: (s: string) => void = () => {}): Uint8Array {
  const key = createHash('sha256')
    .update(clips.map((c) => c.file).join('\n'))
    .digest('hex')
    .slice(0, 12);
  const cache = join(cacheDir, `sc-images-${key}.u8`);
  if (existsSync(cache)) {
    const b = readFileSync(cache);
    if (b.length === clips.length * PER) return new Uint8Array(b.buffer, b.byteOffset, b.length);
  }
  const out = new Uint8Array(clips.length * PER);
  const root = join(corpus, 'spectrograms');
  clips.forEach((c, i) => {
    out.set(decodeSpectrogram(readFileSync(join(root, c.file)), c.file), i * PER);
    if (i % 5000 === 4999) log(`decoded ${i + 1}/${clips.length} images`);
  });
  mkdirSync(dirname(cache), { recursive: true });
  writeFileSync(`${cache}.tmp`, out);
  renameSync(`${cache}.tmp`, cache);
  return out;
}

export interface ImageTaskOptions {
  task: 'kws' | 'digits';
  /** _unknown_ clips kept per split, relative to the mean keyword class (kws; default 1.5 in train, 1 elsewhere). */
  unknownPerClass?: { train: number; eval: number };
  seed?: number;
}

export interface LabelledImage extends ImageClip {
  label: string;
}

/**
 * The clips of a task with labels: kws is the 12-class benchmark (10 words, `_silence_` from the background
 * images, `_unknown_` from the other words, subsampled so the evaluation splits match the canonical test set's
 * near-uniform classes); digits are zero..nine.
 */
export function labelImages(all: ImageClip[], opts: ImageTaskOptions): { labels: string[]; clips: LabelledImage[] } {
  const seed = opts.seed ?? 1;
  if (opts.task === 'digits') {
    const clips = all.filter((c) => SPEECH_COMMANDS_DIGITS.includes(c.word)).map((c) => ({ ...c, label: c.word }));
    return { labels: [...SPEECH_COMMANDS_DIGITS], clips };
  }
  const labels = [...SPEECH_COMMANDS_KWS, '_silence_', '_unknown_'];
  const ratio = opts.unknownPerClass ?? { train: 1.5, eval: 1 };
  const clips: LabelledImage[] = [];
  for (const split of ['train', 'validation', 'test'] as Split[]) {
    const inSplit = all.filter((c) => c.split === split);
    const words = inSplit.filter((c) => SPEECH_COMMANDS_KWS.includes(c.word));
    clips.push(...words.map((c) => ({ ...c, label: c.word })));
    const perClass = words.length / SPEECH_COMMANDS_KWS.length;
    const want = Math.round(perClass * (split === 'train' ? ratio.train : ratio.eval));
    const unknown = inSplit
      .filter((c) => c.file.startsWith(`${UNKNOWN_DIR}/`) && !SPEECH_COMMANDS_KWS.includes(c.word))
      .map((c) => ({ c, k: unit(`${seed}:${c.file}`) }))
      .sort((a, b) => a.k - b.k)
      .slice(0, want)
      .map(({ c }) => ({ ...c, label: '_unknown_' }));
    clips.push(...unknown);
    const silence = inSplit.filter((c) => c.word === BACKGROUND_DIR).map((c) => ({ ...c, label: '_silence_' }));
    // Training sees each noise image several times (they are few); evaluation once.
    const copies = split === 'train' ? Math.max(1, Math.round(perClass / Math.max(1, silence.length))) : 1;
    for (let k = 0; k < copies; k++) clips.push(...silence);
  }
  return { labels, clips };
}

/** A test wav of `test-wav-40pct/<label>/` and its spectrogram image, when the corpus has one. */
export interface WavImagePair {
  wav: string;
  label: string;
  image: string | null;
}

/**
 * Every wav of `<corpus>/test-wav-40pct` with the path of its image: `yes/<id>.wav` <-> `spectrograms/yes/<id>.yes.jpg`,
 * `_unknown_/<word>_<id>.wav` <-> `spectrograms/unknown/<id>.<word>.jpg`; `_silence_` wavs have none.
 */
export function listTestWavs(corpus: string): WavImagePair[] {
  const wavRoot = join(corpus, 'test-wav-40pct');
  const images = join(corpus, 'spectrograms');
  if (!existsSync(wavRoot)) throw new BeenetError('BAD_INPUT', `no test-wav-40pct folder at ${wavRoot}`);
  const out: WavImagePair[] = [];
  for (const label of readdirSync(wavRoot).sort()) {
    for (const f of readdirSync(join(wavRoot, label)).filter((x) => x.endsWith('.wav')).sort()) {
      const base = f.slice(0, -4);
      let image: string | null = null;
      if (label === '_unknown_') {
        const cut = base.indexOf('_');
        if (cut > 0) image = join(images, UNKNOWN_DIR, `${base.slice(cut + 1)}.${base.slice(0, cut)}.jpg`);
      } else if (label !== '_silence_') {
        image = join(images, label, `${base}.${label}.jpg`);
      }
      out.push({ wav: join(wavRoot, label, f), label, image: image && existsSync(image) ? image : null });
    }
  }
  return out;
}
