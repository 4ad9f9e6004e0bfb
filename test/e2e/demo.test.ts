// The demo page end to end: a static build (the same `vite build --mode demo` a host would serve, under its
// CSP), served by `vite preview`, driven by headless Chromium: a desktop window, a 390x844 phone, and a
// browser without WebGPU. Labels and exits are checked against the model's CPU reference in Node on the same
// WAV files (fixture.ts), not against the clips' true labels.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, freePort } from '../helpers/chromium';
import { expectedExits, joinClips, prepareFixture, type ClipCase, type Fixture } from './fixture';
import { classifyClip, readResult, setThreshold, waitReady, waitResult } from './page';

const ROOT = resolve(import.meta.dirname, '../..');
const UPDATE_SHOTS = process.env.UPDATE_DEMO_SCREENSHOT === '1';

let outDir = '';
let server: PreviewServer | null = null;
let url = '';
let fixture: Fixture;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'beenet-demo-'));
  const configFile = join(ROOT, 'vite.config.ts');
  await build({ configFile, mode: 'demo', logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  fixture = await prepareFixture(join(ROOT, 'models'), outDir);
  const port = await freePort();
  server = await preview({ configFile, mode: 'demo', logLevel: 'warn', build: { outDir }, preview: { host: 'localhost', port, strictPort: true, open: false } });
  url = `http://localhost:${port}/`;
});

afterAll(async () => {
  await server?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

function watchProblems(page: Page, problems: string[]): void {
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
}

function clipByFile(file: string): ClipCase {
  const c = fixture.clips.find((x) => x.file === file);
  if (!c) throw new Error(`no clip ${file}`);
  return c;
}


async function shot(page: Page, name: string, testid: string | null = null): Promise<void> {
  mkdirSync(join(ROOT, 'test-results'), { recursive: true });
  const path = join(ROOT, 'test-results', `${name}.png`);
  if (testid) await page.getByTestId(testid).screenshot({ path });
  else await page.screenshot({ path });
  // docs/ pictures are refreshed on purpose only, with a real model loaded.
  if (UPDATE_SHOTS && !fixture.placeholder) {
    mkdirSync(join(ROOT, 'docs', 'images'), { recursive: true });
    copyFileSync(path, join(ROOT, 'docs', 'images', `${name}.png`));
  }
}

/** Every chip's exit is one the reference allows at these thresholds, and its label is that exit's label. */
async function checkChips(page: Page, criterion: 'entropy' | 'maxprob', thresholds: number[]): Promise<number[]> {
  const exits: number[] = [];
  for (const c of fixture.clips) {
    const chip = page.locator(`[data-testid="clip"][data-file="${c.file}"]`);
    const exit = Number(await chip.getAttribute('data-exit'));
    expect(expectedExits(c, criterion, thresholds), `${c.file}: exit`).toContain(exit);
    expect(await chip.getAttribute('data-got'), `${c.file}: label`).toBe(c.exits[exit].label);
    expect(await chip.getAttribute('class')).toContain(c.exits[exit].label === c.label ? 'right' : 'wrong');
    exits.push(exit);
  }
  return exits;
}

interface Summary {
  seq: number;
  thresholds: number[];
  criterion: 'entropy' | 'maxprob';
  accuracy: number;
  meanExit: number;
  ops: number;
  count: number;
}

async function readSummary(page: Page): Promise<Summary> {
  return page.getByTestId('run-all-summary').evaluate((el: HTMLElement) => ({
    seq: Number(el.dataset.seq ?? '0'),
    thresholds: JSON.parse(el.dataset.thresholds ?? '[]') as number[],
    criterion: el.dataset.criterion === 'maxprob' ? ('maxprob' as const) : ('entropy' as const),
    accuracy: Number(el.dataset.accuracy),
    meanExit: Number(el.dataset.meanExit),
    ops: Number(el.dataset.ops),
    count: Number(el.dataset.count),
  }));
}

/** The summary agrees with the chips, and the chips with the CPU reference. */
async function checkSummary(page: Page, s: Summary, allExits = false): Promise<void> {
  expect(s.count).toBe(fixture.clips.length);
  const exits = await checkChips(page, s.criterion, s.thresholds);
  const n = exits.length;
  const right = exits.filter((e, i) => fixture.clips[i].exits[e].label === fixture.clips[i].label).length;
  expect(s.accuracy).toBeCloseTo(right / n, 9);
  expect(s.meanExit).toBeCloseTo(exits.reduce((a, e) => a + e + 1, 0) / n, 9);
  const ops = allExits ? 1 : exits.reduce((a, e) => a + fixture.exitOps[e], 0) / n;
  expect(s.ops).toBeCloseTo(ops, 9);
  expect(await page.getByTestId('run-all-accuracy').textContent()).toContain(`${right}/${n}`);
  expect(await page.getByTestId('run-all-saved').textContent()).toBe(`${((1 - ops) * 100).toFixed(0)}%`);
}

/** Where a sweep point is on screen (the chart is redrawn as results arrive: ask again until it holds still). */
async function pointBox(page: Page, t: number): Promise<{ x: number; y: number }> {
  const dot = page.locator(`[data-testid="tradeoff"] circle.pt[data-threshold="${t}"]`);
  for (let i = 0; i < 20; i++) {
    const box = await dot.boundingBox().catch(() => null);
    if (box) return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    await page.waitForTimeout(100);
  }
  throw new Error(`no sweep point at t=${t}`);
}

/** Clicks the chart at the sweep point with threshold t; returns the slider's value afterwards. */
async function clickCurve(page: Page, t: number): Promise<number> {
  const p = await pointBox(page, t);
  await page.mouse.click(p.x, p.y);
  await page
    .waitForFunction((v) => Math.abs(Number(document.querySelector<HTMLInputElement>('[data-testid="threshold"]')?.value) - v) < 0.021, t, { timeout: 5000 })
    .catch(async () => {
      const svg = await page.locator('[data-testid="tradeoff"] svg').boundingBox();
      throw new Error(`clicked t=${t} at ${JSON.stringify(p)} (chart ${JSON.stringify(svg)}); the slider says ${await page.getByTestId('threshold').inputValue({ timeout: 1000 }).catch(() => 'nothing (per exit)')}`);
    });
  return Number(await page.getByTestId('threshold').inputValue());
}

describe('demo page (desktop, WebGPU via SwiftShader)', () => {
  let profile = '';
  let context: BrowserContext | null = null;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), 'beenet-chromium-'));
    // The microphone hears a looped recording: a keyword, then a second of silence.
    const micWav = join(outDir, 'mic-loop.wav');
    writeFileSync(micWav, joinClips(fixture, [fixture.clips[0].file, fixture.clips[0].file], 1).wav);
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1440, height: 1000 },
      args: [
        ...CHROMIUM_ARGS,
        // A fake microphone playing that file, and auto-accepted permission prompts, for the mic path.
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${micWav}`,
        '--use-fake-ui-for-media-stream',
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    watchProblems(page, problems);
  });

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('loads a model; auto picks WebAssembly over the software WebGPU adapter and says why', async () => {
    await page.goto(`${url}?model=${fixture.id}`);
    await waitReady(page);
    expect(await page.getByTestId('runtime-backend').textContent()).toMatch(/WebAssembly/);
    expect(await page.getByTestId('runtime-reason').textContent()).toMatch(/software fallback/);
    expect((await page.getByTestId('runtime-adapter').textContent())?.toLowerCase()).toContain('swiftshader');
    expect(await page.getByTestId('webgpu-notice').isVisible()).toBe(true);
    expect(await page.getByTestId('arch-select').inputValue()).toBe(fixture.id);
    // WebGPU stays on offer (the adapter exists, it is only slow).
    expect(await page.locator('[data-testid="backend-select"] option[value="webgpu"]').isDisabled()).toBe(false);
  });

  it('on load: one slider at the calibrated point, the examples already run and the first one shown', async () => {
    expect(await page.getByTestId('threshold').count()).toBe(1);
    expect(await page.locator('[data-testid^="threshold-"][type="range"]').count()).toBe(0);
    const r = await readResult(page);
    expect(r.source).toBe(fixture.clips[0].file);
    expect(expectedExits(fixture.clips[0], r.criterion, r.thresholds)).toContain(r.exit);
    expect(r.label).toBe(fixture.clips[0].exits[r.exit].label);
    const s = await readSummary(page);
    expect(s.thresholds).toEqual(r.thresholds);
    await checkSummary(page, s);
    // The slider sits on a point of the curve, and a calibrated one when the report has one.
    if ((await page.getByTestId('tradeoff-calibrated').count()) > 0) {
      expect(await page.getByTestId('preset-calibrated').getAttribute('class')).toContain('active');
      expect(Number(await page.getByTestId('threshold').inputValue())).toBeCloseTo(r.thresholds[0], 6);
    }
    // Wording that reads right for entropy: raising the threshold exits earlier.
    expect(await page.getByTestId('slider-hint').textContent()).toMatch(/Raise it and more clips leave early/);
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
      expect(r.blocks).toBeLessThanOrEqual(fixture.blocks);
      expect(r.ops).toBeCloseTo(fixture.exitOps[r.exit], 9);
      // The example itself says expected vs got.
      const chip = page.locator(`[data-testid="clip"][data-file="${c.file}"]`);
      expect(await chip.getAttribute('data-got')).toBe(r.label);
      expect(await chip.getAttribute('class')).toContain(r.label === c.label ? 'right' : 'wrong');
    }
    expect(await page.getByTestId('session-count').textContent()).toBe(String(fixture.clips.length));
    expect(await page.locator('[data-testid="histogram"] rect.hist-bar').count()).toBe(fixture.clips[0].exits.length);
    // The diagram and chart have accessible names.
    expect(await page.locator('[data-testid="exit-diagram"] svg').getAttribute('role')).toBe('img');
    expect(await page.locator('[data-testid="exit-diagram"] svg').getAttribute('aria-label')).toMatch(/E\d/);
    if ((await page.locator('[data-testid="tradeoff"] svg').count()) > 0) {
      expect(await page.locator('[data-testid="tradeoff"] svg').getAttribute('aria-label')).toMatch(/Accuracy against binary operations/);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await classifyClip(page, fixture.clips[1 % fixture.clips.length].file);
    await shot(page, 'demo-desktop');
    if (UPDATE_SHOTS && !fixture.placeholder) copyFileSync(join(ROOT, 'test-results', 'demo-desktop.png'), join(ROOT, 'docs', 'demo.png'));
    await page.setViewportSize({ width: 1440, height: 1000 });
  });

  it('announces each result in an aria-live region', async () => {
    const live = page.getByTestId('announcer');
    expect(await live.getAttribute('aria-live')).toBe('polite');
    const c = fixture.clips[fixture.clips.length - 1];
    const r = await classifyClip(page, c.file);
    const text = await live.textContent();
    expect(text).toContain(c.file);
    expect(text).toContain(`exit ${r.exit + 1}`);
  });

  it('run all examples reports accuracy, mean exit and ops saved for the current settings', async () => {
    const h = fixture.clips.map((c) => c.exits[0].entropy).sort((a, b) => a - b);
    const t = Math.min(1, Math.max(0, Math.round(h[h.length >> 1] * 100) / 100));
    await setThreshold(page, t);
    const before = (await readSummary(page)).seq;
    await page.getByTestId('run-all').click();
    await page.waitForFunction(
      ([b, v]) => {
        const el = document.querySelector<HTMLElement>('[data-testid="run-all-summary"]');
        return !!el && Number(el.dataset.seq) > Number(b) && (JSON.parse(el.dataset.thresholds ?? '[]') as number[])[0] === Number(v);
      },
      [String(before), String(t)] as const,
      { timeout: 30_000 },
    );
    const s = await readSummary(page);
    expect(s.thresholds[0]).toBeCloseTo(t, 6);
    await checkSummary(page, s);
  });

  it('threshold 0 sends every clip to the last exit, without reloading', async () => {
    await setThreshold(page, 0);
    const last = fixture.clips[0].exits.length - 1;
    for (const c of fixture.clips) {
      const r = await classifyClip(page, c.file);
      expect(r.thresholds.slice(0, -1).every((x) => x === 0)).toBe(true);
      expect(r.exit, c.file).toBe(last);
      expect(r.label, c.file).toBe(c.exits[last].label);
    }
    expect(await page.getByTestId('model-status').getAttribute('data-state')).toBe('ready');
    // The chart, when the model ships an evaluation, marks the slider's threshold on its curve.
    if ((await page.locator('[data-testid="tradeoff"] svg').count()) > 0) {
      expect(await page.getByTestId('tradeoff-current').count()).toBe(1);
    }
  });

  it("a threshold between the clips' exit-1 entropies splits them as the CPU reference does", async () => {
    const h = fixture.clips.map((c) => c.exits[0].entropy).sort((a, b) => a - b);
    const t = Math.min(1, Math.max(0, Math.round(h[h.length >> 1] * 100) / 100));
    await setThreshold(page, t);
    for (const c of fixture.clips) {
      const r = await classifyClip(page, c.file);
      expect(r.thresholds[0]).toBeCloseTo(t, 6);
      expect(expectedExits(c, r.criterion, r.thresholds), c.file).toContain(r.exit);
      expect(r.label, c.file).toBe(c.exits[r.exit].label);
    }
  });

  it('a click or drag on the chart sets the threshold, and the result follows as the CPU reference says', async () => {
    if ((await page.locator('[data-testid="tradeoff"] svg').count()) === 0) return;
    const c = fixture.clips[0];
    await classifyClip(page, c.file);
    const ts = (await page.locator('[data-testid="tradeoff"] circle.pt').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-threshold'))))).sort((a, b) => a - b);
    // The sweep's points no preset diamond sits on (a click there would pick the preset instead): the lowest and
    // highest of them, and one in the middle.
    const free: number[] = [];
    for (const t of ts) {
      const p = await pointBox(page, t);
      if (await page.evaluate(([x, y]) => document.elementFromPoint(x, y)?.classList.contains('pt') ?? false, [p.x, p.y] as const)) free.push(t);
    }
    expect(free.length).toBeGreaterThanOrEqual(3);
    const lowest = free[0];
    const highest = free[free.length - 1];
    const mid = free[free.length >> 1];
    const seen = new Set<number>();
    for (const t of [highest, lowest, mid]) {
      const before = (await readResult(page)).seq;
      const v = await clickCurve(page, t);
      expect(v).toBeCloseTo(t, 1);
      expect(await page.getByTestId('threshold-value').textContent()).toBe(v.toFixed(2));
      const r = await waitResult(page, before, c.file);
      expect(r.thresholds[0]).toBeCloseTo(v, 6);
      expect(expectedExits(c, r.criterion, r.thresholds), `t=${v}`).toContain(r.exit);
      expect(r.label).toBe(c.exits[r.exit].label);
      expect(await page.getByTestId('tradeoff-threshold').textContent()).toContain(`t = ${v.toFixed(2)}`);
      seen.add(r.exit);
    }
    // The highest and lowest thresholds send this clip to different exits.
    if (fixture.clips[0].exits.length > 1) expect(seen.size).toBeGreaterThan(1);
    // A drag ends where it is let go.
    const from = await pointBox(page, lowest);
    const to = await pointBox(page, mid);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(to.x, to.y, { steps: 5 });
    await page.mouse.up();
    expect(Number(await page.getByTestId('threshold').inputValue())).toBeCloseTo(mid, 1);
  });

  it('"all exits" says what ran: every block, 100 % of the ops, and where the threshold would have exited', async () => {
    await page.getByTestId('mode-select').selectOption('all-exits');
    for (const c of fixture.clips.slice(0, 3)) {
      const r = await classifyClip(page, c.file);
      expect(r.mode).toBe('all-exits');
      expect(expectedExits(c, r.criterion, r.thresholds)).toContain(r.exit);
      expect(r.label).toBe(c.exits[r.exit].label);
      expect(r.blocks).toBe(fixture.blocks);
      expect(r.ops).toBe(1);
      const text = (await page.getByTestId('result-confidence').textContent()) ?? '';
      expect(text).toContain(`ran ${fixture.blocks} of ${fixture.blocks} blocks, 100% of the binary ops`);
      expect(text).toContain(`would have exited at E${r.exit + 1} (${(fixture.exitOps[r.exit] * 100).toFixed(0)}%)`);
      expect(await page.getByTestId('result-ops').textContent()).toBe('100%');
      // Diagram and gates agree: no exit after the threshold's says "go on".
      for (let k = 0; k < c.exits.length; k++) {
        const word = await page.getByTestId(`exit-word-${k}`).textContent();
        expect(word).toBe(k < r.exit ? 'go on' : k === r.exit ? 'would exit' : 'ran');
        const gate = await page.getByTestId(`gate-${k}`).textContent();
        if (k > r.exit) expect(gate).toContain(`ran after E${r.exit + 1}`);
        if (k === r.exit) expect(gate).toContain('would exit');
      }
      expect(await page.locator('[data-testid="exit-diagram"] rect.block.lit').count()).toBe(fixture.blocks);
    }
    await page.getByTestId('run-all').click();
    await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid="run-all-summary"]')?.dataset.ops === '1', undefined, { timeout: 30_000 });
    await checkSummary(page, await readSummary(page), true);
    await page.getByTestId('mode-select').selectOption('readback');
  });

  it('classifies a 3 s file in windows and lists them; the windows on the clips match the reference', async () => {
    const [a, b] = [fixture.clips[0], fixture.clips[1 % fixture.clips.length]];
    const rec = joinClips(fixture, [a.file, b.file], 1);
    const before = (await readResult(page)).seq;
    await page.getByTestId('file-input').setInputFiles({ name: 'two-words.wav', mimeType: 'audio/wav', buffer: Buffer.from(rec.wav) });
    const r = await waitResult(page, before);
    expect(r.source).toMatch(/^two-words\.wav @ /);
    const items = page.getByTestId('window-item');
    const n = await items.count();
    expect(n).toBe(5);
    expect(await page.getByTestId('windows').getAttribute('data-count')).toBe('5');
    expect(await page.getByTestId('windows-note').textContent()).toMatch(/3\.0 s file: classified in 5 windows of 1 s every 0\.5 s/);
    for (const [i, c, start] of [[0, a, rec.starts[0]], [n - 1, b, rec.starts[1]]] as const) {
      const item = items.nth(i);
      expect(Number(await item.getAttribute('data-start'))).toBeCloseTo(start, 6);
      const exit = Number(await item.getAttribute('data-exit'));
      expect(expectedExits(c, r.criterion, r.thresholds), `window at ${start} s`).toContain(exit);
      expect(await item.getAttribute('data-label')).toBe(c.exits[exit].label);
    }
    // The result is the window marked best.
    const best = Number(await page.getByTestId('windows').getAttribute('data-best'));
    expect(await items.nth(best).getAttribute('data-label')).toBe(r.label);
  });

  it('a file that cannot be read clears the previous result and says why', async () => {
    await classifyClip(page, fixture.clips[0].file);
    expect(await page.getByTestId('result-label').textContent()).not.toBe('—');
    await page.getByTestId('file-input').setInputFiles({ name: 'broken.wav', mimeType: 'audio/wav', buffer: Buffer.from('this is not audio at all') });
    await page.waitForFunction(() => !document.querySelector<HTMLElement>('[data-testid="input-error"]')?.hidden, undefined, { timeout: 15_000 });
    expect(await page.getByTestId('input-error').textContent()).toContain('broken.wav');
    expect(await page.getByTestId('result-label').textContent()).toBe('—');
    expect((await readResult(page)).label).toBe('');
    expect(await page.getByTestId('windows').isVisible()).toBe(false);
  });

  it('in max-probability mode the wording flips and the chart never shows the entropy sweep', async () => {
    await page.getByTestId('criterion-select').selectOption('maxprob');
    expect(await page.getByTestId('slider-hint').textContent()).toMatch(/Lower it and more clips leave early/);
    const unavailable = await page.getByTestId('tradeoff-unavailable').count();
    if (unavailable) expect(await page.getByTestId('tradeoff-unavailable').textContent()).toMatch(/max-probability/);
    const r = await classifyClip(page, fixture.clips[0].file);
    expect(r.criterion).toBe('maxprob');
    expect(expectedExits(fixture.clips[0], 'maxprob', r.thresholds)).toContain(r.exit);
    await page.getByTestId('criterion-select').selectOption('entropy');
    expect(await page.getByTestId('threshold').count()).toBe(1);
  });

  it('listens to the microphone: spectrogram, a timeline of windows with their exits, and the ops saved so far', async () => {
    await page.getByTestId('mic-button').click();
    await page
      .waitForFunction(() => document.querySelector('[data-testid="log-item"][data-key^="mic:"]') !== null, undefined, { timeout: 30_000 })
      .catch(async (e: unknown) => {
        // Say what the page saw, so a failure on another machine can be read from the log alone.
        const status = await page.getByTestId('mic-status').textContent();
        const error = await page.getByTestId('input-error').textContent();
        throw new Error(`no classified mic window: status "${status}", input error "${error}", page problems ${JSON.stringify(problems)}: ${String(e)}`);
      });
    // The streaming detector's own account: windows, exits, gate, drops.
    expect(await page.getByTestId('mic-status').textContent()).toMatch(/^Listening: \d+ windows in \d+ s, exits [\d/]+, \d+ below the .* \d+ dropped/);
    expect(await page.getByTestId('listen').isVisible()).toBe(true);
    const cols1 = Number(await page.getByTestId('spectrogram').getAttribute('data-columns'));
    const wins1 = Number(await page.getByTestId('timeline').getAttribute('data-windows'));
    await page.waitForFunction(
      ([c, w]) =>
        Number(document.querySelector('[data-testid="spectrogram"]')?.getAttribute('data-columns')) > Number(c) &&
        Number(document.querySelector('[data-testid="timeline"]')?.getAttribute('data-windows')) > Number(w) + 3,
      [String(cols1), String(wins1)] as const,
      { timeout: 20_000 },
    );
    await shot(page, 'demo-listening', 'listen');
    await page.getByTestId('mic-button').click();
    // Every window is on the timeline (while fewer than it holds), and the saving is their mean.
    const wins = await page.getByTestId('timeline-window').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.exit ?? null));
    const saved = page.getByTestId('listen-saved');
    const total = Number(await saved.getAttribute('data-windows'));
    expect(total).toBeGreaterThan(0);
    const ran = wins.filter((x): x is string => x !== null).map(Number);
    if (total === wins.length && ran.length > 0) {
      expect(Number(await saved.getAttribute('data-ran'))).toBe(ran.length);
      expect(Number(await saved.getAttribute('data-ops'))).toBeCloseTo(ran.reduce((a, e) => a + fixture.exitOps[e], 0) / ran.length, 9);
      expect(await saved.textContent()).toMatch(/saved by exiting early/);
    }
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

describe('demo page on a 390x844 phone', () => {
  let browser: Browser | null = null;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS] });
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 });
    page = await ctx.newPage();
    watchProblems(page, problems);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('tapping a clip brings its result into view, matching the reference', async () => {
    await page.goto(`${url}?model=${fixture.id}`);
    await waitReady(page);
    for (const c of [fixture.clips[fixture.clips.length - 1], fixture.clips[0]]) {
      await page.locator(`[data-testid="clip"][data-file="${c.file}"]`).scrollIntoViewIfNeeded();
      const r = await classifyClip(page, c.file, true);
      expect(expectedExits(c, r.criterion, r.thresholds)).toContain(r.exit);
      expect(r.label).toBe(c.exits[r.exit].label);
      await expect
        .poll(async () => {
          const b = await page.getByTestId('result-label').boundingBox();
          return !!b && b.y >= 0 && b.y + b.height <= 844;
        }, { timeout: 5000 })
        .toBe(true);
      expect(await page.getByTestId('announcer').textContent()).toContain(c.file);
    }
    // Let the smooth scroll settle before the picture.
    await page.waitForTimeout(1000);
    await shot(page, 'demo-phone');
  });

  it('run all and a tap on the chart work on the phone', async () => {
    await page.getByTestId('run-all').scrollIntoViewIfNeeded();
    const before = (await readSummary(page)).seq;
    await page.getByTestId('run-all').tap();
    await page.waitForFunction((b) => Number(document.querySelector<HTMLElement>('[data-testid="run-all-summary"]')?.dataset.seq) > Number(b), String(before), { timeout: 30_000 });
    await checkSummary(page, await readSummary(page));
    if ((await page.locator('[data-testid="tradeoff"] svg').count()) === 0) return;
    const c = clipByFile(fixture.clips[0].file);
    await classifyClip(page, c.file, true);
    const dot = page.locator('[data-testid="tradeoff"] circle.pt').first();
    await dot.scrollIntoViewIfNeeded();
    const t = Number(await dot.getAttribute('data-threshold'));
    const p = await pointBox(page, t);
    const before2 = (await readResult(page)).seq;
    await page.touchscreen.tap(p.x, p.y);
    const r = await waitResult(page, before2, c.file);
    expect(r.thresholds[0]).toBeCloseTo(t, 1);
    expect(Number(await page.getByTestId('threshold').inputValue())).toBeCloseTo(r.thresholds[0], 6);
    expect(expectedExits(c, r.criterion, r.thresholds)).toContain(r.exit);
  });

  it('logs no console errors and no page errors', () => {
    expect(problems).toEqual([]);
  });
});

describe('demo page without WebGPU (no adapter)', () => {
  let browser: Browser | null = null;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    // Without --enable-unsafe-webgpu, headless Linux Chromium has navigator.gpu but requestAdapter() gives null.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS.filter((a) => a !== '--enable-unsafe-webgpu') });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    watchProblems(page, problems);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('offers WebGPU disabled with the reason, runs on WASM and says so in a banner', async () => {
    await page.goto(`${url}?model=${fixture.id}`);
    await waitReady(page);
    expect(await page.evaluate(async () => !!navigator.gpu && (await navigator.gpu.requestAdapter()) === null)).toBe(true);
    const option = page.locator('[data-testid="backend-select"] option[value="webgpu"]');
    expect(await option.isDisabled()).toBe(true);
    expect(await option.textContent()).toMatch(/no GPU adapter/);
    expect(await page.getByTestId('backend-hint').textContent()).toMatch(/no GPU adapter/);
    expect(await page.getByTestId('runtime-backend').textContent()).toMatch(/WebAssembly/);
    const banner = page.getByTestId('webgpu-notice');
    expect(await banner.isVisible()).toBe(true);
    expect(await banner.textContent()).toMatch(/No WebGPU/);
    expect(await banner.textContent()).not.toMatch(/VK_ICD_FILENAMES/);
  });

  it('?backend=webgpu falls back to WASM with a visible banner, and the inputs work', async () => {
    await page.goto(`${url}?model=${fixture.id}&backend=webgpu`);
    await waitReady(page);
    const banner = page.getByTestId('webgpu-notice');
    expect(await banner.isVisible()).toBe(true);
    expect(await banner.getAttribute('data-fallback')).toBe('yes');
    expect(await banner.textContent()).toMatch(/WebGPU is not available here, so the model runs on WebAssembly/);
    const box = await banner.boundingBox();
    expect(box && box.y < 800).toBe(true);
    expect(await page.getByTestId('runtime-backend').textContent()).toMatch(/WebAssembly/);
    expect(await page.getByTestId('backend-select').inputValue()).toBe('auto');
    expect(await page.getByTestId('page-error').isVisible()).toBe(false);
    for (const c of fixture.clips.slice(0, 3)) {
      const r = await classifyClip(page, c.file);
      expect(r.backend).toBe('wasm');
      expect(expectedExits(c, r.criterion, r.thresholds)).toContain(r.exit);
      expect(r.label).toBe(c.exits[r.exit].label);
    }
  });

  it('a model that cannot load: the error at the top, inputs disabled, never a dead page', async () => {
    // The catalogue's HEAD check passes; the download itself fails.
    await page.route('**/*.bee', (route) => (route.request().method() === 'HEAD' ? route.continue() : route.abort()));
    await page.goto(`${url}?model=${fixture.id}`);
    await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid="model-status"]')?.dataset.state === 'error', undefined, { timeout: 30_000 });
    const err = page.getByTestId('page-error');
    expect(await err.isVisible()).toBe(true);
    expect(await err.textContent()).toContain(fixture.id);
    expect((await err.boundingBox())!.y).toBeLessThan(800);
    expect(await page.getByTestId('file-input').isDisabled()).toBe(true);
    expect(await page.getByTestId('mic-button').isDisabled()).toBe(true);
    expect(await page.getByTestId('run-all').isDisabled()).toBe(true);
    await page.unroute('**/*.bee');
    // Picking the model again recovers.
    await page.getByTestId('backend-select').selectOption('wasm');
    await waitReady(page);
    expect(await page.getByTestId('file-input').isDisabled()).toBe(false);
    expect(await page.getByTestId('page-error').isVisible()).toBe(false);
  });

  it('a microphone the browser refuses gets help text on how to allow it', async () => {
    // No fake device and no auto-accepted prompt here: getUserMedia is refused or finds nothing.
    await page.getByTestId('mic-button').click();
    await page.waitForFunction(() => !document.querySelector<HTMLElement>('[data-testid="mic-help"]')?.hidden, undefined, { timeout: 15_000 });
    expect(await page.getByTestId('input-error').textContent()).toMatch(/^Microphone unavailable/);
    expect(await page.getByTestId('mic-help').textContent()).toMatch(/Allow|No microphone was found|in use/);
  });

  it('logs no page errors (a blocked model download is the only console error)', () => {
    expect(problems.filter((p) => p.startsWith('pageerror') || !/Failed to load resource|ERR_FAILED/.test(p))).toEqual([]);
  });
});
