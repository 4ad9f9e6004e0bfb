// Node-only: a WebGPU implementation from the `webgpu` package (Dawn). Browser code never imports this file.
import { existsSync } from 'node:fs';
import { BeenetError } from '../errors';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

// Dawn crashes the process when its GPU object is garbage-collected while devices are in use, so the
// instance lives for the whole process.
let instance: GPU | null = null;
let instanceFlags = '';

/** Errors that reached a device's `uncapturederror` event, newest last (the listener suppresses Dawn's printing). */
export const uncapturedErrors: GPUError[] = [];

interface WebgpuModule {
  create(options: string[]): GPU;
  globals: object;
}

/**
 * Loads Dawn once and returns its `GPU`; throws NO_WEBGPU when the package cannot load. `dawnFlags` go to the
 * webgpu package's `create()` (e.g. `enable-dawn-features=skip_validation`) and apply to the one instance, so a
 * later call with other flags throws BAD_INPUT.
 */
export async function nodeGpu(dawnFlags: readonly string[] = []): Promise<GPU> {
  const flags = dawnFlags.join(' ');
  if (instance) {
    if (flags !== instanceFlags) {
      throw new BeenetError('BAD_INPUT', `Dawn is already running with flags '${instanceFlags}'; cannot restart it with '${flags}'`);
    }
    return instance;
  }
  // Without a GPU, Dawn finds no Vulkan driver; Debian's chromium ships SwiftShader, a complete one.
  if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    process.env.NODEVICE_SELECT ??= '1';
  }
  let mod: WebgpuModule;
  try {
    mod = (await import('webgpu')) as unknown as WebgpuModule;
  } catch (cause) {
    throw new BeenetError(
      'NO_WEBGPU',
      "WebGPU for Node is unavailable: the optional peer dependency 'webgpu' (Dawn) is not installed or failed to load. " +
        'Install it with `npm install webgpu` (Linux needs libvulkan1 and a Vulkan driver, e.g. SwiftShader from the chromium ' +
        "package); backend 'wasm' and 'cpu' work without it.",
      { cause },
    );
  }
  Object.assign(globalThis, mod.globals);
  instance = mod.create([...dawnFlags]);
  instanceFlags = flags;
  return instance;
}

/** Records a device's uncaptured errors instead of letting Dawn print them to stdout. */
export function watchUncapturedErrors(device: GPUDevice): void {
  device.addEventListener('uncapturederror', (event) => {
    const e = event as GPUUncapturedErrorEvent;
    e.preventDefault();
    uncapturedErrors.push(e.error);
  });
}
