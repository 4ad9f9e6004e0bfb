// Background noise: coloured noise from `sox synth` and, when sonic-pi-samples is installed, its CC0 ambient and
// texture recordings. Every source is cut in three disjoint regions (70/15/15 %) so the splits never share noise.

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Split } from '../../src/data/manifest';
import { f32FromBytes, mapPool, pipeline } from './proc';
import type { Rng } from './rng';

export const SONIC_PI_DIR = '/usr/share/sonic-pi/samples';
const AMBIENT_PATTERN = /^(ambi_|vinyl_|loop_3d_printer|loop_industrial|loop_drone|loop_electric|loop_compus|misc_crow)/;
const RATE = 16000;

export interface NoiseSource {
  name: string;
  kind: 'coloured' | 'ambient';
  samples: Float32Array;
}

export class NoiseBank {
  constructor(readonly sources: NoiseSource[]) {}

  get ambientCount(): number {
    return this.sources.filter((s) => s.kind === 'ambient').length;
  }

  /** Picks a source: coloured and ambient equally likely when both exist. */
  pickSource(rng: Rng): NoiseSource {
    const amb = this.sources.filter((s) => s.kind === 'ambient');
    const col = this.sources.filter((s) => s.kind === 'coloured');
    return amb.length && rng.chance(0.5) ? rng.pick(amb) : rng.pick(col);
  }

  /** A random `n`-sample excerpt of a source, from the region reserved for `split` (looped if short). */
  excerpt(src: NoiseSource, split: Split, n: number, rng: Rng): { samples: Float32Array; start: number } {
    const len = src.samples.length;
    const [a, b] = split === 'train' ? [0, 0.7] : split === 'validation' ? [0.7, 0.85] : [0.85, 1];
    const lo = Math.floor(a * len);
    const hi = Math.floor(b * len);
    const span = hi - lo;
    const start = lo + (span > n ? rng.int(0, span - n) : 0);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = src.samples[lo + ((start - lo + i) % span)];
    return { samples: out, start };
  }
}

/** Builds the bank: 40 s of white/pink/brown noise each (repeatable sox seed) plus the ambient files. */
export async function loadNoiseBank(useAmbient: boolean): Promise<NoiseBank> {
  const sources: NoiseSource[] = [];
  for (const colour of ['white', 'pink', 'brown']) {
    const raw = await pipeline([
      { cmd: 'sox', args: ['-R', '-n', '-r', String(RATE), '-c', '1', '-t', 'f32', '-', 'synth', '40', `${colour}noise`] },
    ]);
    sources.push({ name: `${colour}noise`, kind: 'coloured', samples: normalise(f32FromBytes(raw)) });
  }
  if (useAmbient && existsSync(SONIC_PI_DIR)) {
    const files = readdirSync(SONIC_PI_DIR)
      .filter((f) => f.endsWith('.flac') && AMBIENT_PATTERN.test(f))
      .sort();
    const decoded = await mapPool(files, 2, async (f) => {
      const raw = await pipeline([
        { cmd: 'sox', args: ['-R', join(SONIC_PI_DIR, f), '-r', String(RATE), '-c', '1', '-t', 'f32', '-'] },
      ]);
      return { name: f.replace(/\.flac$/, ''), kind: 'ambient' as const, samples: normalise(f32FromBytes(raw)) };
    });
    // Very short one-shots are not backgrounds.
    sources.push(...decoded.filter((d) => d.samples.length >= RATE * 2));
  }
  return new NoiseBank(sources);
}

/** Scales to unit RMS so SNRs are easy to set. */
function normalise(x: Float32Array): Float32Array {
  let s = 0;
  for (const v of x) s += v * v;
  const r = Math.sqrt(s / Math.max(1, x.length));
  if (r > 0) for (let i = 0; i < x.length; i++) x[i] /= r;
  return x;
}
