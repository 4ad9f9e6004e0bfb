// The XNOR-popcount inner loop of wasm/assembly/bconv.ts with nothing around it: one activation word splatted,
// XORed with 8 weight vectors (32 output channels) from L1, i8x16.popcnt, added into u8 lanes. No patch
// gathering, no widening, no transform: the most binary MACs per second the 128-bit SIMD path can give.
// Compiled by bench/popcount-bound.ts at run time (not part of the shipped kernels in wasm/assembly).

/** `rounds` passes over `words` activation words (x) and their 8 weight vectors each (w, 128 bytes a word). */
export function xorPopcount(x: usize, w: usize, words: i32, rounds: i32): i32 {
  let a0 = i8x16.splat(0);
  let a1 = a0;
  let a2 = a0;
  let a3 = a0;
  let a4 = a0;
  let a5 = a0;
  let a6 = a0;
  let a7 = a0;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < words; i++) {
      const xs = v128.load32_splat(x + (<usize>i << 2));
      const wp = w + (<usize>i << 7);
      a0 = i8x16.add(a0, i8x16.popcnt(v128.xor(xs, v128.load(wp))));
      a1 = i8x16.add(a1, i8x16.popcnt(v128.xor(xs, v128.load(wp, 16))));
      a2 = i8x16.add(a2, i8x16.popcnt(v128.xor(xs, v128.load(wp, 32))));
      a3 = i8x16.add(a3, i8x16.popcnt(v128.xor(xs, v128.load(wp, 48))));
      a4 = i8x16.add(a4, i8x16.popcnt(v128.xor(xs, v128.load(wp, 64))));
      a5 = i8x16.add(a5, i8x16.popcnt(v128.xor(xs, v128.load(wp, 80))));
      a6 = i8x16.add(a6, i8x16.popcnt(v128.xor(xs, v128.load(wp, 96))));
      a7 = i8x16.add(a7, i8x16.popcnt(v128.xor(xs, v128.load(wp, 112))));
    }
  }
  // Every accumulator feeds the result, so none of the work can be dropped.
  const s = i8x16.add(i8x16.add(i8x16.add(a0, a1), i8x16.add(a2, a3)), i8x16.add(i8x16.add(a4, a5), i8x16.add(a6, a7)));
  return i32x4.extract_lane(s, 0) ^ i32x4.extract_lane(s, 1) ^ i32x4.extract_lane(s, 2) ^ i32x4.extract_lane(s, 3);
}
