// Manifest -> feature tensors for training and evaluation, through the same front end as inference. Features
// are cached next to the manifest, keyed by the front end config and the manifest's content.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { DEFAULT_FRONTEND, audioToFeatures, featureShape } from '../audio/frontend';
import { decodeWav } from '../audio/wav';
import { BeenetError } from '../errors';
import type { FrontendConfig } from '../model/graph';
import { SPLITS, validateManifest, type Manifest, type ManifestClip, type Split } from './manifest';

export interface Dataset {
  /** Raw (unnormalised) log-mel features [count, frames, melBands]. */
  features: Float32Array;
  /** Label index per clip, into `labelNames`. */
  labels: Int32Array;
  labelNames: string[];
  /** Split per clip as an index into SPLITS (0 train, 1 validation, 2 test). */
  splits: Uint8Array;
  clips: ManifestClip[];
  count: number;
  frames: number;
  melBands: number;
  /** The cache file used or written, if any. */
  cacheFile: string | null;
}

export interface LoadOptions {
  /** true (default): cache next to the manifest; false: no cache; a string: this cache file. */
  cache?: boolean | string;
  onProgress?: (done: number, total: number) => void;
}

const MAGIC = 0x5446_4e42; // "BNFT"
const VERSION = 1;

/** A short hash of the parts of a front end config that change features (not the normalisation). */
export function frontendHash(cfg: FrontendConfig): string {
  const keys = [
    cfg.sampleRate,
    cfg.clipSamples,
    cfg.windowSamples,
    cfg.hopSamples,
    cfg.fftSize,
    cfg.melBands,
    cfg.fMinHz,
    cfg.fMaxHz,
    cfg.logOffset,
  ];
  const tag = cfg.kind === 'microfrontend' ? `microfrontend-v1:${JSON.stringify(cfg.microfrontend)}:` : 'logmel-v1:';
  return createHash('sha256').update(`${tag}${keys.join(',')}`).digest('hex').slice(0, 12);
}

function resolveBase(manifest: Manifest, manifestDir: string): string {
  if (!manifest.baseDir) return manifestDir;
  return isAbsolute(manifest.baseDir) ? manifest.baseDir : resolve(manifestDir, manifest.baseDir);
}

function readCache(file: string, count: number, perClip: number): Float32Array | null {
  if (!existsSync(file)) return null;
  const buf = readFileSync(file);
  if (buf.length !== 20 + count * perClip * 4) return null;
  const head = new DataView(buf.buffer, buf.byteOffset, 20);
  if (head.getUint32(0, true) !== MAGIC || head.getUint32(4, true) !== VERSION || head.getUint32(8, true) !== count) {
    return null;
  }
  const out = new Float32Array(count * perClip);
  new Uint8Array(out.buffer).set(buf.subarray(20));
  return out;
}

function writeCache(file: string, features: Float32Array, count: number, frames: number, mels: number): void {
  const head = new DataView(new ArrayBuffer(20));
  head.setUint32(0, MAGIC, true);
  head.setUint32(4, VERSION, true);
  head.setUint32(8, count, true);
  head.setUint32(12, frames, true);
  head.setUint32(16, mels, true);
  // Write then rename, so an interrupted run never leaves a half cache behind.
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, Buffer.concat([new Uint8Array(head.buffer), new Uint8Array(features.buffer, features.byteOffset, features.byteLength)]));
  renameSync(tmp, file);
}

/**
 * Loads a dataset: `source` is a manifest file, or a manifest with the folder its paths are relative to.
 * Features are raw log-mel (`cfg.normalization` is ignored: training computes the statistics).
 */
export function loadDataset(
  source: string | { manifest: Manifest; baseDir: string },
  cfg: FrontendConfig = DEFAULT_FRONTEND,
  opts: LoadOptions = {},
): Dataset {
  let manifest: Manifest;
  let base: string;
  let manifestBytes: string;
  let defaultCache: string | null = null;
  if (typeof source === 'string') {
    manifestBytes = readFileSync(source, 'utf8');
    manifest = validateManifest(JSON.parse(manifestBytes));
    const dir = dirname(resolve(source));
    base = resolveBase(manifest, dir);
    defaultCache = join(dir, `features-${frontendHash(cfg)}`);
  } else {
    manifest = validateManifest(source.manifest);
    manifestBytes = JSON.stringify(manifest);
    base = resolve(source.baseDir);
  }
  const [frames, melBands] = featureShape(cfg);
  const perClip = frames * melBands;
  const count = manifest.clips.length;
  const contentHash = createHash('sha256').update(manifestBytes).update(base).digest('hex').slice(0, 12);
  let cacheFile: string | null = null;
  if (typeof opts.cache === 'string') cacheFile = opts.cache;
  else if (opts.cache !== false && defaultCache) cacheFile = `${defaultCache}-${contentHash}.bin`;

  const labelIndex = new Map(manifest.labels.map((l, i) => [l, i]));
  const labels = Int32Array.from(manifest.clips, (c) => labelIndex.get(c.label)!);
  const splits = Uint8Array.from(manifest.clips, (c) => SPLITS.indexOf(c.split));

  let features = cacheFile ? readCache(cacheFile, count, perClip) : null;
  if (!features) {
    features = new Float32Array(count * perClip);
    const fe: FrontendConfig = { ...cfg, normalization: null };
    let lastPath = '';
    let last: { samples: Float32Array; sampleRate: number } | null = null;
    manifest.clips.forEach((c, i) => {
      const path = isAbsolute(c.path) ? c.path : join(base, c.path);
      try {
        // Consecutive slices of one long file (background noise) decode it once.
        if (path !== lastPath || !last) {
          last = decodeWav(readFileSync(path));
          lastPath = path;
        }
        let samples = last.samples;
        if (c.gain !== undefined && c.gain !== 1) samples = samples.map((v) => v * c.gain!);
        features!.set(audioToFeatures(samples, last.sampleRate, fe, undefined, { offset: c.offset }), i * perClip);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        throw new BeenetError(e instanceof BeenetError ? e.code : 'BAD_AUDIO', `${path}: ${why}`, { cause: e });
      }
      if (opts.onProgress && (i % 200 === 199 || i === count - 1)) opts.onProgress(i + 1, count);
    });
    if (cacheFile) writeCache(cacheFile, features, count, frames, melBands);
  }
  return { features, labels, labelNames: manifest.labels, splits, clips: manifest.clips, count, frames, melBands, cacheFile };
}

/** Clip indices of one split. */
export function splitIndices(ds: Dataset, split: Split): Int32Array {
  const k = SPLITS.indexOf(split);
  const out: number[] = [];
  for (let i = 0; i < ds.count; i++) if (ds.splits[i] === k) out.push(i);
  return Int32Array.from(out);
}

/** A copy of one split's features [n, frames, melBands] and labels. */
export function selectSplit(ds: Dataset, split: Split): { features: Float32Array; labels: Int32Array; count: number } {
  const idx = splitIndices(ds, split);
  const per = ds.frames * ds.melBands;
  const features = new Float32Array(idx.length * per);
  idx.forEach((i, j) => features.set(ds.features.subarray(i * per, (i + 1) * per), j * per));
  return { features, labels: Int32Array.from(idx, (i) => ds.labels[i]), count: idx.length };
}

/** Per-band mean and standard deviation over [n, frames, melBands] features (for the front end's normalisation). */
export function bandStatistics(features: Float32Array, melBands: number): { mean: Float32Array; std: Float32Array } {
  const sum = new Float64Array(melBands);
  const sq = new Float64Array(melBands);
  const rows = features.length / melBands;
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < melBands; b++) {
      const v = features[r * melBands + b];
      sum[b] += v;
      sq[b] += v * v;
    }
  }
  const mean = new Float32Array(melBands);
  const std = new Float32Array(melBands);
  for (let b = 0; b < melBands; b++) {
    const m = sum[b] / rows;
    mean[b] = m;
    std[b] = Math.max(Math.sqrt(Math.max(sq[b] / rows - m * m, 0)), 1e-3);
  }
  return { mean, std };
}
