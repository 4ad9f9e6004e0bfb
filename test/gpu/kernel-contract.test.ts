// The kernel contract: generated from the WGSL (a stale file fails here, so CI catches a shader edited without
// `npm run build:contract`), and uniforms set by field name with errors that name the kernel and the field.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTRACT_FILE, generateKernelContract, reflectWgsl } from '../../scripts/kernel-contract';
import { isBeenetError } from '../../src/errors';
import { encodeParams, KERNEL_NAMES, type KernelParams } from '../../src/gpu/contract';
import { KERNEL_CONTRACT } from '../../src/gpu/generated/kernel-contract';
import { kernelSource } from '../../src/gpu/shaders';

/** A field's reflected byte offset (read straight from the generated contract). */
function offsetOf(kernel: keyof typeof KERNEL_CONTRACT, field: string): number {
  const f = KERNEL_CONTRACT[kernel].params.find((p) => p.name === field);
  if (!f) throw new Error(`${kernel} has no field ${field}`);
  return f.offset;
}

function errorOf(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('kernel contract', () => {
  it('the generated file is what the shaders say (run npm run build:contract after editing a shader)', () => {
    expect(readFileSync(CONTRACT_FILE, 'utf8')).toBe(generateKernelContract());
  });

  it('matches the code the runtime compiles for every kernel, appended snippet included', () => {
    expect(KERNEL_NAMES.length).toBe(14);
    for (const name of KERNEL_NAMES) {
      const src = kernelSource(name);
      const c = KERNEL_CONTRACT[name];
      expect(reflectWgsl(src.code, c.file, c.appends), name).toEqual(JSON.parse(JSON.stringify(c)));
      expect(src.appended?.file ?? null, name).toBe(c.appends);
    }
  });

  it('encodes fields by name at their reflected offsets and types; padding stays zero', () => {
    const words = encodeParams('exit_gate', { classes: 12, criterion: 1, threshold: 0.3, isLast: 0, exitIndex: 2, slots: 64 });
    expect(words.byteLength).toBe(KERNEL_CONTRACT.exit_gate.uniform.size);
    const view = new DataView(words.buffer);
    expect(view.getUint32(offsetOf('exit_gate', 'classes'), true)).toBe(12);
    expect(view.getFloat32(offsetOf('exit_gate', 'threshold'), true)).toBe(Math.fround(0.3));
    expect(view.getUint32(offsetOf('exit_gate', 'slots'), true)).toBe(64);
    const dense = encodeParams('dense', { batch: 3, inFeatures: 5, outFeatures: 7 });
    expect([...dense]).toEqual([3, 5, 7, 0]);
  });

  it('a missing, unknown or out-of-range field is an error naming kernel and field', () => {
    const missing = errorOf(() => encodeParams('dense', { batch: 3, inFeatures: 5 } as KernelParams<'dense'>));
    expect(isBeenetError(missing, 'KERNEL_BINDING')).toBe(true);
    expect(missing.message).toMatch(/kernel 'dense', uniform field 'outFeatures': missing/);
    const unknown = errorOf(() => encodeParams('dense', { batch: 3, inFeatures: 5, outFeatures: 7, bias: 1 } as KernelParams<'dense'>));
    expect(unknown.message).toMatch(/kernel 'dense', uniform field 'bias': no such field in shaders\/dense\.wgsl's Params/);
    const pad = errorOf(() => encodeParams('dense', { batch: 3, inFeatures: 5, outFeatures: 7, _pad: 1 } as KernelParams<'dense'>));
    expect(pad.message).toMatch(/field '_pad'/);
    expect(errorOf(() => encodeParams('dense', { batch: -1, inFeatures: 5, outFeatures: 7 })).message).toMatch(/'batch': u32 out of range, got -1/);
    expect(errorOf(() => encodeParams('exit_gate', { classes: 2, criterion: 0, threshold: NaN, isLast: 0, exitIndex: 0, slots: 1 })).message).toMatch(/'threshold': f32 must be finite/);
  });
});
