import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBeenetError } from '../../src/errors';
import { readBee } from '../../src/format/bee';

// Regenerate with `npx tsx scripts/stress/make-bad-models.ts`.
const dir = join(import.meta.dirname, '../fixtures/bad-models');
const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as Record<string, string>;

describe('bad-model regression set', () => {
  it('has a dozen files', () => {
    expect(Object.keys(index).length).toBeGreaterThanOrEqual(12);
  });

  it.each(Object.entries(index))('%s', (file, fragment) => {
    const bytes = new Uint8Array(readFileSync(join(dir, file)));
    let caught: unknown;
    try {
      readBee(bytes);
    } catch (e) {
      caught = e;
    }
    expect(isBeenetError(caught, 'MODEL_FORMAT'), `expected MODEL_FORMAT, got ${String(caught)}`).toBe(true);
    expect((caught as Error).message).toContain(fragment);
  });
});
