// GPUBufferUsage flags as plain numbers (the WebGPU spec's values), so modules that use them at load time need no
// WebGPU globals: importing beenet where there is no WebGPU must not throw.
export const USAGE = {
  MAP_READ: 0x0001,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
  INDIRECT: 0x0100,
} as const;
