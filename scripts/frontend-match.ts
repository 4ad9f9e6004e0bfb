// How closely our microfrontend reproduces the Speech Commands spectrogram images, next to the JPEG noise floor
// and the plain log-mel front end. Usage:
//   npx tsx scripts/frontend-match.ts [--data ../shared/data] [--limit N] [--set name=value ...]
// --set overrides a microfrontend parameter (e.g. pcanEnabled=false) or a shared field (windowSamples=400).
// Prints a table and writes out/frontend-match.json. Skips (exit 0) when the data folder is absent.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import { DEFAULT_FRONTEND, MICROFRONTEND_16K, getLogMel } from '../src/audio/frontend';
import { Microfrontend, type MicrofrontendConfig, type MicrofrontendParams } from '../src/audio/microfrontend';
import { decodeWav } from '../src/audio/wav';
import { decodeSpectrogram, listTestWavs } from '../src/data/spectrogram-images';
import { cliArgs } from './cli-args';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FRAMES = 98;
const BANDS = 40;

export interface Pair {
  wav: string;
  image: string;
}

/** Every wav / image pair of the test-wav-40pct set (silence has no image). */
export function listPairs(dataset: string): Pair[] {
  return listTestWavs(dataset).flatMap((p) => (p.image ? [{ wav: p.wav, image: p.image }] : []));
}

/** A spectrogram image as [98, 40] time-major pixels. */
export function readImage(bytes: Uint8Array): Float32Array {
  return Float32Array.from(decodeSpectrogram(bytes));
}

export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

function mae(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

function clampPixels(x: Float32Array, scale = 1, offset = 0): Float32Array {
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = Math.min(255, Math.max(0, scale * x[i] + offset));
  return y;
}

interface Summary {
  mean: number;
  median: number;
  p5: number;
}

function summarise(v: number[]): Summary {
  const s = [...v].sort((x, y) => x - y);
  const q = (f: number) => s[Math.min(s.length - 1, Math.floor(f * (s.length - 1)))];
  return { mean: v.reduce((x, y) => x + y, 0) / v.length, median: q(0.5), p5: q(0.05) };
}

/** Least-squares y ~ a x + b over the points where keep(y). */
class AffineFit {
  private n = 0;
  private sx = 0;
  private sy = 0;
  private sxx = 0;
  private sxy = 0;

  add(x: ArrayLike<number>, y: ArrayLike<number>, keep: (y: number) => boolean): void {
    for (let i = 0; i < x.length; i++) {
      if (!keep(y[i])) continue;
      this.n++;
      this.sx += x[i];
      this.sy += y[i];
      this.sxx += x[i] * x[i];
      this.sxy += x[i] * y[i];
    }
  }

  solve(): { scale: number; offset: number } {
    const { n, sx, sy, sxx, sxy } = this;
    const scale = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    return { scale, offset: (sy - scale * sx) / n };
  }
}

/** IJG quality (1..100) whose scaled standard luminance table is nearest the file's first quantisation table. */
export function jpegQuality(bytes: Uint8Array): number {
  const STD = [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17,
    22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103,
    121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99];
  const ZIGZAG = [0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6,
    7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53,
    60, 61, 54, 47, 55, 62, 63];
  for (let i = 2; i + 4 < bytes.length; ) {
    if (bytes[i] !== 0xff) break;
    const marker = bytes[i + 1];
    const len = (bytes[i + 2] << 8) | bytes[i + 3];
    if (marker === 0xdb && bytes[i + 4] >> 4 === 0) {
      const table = new Array<number>(64);
      for (let k = 0; k < 64; k++) table[ZIGZAG[k]] = bytes[i + 5 + k];
      let best = 75;
      let bestErr = Infinity;
      for (let q = 1; q <= 100; q++) {
        const sc = q < 50 ? Math.floor(5000 / q) : 200 - 2 * q;
        let err = 0;
        for (let k = 0; k < 64; k++) err += Math.abs(Math.min(255, Math.max(1, Math.floor((STD[k] * sc + 50) / 100))) - table[k]);
        if (err < bestErr) {
          bestErr = err;
          best = q;
        }
      }
      return best;
    }
    i += 2 + len;
  }
  return 75;
}

/** Our map, rounded and JPEG-coded as the images were: how much the coding alone costs. */
function jpegRoundTrip(x: Float32Array, quality: number): Float32Array {
  const rgba = new Uint8Array(x.length * 4);
  for (let i = 0; i < x.length; i++) {
    const v = Math.round(Math.min(255, Math.max(0, x[i])));
    rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = v;
    rgba[4 * i + 3] = 255;
  }
  const enc = jpeg.encode({ data: rgba, width: BANDS, height: FRAMES }, quality);
  return readImage(new Uint8Array(enc.data));
}

function parseArgs(argv: string[]): { data: string; limit: number; set: Map<string, string> } {
  const v = cliArgs('npx tsx scripts/frontend-match.ts [--data ../shared/data] [--limit N] [--set name=value,...]', {
    data: { type: 'string', default: join(ROOT, '..', 'shared', 'data'), help: 'the real recordings' },
    limit: { type: 'number', default: Infinity, help: 'at most this many pairs' },
    set: { type: 'list', default: [], help: 'front-end parameters to try, name=value (comma-separated)' },
  }, { argv });
  const set = new Map<string, string>();
  for (const kv of v.set) {
    const [k, val] = kv.split('=');
    if (!k || val === undefined) throw new Error(`--set needs name=value, got '${kv}'`);
    set.set(k, val);
  }
  return { data: resolve(v.data), limit: v.limit, set };
}

function configWith(set: Map<string, string>): MicrofrontendConfig {
  const shared: Record<string, number> = {
    sampleRate: MICROFRONTEND_16K.sampleRate, windowSamples: MICROFRONTEND_16K.windowSamples,
    hopSamples: MICROFRONTEND_16K.hopSamples, fftSize: MICROFRONTEND_16K.fftSize, melBands: MICROFRONTEND_16K.melBands,
    fMinHz: MICROFRONTEND_16K.fMinHz, fMaxHz: MICROFRONTEND_16K.fMaxHz,
  };
  const base = MICROFRONTEND_16K.microfrontend;
  if (!base) throw new Error('MICROFRONTEND_16K has no microfrontend params');
  const p: MicrofrontendParams = { ...base };
  const mp = p as unknown as Record<string, number | boolean>;
  for (const [k, v] of set) {
    if (k in shared) shared[k] = Number(v);
    else if (k in p) mp[k] = v === 'true' ? true : v === 'false' ? false : Number(v);
    else throw new Error(`--set: unknown parameter ${k}`);
  }
  return {
    sampleRate: shared.sampleRate, windowSamples: shared.windowSamples, hopSamples: shared.hopSamples,
    fftSize: shared.fftSize, melBands: shared.melBands, fMinHz: shared.fMinHz, fMaxHz: shared.fMaxHz, microfrontend: p,
  };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const dataset = join(args.data, 'speech-commands-v2');
  if (!existsSync(join(dataset, 'test-wav-40pct'))) {
    console.log(`frontend-match: no data at ${dataset} (pass --data DIR); skipping`);
    return;
  }
  const all = listPairs(dataset);
  // An even spread over the classes when limited.
  const step = Math.max(1, Math.floor(all.length / Math.min(all.length, args.limit)));
  const pairs = all.filter((_, i) => i % step === 0).slice(0, args.limit);
  const cfg = configWith(args.set);
  // Raw uint16 output: scale 1/256 keeps it well inside the clamp, and x256 gives it back exactly.
  const rawFe = new Microfrontend({ ...cfg, microfrontend: { ...cfg.microfrontend, outputScale: 1 / 256, outputOffset: 0 } });
  const fe = new Microfrontend(cfg);
  const lm = getLogMel(DEFAULT_FRONTEND);

  const images: Float32Array[] = [];
  const ours: Float32Array[] = [];
  const raws: Float32Array[] = [];
  const logmels: Float32Array[] = [];
  const rawFit = new AffineFit();
  const lmFit = new AffineFit();
  const unsaturated = (y: number) => y > 2 && y < 253;
  let quality = 0;
  for (const pr of pairs) {
    const bytes = readFileSync(pr.image);
    if (quality === 0) quality = jpegQuality(bytes);
    const img = readImage(bytes);
    const wav = decodeWav(readFileSync(pr.wav));
    if (wav.sampleRate !== 16000) throw new Error(`${pr.wav}: ${wav.sampleRate} Hz`);
    const clip = new Float32Array(16000);
    clip.set(wav.samples.subarray(0, 16000));
    const raw = rawFe.compute(clip).map((v) => v * 256);
    const l = lm.compute(clip);
    images.push(img);
    raws.push(raw);
    ours.push(fe.compute(clip));
    logmels.push(l);
    rawFit.add(raw, img, unsaturated);
    lmFit.add(l, img, unsaturated);
  }
  const fit = rawFit.solve();
  const lmAff = lmFit.solve();

  const rows: Record<string, { r: number[]; mae: number[] }> = {
    microfrontend: { r: [], mae: [] },
    'microfrontend (refit)': { r: [], mae: [] },
    'log-mel (affine fit)': { r: [], mae: [] },
    [`JPEG floor (q${quality})`]: { r: [], mae: [] },
  };
  for (let i = 0; i < pairs.length; i++) {
    const add = (k: string, x: Float32Array, y: Float32Array) => {
      rows[k].r.push(pearson(x, y));
      rows[k].mae.push(mae(x, y));
    };
    add('microfrontend', ours[i], images[i]);
    add('microfrontend (refit)', clampPixels(raws[i], fit.scale, fit.offset), images[i]);
    add('log-mel (affine fit)', clampPixels(logmels[i], lmAff.scale, lmAff.offset), images[i]);
    add(`JPEG floor (q${quality})`, jpegRoundTrip(ours[i], quality), ours[i]);
  }

  console.log(`${pairs.length} pairs; images coded at JPEG quality ~${quality}`);
  console.log(`fit over unsaturated pixels: pixel = ${fit.scale.toFixed(5)} * raw + ${fit.offset.toFixed(2)}` +
    ` (1 / ${(1 / fit.scale).toFixed(1)}); configured ${cfg.microfrontend.outputScale.toFixed(5)} * raw + ${cfg.microfrontend.outputOffset}`);
  console.log(`log-mel fit: pixel = ${lmAff.scale.toFixed(3)} * logmel + ${lmAff.offset.toFixed(2)}`);
  const pad = (s: string, n: number) => s.padEnd(n);
  console.log(`${pad('front end', 26)} ${pad('r mean', 8)} ${pad('r median', 8)} ${pad('r p5', 8)} ${pad('MAE mean', 9)} ${pad('MAE median', 10)} MAE p95`);
  const summary: Record<string, { r: Summary; mae: Summary & { p95: number } }> = {};
  for (const [k, v] of Object.entries(rows)) {
    const r = summarise(v.r);
    const m = summarise(v.mae);
    const sorted = [...v.mae].sort((a, b) => a - b);
    const p95 = sorted[Math.floor(0.95 * (sorted.length - 1))];
    summary[k] = { r, mae: { ...m, p95 } };
    console.log(`${pad(k, 26)} ${pad(r.mean.toFixed(4), 8)} ${pad(r.median.toFixed(4), 8)} ${pad(r.p5.toFixed(4), 8)} ` +
      `${pad(m.mean.toFixed(2), 9)} ${pad(m.median.toFixed(2), 10)} ${p95.toFixed(2)}`);
  }
  mkdirSync(join(ROOT, 'out'), { recursive: true });
  writeFileSync(join(ROOT, 'out', 'frontend-match.json'), JSON.stringify({
    pairs: pairs.length, jpegQuality: quality, config: cfg, fit, logmelFit: lmAff, summary,
  }, null, 2));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
