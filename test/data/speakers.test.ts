import { describe, expect, it } from 'vitest';
import { respell } from '../../scripts/datagen/respell';
import { buildSpeakers } from '../../scripts/datagen/speakers';

describe('speakers', () => {
  it('the train-only voices come after every other speaker and leave the split as it was', () => {
    const engines = ['espeak-ng', 'flite', 'festival'] as const;
    const base = buildSpeakers(['en'], [...engines], 1);
    const more = buildSpeakers(['en'], [...engines], 1, { trainOnlyVoices: true });
    expect(more.speakers.slice(0, base.speakers.length)).toEqual(base.speakers);
    const extra = more.speakers.slice(base.speakers.length);
    for (const s of extra) expect(s).toMatchObject({ engine: 'festival', split: 'train' });
    expect(extra.every((s) => s.respell !== undefined)).toBe(true);
    for (const split of ['validation', 'test'] as const) expect(more.bySplit[split]).toEqual(base.bySplit[split]);
    // No train-only timbre is a timbre of validation or test.
    const held = new Set(base.speakers.filter((s) => s.split !== 'train').map((s) => s.timbre));
    expect(extra.some((s) => held.has(s.timbre))).toBe(false);
  });

  it('respells the commands for a voice with other spelling rules, and only those', () => {
    expect(respell('it', 'right')).toBe('rait');
    expect(respell('cs', 'right')).toBe('rajt');
    expect(respell('fi', 'yes')).toBe('jes');
    expect(respell('it', 'marvin')).toBe('marvin');
    expect(respell(undefined, 'right')).toBe('right');
  });
});
