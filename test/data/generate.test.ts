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
});
