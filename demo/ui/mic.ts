// Microphone capture: getUserMedia -> the library's AudioWorklet tap (tapMediaStream) -> blocks of samples, handed
// on as they arrive (the streaming detector does the windowing, the energy gate and the smoothing).
import { tapMediaStream, type MediaStreamTap } from '../../src/index';
import processorUrl from './mic-processor?worker&url';

export interface MicOptions {
  /** Every captured block (mono, at the context's rate), in order: the streaming detector's input. */
  onBlock: (block: Float32Array, sampleRate: number) => void;
  onLevel: (db: number) => void;
}

export class Microphone {
  private ctx: AudioContext | null = null;
  private stream: MediaStream | null = null;
  private tap: MediaStreamTap | null = null;

  get running(): boolean {
    return this.ctx !== null;
  }

  static supported(): boolean {
    return typeof navigator !== 'undefined' && !!navigator.mediaDevices?.getUserMedia && typeof AudioWorkletNode !== 'undefined';
  }

  async start(o: MicOptions): Promise<void> {
    if (this.ctx) return;
    // The context first, while the click's user activation lasts: made after the permission prompt, Chrome may
    // leave it suspended (autoplay policy), and a suspended context never calls the worklet.
    const ctx = new AudioContext();
    let stream: MediaStream | null = null;
    try {
      if (ctx.state === 'suspended') void ctx.resume();
      // Raw signal: the model was trained without echo cancellation or automatic gain.
      stream = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
      });
      const tap = await tapMediaStream(ctx, stream, (block) => {
        o.onBlock(block, ctx.sampleRate);
        o.onLevel(levelDb(block));
      }, { processorUrl });
      this.ctx = ctx;
      this.stream = stream;
      this.tap = tap;
    } catch (e) {
      stream?.getTracks().forEach((t) => t.stop());
      await ctx.close();
      throw e;
    }
  }

  /** The audio context's state ('running', 'suspended', 'closed'), or 'off'. */
  get contextState(): string {
    return this.ctx?.state ?? 'off';
  }

  stop(): void {
    this.tap?.stop();
    this.tap = null;
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = null;
    void this.ctx?.close();
    this.ctx = null;
  }
}

export function levelDb(x: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i] * x[i];
  const rms = Math.sqrt(sum / Math.max(1, x.length));
  return rms > 0 ? 20 * Math.log10(rms) : -120;
}
