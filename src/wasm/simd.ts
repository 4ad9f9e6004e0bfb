// The WebAssembly SIMD probe, on its own so the runtime can choose a backend without loading the kernels' bytes.
// (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt): validates only where SIMD (with popcnt) exists.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

/**
 * Whether this engine runs WebAssembly with 128-bit SIMD, and may compile it here: a page whose
 * Content-Security-Policy lacks 'wasm-unsafe-eval' validates modules but refuses to compile them.
 */
export function wasmSimdSupported(): boolean {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.validate !== 'function' || !WebAssembly.validate(SIMD_PROBE)) return false;
  try {
    new WebAssembly.Module(SIMD_PROBE);
    return true;
  } catch {
    return false;
  }
}
