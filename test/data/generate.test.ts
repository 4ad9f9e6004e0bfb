import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWavInfo, decodeWav } from '../../src/audio/wav';
import { readManifest } from '../../src/data/manifest';

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const tools = has('espeak-ng') && has('sox');
if (!tools) console.warn('generate.test: espeak-ng or sox is not installed; skipping the generator test');

describe.skipIf(!tools)('dataset generator', () => {
  it('writes 1 s 16 kHz mono 16-bit clips and a manifest, deterministically', () => {
    const out = mkdtempSync(join(tmpdir(), 'beenet-gen-'));
    try {
      const run = (dir: string) =>
        execFileSync(
          'npx',
          ['tsx', 'scripts/datagen/generate.ts', '--task', 'kws', '--out', dir, '--per-class', '2', '--labels', 'yes,_silence_',
            '--no-examples', '--no-festival', '--no-ambient', '--seed', '3'],
          { stdio: ['ignore', 'ignore', 'pipe'] },
        );
      run(join(out, 'a'));
      const m = readManifest(join(out, 'a', 'manifest.json'));
      expect(m.labels).toEqual(['yes', '_silence_']);
      expect(m.clips.length).toBe(4);
      for (const c of m.clips) {
        const bytes = readFileSync(join(out, 'a', c.path));
        const info = readWavInfo(bytes);
        expect(info).toMatchObject({ format: 1, sampleRate: 16000, channels: 1, bitsPerSample: 16, frames: 16000 });
        const x = decodeWav(bytes).samples;
        expect(x.some((v) => v !== 0)).toBe(true);
        expect(c.speaker).toBeTruthy();
        expect(c.engine).toBe(c.label === 'yes' ? c.engine : 'noise');
        expect(c.aug).toBeDefined();
      }
      expect(m.clips.filter((c) => c.label === 'yes').every((c) => c.text === 'yes' && c.engine !== 'noise')).toBe(true);
      run(join(out, 'b'));
      for (const c of m.clips) expect(readFileSync(join(out, 'b', c.path))).toEqual(readFileSync(join(out, 'a', c.path)));
      expect(existsSync(join(out, 'a', '_silence_'))).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
  it('--train-per-class adds training clips and leaves every other clip byte-identical', () => {
    const out = mkdtempSync(join(tmpdir(), 'beenet-gen-'));
    try {
      const run = (dir: string, extra: string[]) =>
        execFileSync(
          'npx',
          ['tsx', 'scripts/datagen/generate.ts', '--task', 'kws', '--out', dir, '--per-class', '7', '--labels', 'no',
            '--no-examples', '--no-festival', '--no-ambient', '--seed', '4', ...extra],
          { stdio: ['ignore', 'ignore', 'pipe'] },
        );
      run(join(out, 'base'), []);
      run(join(out, 'more'), ['--train-per-class', '8']);
      const base = readManifest(join(out, 'base', 'manifest.json'));
      const more = readManifest(join(out, 'more', 'manifest.json'));
      const count = (m: typeof base, split: string) => m.clips.filter((c) => c.split === split).length;
      expect([count(base, 'train'), count(base, 'validation'), count(base, 'test')]).toEqual([5, 1, 1]);
      expect([count(more, 'train'), count(more, 'validation'), count(more, 'test')]).toEqual([8, 1, 1]);
      const byPath = new Map(more.clips.map((c) => [c.path, c]));
      for (const c of base.clips) {
        expect(byPath.get(c.path)).toEqual(c);
        expect(readFileSync(join(out, 'more', c.path))).toEqual(readFileSync(join(out, 'base', c.path)));
      }
      const added = more.clips.filter((c) => !base.clips.some((b) => b.path === c.path));
      expect(added.map((c) => c.split)).toEqual(['train', 'train', 'train']);
      expect(new Set(added.map((c) => c.speaker)).size).toBeGreaterThan(1);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
