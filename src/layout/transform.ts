// Output transforms with their parameters resolved to arrays (docs/layout.md, "Output transforms").

export type ActivationParams =
  | { kind: 'none' }
  | { kind: 'relu' }
  | { kind: 'prelu'; slope: Float32Array }
  | { kind: 'rprelu'; shiftIn: Float32Array; slope: Float32Array; shiftOut: Float32Array };

/** Packed-bit output: +1 iff acc >= threshold (flip 0) or acc <= threshold (flip 1). */
export interface ThresholdParams<T extends Int32Array | Float32Array = Int32Array | Float32Array> {
  kind: 'threshold';
  threshold: T;
  flip: Uint32Array;
}

/** Float output: acc * mul + add, + residual, then the activation. */
export interface AffineParams {
  kind: 'affine';
  mul: Float32Array;
  add: Float32Array;
  /** Same shape as the output, or null. */
  residual: Float32Array | null;
  activation: ActivationParams;
}

export type OutputTransform = ThresholdParams | AffineParams;

/** acc * 1 + 0, no residual, no activation: a layer's raw accumulators as floats. */
export function identityAffine(channels: number): AffineParams & { residual: null } {
  return { kind: 'affine', mul: new Float32Array(channels).fill(1), add: new Float32Array(channels), residual: null, activation: { kind: 'none' } };
}

/** Activation code used by the WGSL and WASM kernels' uniforms. */
export function activationCode(a: ActivationParams): number {
  switch (a.kind) {
    case 'none':
      return 0;
    case 'relu':
      return 1;
    case 'prelu':
      return 2;
    case 'rprelu':
      return 3;
  }
}
