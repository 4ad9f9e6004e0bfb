// Audio bytes -> samples: our own WAV reader first (the exact samples the Node runtime sees), the browser's
// decoder for anything else.
import { decodeWav } from '../../src/index';
import { decodeAudio } from '../../src/audio/browser';

export async function decodeBytes(bytes: ArrayBuffer, fallbackRate: number): Promise<{ audio: Float32Array; sampleRate: number }> {
  try {
    const w = decodeWav(bytes);
    return { audio: w.samples, sampleRate: w.sampleRate };
  } catch {
    return { audio: await decodeAudio(bytes, fallbackRate), sampleRate: fallbackRate };
  }
}
