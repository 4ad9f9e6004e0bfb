// Output sizes and padding (TensorFlow's SAME rule), shared by every backend and shape inference.
/** TensorFlow's padding modes. */
export type Padding = 'same' | 'valid';

export interface Window2d {
  kernel: readonly [number, number];
  stride: readonly [number, number];
}

/** Output length and the padding before the first element along one axis. */
export function outputAxis(size: number, k: number, s: number, padding: Padding): { out: number; padBefore: number } {
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
  padding: Padding;
  outChannels: number;
}

/** Geometry of a convolution applied to `input`: output shape and padding offsets. */
export function convOutput(input: MapShape, g: ConvGeometry): { shape: MapShape; padTop: number; padLeft: number } {
  const y = outputAxis(input.h, g.kernel[0], g.stride[0], g.padding);
  const x = outputAxis(input.w, g.kernel[1], g.stride[1], g.padding);
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
