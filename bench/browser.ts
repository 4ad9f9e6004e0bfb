// Node side of the browser run: stage the models, inputs and peer weights in a temporary folder, serve
// bench/page with Vite (inline config; that folder as publicDir), drive headless Chromium with playwright-core
// and collect the page's result.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { CHROMIUM, CHROMIUM_ARGS, freePort } from '../test/helpers/chromium';
import { ROOT } from './env';
import { loadInputs, peerValues, type BenchModel } from './inputs';
import type { PageManifest, PageModel, PageResult } from './page/protocol';
import type { SuiteOptions } from './suite';

const CHROMIUM_FLAGS = [...CHROMIUM_ARGS, '--disable-renderer-backgrounding', '--disable-background-timer-throttling'];

export interface BrowserRun {
  ok: boolean;
  error?: string;
  /** Chromium's version string (browser.version()). */
  chromium: string;
  flags: string[];
  page: PageResult | null;
  /** Seconds from launch to the page's result. */
  seconds: number;
}


function stage(dir: string, models: readonly BenchModel[], o: SuiteOptions): PageManifest {
  const require = createRequire(import.meta.url);
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  mkdirSync(join(dir, 'tfjs'), { recursive: true });
  for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
    if (existsSync(join(wasmDir, f))) copyFileSync(join(wasmDir, f), join(dir, 'tfjs', f));
  }
  const pageModels: PageModel[] = models.map((m) => {
    const inputs = loadInputs(m, o.quick ? 8 : 64);
    const size = inputs.features[0].length;
    const all = new Float32Array(inputs.features.length * size);
    inputs.features.forEach((f, i) => all.set(f, i * size));
    writeFileSync(join(dir, `${m.id}.bee`), m.bytes);
    writeFileSync(join(dir, `${m.id}.inputs.bin`), new Uint8Array(all.buffer));
    const values = peerValues(m);
    let peerNames: [string, number][] = [];
    if (values) {
      peerNames = [...values].map(([k, v]) => [k, v.length]);
      const flat = new Float32Array(peerNames.reduce((a, [, n]) => a + n, 0));
      let at = 0;
      for (const [, v] of values) {
        flat.set(v, at);
        at += v.length;
      }
      writeFileSync(join(dir, `${m.id}.peer.bin`), new Uint8Array(flat.buffer));
    }
    return {
      id: m.id,
      bee: `${m.id}.bee`,
      inputs: `${m.id}.inputs.bin`,
      clips: inputs.features.length,
      inputSize: size,
      inputsSource: inputs.source,
      peer: m.peer,
      peerValues: values ? `${m.id}.peer.bin` : null,
      peerNames,
    };
  });
  const manifest: PageManifest = { options: o, models: pageModels, tfjsWasm: '/tfjs/' };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return manifest;
}

export async function runBrowser(models: readonly BenchModel[], o: SuiteOptions, log: (s: string) => void): Promise<BrowserRun> {
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'beenet-bench-'));
  let server: ViteDevServer | null = null;
  let browser: Browser | null = null;
  let version = 'unknown';
  try {
    stage(dir, models, o);
    const port = await freePort();
    server = await createServer({
      configFile: false,
      root: join(ROOT, 'bench', 'page'),
      publicDir: dir,
      cacheDir: join(ROOT, 'node_modules', '.vite-bench'),
      logLevel: 'warn',
      clearScreen: false,
      server: {
        host: 'localhost',
        port,
        strictPort: true,
        hmr: false,
        fs: { allow: [ROOT, dir] },
        // Cross-origin isolation: performance.now() at 5 us instead of 100 us (WASM calls take ~0.3 ms).
        headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
      },
      optimizeDeps: {
        entries: [join(ROOT, 'bench', 'page', 'index.html')],
        include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-wasm'],
      },
    });
    await server.listen();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    version = browser.version();
    log(`browser: Chromium ${version}, page http://localhost:${port}/`);
    const page = await browser.newPage();
    page.on('console', (msg) => {
      const text = msg.text();
      if (text.startsWith('[page] ')) log(`  ${text.slice(7)}`);
      else if (msg.type() === 'error' || msg.type() === 'warning') log(`  (page ${msg.type()}) ${text.slice(0, 300)}`);
    });
    page.on('pageerror', (e) => log(`  (page exception) ${e.message}`));
    await page.goto(`http://localhost:${port}/`);
    const limit = (o.quick ? 5 : 40) * 60_000;
    await page.waitForFunction(() => window.__benchResult !== undefined || window.__benchError !== undefined, undefined, { timeout: limit, polling: 500 });
    const error = await page.evaluate(() => window.__benchError ?? null);
    if (error) throw new Error(`the page failed: ${error}`);
    const result = await page.evaluate(() => window.__benchResult ?? null);
    return { ok: true, chromium: version, flags: CHROMIUM_FLAGS, page: result, seconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    log(`browser run FAILED: ${msg}`);
    return { ok: false, error: msg, chromium: version, flags: CHROMIUM_FLAGS, page: null, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await browser?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
