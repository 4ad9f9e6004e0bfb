import { describe, expect, it } from 'vitest';
import { BeenetError } from '../../src/errors';
import { readBee, writeBee } from '../../src/format/bee';
import { randomModel, tinyModel } from '../helpers/random-model';
import { mulberry32 } from '../helpers/rng';
import { mutate } from './mutate';

describe('mutation fuzz', () => {
  it('300 mutations each load or throw MODEL_FORMAT, quickly', () => {
    const rng = mulberry32(12345);
    const bases = [writeBee(tinyModel(1)), writeBee(randomModel(mulberry32(9), { recipe: 'edge' }))];
    const counts: Record<string, number> = {};
    let worst = 0;
    for (let i = 0; i < 300; i++) {
      const { kind, bytes } = mutate(rng, bases[i % bases.length]);
      const t0 = performance.now();
      let outcome = 'loaded';
      try {
        readBee(bytes);
      } catch (e) {
        if (!(e instanceof BeenetError) || e.code !== 'MODEL_FORMAT') {
          throw new Error(`mutation ${i} (${kind}) threw ${String(e)}`, { cause: e });
        }
        outcome = 'rejected';
      }
      worst = Math.max(worst, performance.now() - t0);
      counts[`${kind}:${outcome}`] = (counts[`${kind}:${outcome}`] ?? 0) + 1;
    }
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(300);
    expect(worst).toBeLessThan(2000);
  });
});
