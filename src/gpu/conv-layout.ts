// Which convolution kernels an adapter gets, on its own so the runtime can decide without loading any kernel.
/**
 * How a convolution is spread over invocations: 'tiled' (shaders/bconv.wgsl, conv_real.wgsl: 4 pixels x 32
 * channels each, for software adapters: few, wide threads) or 'lanes' (bconv_lanes.wgsl, conv_real_lanes.wgsl:
 * one output channel each, for hardware GPUs, which the tiled kernels leave almost idle at audio sizes).
 */
export type ConvLayout = 'tiled' | 'lanes';

/** The layout for an adapter: lanes on a hardware GPU, tiled on a software one. */
export function convLayoutFor(isFallbackAdapter: boolean): ConvLayout {
  return isFallbackAdapter ? 'tiled' : 'lanes';
}
