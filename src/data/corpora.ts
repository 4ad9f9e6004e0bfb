// Manifests for real corpora: the Speech Commands v0.02 layout and a generic one-folder-per-class layout.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readWavInfo } from '../audio/wav';
import { BeenetError } from '../errors';
import type { Manifest, ManifestClip, Split } from './manifest';

export const SPEECH_COMMANDS_KWS = ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go'];
export const SPEECH_COMMANDS_DIGITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const BACKGROUND = '_background_noise_';

export interface SpeechCommandsOptions {
  /** kws: the 12-class benchmark (10 words, _silence_, _unknown_); digits: zero..nine only. */
  task: 'kws' | 'digits';
  /** _silence_ clips per split, as a percentage of that split's command-word clips (default 10). */
  silencePercentage?: number;
  /** _unknown_ clips kept per split, as a percentage of that split's command-word clips (default 10). */
  unknownPercentage?: number;
  /** The model rate, for background-noise slice offsets (default 16000). */
  sampleRate?: number;
  clipSamples?: number;
  seed?: number;
}

/** Deterministic number in [0, 1) from a string (stable splits and subsets). */
export function unit(s: string): number {
  return createHash('sha1').update(s).digest().readUInt32BE(0) / 2 ** 32;
}

/** Speech Commands names files <speaker>_nohash_<n>.wav; other names count as their own speaker. */
export function speakerOf(file: string): string {
  const base = file.replace(/\.[^.]+$/, '');
  const i = base.indexOf('_nohash_');
  return i >= 0 ? base.slice(0, i) : base;
}

function subdirs(root: string): string[] {
  return readdirSync(root)
    .filter((d) => !d.startsWith('.') && statSync(join(root, d)).isDirectory())
    .sort();
}

function audioFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.wav$/i.test(f))
    .sort();
}

/** The lines of a split list (validation_list.txt, testing_list.txt); empty when the file is absent. */
export function readList(file: string): Set<string> {
  if (!existsSync(file)) return new Set();
  return new Set(
    readFileSync(file, 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean),
  );
}

/** A seeded shuffle (sort by hash): stable across runs and platforms. */
function hashShuffle<T>(xs: T[], key: (x: T) => string, seed: number): T[] {
  return xs
    .map((x) => ({ x, k: unit(`${seed}:${key(x)}`) }))
    .sort((a, b) => a.k - b.k)
    .map((e) => e.x);
}

/**
 * Manifest for a Speech Commands v0.02 tree: splits from validation_list.txt / testing_list.txt (the rest is
 * train), `_silence_` from slices of _background_noise_ (each noise file's first 80 % for train, then 10 % each
 * for validation and test, so splits never share noise).
 */
export function speechCommandsManifest(root: string, opts: SpeechCommandsOptions): Manifest {
  root = resolve(root);
  if (!existsSync(root)) throw new BeenetError('BAD_INPUT', `no such corpus folder: ${root}`);
  const rate = opts.sampleRate ?? 16000;
  const clipSamples = opts.clipSamples ?? rate;
  const seed = opts.seed ?? 1;
  const validation = readList(join(root, 'validation_list.txt'));
  const testing = readList(join(root, 'testing_list.txt'));
  const words = subdirs(root).filter((d) => d !== BACKGROUND);
  const known = opts.task === 'kws' ? SPEECH_COMMANDS_KWS : SPEECH_COMMANDS_DIGITS;
  const commands: ManifestClip[] = [];
  const unknown: ManifestClip[] = [];
  for (const word of words) {
    const isKnown = known.includes(word);
    if (!isKnown && opts.task !== 'kws') continue;
    for (const f of audioFiles(join(root, word))) {
      const path = `${word}/${f}`;
      const split: Split = validation.has(path) ? 'validation' : testing.has(path) ? 'test' : 'train';
      const clip: ManifestClip = {
        path,
        label: isKnown ? word : '_unknown_',
        speaker: speakerOf(f),
        split,
        engine: 'speech_commands',
        text: word,
      };
      (isKnown ? commands : unknown).push(clip);
    }
  }
  const clips = [...commands];
  const labels = [...known];
  if (opts.task === 'kws') {
    labels.push('_silence_', '_unknown_');
    const perSplit = (s: Split) => commands.filter((c) => c.split === s).length;
    const unkPct = opts.unknownPercentage ?? 10;
    const silPct = opts.silencePercentage ?? 10;
    for (const split of ['train', 'validation', 'test'] as Split[]) {
      const want = Math.round((perSplit(split) * unkPct) / 100);
      clips.push(...hashShuffle(unknown.filter((c) => c.split === split), (c) => c.path, seed).slice(0, want));
    }
    clips.push(...silenceSlices(root, rate, clipSamples, seed, (s) => Math.round((perSplit(s) * silPct) / 100)));
  }
  return {
    version: 1,
    task: `speech_commands_${opts.task}`,
    labels,
    baseDir: root,
    sampleRate: rate,
    clipSamples,
    seed,
    info: { corpus: 'speech_commands_v0.02', root },
    clips,
  };
}

function silenceSlices(root: string, rate: number, clip: number, seed: number, count: (s: Split) => number): ManifestClip[] {
  const dir = join(root, BACKGROUND);
  if (!existsSync(dir)) throw new BeenetError('BAD_INPUT', `no ${BACKGROUND} folder in ${root} (needed for _silence_)`);
  const files = audioFiles(dir).map((f) => {
    const info = readWavInfo(readFileSync(join(dir, f)));
    // Offsets are in model-rate samples.
    return { f, len: Math.floor((info.frames * rate) / info.sampleRate) };
  });
  const usable = files.filter((x) => x.len >= clip * 10);
  if (usable.length === 0) throw new BeenetError('BAD_INPUT', `no background noise file in ${dir} is 10 clips long`);
  const out: ManifestClip[] = [];
  const regions: Record<Split, [number, number]> = { train: [0, 0.8], validation: [0.8, 0.9], test: [0.9, 1] };
  for (const split of ['train', 'validation', 'test'] as Split[]) {
    const n = count(split);
    for (let i = 0; i < n; i++) {
      const file = usable[i % usable.length];
      const [a, b] = regions[split];
      const lo = Math.floor(a * file.len);
      const hi = Math.floor(b * file.len) - clip;
      const r = unit(`${seed}:silence:${split}:${i}`);
      const offset = lo + Math.floor(r * Math.max(hi - lo + 1, 1));
      // Quiet to full volume, log-uniform: silence is not always loud noise.
      const gain = Math.round(10 ** (-2 * unit(`${seed}:gain:${split}:${i}`)) * 1e4) / 1e4;
      out.push({
        path: `${BACKGROUND}/${file.f}`,
        label: '_silence_',
        speaker: `noise:${file.f}`,
        split,
        engine: 'speech_commands',
        offset,
        gain,
      });
    }
  }
  return out;
}

export interface FolderOptions {
  /** Task name written into the manifest (default: the folder's name). */
  task?: string;
  validationPercentage?: number;
  testPercentage?: number;
  seed?: number;
}

/**
 * Manifest for <root>/<class>/*.wav. Speakers come from `<speaker>_nohash_` file names (else each file is its own
 * speaker); a speaker's split is a stable hash of its name, so adding files never moves a speaker.
 */
export function folderManifest(root: string, opts: FolderOptions = {}): Manifest {
  root = resolve(root);
  if (!existsSync(root)) throw new BeenetError('BAD_INPUT', `no such corpus folder: ${root}`);
  const valPct = opts.validationPercentage ?? 10;
  const testPct = opts.testPercentage ?? 10;
  const seed = opts.seed ?? 1;
  const labels = subdirs(root).filter((d) => !d.startsWith('_') && audioFiles(join(root, d)).length > 0);
  if (labels.length === 0) throw new BeenetError('BAD_INPUT', `no class folders with .wav files in ${root}`);
  const clips: ManifestClip[] = [];
  for (const label of labels) {
    for (const f of audioFiles(join(root, label))) {
      const speaker = speakerOf(f);
      const p = unit(`${seed}:${speaker}`) * 100;
      const split: Split = p < valPct ? 'validation' : p < valPct + testPct ? 'test' : 'train';
      clips.push({ path: `${label}/${f}`, label, speaker, split, engine: 'folder' });
    }
  }
  return {
    version: 1,
    task: opts.task ?? root.split(/[\\/]/).pop()!,
    labels,
    baseDir: root,
    seed,
    info: { corpus: 'folder', root },
    clips,
  };
}
