// Smoke check of the Chromium half of the ONNX Runtime Web peer (bench/onnx-browser.ts): the page loads
// onnxruntime-web from node_modules and beenet's WASM backend, and ORT's float32 and int8 exports give beenet's
// last-exit class on two bundled clips. Agreement only: nothing is timed here.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CHROMIUM } from '../helpers/chromium';

const ROOT = resolve(import.meta.dirname, '../..');
const MODEL = 'kws-reactnet';
const dir = mkdtempSync(join(tmpdir(), 'beenet-onnx-browser-test-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Agreement {
  model: string;
  clips: number;
  threads: number;
  float32: { sameClass: number };
  int8: { sameClass: number };
}

describe.skipIf(!existsSync(CHROMIUM) || !existsSync(join(ROOT, 'models', `${MODEL}.bee`)))('ORT Web in Chromium (bench:onnx:browser)', () => {
  it('gives beenet\'s class on two clips', async () => {
    await promisify(execFile)(process.execPath, [
      '--import', 'tsx', '--import', './scripts/wgsl-loader.mjs', 'bench/onnx-browser.ts',
      '--agreement-only', '--bundled-clips', '--model', MODEL, '--threads', '1', '--clips', '2', '--out-dir', dir,
    ], { cwd: ROOT, timeout: 60_000 });
    const file = readdirSync(dir).find((f) => f.startsWith('onnx-chromium-') && f.endsWith('.json'));
    expect(file).toBeDefined();
    const r = JSON.parse(readFileSync(join(dir, file!), 'utf8')) as { rows: unknown[]; agreement: Agreement[]; pages: { ortThreads: number }[]; browser: { chromium: string } };
    expect(r.rows).toEqual([]);
    expect(r.browser.chromium).not.toBe('');
    expect(r.pages.map((p) => p.ortThreads)).toEqual([1]);
    expect(r.agreement).toHaveLength(1);
    const a = r.agreement[0];
    expect(a).toMatchObject({ model: MODEL, clips: 2, threads: 1 });
    expect(a.float32.sameClass).toBe(2);
    expect(a.int8.sameClass).toBe(2);
  }, 90_000);
});
