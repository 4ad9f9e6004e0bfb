// Microphone capture: getUserMedia -> AudioWorklet -> a ring buffer holding the last second, read as a sliding
// window a few times a second. An energy gate keeps silence out of the classifier and the log.
import processorUrl from './mic-processor?worker&url';

export interface MicWindow {
  samples: Float32Array;
  sampleRate: number;
  /** RMS level of the most recent part of the window, in dBFS. */
  levelDb: number;
}

export interface MicOptions {
  /** Window length in seconds (the model's clip length). */
  windowSeconds: number;
  /** Windows per second. */
  rate: number;
  onWindow: (w: MicWindow) => void;
  onLevel: (db: number) => void;
}

export class Microphone {
  private ctx: AudioContext | null = null;
  private stream: MediaStream | null = null;
  private node: AudioWorkletNode | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private ring = new Float32Array(0);
  private write = 0;
  private total = 0;

  get running(): boolean {
    return this.ctx !== null;
  }

  static supported(): boolean {
    return typeof navigator !== 'undefined' && !!navigator.mediaDevices?.getUserMedia && typeof AudioWorkletNode !== 'undefined';
  }

  async start(o: MicOptions): Promise<void> {
    if (this.ctx) return;
    // Raw signal: the model was trained without echo cancellation or automatic gain.
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
    const ctx = new AudioContext();
    try {
      await ctx.audioWorklet.addModule(processorUrl);
      const source = ctx.createMediaStreamSource(stream);
      const node = new AudioWorkletNode(ctx, 'beenet-mic-tap', { numberOfOutputs: 0 });
      this.ring = new Float32Array(Math.round(o.windowSeconds * ctx.sampleRate));
      this.write = 0;
      this.total = 0;
      node.port.onmessage = (ev: MessageEvent<Float32Array>) => this.push(ev.data, o);
      source.connect(node);
      this.ctx = ctx;
      this.stream = stream;
      this.node = node;
      this.timer = setInterval(() => this.tick(o), 1000 / o.rate);
    } catch (e) {
      stream.getTracks().forEach((t) => t.stop());
      await ctx.close();
      throw e;
    }
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.node?.disconnect();
    this.node = null;
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = null;
    void this.ctx?.close();
    this.ctx = null;
  }

  private push(block: Float32Array, o: MicOptions): void {
    const n = this.ring.length;
    for (let i = 0; i < block.length; i++) {
      this.ring[this.write] = block[i];
      this.write = (this.write + 1) % n;
    }
    this.total += block.length;
    o.onLevel(levelDb(block));
  }

  private tick(o: MicOptions): void {
    const n = this.ring.length;
    if (!this.ctx || this.total < n) return;
    // Unroll the ring so the oldest sample comes first.
    const samples = new Float32Array(n);
    samples.set(this.ring.subarray(this.write));
    samples.set(this.ring.subarray(0, this.write), n - this.write);
    // Gate on the loudest quarter of the window: a short word in a quiet second still opens it.
    const q = n >> 2;
    let best = -Infinity;
    for (let k = 0; k < 4; k++) best = Math.max(best, levelDb(samples.subarray(k * q, (k + 1) * q)));
    o.onWindow({ samples, sampleRate: this.ctx.sampleRate, levelDb: best });
  }
}

export function levelDb(x: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i] * x[i];
  const rms = Math.sqrt(sum / Math.max(1, x.length));
  return rms > 0 ? 20 * Math.log10(rms) : -120;
}
