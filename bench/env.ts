// Node-only: what every report records about the machine, the software and the commit.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, hostname, loadavg, platform, release, totalmem } from 'node:os';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  release: string;
  node: string;
  host: string;
  /** 1/5/15-minute load averages at the start of the run (the cores are shared with other work). */
  loadAverage: number[];
}

export interface RunInfo {
  date: string;
  commit: string;
  /** Uncommitted changes in the working tree when the run started. */
  dirty: boolean;
  machine: MachineInfo;
  /** The `webgpu` package (Dawn for Node) version. */
  dawn: string;
  tfjs: string;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

function packageVersion(name: string): string {
  try {
    const pkg = JSON.parse(readFileSync(resolve(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

export function runInfo(): RunInfo {
  const c = cpus();
  // A copied tree has no .git: BEENET_BENCH_COMMIT says which commit (and changes) it holds, BEENET_BENCH_DIRTY=1
  // that it differs from that commit.
  const exported = process.env.BEENET_BENCH_COMMIT;
  return {
    date: new Date().toISOString(),
    commit: exported ? exported : git(['rev-parse', '--short', 'HEAD']) || 'unknown',
    dirty: exported ? process.env.BEENET_BENCH_DIRTY === '1' : git(['status', '--porcelain', '--untracked-files=no']).length > 0,
    machine: {
      cpu: c[0]?.model ?? 'unknown',
      cores: c.length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      platform: platform(),
      release: release(),
      node: process.version,
      host: hostname(),
      loadAverage: loadavg(),
    },
    dawn: `webgpu@${packageVersion('webgpu')}`,
    tfjs: `@tensorflow/tfjs-core@${packageVersion('@tensorflow/tfjs-core')}`,
  };
}
