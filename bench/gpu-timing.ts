// Node (Dawn) only: GPU time of every compute pass the runtime submits, from timestamp queries, without
// touching the runtime. The device's createCommandEncoder is wrapped on the instance: while `enabled`, each
// compute pass gets timestampWrites and each encoder resolves its queries into its own mappable buffer.
// Environment-agnostic: the browser page uses it too where the adapter offers timestamp-query.
import type { BeenetModel } from '../src/index';
import { summarize, type Summary } from './stats';

interface Pending {
  label: string;
  passes: number;
  read: GPUBuffer;
}

export interface PassTime {
  /** The encoder's label ('stage 2', 'gated run', ...). */
  label: string;
  /** GPU milliseconds of each compute pass in the encoder. */
  passMs: number[];
}

const MAX_PASSES = 16;

export class PassTimer {
  enabled = false;
  readonly supported: boolean;
  private readonly querySet: GPUQuerySet | null;
  private readonly resolveBuffer: GPUBuffer | null;
  private readonly free: GPUBuffer[] = [];
  private pending: Pending[] = [];

  constructor(private readonly device: GPUDevice) {
    this.supported = device.features.has('timestamp-query');
    this.querySet = this.supported ? device.createQuerySet({ type: 'timestamp', count: 2 * MAX_PASSES, label: 'bench pass timer' }) : null;
    this.resolveBuffer = this.supported
      ? device.createBuffer({ size: 16 * MAX_PASSES, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC, label: 'bench timestamps' })
      : null;
    if (!this.supported) return;
    const original = device.createCommandEncoder.bind(device);
    device.createCommandEncoder = (descriptor?: GPUCommandEncoderDescriptor): GPUCommandEncoder => {
      const encoder = original(descriptor);
      if (this.enabled) this.instrument(encoder, descriptor?.label ?? '');
      return encoder;
    };
  }

  private instrument(encoder: GPUCommandEncoder, label: string): void {
    const querySet = this.querySet!;
    let passes = 0;
    const begin = encoder.beginComputePass.bind(encoder);
    encoder.beginComputePass = (d?: GPUComputePassDescriptor): GPUComputePassEncoder => {
      const i = passes++;
      if (i >= MAX_PASSES) return begin(d);
      return begin({ ...d, timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
    };
    const finish = encoder.finish.bind(encoder);
    encoder.finish = (d?: GPUCommandBufferDescriptor): GPUCommandBuffer => {
      const n = Math.min(passes, MAX_PASSES);
      if (n > 0) {
        const read = this.free.pop() ?? this.device.createBuffer({ size: 16 * MAX_PASSES, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'bench timestamps read' });
        encoder.resolveQuerySet(querySet, 0, 2 * n, this.resolveBuffer!, 0);
        encoder.copyBufferToBuffer(this.resolveBuffer!, 0, read, 0, 16 * n);
        this.pending.push({ label, passes: n, read });
      }
      return finish(d);
    };
  }

  /** GPU times of every instrumented encoder submitted since the last call (waits for them). */
  async collect(): Promise<PassTime[]> {
    const pending = this.pending;
    this.pending = [];
    const out: PassTime[] = [];
    for (const p of pending) {
      await p.read.mapAsync(GPUMapMode.READ, 0, 16 * p.passes);
      const ts = new BigUint64Array(p.read.getMappedRange(0, 16 * p.passes).slice(0));
      p.read.unmap();
      this.free.push(p.read);
      const passMs: number[] = [];
      for (let i = 0; i < p.passes; i++) passMs.push(Number(ts[2 * i + 1] - ts[2 * i]) / 1e6);
      out.push({ label: p.label, passMs });
    }
    return out;
  }
}

export interface StageGpuTime {
  batch: number;
  /** Per stage: GPU ms of its one compute pass (trunk + exit head + exit record), readback mode, threshold 0. */
  stageGpu: Summary[];
  /** The whole network in 'gpu' mode (one pass, gates included), threshold 0. */
  gatedGpu: Summary;
  repeats: number;
}


/** Per-stage GPU time (readback mode) and the gated run's (gpu mode), both at threshold 0, for each batch. */
export async function gpuStageTimes(model: BeenetModel, timer: PassTimer, inputs: readonly Float32Array[], batches: number[], repeats: number): Promise<StageGpuTime[]> {
  const out: StageGpuTime[] = [];
  const S = model.plan.stages.length;
  for (const batch of batches) {
    const clips = Array.from({ length: batch }, (_, i) => ({ features: inputs[i % inputs.length] }));
    const perStage: number[][] = Array.from({ length: S }, () => []);
    const gated: number[] = [];
    timer.enabled = true;
    try {
      for (let r = 0; r < repeats; r++) {
        await model.classifyBatch(clips, { criterion: 'entropy', threshold: 0, mode: 'readback' });
        for (const t of await timer.collect()) {
          const k = /^stage (\d+)$/.exec(t.label);
          if (k) perStage[Number(k[1])].push(...t.passMs);
        }
        await model.classifyBatch(clips, { criterion: 'entropy', threshold: 0, mode: 'gpu' });
        gated.push(...(await timer.collect()).filter((t: PassTime) => t.label === 'gated run').flatMap((t) => t.passMs));
      }
    } finally {
      timer.enabled = false;
    }
    // The first repeat includes first-use costs at this batch size: drop it when there are enough.
    const trim = (v: number[]): number[] => (v.length > 2 ? v.slice(1) : v);
    out.push({ batch, stageGpu: perStage.map((v) => summarize(trim(v))), gatedGpu: summarize(trim(gated)), repeats });
  }
  return out;
}
