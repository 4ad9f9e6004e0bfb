// The dataset manifest: one JSON file listing clips, written by the generator and by the corpus loaders.

import { readFileSync, writeFileSync } from 'node:fs';
import { BeenetError } from '../errors';

export type Split = 'train' | 'validation' | 'test';
export const SPLITS: readonly Split[] = ['train', 'validation', 'test'];

export interface ManifestClip {
  /** Audio file, relative to the manifest's `baseDir` (or absolute). */
  path: string;
  label: string;
  /** Speaker id; splits never share a speaker. */
  speaker: string;
  split: Split;
  /** Synthesiser or corpus name (espeak-ng, flite, festival, speech_commands, folder, noise). */
  engine?: string;
  /** Window start in model-rate samples, for files longer than a clip (background-noise slices). */
  offset?: number;
  /** Linear gain applied to the samples before the front end (e.g. quieter silence slices). */
  gain?: number;
  /** What was spoken, if known. */
  text?: string;
  /** Generator parameters (augmentation etc.), free-form. */
  aug?: Record<string, string | number | boolean>;
}

export interface Manifest {
  version: 1;
  task: string;
  /** Class names in label-index order. */
  labels: string[];
  /** Where clip paths are relative to: absolute, or relative to the manifest file (default: its folder). */
  baseDir?: string;
  sampleRate?: number;
  clipSamples?: number;
  seed?: number;
  /** Free-form provenance (generator settings, corpus root). */
  info?: Record<string, unknown>;
  clips: ManifestClip[];
}

function bad(msg: string): BeenetError {
  return new BeenetError('BAD_INPUT', `invalid manifest: ${msg}`);
}

/** Checks the shape of a parsed manifest and that every clip's label and split are known. */
export function validateManifest(m: unknown): Manifest {
  if (typeof m !== 'object' || m === null) throw bad('not an object');
  const o = m as Partial<Manifest>;
  if (o.version !== 1) throw bad(`unsupported version ${String(o.version)}`);
  if (!Array.isArray(o.labels) || o.labels.some((l) => typeof l !== 'string')) throw bad('labels must be strings');
  if (!Array.isArray(o.clips)) throw bad('clips must be an array');
  const labels = new Set(o.labels);
  o.clips.forEach((c, i) => {
    if (typeof c?.path !== 'string') throw bad(`clip ${i} has no path`);
    if (!labels.has(c.label)) throw bad(`clip ${i} (${c.path}) has unknown label ${JSON.stringify(c.label)}`);
    if (!SPLITS.includes(c.split)) throw bad(`clip ${i} (${c.path}) has unknown split ${JSON.stringify(c.split)}`);
    if (typeof c.speaker !== 'string') throw bad(`clip ${i} (${c.path}) has no speaker`);
  });
  return o as Manifest;
}

export function readManifest(file: string): Manifest {
  return validateManifest(JSON.parse(readFileSync(file, 'utf8')));
}

/** Writes a manifest with one clip per line (readable diffs, still valid JSON). */
export function writeManifest(file: string, m: Manifest): void {
  const { clips, ...head } = m;
  const headJson = JSON.stringify(head, null, 2);
  const body = clips.map((c) => '    ' + JSON.stringify(c)).join(',\n');
  writeFileSync(file, `${headJson.slice(0, -2)},\n  "clips": [\n${body}\n  ]\n}\n`);
}

/** Clip counts per split and label. */
export function manifestSummary(m: Manifest): Record<Split, Record<string, number>> {
  const out = { train: {}, validation: {}, test: {} } as Record<Split, Record<string, number>>;
  for (const c of m.clips) out[c.split][c.label] = (out[c.split][c.label] ?? 0) + 1;
  return out;
}
