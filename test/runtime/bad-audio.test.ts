// Bad audio through the whole model API: a named error or a defined result, never a crash or NaN.
import { describe, expect, it } from 'vitest';
import { createRuntime, decodeWav, encodeWav16 } from '../../src/index';
import { tinyModel } from '../helpers/random-model';

async function model() {
  const runtime = await createRuntime({ backend: 'cpu' });
  const bee = tinyModel(1);
  // tinyModel's input is 16 frames x 12 bands: give it a front end that yields exactly that.
  bee.description.frontend = { ...bee.description.frontend, clipSamples: 400 + 15 * 160, melBands: 12 };
  return runtime.load(bee);
}

function tone(n: number, rate: number, amp = 0.5): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * 440 * i) / rate));
}

describe('bad audio', () => {
  it('rejects empty, NaN, infinite audio and impossible sample rates with named errors', async () => {
    const m = await model();
    await expect(m.classify({ audio: new Float32Array(0), sampleRate: 16000 })).rejects.toMatchObject({ code: 'BAD_AUDIO', message: 'empty audio' });
    const nan = tone(1000, 16000);
    nan[10] = NaN;
    await expect(m.classify({ audio: nan, sampleRate: 16000 })).rejects.toThrow(/sample 10 is NaN/);
    const inf = tone(1000, 16000);
    inf[3] = Infinity;
    await expect(m.classify({ audio: inf, sampleRate: 16000 })).rejects.toThrow(/sample 3 is Infinity/);
    for (const rate of [0, -1, NaN, 100, 1e7]) {
      await expect(m.classify({ audio: tone(100, 16000), sampleRate: rate })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    }
    await expect(m.classify({ audio: [0.1, 0.2] as unknown as Float32Array, sampleRate: 16000 })).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('gives finite probabilities for a single sample, silence, clipping, odd rates and long audio', async () => {
    const m = await model();
    const cases: [string, Float32Array, number][] = [
      ['single sample', Float32Array.of(0.5), 16000],
      ['silence', new Float32Array(16000), 16000],
      ['clipping', tone(16000, 16000, 4), 16000],
      ['8 kHz', tone(8000, 8000), 8000],
      ['44.1 kHz', tone(44100, 44100), 44100],
      ['odd rate 11025', tone(11025, 11025), 11025],
      ['10 minutes at 48 kHz', tone(48000 * 600, 48000), 48000],
    ];
    for (const [name, audio, rate] of cases) {
      const copy = audio.slice(0, 64);
      const r = await m.classify({ audio, sampleRate: rate });
      expect(r.probabilities.every(Number.isFinite), name).toBe(true);
      expect(Number.isFinite(r.entropy), name).toBe(true);
      expect(audio.slice(0, 64), `${name}: input untouched`).toEqual(copy);
    }
  });

  it('classifies a decoded WAV file, and rejects a non-WAV file named .wav', async () => {
    const m = await model();
    const mono = encodeWav16(tone(16000, 16000), 16000);
    const wav = decodeWav(mono);
    const r = await m.classify({ audio: wav.samples, sampleRate: wav.sampleRate });
    expect(r.probabilities.every(Number.isFinite)).toBe(true);
    expect(() => decodeWav(new TextEncoder().encode('ID3\u0003 this is an mp3, not a wav'))).toThrow(expect.objectContaining({ code: 'BAD_AUDIO' }));
  });
});
