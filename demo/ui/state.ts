// The page's one shared state, and the few hooks through which modules ask for work they do not own (so the
// modules import this file, never each other in a circle).
import type { BackendChoice, BeenetModel, ClassifyResult, ExitOptions, Runtime, ScheduleMode } from '../../src/index';
import type { ClipEntry, ModelEntry, ParsedReport } from './catalog';
import type { Criterion, Topology } from './views';

export interface Input {
  audio: Float32Array;
  sampleRate: number;
  /** What the visitor sees as the source ("yes.wav", "microphone"). */
  source: string;
  kind: 'clip' | 'file' | 'mic';
}

export interface Controls {
  criterion: Criterion;
  /** Advanced: one threshold per exit instead of one for all. */
  perExit: boolean;
  single: number;
  thresholds: number[];
  mode: ScheduleMode;
}

/** How the browser's WebGPU looked before anything was offered: decides what the backend menu allows. */
export type GpuProbe = 'absent' | 'no-adapter' | 'software' | 'hardware';

/** What run-all measured for the current settings (also drawn on the chart). */
export interface ExamplesSummary {
  accuracy: number;
  meanExit: number;
  meanOps: number;
  count: number;
}

export const state = {
  catalog: [] as ModelEntry[],
  entry: null as ModelEntry | null,
  runtime: null as Runtime | null,
  backendChoice: 'auto' as BackendChoice,
  gpu: 'absent' as GpuProbe,
  model: null as BeenetModel | null,
  report: null as ParsedReport | null,
  clips: [] as ClipEntry[],
  topo: { blocks: 4, exitAfter: [0, 1, 2, 3] } as Topology,
  controls: { criterion: 'entropy', perExit: false, single: 0.5, thresholds: [0.5, 0.5, 0.5, 1], mode: 'readback' } as Controls,
  /** The one-for-all threshold the model is calibrated to, for the current criterion (null: none known). */
  calibratedSingle: null as number | null,
  last: null as Input | null,
  lastResult: null as ClassifyResult | null,
  examples: null as ExamplesSummary | null,
  seq: 0,
  session: { latencies: [] as number[], ops: [] as number[], counts: [0, 0, 0, 0] },
  loadToken: 0,
  compileMs: 0,
  modelBytes: 0,
};

/** Filled in by main.ts: cross-module requests. */
export const hooks = {
  renderChart: (): void => undefined,
  /** Re-runs the examples' accuracy (after a control change, when a summary is shown). */
  refreshExamples: (): void => undefined,
};

export function exitOptions(): ExitOptions {
  const c = state.controls;
  if (c.perExit) return { criterion: c.criterion, mode: c.mode, thresholds: [...c.thresholds] };
  return { criterion: c.criterion, mode: c.mode, threshold: c.single };
}

export function effectiveThresholds(): number[] {
  const n = state.topo.exitAfter.length;
  const c = state.controls;
  return Array.from({ length: n }, (_, k) => (k === n - 1 ? 1 : c.perExit ? c.thresholds[k] : c.single));
}

/** What really ran: 'all-exits' runs every block whatever the threshold picked. */
export function spent(r: ClassifyResult): { blocks: number; ops: number } {
  if (r.mode === 'all-exits') return { blocks: state.topo.blocks, ops: 1 };
  return { blocks: r.blocksRun, ops: r.binaryOpsFraction };
}

export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
