// Reading the demo page from a test: the result card's data attributes, clicking a clip and waiting for its
// result, waiting for a model to be ready.
import type { Page } from 'playwright-core';

export interface PageResult {
  seq: number;
  label: string;
  exit: number;
  source: string;
  backend: string;
  criterion: 'entropy' | 'maxprob';
  thresholds: number[];
  blocks: number;
  ops: number;
  mode: string;
}

export async function readResult(page: Page): Promise<PageResult> {
  return page.getByTestId('result').evaluate((el: HTMLElement) => ({
    seq: Number(el.dataset.seq),
    label: el.dataset.label ?? '',
    exit: Number(el.dataset.exit),
    source: el.dataset.source ?? '',
    backend: el.dataset.backend ?? '',
    criterion: el.dataset.criterion === 'maxprob' ? ('maxprob' as const) : ('entropy' as const),
    thresholds: JSON.parse(el.dataset.thresholds ?? '[]') as number[],
    blocks: Number(el.dataset.blocks),
    ops: Number(el.dataset.ops),
    mode: el.dataset.mode ?? '',
  }));
}

/** Waits until the result card shows a newer result than `before`, from `source` if given. */
export async function waitResult(page: Page, before: number, source: string | null = null): Promise<PageResult> {
  await page.waitForFunction(
    ([f, s]) => {
      const el = document.querySelector<HTMLElement>('[data-testid="result"]');
      return !!el && (f === '' || el.dataset.source === f) && Number(el.dataset.seq) > Number(s);
    },
    [source ?? '', String(before)] as const,
    { timeout: 30_000 },
  );
  return readResult(page);
}

/** Clicks (or taps) an example clip and waits for its result. */
export async function classifyClip(page: Page, file: string, tap = false): Promise<PageResult> {
  const before = (await readResult(page)).seq;
  const chip = page.locator(`[data-testid="clip"][data-file="${file}"]`);
  if (tap) await chip.tap();
  else await chip.click();
  return waitResult(page, before, file);
}

export async function waitReady(page: Page, timeout = 60_000): Promise<void> {
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

/** Sets the one-for-all slider (a range input) to a value, as a drag would. */
export async function setThreshold(page: Page, t: number): Promise<void> {
  await page.getByTestId('tmode-single').check();
  await page.getByTestId('threshold').fill(String(t));
}
