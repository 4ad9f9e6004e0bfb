// beenet for Node: the same API, with Dawn's WebGPU (the `webgpu` package) and models read from file paths.
import { readFile } from 'node:fs/promises';
import { nodeGpu } from './node/gpu';
import { Runtime, type RuntimeOptions } from './runtime/runtime';

export * from './index';

/** Creates a runtime in Node: WebGPU through Dawn (finding SwiftShader on Debian when no GPU driver is set up). */
export async function createNodeRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const wantsGpu = (options.backend ?? 'auto') === 'auto' || options.backend === 'webgpu';
  let gpu = options.gpu;
  if (!gpu && !options.device && wantsGpu) {
    try {
      gpu = await nodeGpu();
    } catch (e) {
      if (options.backend === 'webgpu') throw e;
    }
  }
  return Runtime.create({
    ...options,
    gpu,
    readFile: options.readFile ?? (async (path) => new Uint8Array(await readFile(path))),
  });
}

export { nodeGpu };
