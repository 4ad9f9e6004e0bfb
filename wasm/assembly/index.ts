// beenet's WebAssembly SIMD kernels. Every kernel works on raw byte addresses the host passes in; nothing is
// allocated here (runtime stub), the host owns the memory layout (src/wasm/module.ts).

export { bconv } from './bconv';
export { convReal } from './conv';
export { convPoolPack } from './conv-pool-pack';
export { dense } from './dense';
export { gapBits, gapFloat, maxpoolBits, poolFloat } from './pool';
export { emitRows } from './transform';

/** First free byte after the module's static data. */
export function heapBase(): usize {
  return __heap_base;
}
