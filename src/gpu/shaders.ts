// The WGSL sources of every kernel, bundled as strings (Vite `?raw`; scripts/wgsl-loader.mjs in plain Node).
import bconv from '../../shaders/bconv.wgsl?raw';
import bconvLanes from '../../shaders/bconv_lanes.wgsl?raw';
import bdense from '../../shaders/bdense.wgsl?raw';
import convReal from '../../shaders/conv_real.wgsl?raw';
import convRealLanes from '../../shaders/conv_real_lanes.wgsl?raw';
import dense from '../../shaders/dense.wgsl?raw';
import exitGate from '../../shaders/exit_gate.wgsl?raw';
import exitHead from '../../shaders/exit_head.wgsl?raw';
import exitResult from '../../shaders/exit_result.wgsl?raw';
import gap from '../../shaders/gap.wgsl?raw';
import maxpoolBits from '../../shaders/maxpool_bits.wgsl?raw';
import pack from '../../shaders/pack.wgsl?raw';
import poolFloat from '../../shaders/pool_float.wgsl?raw';
import poolFloatPack from '../../shaders/pool_float_pack.wgsl?raw';
import transform from '../../shaders/transform.wgsl?raw';
import { contractOf, KERNEL_NAMES, type KernelName } from './contract';
import type { KernelRegistry, KernelSource } from './registry';

export { KERNEL_NAMES, type KernelName };

// Typed by the contract: a shader file without an entry here (or an entry without a file) fails to compile.
const CODE: Record<KernelName, string> = {
  pack,
  conv_real: convReal,
  conv_real_lanes: convRealLanes,
  bconv,
  bconv_lanes: bconvLanes,
  maxpool_bits: maxpoolBits,
  pool_float: poolFloat,
  pool_float_pack: poolFloatPack,
  gap,
  dense,
  bdense,
  exit_result: exitResult,
  exit_gate: exitGate,
  exit_head: exitHead,
};

/** Snippets a kernel appends (its `// beenet:append` line; WGSL has no includes). */
const SNIPPETS: Record<string, string> = { 'shaders/transform.wgsl': transform };

export function kernelSource(name: KernelName): KernelSource {
  const { file, appends } = contractOf(name);
  if (!appends) return { name, file, code: CODE[name] };
  const own = CODE[name].endsWith('\n') ? CODE[name] : `${CODE[name]}\n`;
  return { name, file, code: own + SNIPPETS[appends], appended: { file: appends, line: own.split('\n').length } };
}

/** Registers a kernel with the registry (once) and returns its name. */
export function ensureKernel(reg: KernelRegistry, name: KernelName): KernelName {
  reg.define(kernelSource(name));
  return name;
}

/** Registers every kernel and compiles all pipelines concurrently. */
export async function precompileAll(reg: KernelRegistry, names: readonly KernelName[] = KERNEL_NAMES): Promise<void> {
  for (const n of names) ensureKernel(reg, n);
  await reg.precompile(names.map((name) => ({ name })));
}
