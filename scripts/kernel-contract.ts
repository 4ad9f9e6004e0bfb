// The kernel contract, reflected from shaders/*.wgsl at build time with wgsl_reflect: per kernel its entry
// point, workgroup size, bindings (name, slot, kind, smallest valid size), the `Params` uniform's fields (name,
// byte offset, type) and the shared snippet it appends. Written to src/gpu/generated/kernel-contract.ts, which the
// runtime reads instead of parsing WGSL in the browser; test/gpu/kernel-contract.test.ts fails when it is stale.
//   npm run build:contract
// A kernel that calls the shared output transform says so on a line of its own: `// beenet:append transform.wgsl`.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ResourceType, WgslReflect, type VariableInfo } from 'wgsl_reflect/wgsl_reflect.module.js';
import type { KernelContractShape } from '../src/gpu/contract';

const ROOT = resolve(import.meta.dirname, '..');
export const CONTRACT_FILE = join(ROOT, 'src/gpu/generated/kernel-contract.ts');

/** Snippets other kernels append (WGSL has no includes); not kernels themselves. */
const SNIPPETS = new Set(['transform.wgsl']);
const APPEND = /^\/\/ beenet:append (\S+\.wgsl)\b/m;

/** Smallest valid binding size: the reflected size, or for runtime-sized arrays the fixed prefix plus one element. */
function minBindingSize(v: VariableInfo): number {
  if (v.size > 0) return v.size;
  if (v.type.isArray) return Math.max(4, v.stride);
  const members = v.members;
  if (members && members.length > 0) {
    const last = members[members.length - 1];
    return last.offset + Math.max(4, last.stride);
  }
  return 4;
}

function kindOf(v: VariableInfo): KernelContractShape['bindings'][number]['kind'] {
  if (v.resourceType === ResourceType.Uniform) return 'uniform';
  return v.access === 'read_write' || v.access === 'write' ? 'storage' : 'read-only-storage';
}

/**
 * The contract of one kernel's WGSL (`code`, with any snippet already appended): also used by tests and
 * benchmarks that register kernels of their own.
 */
export function reflectWgsl(code: string, file: string, appends: string | null = null): KernelContractShape {
  const reflect = new WgslReflect(code);
  const entries = reflect.entry.compute;
  if (entries.length !== 1) throw new Error(`${file}: expected one compute entry point, found ${entries.length}`);
  const bindings: KernelContractShape['bindings'][number][] = [];
  let uniform: KernelContractShape['uniform'] = null;
  let params: KernelContractShape['params'] = [];
  for (const group of reflect.getBindGroups()) {
    for (const v of group ?? []) {
      if (!v) continue;
      if (v.group !== 0) throw new Error(`${file}: binding '${v.name}' must be in group 0`);
      const kind = kindOf(v);
      bindings.push({ name: v.name, binding: v.binding, kind, minSize: minBindingSize(v) });
      if (kind !== 'uniform') continue;
      if (uniform) throw new Error(`${file}: more than one uniform binding`);
      params = (v.members ?? []).map((m) => {
        const type = m.type.name;
        if (type !== 'u32' && type !== 'i32' && type !== 'f32') throw new Error(`${file}: Params.${m.name} is ${type}; only u32, i32 and f32 fields are supported`);
        return { name: m.name, offset: m.offset, type };
      });
      uniform = { binding: v.name, size: v.size };
    }
  }
  bindings.sort((a, b) => a.binding - b.binding);
  const wg = entries[0].workgroupSize ?? [1, 1, 1];
  return { file, appends, entryPoint: entries[0].name, workgroupSize: [wg[0] ?? 1, wg[1] ?? 1, wg[2] ?? 1], bindings, uniform, params };
}

function reflectKernel(dir: string, file: string): KernelContractShape & { uniform: { binding: string; size: number } } {
  const own = readFileSync(join(dir, file), 'utf8');
  const append = APPEND.exec(own)?.[1] ?? null;
  if (append && !SNIPPETS.has(append)) throw new Error(`shaders/${file}: appends unknown snippet ${append}`);
  const code = append ? `${own}\n${readFileSync(join(dir, append), 'utf8')}` : own;
  const k = reflectWgsl(code, `shaders/${file}`, append ? `shaders/${append}` : null);
  if (!k.uniform) throw new Error(`shaders/${file}: no uniform Params binding`);
  return { ...k, uniform: k.uniform };
}

/** The generated module's text for the shaders in `dir`. */
export function generateKernelContract(dir = join(ROOT, 'shaders')): string {
  const files = readdirSync(dir).filter((f) => f.endsWith('.wgsl') && !SNIPPETS.has(f)).sort();
  const kernels = files.map((f) => [f.replace(/\.wgsl$/, ''), reflectKernel(dir, f)] as const);
  const inline = (v: unknown): string =>
    Array.isArray(v)
      ? `[${v.map(inline).join(', ')}]`
      : v && typeof v === 'object'
        ? `{ ${Object.entries(v).map(([k, x]) => `${k}: ${inline(x)}`).join(', ')} }`
        : typeof v === 'string'
          ? `'${v}'`
          : String(v);
  const list = (items: readonly unknown[]): string => `[\n${items.map((x) => `      ${inline(x)},`).join('\n')}\n    ]`;
  const body = kernels
    .map(([name, k]) =>
      [
        `  ${name}: {`,
        `    file: '${k.file}',`,
        `    appends: ${k.appends ? `'${k.appends}'` : 'null'},`,
        `    entryPoint: '${k.entryPoint}',`,
        `    workgroupSize: ${inline(k.workgroupSize)},`,
        `    bindings: ${list(k.bindings)},`,
        `    uniform: { binding: '${k.uniform.binding}', size: ${k.uniform.size} },`,
        `    params: ${list(k.params)},`,
        '  },',
      ].join('\n'),
    )
    .join('\n');
  return [
    '// Generated from shaders/*.wgsl by scripts/kernel-contract.ts (npm run build:contract). Do not edit:',
    '// test/gpu/kernel-contract.test.ts fails when this file and the shaders disagree.',
    "import type { KernelContractShape } from '../contract';",
    '',
    'export const KERNEL_CONTRACT = {',
    body,
    '} as const satisfies Record<string, KernelContractShape>;',
    '',
  ].join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  writeFileSync(CONTRACT_FILE, generateKernelContract());
  console.log(`wrote ${CONTRACT_FILE}`);
}
