// The benchmark: every shipped model through beenet (WebGPU and WASM) and the float32 peer (TF.js WebGPU and
// WASM), in Node on Dawn and in headless Chromium, plus the kernel-level benches; one JSON per run, a Markdown
// summary and SVG plots.
//   npm run bench [-- --quick] [--model kws-reactnet] [--no-browser] [--no-node] [--kernels | --reuse-kernels | --no-kernels]
//   [--out-dir DIR]. Quick runs reuse the kernel benches' latest results unless --kernels is given.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT, runInfo } from './env';
import { findModels, type BenchModel } from './inputs';
import { runNodeModel, type NodeModelResult } from './node-suite';
import { renderReport } from './report';
import type { BenchResult, KernelResults, ModelInfo } from './result';
import { suiteOptions } from './suite';
import { cliArgs } from '../scripts/cli-args';

interface Args {
  quick: boolean;
  models: string[];
  node: boolean;
  browser: boolean;
  kernels: 'run' | 'file' | 'skip';
  outDir: string;
}

function parseArgs(argv: string[]): Args {
  const v = cliArgs(
    'npm run bench [-- --quick] [--model kws-reactnet] [--no-browser] [--no-node] [--kernels | --reuse-kernels | --no-kernels] [--out-dir DIR]',
    {
      quick: { type: 'boolean', help: 'smoke run: 8 clips, batches 1 and 4, short sweep' },
      model: { type: 'list', default: [], help: 'only these models (comma-separated ids)' },
      'no-browser': { type: 'boolean', help: 'Node only' },
      'no-node': { type: 'boolean', help: 'Chromium only' },
      kernels: { type: 'boolean', help: 'run the kernel benches (default, except with --quick)' },
      'reuse-kernels': { type: 'boolean', help: "include the kernel benches' latest results" },
      'no-kernels': { type: 'boolean', help: 'leave the kernel benches out' },
      'out-dir': { type: 'string', default: join(ROOT, 'bench', 'results'), help: 'where results go' },
    },
    { argv },
  );
  const given = [v.kernels, v['reuse-kernels'], v['no-kernels']].filter(Boolean).length;
  if (given > 1) throw new Error('give one of --kernels, --reuse-kernels, --no-kernels');
  // Quick runs include the kernel benches' latest results instead of re-running them (they take minutes).
  const kernels: Args['kernels'] = v.kernels ? 'run' : v['reuse-kernels'] ? 'file' : v['no-kernels'] ? 'skip' : v.quick ? 'file' : 'run';
  return { quick: v.quick, models: v.model, node: !v['no-node'], browser: !v['no-browser'], kernels, outDir: resolve(v['out-dir']) };
}

/** Which adapter a kernel-bench file was measured on (`adapter.device`), or null for files without one. */
function measuredOn(file: string): string | null {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as { adapter?: { device?: unknown } };
    return typeof data.adapter?.device === 'string' ? data.adapter.device : null;
  } catch {
    return null;
  }
}

/** The newest earlier result of a kernel bench (`<prefix><date>[-<tag>].json`); given the adapter this run measured,
 *  the newest one from that adapter when there is one, so a GPU run does not quote SwiftShader's kernel figures. */
function latestFile(prefix: string, device: string | null): string | null {
  const dir = join(ROOT, 'bench', 'results');
  if (!existsSync(dir)) return null;
  const files = readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && /-\d{4}-\d\d-\d\d(-[a-z0-9-]+)?\.json$/.test(f))
    .sort()
    .map((f) => join(dir, f));
  const same = device === null ? [] : files.filter((f) => measuredOn(f) === device);
  return same.at(-1) ?? files.at(-1) ?? null;
}

function kernelBench(script: string, prefix: string, mode: Args['kernels'], quick: boolean, device: string | null, log: (s: string) => void): KernelResults {
  if (mode === 'skip') return { source: 'missing', file: null, data: null };
  if (mode === 'run') {
    log(`kernels: ${script}${quick ? ' --quick' : ''}`);
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', './scripts/wgsl-loader.mjs', script, ...(quick ? ['--quick'] : [])], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      timeout: 20 * 60_000,
    });
    if (r.status !== 0) log(`  ${script} exited with ${r.status ?? r.signal}`);
  }
  const file = latestFile(prefix, device);
  if (!file) return { source: 'missing', file: null, data: null };
  return { source: mode === 'run' ? 'run' : 'file', file: file.slice(ROOT.length + 1), data: JSON.parse(readFileSync(file, 'utf8')) as unknown };
}

function modelInfo(m: BenchModel): ModelInfo {
  const d = m.model.description;
  let report: unknown = null;
  if (m.report) {
    try {
      report = JSON.parse(readFileSync(m.report, 'utf8')) as unknown;
    } catch {
      report = null;
    }
  }
  const blocks = d.ops.blocks.map((b) => b.binaryOps);
  const exitOps = d.ops.exits.map((e) => e.binaryOps);
  const cumulative: number[] = [];
  let running = 0;
  d.graph.exits.forEach((e, k) => {
    const first = k === 0 ? 0 : d.graph.exits[k - 1].after + 1;
    for (let b = first; b <= e.after; b++) running += blocks[b] ?? 0;
    cumulative.push(running + exitOps.slice(0, k + 1).reduce((x, y) => x + y, 0));
  });
  const total = cumulative[cumulative.length - 1] || 1;
  return {
    id: m.id,
    shipped: m.shipped,
    note: m.note,
    file: m.file ? m.file.slice(ROOT.length + 1) : null,
    task: d.task,
    architecture: d.architecture,
    inputShape: [...d.graph.inputShape],
    classes: d.labels.length,
    exitPolicy: { criterion: d.exitPolicy.criterion, thresholds: [...d.exitPolicy.thresholds] },
    cumulativeBinaryOps: cumulative.map((c) => c / total),
    peer: m.peer,
    report,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (s: string): void => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}`);
  const options = suiteOptions(args.quick);
  const run = runInfo();
  const models = findModels(args.models);
  const notes: string[] = [];
  if (models.some((m) => !m.shipped)) notes.push(models.find((m) => !m.shipped)!.note);
  for (const m of models) if (m.shipped) notes.push(`${m.id}: float peer weights from ${m.peer.weights}`);
  log(`${args.quick ? 'quick ' : ''}run on ${run.machine.cpu} x${run.machine.cores}, commit ${run.commit}${run.dirty ? ' (dirty)' : ''}; models: ${models.map((m) => m.id).join(', ')}`);

  let node: BenchResult['node'] = null;
  if (args.node) {
    const results: Record<string, NodeModelResult> = {};
    for (const m of models) results[m.id] = await runNodeModel(m, options, log);
    node = { environment: `Node ${process.version}, ${run.dawn}`, results };
  }
  // Imported only when needed: a Node-only run (--no-browser) needs neither Playwright nor Vite.
  const browser = args.browser ? await (await import('./browser')).runBrowser(models, options, log) : null;
  const nodeWebgpu = node === null ? undefined : Object.values(node.results)[0]?.webgpu;
  const device = nodeWebgpu?.value?.adapter.info.device ?? null;
  const kernels = {
    webgpu: kernelBench('bench/kernels.ts', 'kernels-', args.kernels, args.quick, device, log),
    wasm: kernelBench('bench/wasm-kernels.ts', 'wasm-kernels-', args.kernels, args.quick, null, log),
  };
  const result: BenchResult = { bench: 'beenet', schema: 1, quick: args.quick, run, options, notes, models: models.map(modelInfo), node, browser, kernels };

  mkdirSync(args.outDir, { recursive: true });
  const stamp = run.date.slice(0, 19).replace(/:/g, '');
  const host = run.machine.host.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 32) || 'host';
  const file = join(args.outDir, `${stamp}-${host}${args.quick ? '-quick' : ''}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  const base = args.quick ? 'quick' : 'latest';
  const { markdown, svgs } = renderReport(result, base, file.slice(file.lastIndexOf('/') + 1));
  for (const [name, svg] of Object.entries(svgs)) writeFileSync(join(args.outDir, name), svg);
  writeFileSync(join(args.outDir, `${base}.md`), markdown);
  log(`wrote ${file}, ${join(args.outDir, `${base}.md`)} and ${Object.keys(svgs).length} SVG plots`);
  // Dawn keeps the process alive with its device threads in some versions: leave explicitly.
  process.exit(0);
}

await main();
