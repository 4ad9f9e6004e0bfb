// The shape of one benchmark run's JSON (bench/results/<date>-<host>.json).
import type { BrowserRun } from './browser';
import type { RunInfo } from './env';
import type { BenchModel } from './inputs';
import type { NodeModelResult } from './node-suite';
import type { SuiteOptions } from './suite';

export interface ModelInfo {
  id: string;
  shipped: boolean;
  note: string;
  file: string | null;
  task: string;
  architecture: string;
  inputShape: number[];
  classes: number;
  exitPolicy: { criterion: string; thresholds: number[] };
  /** Cumulative binary-op fraction at each exit. */
  cumulativeBinaryOps: number[];
  peer: BenchModel['peer'];
  /** models/reports/<id>.json when present (accuracy sweep, for the plots). */
  report: unknown;
}

export interface KernelResults {
  /** How the kernel results were obtained: 'run' in this run, 'file' read from an earlier run, 'missing'. */
  source: 'run' | 'file' | 'missing';
  file: string | null;
  data: unknown;
}

export interface BenchResult {
  bench: 'beenet';
  schema: 1;
  quick: boolean;
  run: RunInfo;
  options: SuiteOptions;
  notes: string[];
  models: ModelInfo[];
  node: { environment: string; results: Record<string, NodeModelResult> } | null;
  browser: BrowserRun | null;
  kernels: { webgpu: KernelResults; wasm: KernelResults };
}
