// beenet: binary early-exit networks on WebGPU and WebAssembly. The public API.
export { createRuntime, Runtime, readModelSource } from './runtime/runtime';
export type { BackendChoice, ModelSource, RuntimeInfo, RuntimeOptions } from './runtime/runtime';
export { BeenetModel } from './runtime/model';
export type { ClassifyInput, ClassifyResult, ExitReport, ModelStats } from './runtime/model';
export type { ExitOptions, ScheduleMode } from './runtime/exit-policy';
export type { BackendKind } from './runtime/executor';
export { BeenetError, isBeenetError } from './errors';
export type { BeenetErrorCode } from './errors';
export { readBee, writeBee } from './format/bee';
export type { BeeModel, Tensor } from './format/bee';
export type * from './model/graph';
export { decodeWav, encodeWav16 } from './audio/wav';
export { audioToFeatures, DEFAULT_FRONTEND } from './audio/frontend';
export type { AdapterSummary } from './gpu/device';
