// FSDD as digits clips: whole speakers held out, and the level copies that teach quiet voices. Runs on a small
// folder of generated recordings (no real audio), named as FSDD names them.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { audioToFeatures, MICROFRONTEND_16K } from '../../src/audio/frontend';
import { encodeWav16, decodeWav } from '../../src/audio/wav';
import { listFsdd } from '../../src/data/fsdd';
import { FSDD_GAIN_MIN_DB, fsddExtraClips } from '../../src/train/load-images';

const SPEAKERS = ['ann', 'bob', 'cat', 'dan', 'eve', 'fay'];
const dir = mkdtempSync(join(tmpdir(), 'beenet-fsdd-'));
for (const [s, speaker] of SPEAKERS.entries()) {
  for (const digit of [3, 7]) {
    for (let take = 0; take < 7; take++) {
      // A tone per digit and speaker, 0.3 s at 8 kHz, loud enough that a -26 dB copy is still above the floor.
      const f = 300 + 200 * digit + 20 * s + take;
      const x = Float32Array.from({ length: 2400 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * f * i) / 8000));
      writeFileSync(join(dir, `${digit}_${speaker}_${take}.wav`), encodeWav16(x, 8000));
    }
  }
}
writeFileSync(join(dir, 'README.txt'), 'not a recording');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PER = 98 * 40;
const mean = (a: Float32Array): number => a.reduce((s, v) => s + v, 0) / a.length;

describe('FSDD clips', () => {
  it('holds out the last two speakers whole and validates on takes 0-4 of the others', () => {
    const clips = listFsdd(dir);
    expect(clips).toHaveLength(6 * 2 * 7);
    for (const c of clips) {
      const expected = ['eve', 'fay'].includes(c.speaker) ? 'test' : c.take < 5 ? 'validation' : 'train';
      expect(c.split, c.file).toBe(expected);
    }
    expect(new Set(clips.map((c) => c.label))).toEqual(new Set(['three', 'seven']));
  });

  it('adds level copies to training and validation only, each the features of the recording at a lower gain', () => {
    const plain = fsddExtraClips(dir, MICROFRONTEND_16K);
    const copied = fsddExtraClips(dir, MICROFRONTEND_16K, { gainCopies: 2 });
    const count = (xs: typeof plain, split: string) => xs.find((x) => x.split === split)!.labels.length;
    expect([count(plain, 'train'), count(plain, 'validation'), count(plain, 'test')]).toEqual([16, 40, 28]);
    expect([count(copied, 'train'), count(copied, 'validation'), count(copied, 'test')]).toEqual([48, 120, 28]);
    // The test split is the recordings as they are, identical with or without copies.
    expect(copied[2].features).toEqual(plain[2].features);

    const train = copied[0];
    expect(train.features).toHaveLength(48 * PER);
    for (let i = 0; i < 16; i++) {
      const original = train.features.subarray(3 * i * PER, (3 * i + 1) * PER);
      expect(original).toEqual(plain[0].features.subarray(i * PER, (i + 1) * PER));
      for (let k = 1; k <= 2; k++) {
        const id = train.ids[3 * i + k];
        const m = /^fsdd\/(.+)@(-?\d+\.\d)dB$/.exec(id);
        expect(m, id).not.toBeNull();
        expect(m![1]).toBe(train.ids[3 * i].slice('fsdd/'.length));
        const db = Number(m![2]);
        expect(db).toBeGreaterThanOrEqual(FSDD_GAIN_MIN_DB);
        expect(db).toBeLessThanOrEqual(0);
        expect(train.labels[3 * i + k]).toBe(train.labels[3 * i]);
        const copy = train.features.subarray((3 * i + k) * PER, (3 * i + k + 1) * PER);
        // Quieter audio, lower log amplitudes: the copy's mean pixel falls with its gain.
        if (db < -3) expect(mean(copy)).toBeLessThan(mean(original));
        // Exactly the recording's own features at the gain its id names.
        const wav = decodeWav(readFileSync(join(dir, m![1])));
        expect(copy).toEqual(audioToFeatures(wav.samples.map((x) => x * 10 ** (db / 20)), wav.sampleRate, MICROFRONTEND_16K));
      }
    }
    // Drawn from a fixed seed: the same copies every time, so evaluate.ts rebuilds the training statistics.
    expect(fsddExtraClips(dir, MICROFRONTEND_16K, { gainCopies: 2 })[0].features).toEqual(train.features);
  });

  it('plays each copy at a random speed too when asked, with the same gains as without', () => {
    const gainOnly = fsddExtraClips(dir, MICROFRONTEND_16K, { gainCopies: 2 });
    const sped = fsddExtraClips(dir, MICROFRONTEND_16K, { gainCopies: 2, speedRange: 0.12 });
    // The originals and the test split are untouched.
    expect(sped[2].features).toEqual(gainOnly[2].features);
    const speeds = new Set<string>();
    for (const [s, split] of sped.slice(0, 2).entries()) {
      expect(split.ids).toHaveLength(gainOnly[s].ids.length);
      for (const [i, id] of split.ids.entries()) {
        const at = split.features.subarray(i * PER, (i + 1) * PER);
        if (i % 3 === 0) {
          expect(id).toBe(gainOnly[s].ids[i]);
          expect(at).toEqual(gainOnly[s].features.subarray(i * PER, (i + 1) * PER));
          continue;
        }
        const m = /^fsdd\/(.+)@(-?\d+\.\d)dB@x(\d\.\d\d)$/.exec(id);
        expect(m, id).not.toBeNull();
        // The gain is the one the same copy gets without speed changes.
        expect(`fsdd/${m![1]}@${m![2]}dB`).toBe(gainOnly[s].ids[i]);
        const speed = Number(m![3]);
        expect(speed).toBeGreaterThanOrEqual(0.88);
        expect(speed).toBeLessThanOrEqual(1.12);
        speeds.add(m![3]);
        // Exactly the recording read as if sampled at speed x its rate, at the gain its id names.
        const wav = decodeWav(readFileSync(join(dir, m![1])));
        const gain = 10 ** (Number(m![2]) / 20);
        expect(at).toEqual(audioToFeatures(wav.samples.map((x) => x * gain), Math.round(wav.sampleRate * speed), MICROFRONTEND_16K));
      }
    }
    // Speeds vary (28 + 40 copies here), and a faster copy of a tone is a higher tone: its features differ.
    expect(speeds.size).toBeGreaterThan(5);
    expect(sped[0].features).not.toEqual(gainOnly[0].features);
    expect(fsddExtraClips(dir, MICROFRONTEND_16K, { gainCopies: 2, speedRange: 0.12 })[0].features).toEqual(sped[0].features);
  });

  it('rejects a speed range outside [0, 0.5)', () => {
    expect(() => fsddExtraClips(dir, MICROFRONTEND_16K, { gainCopies: 1, speedRange: -0.1 })).toThrow(/speedRange/);
    expect(() => fsddExtraClips(dir, MICROFRONTEND_16K, { gainCopies: 1, speedRange: 0.5 })).toThrow(/speedRange/);
    expect(() => fsddExtraClips(dir, MICROFRONTEND_16K, { gainCopies: 1, speedRange: Number.NaN })).toThrow(/speedRange/);
  });

  it('rejects a copy count that is not a whole number', () => {
    expect(() => fsddExtraClips(dir, MICROFRONTEND_16K, { gainCopies: 1.5 })).toThrow(/gainCopies/);
    expect(() => fsddExtraClips(dir, MICROFRONTEND_16K, { gainCopies: -1 })).toThrow(/gainCopies/);
  });
});
