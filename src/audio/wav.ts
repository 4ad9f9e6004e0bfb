// WAV (RIFF/WAVE) reading and a mono 16-bit writer. Pure TypeScript: runs in Node and in the browser.

import { BeenetError } from '../errors';

/** What the `fmt ` and `data` chunks say, without decoding samples. */
export interface WavInfo {
  /** 1 = integer PCM, 3 = IEEE float (after resolving WAVE_FORMAT_EXTENSIBLE). */
  format: 1 | 3;
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Sample frames (samples per channel) in the data chunk. */
  frames: number;
  /** Byte offset of the data chunk's payload in the file. */
  dataOffset: number;
  /** Payload bytes used (whole frames only). */
  dataBytes: number;
}

export interface DecodedWav {
  /** Mono samples (channels averaged), nominally in [-1, 1]. */
  samples: Float32Array;
  sampleRate: number;
  /** Channels in the file before the mix-down. */
  channels: number;
  bitsPerSample: number;
  format: 1 | 3;
}

const FORMAT_NAMES: Record<number, string> = {
  2: 'MS ADPCM',
  6: 'A-law',
  7: 'mu-law',
  0x11: 'IMA ADPCM',
  0x31: 'GSM 6.10',
  0x50: 'MPEG',
  0x55: 'MP3',
  0xff: 'AAC',
  0x1610: 'HE-AAC',
  0xf1ac: 'FLAC',
};

const EXTENSIBLE = 0xfffe;

function bad(message: string): BeenetError {
  return new BeenetError('BAD_AUDIO', message);
}

function tag(view: DataView, off: number): string {
  return String.fromCharCode(view.getUint8(off), view.getUint8(off + 1), view.getUint8(off + 2), view.getUint8(off + 3));
}

function asView(data: ArrayBuffer | ArrayBufferView): DataView {
  if (data instanceof ArrayBuffer) return new DataView(data);
  if (ArrayBuffer.isView(data)) return new DataView(data.buffer, data.byteOffset, data.byteLength);
  throw new BeenetError('BAD_INPUT', 'WAV data must be an ArrayBuffer or a typed array');
}

/** Parses the RIFF structure and format of a WAV file; decodes no samples. */
export function readWavInfo(data: ArrayBuffer | ArrayBufferView): WavInfo {
  const view = asView(data);
  const len = view.byteLength;
  if (len < 12 || tag(view, 0) !== 'RIFF' || tag(view, 8) !== 'WAVE') {
    if (len >= 4 && (tag(view, 0) === 'RIFX' || tag(view, 0) === 'RF64')) {
      throw bad(`unsupported WAV container ${tag(view, 0)} (only little-endian RIFF is supported)`);
    }
    throw bad('not a RIFF/WAVE file');
  }
  let fmt: Omit<WavInfo, 'frames' | 'dataOffset' | 'dataBytes'> | null = null;
  let blockAlign = 0;
  let dataOffset = -1;
  let dataSize = 0;
  let off = 12;
  while (off + 8 <= len) {
    const id = tag(view, off);
    const size = view.getUint32(off + 4, true);
    const body = off + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > len) throw bad(`fmt chunk too short (${Math.min(size, len - body)} bytes, need 16)`);
      let formatTag = view.getUint16(body, true);
      const channels = view.getUint16(body + 2, true);
      const sampleRate = view.getUint32(body + 4, true);
      blockAlign = view.getUint16(body + 12, true);
      const bitsPerSample = view.getUint16(body + 14, true);
      if (formatTag === EXTENSIBLE) {
        if (size < 40 || body + 40 > len) throw bad('WAVE_FORMAT_EXTENSIBLE fmt chunk too short (need 40 bytes)');
        // The sub-format GUID starts with the ordinary format tag.
        formatTag = view.getUint16(body + 24, true);
      }
      if (formatTag !== 1 && formatTag !== 3) {
        const name = FORMAT_NAMES[formatTag];
        throw bad(`unsupported WAV format tag ${formatTag}${name ? ` (${name})` : ''}`);
      }
      if (channels < 1) throw bad('WAV file has 0 channels');
      if (sampleRate < 1) throw bad('WAV sample rate is 0');
      const okBits = formatTag === 1 ? [8, 16, 24, 32] : [32, 64];
      if (!okBits.includes(bitsPerSample)) {
        throw bad(`unsupported ${formatTag === 1 ? 'PCM' : 'float'} sample size: ${bitsPerSample} bits`);
      }
      if (blockAlign !== (channels * bitsPerSample) / 8) {
        throw bad(`inconsistent fmt chunk: block align ${blockAlign}, expected ${(channels * bitsPerSample) / 8}`);
      }
      fmt = { format: formatTag, sampleRate, channels, bitsPerSample };
    } else if (id === 'data') {
      dataOffset = body;
      const available = len - body;
      // Streaming writers that cannot seek back leave a placeholder (0xFFFFFFFF; sox and espeak-ng 0x7FFFF000).
      if (size === 0xffffffff || size === 0x7ffff000) dataSize = available;
      else if (size > available) throw bad(`data chunk truncated: header says ${size} bytes, file has ${available}`);
      else dataSize = size;
      if (fmt) break;
    }
    off = body + size + (size & 1);
  }
  if (!fmt) throw bad('no fmt chunk in WAV file');
  if (dataOffset < 0) throw bad('no data chunk in WAV file');
  const frames = Math.floor(dataSize / blockAlign);
  return { ...fmt, frames, dataOffset, dataBytes: frames * blockAlign };
}

/** Decodes a WAV file to mono float samples (channels averaged). The input is only read. */
export function decodeWav(data: ArrayBuffer | ArrayBufferView): DecodedWav {
  const info = readWavInfo(data);
  const view = asView(data);
  const { channels, frames, bitsPerSample, format } = info;
  const out = new Float32Array(frames);
  const bytes = bitsPerSample / 8;
  const inv = 1 / channels;
  let p = info.dataOffset;
  for (let i = 0; i < frames; i++) {
    let acc = 0;
    for (let c = 0; c < channels; c++, p += bytes) {
      let v: number;
      if (format === 3) {
        v = bytes === 4 ? view.getFloat32(p, true) : view.getFloat64(p, true);
      } else if (bytes === 2) {
        v = view.getInt16(p, true) / 32768;
      } else if (bytes === 1) {
        v = (view.getUint8(p) - 128) / 128;
      } else if (bytes === 3) {
        const u = view.getUint8(p) | (view.getUint8(p + 1) << 8) | (view.getInt8(p + 2) << 16);
        v = u / 8388608;
      } else {
        v = view.getInt32(p, true) / 2147483648;
      }
      acc += v;
    }
    out[i] = channels === 1 ? acc : acc * inv;
  }
  return { samples: out, sampleRate: info.sampleRate, channels, bitsPerSample, format };
}

/** Writes mono 16-bit PCM WAV; samples are clamped to [-1, 1] and scaled by 32767. */
export function encodeWav16(samples: Float32Array, sampleRate: number): Uint8Array {
  if (!Number.isInteger(sampleRate) || sampleRate < 1) {
    throw new BeenetError('BAD_INPUT', `sample rate must be a positive integer, got ${sampleRate}`);
  }
  const n = samples.length;
  const out = new Uint8Array(44 + n * 2);
  const view = new DataView(out.buffer);
  const put = (off: number, s: string) => {
    for (let i = 0; i < 4; i++) out[off + i] = s.charCodeAt(i);
  };
  put(0, 'RIFF');
  view.setUint32(4, 36 + n * 2, true);
  put(8, 'WAVE');
  put(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  put(36, 'data');
  view.setUint32(40, n * 2, true);
  for (let i = 0; i < n; i++) {
    const x = samples[i];
    const c = x > 1 ? 1 : x < -1 ? -1 : x || 0;
    view.setInt16(44 + i * 2, Math.round(c * 32767), true);
  }
  return out;
}
