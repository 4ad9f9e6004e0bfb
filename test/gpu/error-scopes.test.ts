// Error scopes are one stack per device: beenet's sections run one at a time per device, so an error lands in the
// section that caused it, whatever the interleaving of their awaits.
import { describe, expect, it } from 'vitest';
import { isBeenetError } from '../../src/errors';
import { withErrorScopes } from '../../src/gpu/error-scopes';
import { testGpu } from '../helpers/gpu';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('withErrorScopes', () => {
  it('a validation error goes to the section that caused it, not to one that awaited across it', async () => {
    const { device } = await testGpu();
    const order: string[] = [];
    // Unserialised, the clean section would pop the faulty one's scopes (pushed while it slept) and take its error.
    const clean = withErrorScopes(device, 'clean section', async () => {
      order.push('clean start');
      await sleep(30);
      order.push('clean end');
      return 'ok';
    });
    const faulty = withErrorScopes(device, 'faulty section', async () => {
      order.push('faulty start');
      device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
      await sleep(60);
      return 'should not resolve';
    });
    await expect(clean).resolves.toBe('ok');
    const e = await faulty.catch((x: unknown) => x);
    expect(isBeenetError(e, 'KERNEL_BINDING'), String(e)).toBe(true);
    expect((e as Error).message).toMatch(/^faulty section failed on the GPU: /);
    expect(order).toEqual(['clean start', 'clean end', 'faulty start']);
    // A section that throws still pops its scopes: the next one starts clean.
    await expect(withErrorScopes(device, 'throws', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(withErrorScopes(device, 'after', () => Promise.resolve(1))).resolves.toBe(1);
  });
});
