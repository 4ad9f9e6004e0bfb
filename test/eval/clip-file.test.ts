// The clip file that carries evaluation clips to a GPU machine: round trip, and clear errors for damaged files.
import { describe, expect, it } from 'vitest';
import { loadClipSets, saveClipSets, type ClipSet } from '../../src/eval/clip-file';

const sets = new Map<string, ClipSet>([
  ['validation', { labels: Int32Array.of(3, 0, 11), features: Float32Array.from({ length: 15 }, (_, i) => i / 7 - 1) }],
  ['test', { labels: Int32Array.of(-1), features: Float32Array.of(0.5, -0, 1e-30, Infinity, -2) }],
]);

describe('clip file', () => {
  it('round-trips labels and features bit-exactly, in split order', () => {
    const back = loadClipSets(saveClipSets(sets, 5), 5);
    expect([...back.keys()]).toEqual(['validation', 'test']);
    for (const [name, s] of sets) {
      expect(back.get(name)!.labels).toEqual(s.labels);
      expect(new Uint32Array(back.get(name)!.features.buffer)).toEqual(new Uint32Array(s.features.slice().buffer));
    }
  });

  it('reads from a Node Buffer at any offset (as readFileSync returns)', () => {
    const saved = saveClipSets(sets, 5);
    const pooled = Buffer.alloc(saved.length + 3);
    pooled.set(saved, 3);
    const back = loadClipSets(pooled.subarray(3), 5);
    expect(back.get('validation')!.labels).toEqual(sets.get('validation')!.labels);
    expect(back.get('validation')!.features).toEqual(sets.get('validation')!.features);
    expect(back.get('test')!.features.length).toBe(5);
  });

  it('names what is wrong with a damaged file', () => {
    const bytes = saveClipSets(sets, 5);
    expect(() => loadClipSets(bytes.subarray(0, bytes.length - 4), 5, 'x.clips')).toThrow(/x\.clips: truncated in split 'test'/);
    expect(() => loadClipSets(bytes, 4)).toThrow(/clips of 5 values; the model takes 4/);
    expect(() => loadClipSets(new Uint8Array(40), 5)).toThrow(/not a beenet clip file/);
    const extra = new Uint8Array(bytes.length + 4);
    extra.set(bytes);
    expect(() => loadClipSets(extra, 5)).toThrow(/4 bytes after the last split/);
    const badJson = bytes.slice();
    badJson[12] = 0x7b + 1;
    expect(() => loadClipSets(badJson, 5)).toThrow(/header is not valid JSON/);
  });

  it('refuses to write features that do not match the labels', () => {
    expect(() => saveClipSets(new Map([['a', { labels: Int32Array.of(1), features: new Float32Array(3) }]]), 5)).toThrow(/split 'a': 3 feature values for 1 clips of 5/);
  });
});
