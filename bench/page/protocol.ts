// What the Node side hands the browser page (manifest.json in the served folder) and what the page returns.
import type { StageGpuTime } from '../gpu-timing';
import type { PeerMeasurements, PeerSpec } from '../peer';
import type { BackendResult, BeenetMeasurements, ColdStart, SuiteOptions } from '../suite';

export interface PageModel {
  id: string;
  /** File names in the served folder. */
  bee: string;
  inputs: string;
  /** Clips in `inputs` (float32, `inputSize` values each, back to back). */
  clips: number;
  inputSize: number;
  inputsSource: string;
  peer: PeerSpec;
  /** Float32 peer parameters back to back in this file, in `peerNames` order; null: fresh initialisation. */
  peerValues: string | null;
  peerNames: [string, number][];
}

export interface PageManifest {
  options: SuiteOptions;
  models: PageModel[];
  /** Folder (URL path) of the TF.js WASM binaries. */
  tfjsWasm: string;
}

export type PageBackend<T> = BackendResult<T>;

export interface PageAdapter {
  info: { vendor: string; architecture: string; device: string; description: string };
  /** The browser's own flag (adapter.info.isFallbackAdapter, or adapter.isFallbackAdapter in older builds). */
  isFallbackAdapter: boolean | null;
  /** beenet's verdict (flag, or a known software rasteriser by name). */
  software: boolean;
  kind: string;
  features: string[];
}

export interface PageModelResult {
  webgpu: PageBackend<{ coldStart: ColdStart; beenet: BeenetMeasurements; gpuTime: StageGpuTime[] | null; runtimeInfo: unknown }>;
  wasm: PageBackend<{ coldStart: ColdStart; beenet: BeenetMeasurements; gpuTime: StageGpuTime[] | null; runtimeInfo: unknown }>;
  peerWebgpu: PageBackend<PeerMeasurements>;
  peerWasm: PageBackend<PeerMeasurements>;
}

export interface PageResult {
  userAgent: string;
  adapter: PageAdapter | null;
  crossOriginIsolated: boolean;
  results: Record<string, PageModelResult>;
}

declare global {
  interface Window {
    __benchResult?: PageResult;
    __benchError?: string;
  }
}
