// WebGPU error scopes are one stack per device: two loads that push, await and pop on the same device would
// take each other's errors. Every beenet section that needs scopes runs through here, one at a time per device.
import { BeenetError } from '../errors';

const tails = new WeakMap<GPUDevice, Promise<unknown>>();

/**
 * Runs `fn` inside an out-of-memory and a validation scope of its own (sections on one device run in turn).
 * A captured error rejects with LIMIT_EXCEEDED (out of memory) or KERNEL_BINDING (validation), naming `what`.
 */
export function withErrorScopes<T>(device: GPUDevice, what: string, fn: () => Promise<T>): Promise<T> {
  const run = async (): Promise<T> => {
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    let result: T;
    try {
      result = await fn();
    } catch (e) {
      await device.popErrorScope().catch(() => null);
      await device.popErrorScope().catch(() => null);
      throw e;
    }
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    if (oom) throw new BeenetError('LIMIT_EXCEEDED', `${what} ran out of GPU memory: ${oom.message}`);
    if (validation) throw new BeenetError('KERNEL_BINDING', `${what} failed on the GPU: ${validation.message}`);
    return result;
  };
  const previous = tails.get(device) ?? Promise.resolve();
  const next = previous.then(run, run);
  tails.set(device, next.catch(() => null));
  return next;
}
