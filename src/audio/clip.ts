// Fitting audio to the model's fixed clip length.

import { BeenetError } from '../errors';

/**
 * Where a clip of `clipSamples` sits in audio of `length` samples: audio sample `start + i` lands at clip
 * index i. Shorter audio is centred (start < 0, zero padding both sides); longer audio gives a window starting
 * at `offset` (default: centred).
 */
export function clipStart(length: number, clipSamples: number, offset?: number): number {
  if (length <= clipSamples) {
    if (offset !== undefined && offset !== 0) {
      throw new BeenetError('BAD_INPUT', `clip offset ${offset} given, but the audio (${length} samples) is not longer than a clip`);
    }
    return -Math.floor((clipSamples - length) / 2);
  }
  if (offset === undefined) return Math.floor((length - clipSamples) / 2);
  if (!Number.isInteger(offset) || offset < 0 || offset > length - clipSamples) {
    throw new BeenetError('BAD_INPUT', `clip offset ${offset} out of range [0, ${length - clipSamples}]`);
  }
  return offset;
}

/** A copy of the audio fitted to exactly `clipSamples` (centre zero-pad or window). */
export function fitClip(samples: Float32Array, clipSamples: number, offset?: number): Float32Array {
  const start = clipStart(samples.length, clipSamples, offset);
  const out = new Float32Array(clipSamples);
  if (start >= 0) out.set(samples.subarray(start, start + clipSamples));
  else out.set(samples, -start);
  return out;
}
