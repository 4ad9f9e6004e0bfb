// What bench/onnx-browser.ts hands the ORT comparison page (manifest.json in the served folder) and what the
// page returns. One page load measures one thread count: ORT fixes its thread count when its WebAssembly module
// starts, so 1 and 2 threads are two loads of the same page (?threads=N) in the same browser.
import type { OnnxRow, OnnxTimingOptions, PeerSide } from '../peer-turns';

export type { OnnxRow } from '../peer-turns';

export interface OnnxPageModel {
  id: string;
  /** File names in the served folder. */
  bee: string;
  onnx: { float32: string; int8: string };
  /** ONNX input shape per clip ([h, w, c]). */
  inputShape: [number, number, number];
  /** Clips in `inputs` (float32, `inputSize` values each, back to back): timed (cycled) and checked for agreement. */
  inputs: string;
  clips: number;
  inputSize: number;
  classes: number;
  inputsSource: string;
}

export interface OnnxPageOptions extends OnnxTimingOptions {
  /** False: agreement only, nothing timed (the smoke test). */
  timing: boolean;
}

export interface OnnxPageManifest {
  options: OnnxPageOptions;
  models: OnnxPageModel[];
  /** URL path of onnxruntime-web's dist folder (ort.wasm.min.mjs and its WebAssembly glue). */
  ort: string;
}

/** ORT's class against beenet's last exit (full network, threshold 0) on every clip of the page's inputs. */
export interface OnnxPageAgreement {
  model: string;
  clips: number;
  float32: { sameClass: number; maxAbsDiff: number };
  int8: { sameClass: number; maxAbsDiff: number };
}

export interface OnnxPageResult {
  /** The thread count asked for (ORT numThreads and beenet's `threads`). */
  threads: number;
  /** What this page load timed: both runtimes in turns, or one alone (?side=; agreement is checked in every load). */
  side: PeerSide;
  /** ORT's numThreads after its module started (it drops to 1 without cross-origin isolation). */
  ortThreads: number;
  ortVersion: string;
  userAgent: string;
  hardwareConcurrency: number;
  crossOriginIsolated: boolean;
  rows: OnnxRow[];
  agreement: OnnxPageAgreement[];
}

declare global {
  interface Window {
    __onnxResult?: OnnxPageResult;
    __onnxError?: string;
  }
}
