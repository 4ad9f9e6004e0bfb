// Adapter and device acquisition (browser-safe): features and limits beenet wants, software detection,
// device-loss reporting.
import { BeenetError } from '../errors';

export interface AcquireOptions {
  /** A GPU object (Node: from src/node/gpu.ts); defaults to navigator.gpu. */
  gpu?: GPU;
  /** Use this device instead of requesting one (the adapter fields are then best-effort). */
  device?: GPUDevice;
  powerPreference?: GPUPowerPreference;
  forceFallbackAdapter?: boolean;
}

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

export interface GpuContext {
  device: GPUDevice;
  adapterInfo: AdapterSummary;
  /** True for fallback adapters and known software rasterisers (SwiftShader, llvmpipe, lavapipe). */
  isFallbackAdapter: boolean;
  features: string[];
  limits: GPUSupportedLimits;
  /** Resolves when the device is lost (destroyed or a driver failure). */
  lost: Promise<GPUDeviceLostInfo>;
  /** Registers a callback for device loss; returns a function that unregisters it. */
  onLost(callback: (info: GPUDeviceLostInfo) => void): () => void;
}

const WANTED_FEATURES: GPUFeatureName[] = ['subgroups' as GPUFeatureName, 'timestamp-query'];
const RAISED_LIMITS = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeInvocationsPerWorkgroup'] as const;

function summarize(info: GPUAdapterInfo | undefined): AdapterSummary {
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
  };
}

/** Whether an adapter is a fallback or a CPU implementation, by its flags and its self-description. */
export function isSoftwareAdapter(info: AdapterSummary, flag: boolean | undefined): boolean {
  if (flag === true) return true;
  if (info.architecture.toLowerCase() === 'swiftshader') return true;
  const text = `${info.description} ${info.device} ${info.vendor}`.toLowerCase();
  return text.includes('llvmpipe') || text.includes('lavapipe') || text.includes('swiftshader');
}

function defaultGpu(): GPU {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (!nav?.gpu) {
    throw new BeenetError(
      'NO_WEBGPU',
      'WebGPU is not available (navigator.gpu is missing). Use a browser with WebGPU enabled (Chrome/Edge 113+, ' +
        'Firefox 141+ on Windows, Safari 26+; on Linux Chrome needs --enable-unsafe-webgpu) over https or localhost, ' +
        "or in Node pass { gpu } from beenet's Node entry (the 'webgpu' package).",
    );
  }
  return nav.gpu;
}

function wrap(device: GPUDevice, info: AdapterSummary, fallback: boolean): GpuContext {
  const callbacks = new Set<(info: GPUDeviceLostInfo) => void>();
  const lost = device.lost.then((l) => {
    for (const cb of callbacks) cb(l);
    return l;
  });
  return {
    device,
    adapterInfo: info,
    isFallbackAdapter: fallback,
    features: [...device.features].map(String).sort(),
    limits: device.limits,
    lost,
    onLost(cb) {
      callbacks.add(cb);
      return () => callbacks.delete(cb);
    },
  };
}

/** Requests an adapter and a device with the features and limits beenet uses. */
export async function acquireGpu(options: AcquireOptions = {}): Promise<GpuContext> {
  if (options.device) {
    const info = summarize((options.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo);
    return wrap(options.device, info, isSoftwareAdapter(info, undefined));
  }
  const gpu = options.gpu ?? defaultGpu();
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({
      powerPreference: options.powerPreference,
      forceFallbackAdapter: options.forceFallbackAdapter,
    });
  } catch (cause) {
    throw new BeenetError('NO_ADAPTER', `requestAdapter() failed: ${String(cause)}`, { cause });
  }
  if (!adapter) {
    throw new BeenetError(
      'NO_ADAPTER',
      typeof process !== 'undefined' && typeof process.versions?.node === 'string'
        ? 'No WebGPU adapter: requestAdapter() returned null (no usable GPU driver; in Node on Linux without a GPU set ' +
          'VK_ICD_FILENAMES to a Vulkan driver such as /usr/lib/chromium/vk_swiftshader_icd.json).'
        : 'No WebGPU adapter: this browser offers WebGPU but gave no adapter (GPU blocklisted or disabled, or no ' +
          "driver); backend 'auto' runs on WebAssembly instead.",
    );
  }
  const info = summarize(adapter.info);
  const flag =
    (adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ??
    (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f));
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) requiredLimits[name] = adapter.limits[name];
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  } catch (cause) {
    throw new BeenetError('NO_ADAPTER', `requestDevice() failed on ${info.description || info.vendor}: ${String(cause)}`, {
      cause,
    });
  }
  return wrap(device, info, isSoftwareAdapter(info, flag));
}
