import { describe, expect, it } from 'vitest';
import { decodeWav, encodeWav16, readWavInfo } from '../../src/audio/wav';
import { isBeenetError } from '../../src/errors';

interface WavSpec {
  format: 1 | 3;
  bits: number;
  rate: number;
  /** channels[c][i] in [-1, 1] */
  channels: number[][];
  extensible?: boolean;
  /** Extra chunk before fmt (tests chunk skipping, odd size tests padding). */
  junk?: number;
}

/** A small independent WAV writer for the formats the decoder must read. */
function writeWav(spec: WavSpec): Uint8Array {
  const ch = spec.channels.length;
  const frames = spec.channels[0].length;
  const bytes = spec.bits / 8;
  const fmtSize = spec.extensible ? 40 : 16;
  const junk = spec.junk === undefined ? 0 : 8 + spec.junk + (spec.junk & 1);
  const dataSize = frames * ch * bytes;
  const buf = new Uint8Array(12 + junk + 8 + fmtSize + 8 + dataSize);
  const v = new DataView(buf.buffer);
  const str = (o: number, s: string) => [...s].forEach((c, i) => (buf[o + i] = c.charCodeAt(0)));
  str(0, 'RIFF');
  v.setUint32(4, buf.length - 8, true);
  str(8, 'WAVE');
  let o = 12;
  if (spec.junk !== undefined) {
    str(o, 'LIST');
    v.setUint32(o + 4, spec.junk, true);
    o += junk;
  }
  str(o, 'fmt ');
  v.setUint32(o + 4, fmtSize, true);
  v.setUint16(o + 8, spec.extensible ? 0xfffe : spec.format, true);
  v.setUint16(o + 10, ch, true);
  v.setUint32(o + 12, spec.rate, true);
  v.setUint32(o + 16, spec.rate * ch * bytes, true);
  v.setUint16(o + 20, ch * bytes, true);
  v.setUint16(o + 22, spec.bits, true);
  if (spec.extensible) {
    v.setUint16(o + 24, 22, true);
    v.setUint16(o + 26, spec.bits, true);
    v.setUint32(o + 28, ch === 1 ? 4 : 3, true);
    v.setUint16(o + 32, spec.format, true);
    // rest of the KSDATAFORMAT GUID
    const tail = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
    tail.forEach((b, i) => (buf[o + 34 + i] = b));
  }
  o += 8 + fmtSize;
  str(o, 'data');
  v.setUint32(o + 4, dataSize, true);
  o += 8;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < ch; c++, o += bytes) {
      const x = spec.channels[c][i];
      if (spec.format === 3) v.setFloat32(o, x, true);
      else if (spec.bits === 8) v.setUint8(o, Math.round(x * 127) + 128);
      else if (spec.bits === 16) v.setInt16(o, Math.round(x * 32767), true);
      else if (spec.bits === 24) {
        const q = Math.round(x * 8388607);
        v.setUint8(o, q & 255);
        v.setUint8(o + 1, (q >> 8) & 255);
        v.setInt8(o + 2, q >> 16);
      } else v.setInt32(o, Math.round(x * 2147483647), true);
    }
  }
  return buf;
}

function ramp(n: number, phase = 0): number[] {
  return Array.from({ length: n }, (_, i) => 0.9 * Math.sin(0.05 * i + phase));
}

function expectBad(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(isBeenetError(e, 'BAD_AUDIO'), String(e)).toBe(true);
    expect((e as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected BAD_AUDIO');
}

describe('decodeWav', () => {
  // 8-bit scales by 128 on read, 127 on write here; the decoder returns float32.
  const tol: Record<number, number> = { 8: 0.015, 16: 1e-4, 24: 1e-6, 32: 1e-7 };
  for (const bits of [8, 16, 24, 32]) {
    for (const extensible of [false, true]) {
      it(`PCM ${bits}-bit${extensible ? ' (extensible)' : ''} round trip`, () => {
        const x = ramp(300);
        const d = decodeWav(writeWav({ format: 1, bits, rate: 22050, channels: [x], extensible }));
        expect(d.sampleRate).toBe(22050);
        expect(d.bitsPerSample).toBe(bits);
        expect(d.samples.length).toBe(300);
        for (let i = 0; i < x.length; i++) expect(Math.abs(d.samples[i] - x[i])).toBeLessThan(tol[bits]);
      });
    }
  }

  for (const extensible of [false, true]) {
    it(`float 32${extensible ? ' (extensible)' : ''} is exact`, () => {
      const x = ramp(100).map((v) => Math.fround(v * 1.5)); // floats beyond [-1, 1] are kept
      const d = decodeWav(writeWav({ format: 3, bits: 32, rate: 48000, channels: [x], extensible }));
      expect(d.format).toBe(3);
      expect(Array.from(d.samples)).toEqual(x);
    });
  }

  it('mixes stereo and 3 channels down by averaging', () => {
    const a = ramp(64);
    const b = ramp(64, 1);
    const c = ramp(64, 2);
    const d = decodeWav(writeWav({ format: 3, bits: 32, rate: 8000, channels: [a, b, c] }));
    expect(d.channels).toBe(3);
    for (let i = 0; i < 64; i++) expect(d.samples[i]).toBeCloseTo((Math.fround(a[i]) + Math.fround(b[i]) + Math.fround(c[i])) / 3, 6);
    const s = decodeWav(writeWav({ format: 1, bits: 16, rate: 8000, channels: [a, b], extensible: true }));
    for (let i = 0; i < 64; i++) expect(s.samples[i]).toBeCloseTo((a[i] + b[i]) / 2, 4);
  });

  it('skips unknown chunks, including odd-sized ones with a pad byte', () => {
    const x = ramp(10);
    const d = decodeWav(writeWav({ format: 1, bits: 16, rate: 16000, channels: [x], junk: 5 }));
    expect(d.samples.length).toBe(10);
    expect(d.samples[3]).toBeCloseTo(x[3], 4);
  });

  it('reads from a typed-array view with an offset and leaves it untouched', () => {
    const wav = writeWav({ format: 1, bits: 16, rate: 16000, channels: [ramp(50)] });
    const big = new Uint8Array(wav.length + 7);
    big.set(wav, 7);
    const copy = big.slice();
    const d = decodeWav(big.subarray(7));
    expect(d.samples.length).toBe(50);
    expect(big).toEqual(copy);
    expect(readWavInfo(big.subarray(7)).frames).toBe(50);
  });

  it('encodeWav16 round trips within one LSB and clamps', () => {
    const x = new Float32Array([0, 0.5, -0.5, 1, -1, 2, -3, 0.25]);
    const bytes = encodeWav16(x, 16000);
    expect(bytes.length).toBe(44 + 16);
    const d = decodeWav(bytes);
    expect(d.sampleRate).toBe(16000);
    const want = [0, 0.5, -0.5, 1, -1, 1, -1, 0.25];
    for (let i = 0; i < x.length; i++) expect(Math.abs(d.samples[i] - want[i])).toBeLessThan(1 / 16000);
  });

  describe('errors', () => {
    const good = writeWav({ format: 1, bits: 16, rate: 16000, channels: [ramp(100)] });
    const patch = (_unused: number, f: (v: DataView) => void): Uint8Array => {
      const b = good.slice();
      f(new DataView(b.buffer));
      return b;
    };
    it('not RIFF/WAVE', () => {
      expectBad(() => decodeWav(new TextEncoder().encode('ID3\x04 this is an mp3')), /not a RIFF\/WAVE file/);
      expectBad(() => decodeWav(new Uint8Array(0)), /not a RIFF\/WAVE file/);
      const b = good.slice();
      b[8] = 'A'.charCodeAt(0); // "AAVE"
      expectBad(() => decodeWav(b), /not a RIFF\/WAVE file/);
    });
    it('unsupported format tags are named', () => {
      expectBad(() => decodeWav(patch(0, (v) => v.setUint16(20, 85, true))), /unsupported WAV format tag 85 \(MP3\)/);
      expectBad(() => decodeWav(patch(0, (v) => v.setUint16(20, 2, true))), /format tag 2 \(MS ADPCM\)/);
      expectBad(() => decodeWav(patch(0, (v) => v.setUint16(20, 0x1234, true))), /format tag 4660/);
    });
    it('unsupported sample sizes', () => {
      const b = patch(0, (v) => {
        v.setUint16(34, 12, true);
      });
      expectBad(() => decodeWav(b), /unsupported PCM sample size: 12 bits/);
      const f = writeWav({ format: 3, bits: 32, rate: 16000, channels: [ramp(4)] });
      new DataView(f.buffer).setUint16(34, 16, true);
      expectBad(() => decodeWav(f), /unsupported float sample size: 16 bits/);
    });
    it('inconsistent block align', () => {
      expectBad(() => decodeWav(patch(0, (v) => v.setUint16(32, 4, true))), /block align 4, expected 2/);
    });
    it('truncated data chunk', () => {
      expectBad(() => decodeWav(good.subarray(0, good.length - 10)), /data chunk truncated: header says 200 bytes, file has 190/);
    });
    it('missing chunks', () => {
      expectBad(() => decodeWav(good.subarray(0, 12)), /no fmt chunk/);
      expectBad(() => decodeWav(good.subarray(0, 36)), /no data chunk/);
      expectBad(() => decodeWav(good.subarray(0, 30)), /fmt chunk too short/);
    });
    it('zero channels and rate', () => {
      expectBad(() => decodeWav(patch(0, (v) => v.setUint16(22, 0, true))), /0 channels/);
      expectBad(() => decodeWav(patch(0, (v) => v.setUint32(24, 0, true))), /sample rate is 0/);
    });
    it('big-endian RIFX is named', () => {
      const b = good.slice();
      b[3] = 'X'.charCodeAt(0);
      expectBad(() => decodeWav(b), /RIFX/);
    });
  });
});

describe('streamed WAVs', () => {
  it('accept the unknown-length placeholders of pipe writers', () => {
    for (const placeholder of [0xffffffff, 0x7ffff000]) {
      const b = encodeWav16(new Float32Array([0.5, -0.5, 0.25]), 16000);
      new DataView(b.buffer).setUint32(40, placeholder, true);
      expect(decodeWav(b).samples.length).toBe(3);
    }
  });
});
