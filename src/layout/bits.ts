// Packed-bit helpers shared by every backend (docs/layout.md): bit 0 = +1, bit 1 = -1, 32 channels a word.

/** Words per pixel for `channels` packed channels. */
export function wordsFor(channels: number): number {
  return (channels + 31) >>> 5;
}

/** Number of set bits in a u32 (SWAR popcount). */
export function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** Packs +-1 values (any x >= 0 counts as +1) of a [pixels, channels] array into words. */
export function packSigns(values: ArrayLike<number>, pixels: number, channels: number): Uint32Array {
  const words = wordsFor(channels);
  const out = new Uint32Array(pixels * words);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < channels; c++) {
      if (!(values[p * channels + c] >= 0)) out[p * words + (c >>> 5)] |= 1 << (c & 31);
    }
  }
  return out;
}

/** Unpacks words into +-1 floats, [pixels, channels]. */
export function unpackSigns(bits: Uint32Array, pixels: number, channels: number): Float32Array {
  const words = wordsFor(channels);
  const out = new Float32Array(pixels * channels);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < channels; c++) {
      out[p * channels + c] = (bits[p * words + (c >>> 5)] >>> (c & 31)) & 1 ? -1 : 1;
    }
  }
  return out;
}
