// What a backend provides to the scheduler: run one stage (trunk + exit head) for a set of clips.
import { BeenetError } from '../errors';
import type { ExitCriterion } from '../model/graph';
import type { ClipOutcome, LoopRule } from './readback-loop';

export type BackendKind = 'webgpu' | 'wasm' | 'cpu';

export interface ExecutorStats {
  backend: BackendKind;
  /** Live GPU buffers / bind groups (0 on CPU backends): must stay flat over a long run. */
  liveBuffers: number;
  liveBindGroups: number;
  /** Bytes of device (or WASM) memory held by this model. */
  bytes: number;
}

export interface GatedResult {
  /** Exit index each clip took. */
  decisions: Uint32Array;
  /** Exit records of every exit: for exit k, `[n * stride]` floats; rows of clips that never reached it are unspecified. */
  records: Float32Array[];
}

export interface StageExecutor {
  readonly kind: BackendKind;
  /** Largest batch `setInput` accepts. */
  readonly maxBatch: number;
  /** Makes `features` ([n, frames, mels, 1], copied) the current batch. */
  setInput(features: Float32Array, n: number): Promise<void>;
  /**
   * Runs stage `stage` and its exit head for the listed clips (indices into the current batch, each stage
   * run after the previous one for the same clip) and resolves with their exit records, `stride` floats per
   * listed clip, in order (docs/layout.md, "Exit result record").
   */
  runStage(stage: number, active: Uint32Array): Promise<Float32Array>;
  /**
   * Optional: the whole early-exit decision made on the device (all stages in one submission, deeper stages
   * skipped for exited clips) with one readback at the end.
   */
  runGated?(criterion: ExitCriterion, thresholds: readonly number[], n: number): Promise<GatedResult>;
  /**
   * Optional: the readback loop (src/plan/readback-loop.ts) over the current batch's n clips, run by the executor
   * next to its data, with the outcomes the host's loop over `runStage` would give (the WASM pool: one message
   * round trip per worker for the batch instead of one per stage). An abort is seen before the batch starts.
   */
  runLoop?(rule: LoopRule, n: number): Promise<ClipOutcome[]>;
  /**
   * Optional: a stream's stage 0 computed once per row and shared by its overlapping windows (the WASM
   * backend: src/wasm/stream-prefix.ts), or why this model's stage 0 cannot be shared at that hop.
   */
  createStreamPrefix?(options: StreamPrefixOptions): StreamPrefix | { unsupported: string };
  /**
   * Optional, with createStreamPrefix: makes a batch of windows whose stage-0 trunk a prefix computed (`windows[i]`
   * holds clip i's bytes of the value later stages read); runStage(0) then runs only its exit head.
   */
  setTrunkOutput?(windows: readonly Uint8Array[], n: number): Promise<void>;
  stats(): ExecutorStats;
  dispose(): void;
}

/** The check every executor's setInput makes: 0 to maxBatch clips, and features for each of them. */
export function checkBatch(features: Float32Array, n: number, inputElements: number, maxBatch: number): void {
  if (!Number.isInteger(n) || n < 0 || n > maxBatch) {
    throw new BeenetError('BAD_INPUT', `batch of ${n} clips: this executor takes 0 to ${maxBatch} at a time`);
  }
  if (features.length < n * inputElements) {
    throw new BeenetError('BAD_INPUT', `features hold ${features.length} floats, ${n} clips need ${n * inputElements}`);
  }
}

export interface StreamPrefixOptions {
  /** Frames of one window (the model's input rows). */
  windowFrames: number;
  /** Frames between window starts. */
  hopFrames: number;
  /** Windows held at once (taken and not yet released). */
  windows: number;
}

/** Stage 0's output for one window, held in the prefix until released. */
export interface PrefixWindow {
  readonly bytes: Uint8Array;
  release(): void;
}

/** Stage 0 of a stream, each row computed once (see StageExecutor.createStreamPrefix). */
export interface StreamPrefix {
  /** Windows start at multiples of this many frames. */
  readonly alignFrames: number;
  /** Appends the stream's next `count` frames: [count, bands] of the model's (normalised) input. */
  addFrames(frames: Float32Array, count: number): void;
  /** Stage 0's output for the window starting at frame `start` (its frames added), or null when every window slot is taken. */
  takeWindow(start: number): PrefixWindow | null;
  /** No window will start before `frame` any more: the rows only earlier windows read may go. */
  forgetBefore(frame: number): void;
}
