import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav16 } from '../../src/audio/wav';
import { folderManifest, speakerOf, speechCommandsManifest } from '../../src/data/corpora';
import { bandStatistics, loadDataset, selectSplit, splitIndices } from '../../src/data/dataset';
import { readManifest, writeManifest } from '../../src/data/manifest';
import { DEFAULT_FRONTEND } from '../../src/audio/frontend';

function tone(freq: number, seconds: number, rate = 16000): Float32Array {
  const x = new Float32Array(Math.round(seconds * rate));
  for (let i = 0; i < x.length; i++) x[i] = 0.3 * Math.sin((2 * Math.PI * freq * i) / rate);
  return x;
}

let root: string;

/** A tiny Speech Commands v0.02 tree: 3 speakers x (yes, no, cat, dog, zero, one), lists and background noise. */
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'beenet-sc-'));
  const words = ['yes', 'no', 'cat', 'dog', 'zero', 'one'];
  const speakers = ['aaaa1111', 'bbbb2222', 'cccc3333'];
  words.forEach((w, wi) => {
    mkdirSync(join(root, w));
    for (const s of speakers) {
      for (const k of [0, 1]) writeFileSync(join(root, w, `${s}_nohash_${k}.wav`), encodeWav16(tone(300 + 100 * wi, 0.8), 16000));
    }
  });
  const list = (spk: string) =>
    words.flatMap((w) => [0, 1].map((k) => `${w}/${spk}_nohash_${k}.wav`)).join('\n') + '\n';
  writeFileSync(join(root, 'validation_list.txt'), list('bbbb2222'));
  writeFileSync(join(root, 'testing_list.txt'), list('cccc3333'));
  mkdirSync(join(root, '_background_noise_'));
  const noise = new Float32Array(16000 * 30);
  let s = 7;
  for (let i = 0; i < noise.length; i++) noise[i] = ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * 0.2;
  writeFileSync(join(root, '_background_noise_', 'white_noise.wav'), encodeWav16(noise, 16000));
  writeFileSync(join(root, '_background_noise_', 'README.md'), 'not audio');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('Speech Commands loader', () => {
  it('maps 12 classes with splits from the lists, by speaker', () => {
    const m = speechCommandsManifest(root, { task: 'kws', unknownPercentage: 100, silencePercentage: 50 });
    expect(m.labels).toEqual(['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go', '_silence_', '_unknown_']);
    const yes = m.clips.filter((c) => c.label === 'yes');
    expect(yes.map((c) => c.split).sort()).toEqual(['test', 'test', 'train', 'train', 'validation', 'validation']);
    for (const c of m.clips.filter((c) => c.engine === 'speech_commands' && c.label !== '_silence_')) {
      const want = c.speaker === 'bbbb2222' ? 'validation' : c.speaker === 'cccc3333' ? 'test' : 'train';
      expect(c.split, c.path).toBe(want);
    }
    // cat, dog, zero, one are unknown words in kws; 100 % of the 4 command clips per split.
    const unk = m.clips.filter((c) => c.label === '_unknown_');
    expect(unk.length).toBe(12);
    expect(unk.every((c) => ['cat', 'dog', 'zero', 'one'].includes(c.text!))).toBe(true);
    // _silence_: 50 % of 4 command clips per split, from split-disjoint regions of the noise file.
    const sil = m.clips.filter((c) => c.label === '_silence_');
    expect(sil.length).toBe(6);
    const total = 16000 * 30;
    for (const c of sil) {
      expect(c.path).toBe('_background_noise_/white_noise.wav');
      const [lo, hi] = c.split === 'train' ? [0, 0.8] : c.split === 'validation' ? [0.8, 0.9] : [0.9, 1];
      expect(c.offset!).toBeGreaterThanOrEqual(lo * total);
      expect(c.offset! + 16000).toBeLessThanOrEqual(hi * total);
      expect(c.gain!).toBeGreaterThan(0);
      expect(c.gain!).toBeLessThanOrEqual(1);
    }
    // Default 10 %: round(0.4) = 0 unknown per split here.
    expect(speechCommandsManifest(root, { task: 'kws' }).clips.filter((c) => c.label === '_unknown_').length).toBe(0);
  });

  it('maps digits and ignores other words', () => {
    const m = speechCommandsManifest(root, { task: 'digits' });
    expect(m.labels).toEqual(['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']);
    expect(new Set(m.clips.map((c) => c.label))).toEqual(new Set(['zero', 'one']));
    expect(m.clips.length).toBe(12);
  });

  it('loads into features through the front end and caches them', () => {
    const m = speechCommandsManifest(root, { task: 'kws', unknownPercentage: 100, silencePercentage: 50 });
    const file = join(root, 'kws.json');
    writeManifest(file, m);
    expect(readManifest(file)).toEqual(m);
    const ds = loadDataset(file, DEFAULT_FRONTEND);
    expect(ds.count).toBe(m.clips.length);
    expect(ds.features.length).toBe(ds.count * 98 * 40);
    expect(ds.cacheFile && existsSync(ds.cacheFile)).toBe(true);
    expect(ds.labelNames[ds.labels[0]]).toBe(m.clips[0].label);
    expect(ds.features.every(Number.isFinite)).toBe(true);
    // A silence slice is quieter than a tone but not at the floor.
    const sil = m.clips.findIndex((c) => c.label === '_silence_');
    const row = ds.features.subarray(sil * 3920, (sil + 1) * 3920);
    expect(Math.max(...row)).toBeGreaterThan(Math.log(1e-6) + 1);
    // Second load comes from the cache: it works even with an audio file gone.
    rmSync(join(root, 'yes', 'aaaa1111_nohash_0.wav'));
    const again = loadDataset(file, DEFAULT_FRONTEND);
    expect(again.features).toEqual(ds.features);
    // Another config is another cache and needs the audio.
    expect(() => loadDataset(file, { ...DEFAULT_FRONTEND, melBands: 64 })).toThrow(/aaaa1111_nohash_0\.wav/);
    writeFileSync(join(root, 'yes', 'aaaa1111_nohash_0.wav'), encodeWav16(tone(300, 0.8), 16000));

    const test = selectSplit(ds, 'test');
    expect(test.count).toBe(splitIndices(ds, 'test').length);
    expect(test.features.length).toBe(test.count * 3920);
    const st = bandStatistics(ds.features, 40);
    expect(st.mean.length).toBe(40);
    expect(st.std.every((v) => v > 0)).toBe(true);
  });
});

describe('folder loader', () => {
  it('one folder per class, speaker-hashed splits, same manifest shape', () => {
    const dir = mkdtempSync(join(tmpdir(), 'beenet-folder-'));
    try {
      for (const label of ['bird', 'car']) {
        mkdirSync(join(dir, label));
        for (let s = 0; s < 20; s++) {
          for (const k of [0, 1]) writeFileSync(join(dir, label, `spk${s}_nohash_${k}.wav`), encodeWav16(tone(500, 0.5), 8000));
        }
      }
      mkdirSync(join(dir, '_ignored'));
      writeFileSync(join(dir, 'bird', 'notes.txt'), 'x');
      const m = folderManifest(dir, { validationPercentage: 20, testPercentage: 20 });
      expect(m.labels).toEqual(['bird', 'car']);
      expect(m.clips.length).toBe(80);
      const splitOf = new Map<string, string>();
      for (const c of m.clips) {
        expect(splitOf.get(c.speaker) ?? c.split).toBe(c.split);
        splitOf.set(c.speaker, c.split);
      }
      expect(new Set(splitOf.values())).toEqual(new Set(['train', 'validation', 'test']));
      const ds = loadDataset({ manifest: m, baseDir: dir }, DEFAULT_FRONTEND);
      expect(ds.count).toBe(80);
      expect(ds.cacheFile).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names speakers from Speech Commands file names', () => {
    expect(speakerOf('0a7c2a8d_nohash_1.wav')).toBe('0a7c2a8d');
    expect(speakerOf('recording.wav')).toBe('recording');
  });
});
