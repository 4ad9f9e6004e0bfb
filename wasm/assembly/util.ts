// Small helpers shared by the kernels.

/** Stores the first `left` (>= 4: all) f32 lanes of `v` at `dst`. */
export function storePartial(dst: usize, v: v128, left: i32): void {
  if (left >= 4) {
    v128.store(dst, v);
  } else {
    v128.store32_lane(dst, v, 0);
    if (left > 1) v128.store32_lane(dst, v, 1, 4);
    if (left > 2) v128.store32_lane(dst, v, 2, 8);
  }
}
