// The model description: what a `.bee` file's `__metadata__.model` holds, and what every backend runs.
//
// A graph is a list of layers over named *values* (activations of one clip; the batch axis is implicit).
// Values are either float NHWC tensors or packed-bit tensors (channels packed 32 to a u32 word, see
// docs/layout.md). Layers name their parameters by the tensor names of the `.bee` file.
//
// Scheduling boundary: the stem and block 0 run first, then exit 0; block 1, exit 1; and so on.
import type { Padding } from '../layout/geometry';

export type { Padding };

/** Name of a tensor stored in the model file. */
export type TensorName = string;
/** Name of an activation value inside the graph. The network's input value is called `input`. */
export type ValueName = string;

/** Which feature pipeline a front end runs (absent: 'logmel'). */
export type FrontendKind = 'logmel' | 'microfrontend';

/** Parameters of the TFLM-style microfrontend (src/audio/microfrontend.ts, docs/frontend.md). */
export interface MicrofrontendParams {
  /** Float samples in [-1, 1] are multiplied by this and rounded to int16 (32768: the int16 the audio came from). */
  inputScale: number;
  /** Per-channel noise reduction (spectral subtraction of a slow noise estimate) on or off. */
  noiseReductionEnabled: boolean;
  /** Noise-estimate fixed-point fraction bits. */
  smoothingBits: number;
  /** Noise-estimate update rate for even channels (0..1). */
  evenSmoothing: number;
  /** Noise-estimate update rate for odd channels (0..1). */
  oddSmoothing: number;
  /** Fraction of the signal always kept after noise subtraction (0..1). */
  minSignalRemaining: number;
  /** Per-channel energy normalisation (PCAN) on or off. */
  pcanEnabled: boolean;
  /** PCAN exponent (0 disables, 1 full normalisation). */
  pcanStrength: number;
  /** PCAN offset added to the noise estimate in the gain's denominator. */
  pcanOffset: number;
  /** Fraction bits of the PCAN gain. */
  pcanGainBits: number;
  /** The log output is ln(x) * 2^logScaleShift, as uint16. */
  logScaleShift: number;
  /** Feature = outputScale * uint16 output + outputOffset, clamped to [0, 255] (8-bit pixel units). */
  outputScale: number;
  outputOffset: number;
}

/** Audio front end parameters: the features a model was trained on. */
export interface FrontendConfig {
  /** Feature pipeline; absent means 'logmel' (files written before microfrontend support have no kind). */
  kind?: FrontendKind;
  /** Samples per second the model expects (audio at other rates is resampled). */
  sampleRate: number;
  /** Samples in one clip (16000 = 1 s at 16 kHz). */
  clipSamples: number;
  /** Analysis window length in samples (Hann). */
  windowSamples: number;
  /** Hop between frames in samples. */
  hopSamples: number;
  /** FFT size (>= windowSamples, power of two); magnitude spectrum. */
  fftSize: number;
  /** Number of mel bands. */
  melBands: number;
  fMinHz: number;
  fMaxHz: number;
  /** Log-mel features are log(mel + logOffset) (required for every kind; the microfrontend ignores it). */
  logOffset: number;
  /** Required when kind is 'microfrontend' (and only then). */
  microfrontend?: MicrofrontendParams;
  /** Optional per-band normalisation (x - mean) / std, tensors of shape [melBands]. */
  normalization: { mean: TensorName; std: TensorName } | null;
}

/** Per-channel sign decision folded from batch norm: output +1 iff y >= threshold (flip 0) or y <= threshold (flip 1). */
export interface ThresholdTransform {
  kind: 'threshold';
  /** I32 [C] for binary layers (integer dot products), F32 [C] for float inputs. */
  threshold: TensorName;
  /** U32 [C], each 0 or 1. */
  flip: TensorName;
}

export type Activation =
  | { kind: 'none' }
  | { kind: 'relu' }
  /** y > 0 ? y : slope[c] * y */
  | { kind: 'prelu'; slope: TensorName }
  /** z = y - shiftIn[c]; (z > 0 ? z : slope[c] * z) + shiftOut[c]   (ReActNet) */
  | { kind: 'rprelu'; shiftIn: TensorName; slope: TensorName; shiftOut: TensorName };

/** Float output: y = acc * mul[c] + add[c]; then + residual (same shape, float); then activation. */
export interface AffineTransform {
  kind: 'affine';
  mul: TensorName;
  add: TensorName;
  residual: ValueName | null;
  activation: Activation;
}

/** Real-valued convolution (zero padding) on a float input. Weights F32 OHWI [O, kh, kw, I]. */
export interface ConvRealLayer {
  type: 'conv_real';
  input: ValueName;
  output: ValueName;
  kernel: [number, number];
  stride: [number, number];
  padding: Padding;
  outChannels: number;
  weights: TensorName;
  /** affine -> float output; threshold (F32 thresholds on the raw accumulator) -> packed bits. */
  transform: AffineTransform | ThresholdTransform;
}

/** XNOR-popcount convolution on packed bits, one-padding for 'same'. Weights U32 OHWI [O, kh, kw, ceil(I/32)]. */
export interface BinaryConvLayer {
  type: 'bconv';
  input: ValueName;
  output: ValueName;
  kernel: [number, number];
  stride: [number, number];
  padding: Padding;
  outChannels: number;
  weights: TensorName;
  /** threshold (I32 on the integer dot product) -> packed bits; affine -> float. */
  transform: AffineTransform | ThresholdTransform;
}

/** Float -> packed bits: bit 0 (+1) iff x >= threshold[c] (flip 0) or x <= threshold[c] (flip 1). */
export interface PackLayer {
  type: 'pack';
  input: ValueName;
  output: ValueName;
  threshold: TensorName;
  flip: TensorName;
}

/** Max pooling (VALID, floor) on floats, or on packed bits (max of +-1 = bitwise AND). */
export interface MaxPoolLayer {
  type: 'maxpool';
  input: ValueName;
  output: ValueName;
  kernel: [number, number];
  stride: [number, number];
}

/** Average pooling (VALID, floor) on floats. */
export interface AvgPoolLayer {
  type: 'avgpool';
  input: ValueName;
  output: ValueName;
  kernel: [number, number];
  stride: [number, number];
}

/** Global average pooling to a float vector [C]; on bits the mean of +-1 values. */
export interface GlobalAvgPoolLayer {
  type: 'gap';
  input: ValueName;
  output: ValueName;
}

/** Float dense layer on a flattened float input. Weights F32 [O, I], bias F32 [O]. */
export interface DenseLayer {
  type: 'dense';
  input: ValueName;
  output: ValueName;
  outFeatures: number;
  weights: TensorName;
  bias: TensorName;
}

/** Binary dense layer on flattened packed bits. Weights U32 [O, ceil(I/32)]. */
export interface BinaryDenseLayer {
  type: 'bdense';
  input: ValueName;
  output: ValueName;
  outFeatures: number;
  weights: TensorName;
  transform: AffineTransform | ThresholdTransform;
}

export type Layer =
  | ConvRealLayer
  | BinaryConvLayer
  | PackLayer
  | MaxPoolLayer
  | AvgPoolLayer
  | GlobalAvgPoolLayer
  | DenseLayer
  | BinaryDenseLayer;

export type LayerType = Layer['type'];

export interface Block {
  layers: Layer[];
}

/** A classifier head after a block: its layers end in a float logits vector of length labels.length. */
export interface Exit {
  /** Index of the block this exit follows. */
  after: number;
  layers: Layer[];
  /** The value holding the logits. */
  logits: ValueName;
}

export type ExitCriterion = 'entropy' | 'maxprob';

export interface ExitPolicy {
  criterion: ExitCriterion;
  /** One per exit; the last exit always accepts. Entropy: exit when H/ln(C) < t. Maxprob: exit when max p >= t. */
  thresholds: number[];
}

/** Work per clip, counted by model/ops.ts. A MAC counts as one op. */
export interface OpCount {
  binaryOps: number;
  floatOps: number;
  params: number;
}

export interface ModelGraph {
  /** Float input of one clip: [frames, melBands, 1] (NHWC without N). */
  inputShape: [number, number, number];
  stem: Layer[];
  blocks: Block[];
  exits: Exit[];
}

/** Everything in `__metadata__.model` of a `.bee` file. */
export interface ModelDescription {
  format: 'beenet';
  version: 1;
  name: string;
  task: string;
  architecture: string;
  labels: string[];
  frontend: FrontendConfig;
  graph: ModelGraph;
  exitPolicy: ExitPolicy;
  /** Op counts: index 0 = stem + block 0, then one per block; and one per exit head. */
  ops: { blocks: OpCount[]; exits: OpCount[] };
  /** Free-form provenance: training data, seed, accuracy, date. */
  provenance?: Record<string, string | number | boolean>;
}
