// One error type for everything beenet rejects, with a machine-readable code and a message naming the problem.

export type BeenetErrorCode =
  /** navigator.gpu (or Dawn in Node) is missing. */
  | 'NO_WEBGPU'
  /** requestAdapter() returned null or requestDevice() failed. */
  | 'NO_ADAPTER'
  /** The GPUDevice was lost and could not be recovered. */
  | 'DEVICE_LOST'
  /** A `.bee` file is malformed, truncated or inconsistent. */
  | 'MODEL_FORMAT'
  /** An input tensor or option has the wrong shape, type or value. */
  | 'BAD_INPUT'
  /** Audio that cannot be decoded or used. */
  | 'BAD_AUDIO'
  /** A WGSL module failed to compile. */
  | 'SHADER_COMPILE'
  /** A kernel was given a missing, too small or wrongly used buffer. */
  | 'KERNEL_BINDING'
  /** A buffer or dispatch exceeds the adapter's limits. */
  | 'LIMIT_EXCEEDED'
  /** The runtime or model was disposed. */
  | 'DISPOSED'
  /** The backend cannot do what was asked. */
  | 'UNSUPPORTED'
  /** The caller's AbortSignal fired before the work finished. */
  | 'ABORTED';

export class BeenetError extends Error {
  readonly code: BeenetErrorCode;

  constructor(code: BeenetErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BeenetError';
    this.code = code;
  }
}

/** Rejects with ABORTED when `signal` has fired (a check between units of work: stages, chunks, loads). */
export function throwIfAborted(signal: AbortSignal | null | undefined, what: string): void {
  if (signal?.aborted) throw new BeenetError('ABORTED', `${what} was aborted${signal.reason === undefined ? '' : `: ${String(signal.reason)}`}`);
}

export function isBeenetError(e: unknown, code?: BeenetErrorCode): e is BeenetError {
  return e instanceof BeenetError && (code === undefined || e.code === code);
}
