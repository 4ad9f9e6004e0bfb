// The kernel contract (src/gpu/generated/kernel-contract.ts, reflected from the WGSL at build time): kernel
// names, and each kernel's `Params` uniform set by field name. A missing or unknown field is an error naming the
// kernel and the field, so host and shader can never silently disagree about a uniform's layout.
import { BeenetError } from '../errors';
import { KERNEL_CONTRACT } from './generated/kernel-contract';
import type { BufferRange } from './registry';

/** What a kernel's host side needs to know about its WGSL, reflected at build time (scripts/kernel-contract.ts). */
export interface KernelContractShape {
  file: string;
  /** The shared snippet appended to the kernel's code (`// beenet:append`), or null. */
  appends: string | null;
  entryPoint: string;
  workgroupSize: readonly number[];
  bindings: readonly { name: string; binding: number; kind: 'uniform' | 'read-only-storage' | 'storage'; minSize: number }[];
  /** The `Params` uniform's binding and byte size (shipped kernels always have one). */
  uniform: { binding: string; size: number } | null;
  params: readonly { name: string; offset: number; type: 'u32' | 'i32' | 'f32' }[];
}

export type KernelName = keyof typeof KERNEL_CONTRACT;

export const KERNEL_NAMES = Object.keys(KERNEL_CONTRACT) as KernelName[];

type FieldName<K extends KernelName> = (typeof KERNEL_CONTRACT)[K]['params'][number]['name'];

type BindingName<K extends KernelName> = (typeof KERNEL_CONTRACT)[K]['bindings'][number]['name'];

/**
 * A kernel's buffers by their WGSL binding names (the uniform left out: the host function makes it), so host and
 * shader use one name per binding.
 */
export type KernelBuffers<K extends KernelName, Optional extends string = never> = {
  [B in Exclude<BindingName<K>, (typeof KERNEL_CONTRACT)[K]['uniform']['binding'] | Optional>]: BufferRange;
} & { [B in Optional]?: BufferRange };

/** A kernel's uniform fields by name; `_`-prefixed padding fields are left out (they are written as zero). */
export type KernelParams<K extends KernelName> = { [F in Exclude<FieldName<K>, `_${string}`>]: number };

export function contractOf<K extends KernelName>(kernel: K): (typeof KERNEL_CONTRACT)[K] {
  const c = KERNEL_CONTRACT[kernel];
  if (!c) throw new BeenetError('KERNEL_BINDING', `kernel '${String(kernel)}' is not in the kernel contract`);
  return c;
}

function paramError(kernel: string, message: string): never {
  throw new BeenetError('KERNEL_BINDING', `kernel '${kernel}', uniform ${message}`);
}

/** The Params uniform's bytes (as u32 words) from field values by name, each written as its WGSL type. */
export function encodeParams<K extends KernelName>(kernel: K, values: KernelParams<K>): Uint32Array {
  const c = contractOf(kernel);
  const given = values as Record<string, number>;
  const fields: KernelContractShape['params'] = c.params;
  for (const name of Object.keys(given)) {
    if (name.startsWith('_') || !fields.some((f) => f.name === name)) paramError(kernel, `field '${name}': no such field in ${c.file}'s Params`);
  }
  const view = new DataView(new ArrayBuffer(c.uniform.size));
  for (const f of fields) {
    if (f.name.startsWith('_')) continue;
    const v = given[f.name];
    if (v === undefined) paramError(kernel, `field '${f.name}': missing`);
    if (f.type === 'f32') {
      if (!Number.isFinite(v)) paramError(kernel, `field '${f.name}': f32 must be finite, got ${v}`);
      view.setFloat32(f.offset, v, true);
    } else if (f.type === 'i32') {
      if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) paramError(kernel, `field '${f.name}': i32 out of range, got ${v}`);
      view.setInt32(f.offset, v, true);
    } else {
      if (!Number.isInteger(v) || v < 0 || v >= 2 ** 32) paramError(kernel, `field '${f.name}': u32 out of range, got ${v}`);
      view.setUint32(f.offset, v, true);
    }
  }
  return new Uint32Array(view.buffer);
}
