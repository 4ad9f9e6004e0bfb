// The demo page end to end: a static build (the same `vite build --mode demo` a host would serve, under its
// CSP), served by `vite preview`, driven by headless Chromium. Labels are checked against the model's CPU
// reference in Node on the same WAV files, not against the clips' true labels.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, freePort } from '../helpers/chromium';
import { expectedExits, prepareFixture, type Fixture } from './fixture';

const ROOT = resolve(import.meta.dirname, '../..');

interface PageResult {
  seq: number;
  label: string;
  exit: number;
  source: string;
  backend: string;
  criterion: 'entropy' | 'maxprob';
  thresholds: number[];
}

async function readResult(page: Page): Promise<PageResult> {
  return page.getByTestId('result').evaluate((el: HTMLElement) => ({
    seq: Number(el.dataset.seq),
    label: el.dataset.label ?? '',
    exit: Number(el.dataset.exit),
    source: el.dataset.source ?? '',
    backend: el.dataset.backend ?? '',
    criterion: el.dataset.criterion === 'maxprob' ? ('maxprob' as const) : ('entropy' as const),
    thresholds: JSON.parse(el.dataset.thresholds ?? '[]') as number[],
  }));
}

/** Clicks an example clip and waits for its result. */
async function classifyClip(page: Page, file: string): Promise<PageResult> {
  const before = (await readResult(page)).seq;
  await page.locator(`[data-testid="clip"][data-file="${file}"]`).click();
  await page.waitForFunction(
    ([f, s]) => {
      const el = document.querySelector<HTMLElement>('[data-testid="result"]');
      return !!el && el.dataset.source === f && Number(el.dataset.seq) > Number(s);
    },
    [file, String(before)] as const,
    { timeout: 30_000 },
  );
  return readResult(page);
}

async function waitReady(page: Page, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const s = document.querySelector<HTMLElement>('[data-testid="model-status"]')?.dataset.state;
      return s === 'ready' || s === 'error';
    },
    undefined,
    { timeout },
  );
  const state = await page.getByTestId('model-status').getAttribute('data-state');
  if (state !== 'ready') throw new Error(`model did not load: ${await page.getByTestId('model-status').textContent()}`);
}

describe('demo page', () => {
  let outDir = '';
  let profile = '';
  let server: PreviewServer | null = null;
  let context: BrowserContext | null = null;
  let page: Page;
  let url = '';
  let fixture: Fixture;
  const problems: string[] = [];

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'beenet-demo-'));
    profile = mkdtempSync(join(tmpdir(), 'beenet-chromium-'));
    const configFile = join(ROOT, 'vite.config.ts');
    await build({ configFile, mode: 'demo', logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    fixture = await prepareFixture(join(ROOT, 'models'), outDir);
    const port = await freePort();
    server = await preview({ configFile, mode: 'demo', logLevel: 'warn', build: { outDir }, preview: { host: 'localhost', port, strictPort: true, open: false } });
    url = `http://localhost:${port}/`;
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1440, height: 1000 },
      args: [
        ...CHROMIUM_ARGS,
        // A fake microphone (a periodic beep) and auto-accepted permission prompts, for the mic path.
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  });

  afterAll(async () => {
    await context?.close();
    await server?.close();
    for (const d of [outDir, profile]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('loads a model; auto picks WebAssembly over the software WebGPU adapter and says why', async () => {
    await page.goto(`${url}?model=${fixture.id}`);
    await waitReady(page);
    expect(await page.getByTestId('runtime-backend').textContent()).toMatch(/WebAssembly/);
    expect(await page.getByTestId('runtime-reason').textContent()).toMatch(/software fallback/);
    expect((await page.getByTestId('runtime-adapter').textContent())?.toLowerCase()).toContain('swiftshader');
    expect(await page.getByTestId('webgpu-notice').isVisible()).toBe(true);
    expect(await page.getByTestId('arch-select').inputValue()).toBe(fixture.id);
  });

  it('classifies every example clip as the CPU reference does, and shows the exit taken', async () => {
    for (const c of fixture.clips) {
      const r = await classifyClip(page, c.file);
      expect(r.backend).toBe('wasm');
      const allowed = expectedExits(c, r.criterion, r.thresholds);
      expect(allowed, `${c.file}: exit`).toContain(r.exit);
      expect(r.label, `${c.file}: label`).toBe(c.exits[r.exit].label);
      // The diagram marks that exit, and the metric names it.
      expect(await page.locator('[data-testid="exit-diagram"] circle.exit').nth(r.exit).getAttribute('class')).toContain('taken');
      expect(await page.getByTestId('result-exit').textContent()).toContain(`E${r.exit + 1}`);
      // The example itself says expected vs got.
      const chip = page.locator(`[data-testid="clip"][data-file="${c.file}"]`);
      expect(await chip.getAttribute('data-got')).toBe(r.label);
      expect(await chip.getAttribute('class')).toContain(r.label === c.label ? 'right' : 'wrong');
    }
    expect(await page.getByTestId('session-count').textContent()).toBe(String(fixture.clips.length));
    expect(await page.locator('[data-testid="histogram"] rect.hist-bar').count()).toBe(fixture.clips[0].exits.length);
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    const shot = join(ROOT, 'test-results', 'demo.png');
    await page.screenshot({ path: shot, fullPage: true });
    // docs/demo.png is the README's picture: refresh it on purpose only, with a real model loaded.
    if (process.env.UPDATE_DEMO_SCREENSHOT === '1' && !fixture.placeholder) copyFileSync(shot, join(ROOT, 'docs', 'demo.png'));
  });

  it('threshold 0 sends every clip to the last exit, without reloading', async () => {
    await page.getByTestId('tmode-single').check();
    await page.getByTestId('threshold').fill('0');
    const last = fixture.clips[0].exits.length - 1;
    for (const c of fixture.clips) {
      const r = await classifyClip(page, c.file);
      expect(r.thresholds.slice(0, -1).every((t) => t === 0)).toBe(true);
      expect(r.exit, c.file).toBe(last);
      expect(r.label, c.file).toBe(c.exits[last].label);
    }
    expect(await page.getByTestId('model-status').getAttribute('data-state')).toBe('ready');
    // The chart, when the model ships an evaluation, marks the slider's threshold on its curve.
    if ((await page.locator('[data-testid="tradeoff"] svg').count()) > 0) {
      expect(await page.getByTestId('tradeoff-current').count()).toBe(1);
    }
  });

  it('a threshold between the clips\' exit-1 entropies splits them as the CPU reference does', async () => {
    const h = fixture.clips.map((c) => c.exits[0].entropy).sort((a, b) => a - b);
    const t = Math.min(1, Math.max(0, Math.round(h[h.length >> 1] * 100) / 100));
    await page.getByTestId('threshold').fill(String(t));
    for (const c of fixture.clips) {
      const r = await classifyClip(page, c.file);
      expect(r.thresholds[0]).toBeCloseTo(t, 6);
      expect(expectedExits(c, r.criterion, r.thresholds), c.file).toContain(r.exit);
      expect(r.label, c.file).toBe(c.exits[r.exit].label);
    }
  });

  it('listens to the microphone through the AudioWorklet', async () => {
    await page.getByTestId('mic-button').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="log-item"][data-key^="mic:"]') !== null, undefined, { timeout: 15_000 });
    // The streaming detector's own account: windows, exits, gate, drops.
    expect(await page.getByTestId('mic-status').textContent()).toMatch(/^Listening: \d+ windows in \d+ s, exits [\d/]+, \d+ below the .* \d+ dropped/);
    await page.getByTestId('mic-button').click();
  });

  it('with WebGPU forced, finds the SwiftShader adapter, shows it and classifies on it', async () => {
    await page.getByTestId('backend-select').selectOption('webgpu');
    await waitReady(page, 120_000);
    expect(await page.getByTestId('runtime-backend').textContent()).toBe('WebGPU');
    expect((await page.getByTestId('runtime-adapter').textContent())?.toLowerCase()).toContain('swiftshader');
    expect(await page.getByTestId('runtime-fallback').textContent()).toMatch(/^yes/);
    const c = fixture.clips[0];
    const r = await classifyClip(page, c.file);
    expect(r.backend).toBe('webgpu');
    expect(r.label).toBe(c.exits[r.exit].label);
    // The exit decided on the device agrees too.
    await page.getByTestId('mode-select').selectOption('gpu');
    for (const clip of fixture.clips.slice(0, 3)) {
      const g = await classifyClip(page, clip.file);
      expect(expectedExits(clip, g.criterion, g.thresholds), clip.file).toContain(g.exit);
      expect(g.label, clip.file).toBe(clip.exits[g.exit].label);
    }
  });

  it('logs no console errors and no page errors', () => {
    expect(problems).toEqual([]);
  });
});
