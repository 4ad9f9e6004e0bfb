// Browser input for the streaming detector: a MediaStream (a microphone from getUserMedia, a WebRTC track, an
// <audio> element's captureStream()) tapped by an AudioWorklet that hands the main thread mono blocks of
// samples at the context's rate. The detector does the rest (resampling, windows, early exits).
import { BeenetError } from '../errors';
import type { BeenetModel } from '../runtime/model';
import { createDetector, type DetectorOptions, type KeywordDetector } from './detector';
import { registerTapProcessor } from './tap-processor';

/** A running tap: blocks arrive until `stop()`. */
export interface MediaStreamTap {
  readonly sampleRate: number;
  /** Disconnects the tap. The stream's tracks and the context are the caller's: neither is stopped or closed. */
  stop(): void;
}

/** Whether this page can tap a MediaStream (Web Audio with AudioWorklet). */
export function mediaStreamTapSupported(): boolean {
  return typeof AudioContext !== 'undefined' && typeof AudioWorkletNode !== 'undefined' && typeof Blob !== 'undefined' && typeof URL?.createObjectURL === 'function';
}

const modules = new WeakMap<BaseAudioContext, Promise<void>>();

/** Loads the tap's processor into `context` once: from `url`, or from its own source through a Blob URL. */
function loadProcessor(context: BaseAudioContext, url: string | undefined): Promise<void> {
  let p = modules.get(context);
  if (!p) {
    const blob = url ? null : URL.createObjectURL(new Blob([`(${registerTapProcessor.toString()})();`], { type: 'text/javascript' }));
    p = context.audioWorklet.addModule(url ?? blob!).finally(() => {
      if (blob) URL.revokeObjectURL(blob);
    });
    modules.set(context, p);
    p.catch(() => modules.delete(context));
  }
  return p;
}

export interface TapOptions {
  /**
   * A same-origin module that calls `registerTapProcessor()` (src/stream/tap-processor.ts), for pages whose
   * Content-Security-Policy forbids blob: scripts; by default the processor loads from a Blob URL.
   */
  processorUrl?: string;
}

/** Taps `stream` in `context`: `onBlock` gets every block of mono samples at `context.sampleRate`, in order. */
export async function tapMediaStream(
  context: AudioContext,
  stream: MediaStream,
  onBlock: (block: Float32Array) => void,
  options: TapOptions = {},
): Promise<MediaStreamTap> {
  if (!mediaStreamTapSupported()) throw new BeenetError('UNSUPPORTED', 'this page has no AudioWorklet (Web Audio needs a secure context: https or localhost)');
  if (stream.getAudioTracks().length === 0) throw new BeenetError('BAD_INPUT', 'the MediaStream has no audio track');
  try {
    await loadProcessor(context, options.processorUrl);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new BeenetError('UNSUPPORTED', `the AudioWorklet processor did not load (${why}); under a Content-Security-Policy without blob: scripts, pass processorUrl`, { cause: e });
  }
  const source = context.createMediaStreamSource(stream);
  const node = new AudioWorkletNode(context, 'beenet-tap', { numberOfOutputs: 0 });
  node.port.onmessage = (ev: MessageEvent<Float32Array>) => onBlock(ev.data);
  source.connect(node);
  let live = true;
  return {
    sampleRate: context.sampleRate,
    stop: () => {
      if (!live) return;
      live = false;
      node.port.onmessage = null;
      source.disconnect();
      node.disconnect();
    },
  };
}

export interface MediaStreamListener {
  readonly detector: KeywordDetector;
  readonly sampleRate: number;
  /** Stops listening: the tap and the detector (the stream's tracks and the context stay the caller's). */
  stop(): void;
}

/**
 * Keyword events from a MediaStream: a detector at the context's rate, fed by a tap on the stream. Errors of a
 * push (none for a live stream short of a dropped model) go to `onError`.
 */
export async function listenToMediaStream(
  model: BeenetModel,
  stream: MediaStream,
  options: Omit<DetectorOptions, 'sampleRate'> & TapOptions & { context: AudioContext; onError?: (e: unknown) => void },
): Promise<MediaStreamListener> {
  const { context, onError, processorUrl, ...detectorOptions } = options;
  const detector = createDetector(model, { ...detectorOptions, sampleRate: context.sampleRate });
  const tap = await tapMediaStream(context, stream, (block) => {
    detector.push(block).catch((e: unknown) => {
      if (!(e instanceof BeenetError && e.code === 'DISPOSED')) onError?.(e);
    });
  }, { processorUrl });
  return {
    detector,
    sampleRate: context.sampleRate,
    stop: () => {
      tap.stop();
      detector.stop();
    },
  };
}
