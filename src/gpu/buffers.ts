// GPU buffer management: exact-size reuse, uniform buffers, staging buffers for readback, live counts.
import { USAGE } from './usage';

/** Live resource counts, for the runtime's stats. */
export interface GpuResourceStats {
  /** Buffers currently handed out (storage, uniform and indirect). */
  buffers: number;
  bytes: number;
  /** Buffers parked in the reuse pool. */
  pooledBuffers: number;
  pooledBytes: number;
  stagingBuffers: number;
  bindGroupsCreated: number;
  bindGroupsLive: number;
}

export type ArrayData = ArrayBufferView | ArrayBuffer;


function align4(n: number): number {
  return Math.max(4, Math.ceil(n / 4) * 4);
}

/** Bytes of `data` in an ordinary ArrayBuffer: Dawn for Node crashes on SharedArrayBuffer-backed views. */
function plainBytes(data: ArrayData): ArrayBufferView {
  const view = ArrayBuffer.isView(data) ? data : new Uint8Array(data);
  if (typeof SharedArrayBuffer !== 'undefined' && view.buffer instanceof SharedArrayBuffer) {
    return new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
  }
  return view;
}

export class BufferPool {
  readonly device: GPUDevice;
  private free = new Map<string, GPUBuffer[]>();
  private live = new Map<GPUBuffer, number>();
  private staging: GPUBuffer[] = [];
  private stagingCount = 0;
  private pooledBuffers = 0;
  private pooledBytes = 0;
  private bindGroupsCreated = 0;
  private bindGroupsLive = 0;

  constructor(device: GPUDevice) {
    this.device = device;
  }

  /** A buffer of exactly `size` bytes (rounded up to 4) with `usage`, reused from the pool when possible. */
  acquire(size: number, usage: number, label?: string): GPUBuffer {
    const bytes = align4(size);
    const key = `${bytes}:${usage}`;
    const list = this.free.get(key);
    let buffer = list?.pop();
    if (buffer) {
      this.pooledBuffers--;
      this.pooledBytes -= bytes;
    } else {
      buffer = this.device.createBuffer({ size: bytes, usage, label });
    }
    this.live.set(buffer, bytes);
    return buffer;
  }

  /** A storage buffer (COPY_SRC | COPY_DST too) filled with `data`. */
  upload(data: ArrayData, extraUsage = 0, label?: string): GPUBuffer {
    const view = plainBytes(data);
    const usage = USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST | extraUsage;
    const buffer = this.acquire(view.byteLength, usage, label);
    this.write(buffer, 0, view);
    return buffer;
  }

  /** Writes `data` at `offset` (pads the tail to 4 bytes, as writeBuffer requires). */
  write(buffer: GPUBuffer, offset: number, data: ArrayData): void {
    let view = plainBytes(data);
    if (view.byteLength % 4 !== 0) {
      const padded = new Uint8Array(align4(view.byteLength));
      padded.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
      view = padded;
    }
    this.device.queue.writeBuffer(buffer, offset, view.buffer, view.byteOffset, view.byteLength);
  }

  /** A uniform buffer holding `words` (u32/i32/f32 bit patterns); 16-byte multiple as uniforms need. */
  uniform(words: Uint32Array, label?: string): GPUBuffer {
    const size = Math.max(16, Math.ceil(words.byteLength / 16) * 16);
    const buffer = this.acquire(size, USAGE.UNIFORM | USAGE.COPY_DST, label);
    const data = new Uint32Array(size / 4);
    data.set(words);
    this.write(buffer, 0, data);
    return buffer;
  }

  /** Returns a buffer to the pool for reuse by a later acquire of the same size and usage. */
  release(buffer: GPUBuffer): void {
    const bytes = this.live.get(buffer);
    if (bytes === undefined) return;
    this.live.delete(buffer);
    const key = `${bytes}:${buffer.usage}`;
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(buffer);
    this.pooledBuffers++;
    this.pooledBytes += bytes;
  }

  /** Counts a bind group created by the registry. */
  noteBindGroup(created: boolean): void {
    if (created) {
      this.bindGroupsCreated++;
      this.bindGroupsLive++;
    } else {
      this.bindGroupsLive--;
    }
  }

  /** Copies `size` bytes at `offset` of `buffer` (needs COPY_SRC) to the CPU; submits the copy itself. */
  async read(buffer: GPUBuffer, offset = 0, size = buffer.size - offset): Promise<ArrayBuffer> {
    const bytes = align4(size);
    const index = this.staging.findIndex((b) => b.size >= bytes);
    let staging: GPUBuffer;
    if (index >= 0) {
      staging = this.staging.splice(index, 1)[0];
    } else {
      staging = this.device.createBuffer({
        size: Math.max(256, 2 ** Math.ceil(Math.log2(bytes))),
        usage: USAGE.MAP_READ | USAGE.COPY_DST,
        label: 'beenet staging',
      });
      this.stagingCount++;
    }
    const encoder = this.device.createCommandEncoder();
    encoder.copyBufferToBuffer(buffer, offset, staging, 0, bytes);
    this.device.queue.submit([encoder.finish()]);
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, bytes);
      const out = staging.getMappedRange(0, bytes).slice(0, size);
      staging.unmap();
      return out;
    } finally {
      // A small pool: keep up to four staging buffers, destroy the rest.
      if (this.staging.length < 4 && staging.mapState === 'unmapped') this.staging.push(staging);
      else {
        staging.destroy();
        this.stagingCount--;
      }
    }
  }

  stats(): GpuResourceStats {
    let bytes = 0;
    for (const b of this.live.values()) bytes += b;
    return {
      buffers: this.live.size,
      bytes,
      pooledBuffers: this.pooledBuffers,
      pooledBytes: this.pooledBytes,
      stagingBuffers: this.stagingCount,
      bindGroupsCreated: this.bindGroupsCreated,
      bindGroupsLive: this.bindGroupsLive,
    };
  }

  /** Destroys every pooled buffer (live ones stay with their owners). */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.pooledBuffers = 0;
    this.pooledBytes = 0;
  }

  /** Destroys everything this pool created. */
  destroy(): void {
    this.trim();
    for (const b of this.live.keys()) b.destroy();
    this.live.clear();
    for (const b of this.staging) b.destroy();
    this.staging = [];
    this.stagingCount = 0;
  }
}

/** `readBuffer(pool, buffer, offset, size)` as a free function. */
export function readBuffer(pool: BufferPool, buffer: GPUBuffer, offset = 0, size?: number): Promise<ArrayBuffer> {
  return pool.read(buffer, offset, size);
}
