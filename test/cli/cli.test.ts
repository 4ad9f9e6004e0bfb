// The `beenet` command: classify bundled clips, describe a model, and fail with named errors.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { decodeWav, encodeWav16 } from '../../src/audio/wav';

function capture(): { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  return { out, err };
}

afterEach(() => vi.restoreAllMocks());

describe('beenet CLI', () => {
  it('classifies bundled clips and reports label, exit, entropy and the backend', async () => {
    const { out } = capture();
    const code = await main(['classify', 'models/kws-reactnet.bee', 'models/clips/kws/yes.wav', 'models/clips/kws/stop.wav', '--backend', 'wasm', '--threshold', '0', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(out.join('\n')) as { backend: string; results: { clip: string; label: string; exit: number; entropy: number }[] };
    expect(report.backend).toBe('wasm');
    expect(report.results.map((r) => r.exit)).toEqual([3, 3]);
    for (const r of report.results) expect(Number.isFinite(r.entropy)).toBe(true);
  });

  it('prints the model description', async () => {
    const { out } = capture();
    expect(await main(['info', 'models/kws-reactnet.bee'])).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/task kws, architecture reactnet/);
    expect(text).toMatch(/block 3: .* binary ops/);
    expect(text).toMatch(/exit policy: entropy/);
  });

  it('fails with a message naming the file or the option', async () => {
    const { err } = capture();
    expect(await main(['classify', 'missing.bee', 'models/clips/kws/yes.wav', '--backend', 'cpu'])).toBe(1);
    expect(await main(['classify', 'models/kws-reactnet.bee', 'README.md', '--backend', 'cpu'])).toBe(1);
    expect(await main(['classify', 'models/kws-reactnet.bee', 'models/clips/kws/yes.wav', '--threshold', 'high'])).toBe(1);
    expect(await main(['frobnicate'])).toBe(1);
    expect(err[0]).toMatch(/could not read model file missing\.bee.*\[MODEL_FORMAT\]/);
    expect(err[1]).toMatch(/README\.md: not a RIFF\/WAVE file \[BAD_AUDIO\]/);
    expect(err[2]).toMatch(/1 of 1 clips failed/);
    expect(err[3]).toMatch(/--threshold must be a number/);
    expect(err[4]).toMatch(/unknown command 'frobnicate'/);
  });

  it('a bad clip is that clip\'s error: the others are still classified, and the exit status says so', async () => {
    const { out, err } = capture();
    const code = await main(['classify', 'models/kws-reactnet.bee', 'models/clips/kws/yes.wav', 'README.md', 'no-such.wav', 'models/clips/kws/stop.wav', '--backend', 'cpu', '--json']);
    expect(code).toBe(1);
    const report = JSON.parse(out.join('\n')) as { results: { clip: string; label?: string; error?: { code: string; message: string } }[] };
    expect(report.results.map((r) => r.clip)).toEqual(['models/clips/kws/yes.wav', 'README.md', 'no-such.wav', 'models/clips/kws/stop.wav']);
    expect(report.results[0].label).toBeTypeOf('string');
    expect(report.results[3].label).toBeTypeOf('string');
    expect(report.results[1].error?.code).toBe('BAD_AUDIO');
    expect(report.results[2].error?.message).toMatch(/no-such\.wav/);
    expect(err.at(-1)).toMatch(/2 of 4 clips failed/);
  });

  it('listen: streams a long recording and prints keyword events with times', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'beenet-listen-'));
    try {
      const clip = decodeWav(readFileSync('models/clips/kws/yes.wav'));
      const long = new Float32Array(16000 * 5);
      long.set(clip.samples, 16000 * 2);
      const file = join(dir, 'long.wav');
      writeFileSync(file, encodeWav16(long, 16000));
      const { out } = capture();
      const code = await main(['listen', 'models/kws-reactnet.bee', file, '--backend', 'cpu', '--hop-ms', '100', '--probability', '0', '--refractory-ms', '2000', '--json']);
      expect(code).toBe(0);
      const r = JSON.parse(out.join('\n')) as { events: { time: number; label: string }[]; audioSeconds: number; windows: number; dropped: number };
      expect(r.audioSeconds).toBe(5);
      expect(r.windows).toBe(41);
      expect(r.dropped).toBe(0);
      // Any keyword window fires at threshold 0 (silence and unknown never do), at most once per 2 s.
      for (const e of r.events) expect(['_silence_', '_unknown_']).not.toContain(e.label);
      r.events.slice(1).forEach((e, i) => expect(e.time - r.events[i].time).toBeGreaterThanOrEqual(2));
      for (const e of r.events) expect(e.time >= 1 && e.time <= 5).toBe(true);
      expect(await main(['listen', 'models/kws-reactnet.bee'])).toBe(1);
      // With the detector's defaults the clip is one event, "yes", about when the word ends.
      const again = capture();
      expect(await main(['listen', 'models/kws-reactnet.bee', file, '--backend', 'cpu', '--json'])).toBe(0);
      const d = JSON.parse(again.out.join('\n')) as { events: { time: number; label: string }[] };
      expect(d.events.map((e) => e.label)).toEqual(['yes']);
      expect(d.events[0].time).toBeGreaterThan(2);
      expect(d.events[0].time).toBeLessThan(4);
      // The decision's flags reach the detector, which checks them.
      expect(await main(['listen', 'models/kws-reactnet.bee', file, '--min-windows', '0'])).toBe(1);
      expect(await main(['listen', 'models/kws-reactnet.bee', file, '--min-windows', 'x'])).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
