// Loading the WebAssembly SIMD kernels (wasm/assembly, embedded by scripts/build-wasm.mjs) and owning their
// memory: a bump arena the host lays tensors out in, and typed views refreshed after memory.grow.
import { BeenetError } from '../errors';
import { KERNELS_WASM_BASE64 } from './generated/kernels';
import { wasmSimdSupported } from './simd';

export { wasmSimdSupported };

/** The kernels' exports (wasm/assembly/index.ts). Every pointer is a byte address in `memory`. */
export interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  bconv(
    x: number, h: number, w: number, c: number,
    wt: number, o: number, opad: number, kh: number, kw: number, sy: number, sx: number,
    padTop: number, padLeft: number, oh: number, ow: number, tp: number, out: number, scratch: number,
  ): void;
  convReal(
    x: number, h: number, w: number, cin: number,
    wt: number, o: number, opad: number, kh: number, kw: number, sy: number, sx: number,
    padTop: number, padLeft: number, oh: number, ow: number, tp: number, out: number, scratch: number,
  ): void;
  convPoolPack(
    x: number, h: number, w: number, cin: number,
    wt: number, o: number, opad: number, kh: number, kw: number, sy: number, sx: number, padTop: number, padLeft: number, ow: number,
    tpConv: number, pkh: number, pkw: number, psy: number, psx: number, ph: number, pw: number, mode: number, tpPack: number,
    out: number, pooledOut: number, scratch: number,
  ): void;
  dense(x: number, inF: number, wt: number, bias: number, outF: number, opad: number, out: number): void;
  gapBits(x: number, hw: number, c: number, out: number, counts: number): void;
  gapFloat(x: number, hw: number, c: number, out: number): void;
  maxpoolBits(x: number, h: number, w: number, words: number, kh: number, kw: number, sy: number, sx: number, oh: number, ow: number, out: number): void;
  poolFloat(
    x: number, h: number, w: number, c: number, kh: number, kw: number, sy: number, sx: number,
    oh: number, ow: number, mode: number, out: number,
  ): void;
  emitRows(tp: number, acc: number, accStride: number, pixels: number, channels: number, out: number, pixelBase: number): void;
}

function requireSimd(): void {
  if (!wasmSimdSupported()) {
    throw new BeenetError('UNSUPPORTED', 'this engine has no WebAssembly SIMD (needed by the wasm backend); use the webgpu or cpu backend');
  }
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

let compiled: WebAssembly.Module | null = null;
let compiling: Promise<WebAssembly.Module> | null = null;

/** Compiles the kernels once (async: browsers refuse synchronous compiles of large modules on the main thread). */
export function compileKernels(): Promise<WebAssembly.Module> {
  if (compiled) return Promise.resolve(compiled);
  if (!compiling) {
    compiling = (async () => {
      requireSimd();
      compiled = await WebAssembly.compile(decodeBase64(KERNELS_WASM_BASE64));
      return compiled;
    })();
    // A failed compile may be retried by a later call.
    compiling.catch(() => {
      compiling = null;
    });
  }
  return compiling;
}

/** Synchronous compile, for Node and workers. */
export function compileKernelsSync(): WebAssembly.Module {
  if (!compiled) {
    requireSimd();
    compiled = new WebAssembly.Module(decodeBase64(KERNELS_WASM_BASE64));
  }
  return compiled;
}

const PAGE = 65536;
/** Every allocation starts on a 16-byte boundary and carries 16 bytes of slack: kernels read whole vectors. */
const ALIGN = 16;
const SLACK = 16;

/** One instance of the kernels with its own memory and a bump arena over it. */
export class WasmKernels {
  readonly exports: KernelExports;
  private top: number;
  private buffer: ArrayBuffer | null = null;
  private f32View = new Float32Array(0);
  private u32View = new Uint32Array(0);
  private i32View = new Int32Array(0);
  private u8View = new Uint8Array(0);

  constructor(module: WebAssembly.Module) {
    const instance = new WebAssembly.Instance(module, {});
    this.exports = instance.exports as unknown as KernelExports;
    this.top = align(this.exports.heapBase());
  }

  get memory(): WebAssembly.Memory {
    return this.exports.memory;
  }

  /** Bytes of linear memory held. */
  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** First free byte of the arena. */
  get mark(): number {
    return this.top;
  }

  /** Frees everything allocated since `mark` was read (a stack discipline, for temporary buffers). */
  release(mark: number): void {
    if (mark > this.top) throw new BeenetError('KERNEL_BINDING', `arena release to ${mark} above its top ${this.top}`);
    this.top = mark;
  }

  /** Reserves `bytes` (16-byte aligned, zero-filled where memory is fresh) and returns the byte address. */
  alloc(bytes: number): number {
    const at = this.top;
    const end = align(at + bytes + SLACK);
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE));
    this.top = end;
    return at;
  }

  /** Allocates and copies `data` in; returns its address. */
  put(data: Float32Array | Uint32Array | Int32Array): number {
    const at = this.alloc(data.byteLength);
    this.u8.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    return at;
  }

  /** Zero-fills `bytes` at `at`. */
  zero(at: number, bytes: number): void {
    this.u8.fill(0, at, at + bytes);
  }

  private refresh(): void {
    const b = this.memory.buffer;
    if (b !== this.buffer) {
      this.buffer = b as ArrayBuffer;
      this.f32View = new Float32Array(b);
      this.u32View = new Uint32Array(b);
      this.i32View = new Int32Array(b);
      this.u8View = new Uint8Array(b);
    }
  }

  /** Views over the whole memory; re-read after any `alloc` (memory.grow detaches the old buffer). */
  get f32(): Float32Array {
    this.refresh();
    return this.f32View;
  }

  get u32(): Uint32Array {
    this.refresh();
    return this.u32View;
  }

  get i32(): Int32Array {
    this.refresh();
    return this.i32View;
  }

  get u8(): Uint8Array {
    this.refresh();
    return this.u8View;
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

/** A fresh kernels instance (own memory), compiled asynchronously once per process. */
export async function createKernels(): Promise<WasmKernels> {
  return new WasmKernels(await compileKernels());
}

/** Synchronous variant of `createKernels` (Node, workers). */
export function createKernelsSync(): WasmKernels {
  return new WasmKernels(compileKernelsSync());
}
