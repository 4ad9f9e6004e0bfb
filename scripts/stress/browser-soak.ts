// Soak in one page: headless Chromium (playwright-core) runs scripts/stress/page for a backend and returns its
// counts. Used by scripts/stress/run.ts.
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createServer } from 'vite';
import { CHROMIUM, CHROMIUM_ARGS } from '../../test/helpers/chromium';
import type { SoakResult } from './page/main';

const ROOT = join(import.meta.dirname, '..', '..');

export async function browserSoak(backend: 'webgpu' | 'wasm', count: number): Promise<SoakResult> {
  const server = await createServer({
    configFile: false,
    root: join(ROOT, 'scripts', 'stress', 'page'),
    logLevel: 'warn',
    server: { host: 'localhost', port: 0, hmr: false, fs: { allow: [ROOT] } },
  });
  await server.listen();
  const address = server.httpServer?.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, '--enable-precise-memory-info', '--js-flags=--expose-gc'],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://localhost:${port}/?backend=${backend}&count=${count}`);
    await page.waitForFunction(() => window.__soakResult !== undefined || window.__soakError !== undefined, undefined, { timeout: 30 * 60_000, polling: 1000 });
    const error = await page.evaluate(() => window.__soakError ?? null);
    if (error || errors.length > 0) throw new Error(`page soak failed: ${error ?? errors.join('; ')}`);
    return (await page.evaluate(() => window.__soakResult))!;
  } finally {
    await browser.close();
    await server.close();
  }
}
