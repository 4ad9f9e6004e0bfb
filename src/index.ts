// beenet: binary early-exit networks on WebGPU and WebAssembly. The public API.
// Models, runtimes and detectors are Disposable (`using`); the reference carries Symbol.dispose's type into the
// emitted declarations, so consumers type-check them whatever their own `lib` setting (TypeScript >= 5.2).
/// <reference lib="esnext.disposable" preserve="true" />
export { createRuntime, Runtime, readModelSource } from './runtime/runtime';
export type { BackendChoice, ModelSource, RuntimeInfo, RuntimeOptions } from './runtime/runtime';
export { BeenetModel } from './runtime/model';
export type { ClassifyInput, ClassifyResult, ExitReport, ModelInfo, ModelStats } from './runtime/model';
export type { ExitOptions, ScheduleMode } from './runtime/exit-policy';
export type { BackendKind } from './plan/executor';
export { BeenetError, isBeenetError } from './errors';
export type { BeenetErrorCode } from './errors';
export { readBee, writeBee } from './format/bee';
export type { BeeModel, Tensor } from './format/bee';
export type * from './model/graph';
export { decodeWav, encodeWav16 } from './audio/wav';
export { audioToFeatures, DEFAULT_FRONTEND, MICROFRONTEND_16K } from './audio/frontend';
export { createDetector, KeywordDetector } from './stream/detector';
export type { Detection, DetectorOptions, DetectorStats, WindowOutcome } from './stream/detector';
export { FeatureStream } from './stream/feature-stream';
export { listenToMediaStream, mediaStreamTapSupported, tapMediaStream } from './stream/media-stream';
export type { MediaStreamListener, MediaStreamTap, TapOptions } from './stream/media-stream';
export { registerTapProcessor } from './stream/tap-processor';
export type { AdapterSummary } from './gpu/device';
