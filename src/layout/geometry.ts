// Output sizes and padding (TensorFlow's SAME rule), shared by every backend and shape inference.
/** TensorFlow's padding modes. */
export type Padding = 'same' | 'valid';

export interface Window2d {
  kernel: readonly [number, number];
  stride: readonly [number, number];
}

/**
 * Zeros added on each side, in elements: what a planner's rewritten convolution needs when neither rule gives
 * its shape (src/plan/fold-pool.ts). Model files only say 'same' or 'valid'.
 */
export interface ExplicitPadding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** Output length and the padding before the first element along one axis ([before, after]: explicit zeros). */
export function outputAxis(size: number, k: number, s: number, padding: Padding | readonly [number, number]): { out: number; padBefore: number } {
  if (typeof padding !== 'string') return { out: Math.floor((size + padding[0] + padding[1] - k) / s) + 1, padBefore: padding[0] };
  if (padding === 'same') {
    const out = Math.ceil(size / s);
    const total = Math.max((out - 1) * s + k - size, 0);
    return { out, padBefore: Math.floor(total / 2) };
  }
  return { out: Math.floor((size - k) / s) + 1, padBefore: 0 };
}

/** A feature-map shape with the batch axis. */
export interface MapShape {
  n: number;
  h: number;
  w: number;
  c: number;
}

export interface ConvGeometry extends Window2d {
  padding: Padding | ExplicitPadding;
  outChannels: number;
}

/** Geometry of a convolution applied to `input`: output shape and padding offsets. */
export function convOutput(input: MapShape, g: ConvGeometry): { shape: MapShape; padTop: number; padLeft: number } {
  const p = g.padding;
  const y = outputAxis(input.h, g.kernel[0], g.stride[0], typeof p === 'string' ? p : [p.top, p.bottom]);
  const x = outputAxis(input.w, g.kernel[1], g.stride[1], typeof p === 'string' ? p : [p.left, p.right]);
  return { shape: { n: input.n, h: y.out, w: x.out, c: g.outChannels }, padTop: y.padBefore, padLeft: x.padBefore };
}

/** Output shape of VALID pooling. */
export function poolOutput(input: MapShape, win: Window2d): MapShape {
  return {
    n: input.n,
    h: outputAxis(input.h, win.kernel[0], win.stride[0], 'valid').out,
    w: outputAxis(input.w, win.kernel[1], win.stride[1], 'valid').out,
    c: input.c,
  };
}
