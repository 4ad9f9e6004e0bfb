import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FRONTEND, audioToFeatures } from '../../src/audio/frontend';
import { decodeWav } from '../../src/audio/wav';

const dir = join(import.meta.dirname, '..', '..', 'models', 'clips');
const tasks = existsSync(dir) ? readdirSync(dir).filter((t) => existsSync(join(dir, t, 'index.json'))) : [];

describe.skipIf(tasks.length === 0)('example clips in models/clips', () => {
  for (const task of tasks) {
    it(`${task}: index.json lists 1 s 16 kHz mono clips that go through the front end`, () => {
      const index = JSON.parse(readFileSync(join(dir, task, 'index.json'), 'utf8')) as { file: string; label: string }[];
      expect(index.length).toBeGreaterThan(1);
      expect(new Set(index.map((e) => e.label)).size).toBe(index.length);
      for (const e of index) {
        const wav = decodeWav(readFileSync(join(dir, task, e.file)));
        expect(wav.sampleRate).toBe(16000);
        expect(wav.channels).toBe(1);
        expect(wav.samples.length).toBe(16000);
        const f = audioToFeatures(wav.samples, wav.sampleRate, DEFAULT_FRONTEND);
        expect(f.length).toBe(98 * 40);
        expect(f.every(Number.isFinite)).toBe(true);
      }
    });
  }
});
