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
  | 'UNSUPPORTED';

export class BeenetError extends Error {
  readonly code: BeenetErrorCode;

  constructor(code: BeenetErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BeenetError';
    this.code = code;
  }
}

export function isBeenetError(e: unknown, code?: BeenetErrorCode): e is BeenetError {
  return e instanceof BeenetError && (code === undefined || e.code === code);
}
