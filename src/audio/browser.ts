// Browser helpers: Web Audio buffers to mono samples at the model's rate.

import { BeenetError } from '../errors';

/** Mono mix (channel average) of an AudioBuffer. */
export function audioBufferToMono(buffer: AudioBuffer): Float32Array {
  const n = buffer.numberOfChannels;
  if (n === 1) return buffer.getChannelData(0).slice();
  const out = new Float32Array(buffer.length);
  for (let c = 0; c < n; c++) {
    const ch = buffer.getChannelData(c);
    for (let i = 0; i < out.length; i++) out[i] += ch[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= n;
  return out;
}

/**
 * Decodes any format the browser can (WAV, MP3, Ogg, ...) and resamples to `sampleRate` in one step, via an
 * OfflineAudioContext at that rate. The caller's buffer is copied (decodeAudioData detaches its argument).
 */
export async function decodeAudio(data: ArrayBuffer | ArrayBufferView, sampleRate: number): Promise<Float32Array> {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const ctx = new OfflineAudioContext(1, 1, sampleRate);
  try {
    const buffer = await ctx.decodeAudioData(bytes.slice().buffer);
    return audioBufferToMono(buffer);
  } catch (e) {
    throw new BeenetError('BAD_AUDIO', `the browser could not decode this audio: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
}
