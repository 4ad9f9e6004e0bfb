// The Chromium half of the ONNX Runtime Web peer (bench/onnx.ts is the Node half): stage the models, their ONNX
// exports (float32, int8 QDQ) and the features in a temporary folder, serve bench/onnx-page with Vite (that
// folder as publicDir, onnxruntime-web's dist straight from node_modules at /ort/, COOP/COEP on every response
// so the page is cross-origin isolated and ORT may start its pthreads), and load the page once per thread count
// in one headless Chromium. One JSON per run in bench/results/ (onnx-chromium-<date>-<host>.json) and
// onnx-chromium-latest.md.
//   npm run bench:onnx:browser [-- --model kws-reactnet,kws-xnornet] [--threads 1,2] [--batches 1,64] [--clips 256]
//     [--quick] [--agreement-only] [--bundled-clips] [--out-dir bench/results]
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { createServer, type Plugin, type ViteDevServer } from 'vite';
import { readBee } from '../src/format/bee';
import { bundledClips, labelledWavs } from '../src/train/onnx/clips';
import { exportOnnx } from '../src/train/onnx/export';
import { CHROMIUM, CHROMIUM_ARGS, freePort } from '../test/helpers/chromium';
import { cliArgs } from '../scripts/cli-args';
import { ROOT, runInfo, type RunInfo } from './env';
import type { OnnxPageManifest, OnnxPageModel, OnnxPageOptions, OnnxPageResult } from './onnx-page/protocol';
import { onnxRatios, peerSides, type OnnxRatio, type OnnxRow, type PeerSide } from './peer-turns';

const REAL_DIR = resolve(ROOT, '..', 'shared', 'data', 'speech-commands-v2', 'test-wav-40pct');
const ORT_DIST = join(ROOT, 'node_modules', 'onnxruntime-web', 'dist');
/** What the page loads of ORT: the WASM-only bundle, its Emscripten glue (also the pthread worker) and the binary. */
const ORT_FILES = ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'];
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' };
const CHROMIUM_FLAGS = [...CHROMIUM_ARGS, '--disable-renderer-backgrounding', '--disable-background-timer-throttling'];

const args = cliArgs(
  'npm run bench:onnx:browser [-- --model kws-reactnet] [--threads 1,2] [--batches 1,64] [--clips 256] [--quick] [--out-dir bench/results]',
  {
    model: { type: 'list', default: ['kws-reactnet'], help: 'model ids in models/ (comma-separated)' },
    threads: { type: 'list', default: ['1', '2'], help: 'thread counts (one page load each)' },
    batches: { type: 'list', default: ['1', '64'], help: 'batch sizes' },
    clips: { type: 'number', default: 256, help: `real wavs of ${REAL_DIR} (when it exists) timed (cycled) and checked for agreement` },
    quick: { type: 'boolean', help: 'smoke run: few calls, short warm-up, at most 16 clips' },
    'bundled-clips': { type: 'boolean', help: 'the bundled clips even where the real wavs exist (the smoke test: same inputs everywhere)' },
    'agreement-only': { type: 'boolean', help: 'check ORT against beenet in the page, time nothing (the smoke test)' },
    'out-dir': { type: 'string', default: join(ROOT, 'bench', 'results'), help: 'where results go' },
  },
);

/** Smoke runs are written under other names, so they never replace a run's report. */
const smoke = args.quick || args['agreement-only'];

const log = (s: string): void => console.log(`[bench:onnx:browser ${new Date().toISOString().slice(11, 19)}] ${s}`);

const options: OnnxPageOptions = args.quick
  ? { quick: true, batches: args.batches.map(Number), warmupMs: 200, minCalls: 3, minMs: 100, timing: !args['agreement-only'] }
  : { quick: false, batches: args.batches.map(Number), warmupMs: 1500, minCalls: 12, minMs: 2500, timing: !args['agreement-only'] };

/** Features (computed here, in Node, by beenet's front end) and ONNX exports for each model, written to `dir`. */
function stage(dir: string): OnnxPageManifest {
  const models: OnnxPageModel[] = args.model.map((id) => {
    const bytes = readFileSync(join(ROOT, 'models', `${id}.bee`));
    const bee = readBee(new Uint8Array(bytes));
    const limit = args.quick ? Math.min(16, args.clips) : args.clips;
    let features: Float32Array[];
    let source: string;
    if (bee.description.task === 'kws' && existsSync(REAL_DIR) && !args['bundled-clips']) {
      features = labelledWavs(bee, REAL_DIR, limit).features;
      source = `${features.length} Speech Commands v0.02 test wavs spread over ${relative(ROOT, REAL_DIR)}`;
    } else {
      features = bundledClips(bee, ROOT).features.slice(0, limit);
      source = `the ${features.length} bundled clips of models/clips/${bee.description.task}, cycled`;
    }
    if (features.length === 0) throw new Error(`${id}: no clips to time`);
    const size = features[0].length;
    const all = new Float32Array(features.length * size);
    features.forEach((f, i) => all.set(f, i * size));
    writeFileSync(join(dir, `${id}.bee`), bytes);
    writeFileSync(join(dir, `${id}.inputs.bin`), new Uint8Array(all.buffer));
    const f32 = exportOnnx(bee.description, bee.tensors, { precision: 'float32' });
    const i8 = exportOnnx(bee.description, bee.tensors, { precision: 'int8' });
    writeFileSync(join(dir, `${id}.float32.onnx`), f32.bytes);
    writeFileSync(join(dir, `${id}.int8.onnx`), i8.bytes);
    return {
      id,
      bee: `${id}.bee`,
      onnx: { float32: `${id}.float32.onnx`, int8: `${id}.int8.onnx` },
      inputShape: f32.inputShape,
      inputs: `${id}.inputs.bin`,
      clips: features.length,
      inputSize: size,
      classes: f32.classes,
      inputsSource: source,
    };
  });
  const manifest: OnnxPageManifest = { options, models, ort: '/ort/' };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return manifest;
}

/** Serves onnxruntime-web's few runtime files from node_modules, untouched by Vite's transforms, isolated too. */
function ortFiles(): Plugin {
  return {
    name: 'beenet-ort-dist',
    configureServer(server) {
      server.middlewares.use('/ort', (req, res: ServerResponse, next) => {
        const name = basename((req.url ?? '').split('?')[0]);
        if (!ORT_FILES.includes(name)) return next();
        res.writeHead(200, { 'Content-Type': name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript', 'Cache-Control': 'no-store', ...ISOLATION });
        res.end(readFileSync(join(ORT_DIST, name)));
      });
    },
  };
}

interface PageRun {
  threads: number;
  side: PeerSide;
  result: OnnxPageResult;
  /** 1/5/15-minute load averages when the page finished. */
  loadAverage: number[];
  seconds: number;
}

async function runPages(browser: Browser, port: number): Promise<PageRun[]> {
  const out: PageRun[] = [];
  const loads = args.threads.map(Number).flatMap((threads) => peerSides(threads).map((side) => ({ threads, side })));
  for (const { threads, side } of loads) {
    const t0 = performance.now();
    // A fresh context per thread count: nothing (ORT's module, beenet's workers, caches) carries over.
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('console', (msg) => {
      const text = msg.text();
      if (text.startsWith('[page] ')) log(`  ${text.slice(7)}`);
      else if (msg.type() === 'error' || msg.type() === 'warning') log(`  (page ${msg.type()}) ${text.slice(0, 300)}`);
    });
    page.on('pageerror', (e) => log(`  (page exception) ${e.message}`));
    const url = `http://localhost:${port}/?threads=${threads}&side=${side}`;
    log(`threads ${threads}${side === 'both' ? '' : ` (${side} alone)`}: ${url}`);
    await page.goto(url);
    await page.waitForFunction(() => window.__onnxResult !== undefined || window.__onnxError !== undefined, undefined, { timeout: (args.quick ? 5 : 30) * 60_000, polling: 500 });
    const error = await page.evaluate(() => window.__onnxError ?? null);
    if (error) throw new Error(`the page (threads ${threads}) failed: ${error}`);
    const result = await page.evaluate(() => window.__onnxResult ?? null);
    if (!result) throw new Error('the page left no result');
    out.push({ threads, side, result, loadAverage: loadavg(), seconds: (performance.now() - t0) / 1000 });
    await context.close();
  }
  return out;
}

interface OnnxChromiumResult {
  bench: 'onnx-chromium';
  schema: 1;
  quick: boolean;
  run: RunInfo;
  browser: { chromium: string; userAgent: string; hardwareConcurrency: number; crossOriginIsolated: boolean; flags: string[] };
  versions: { ort: string };
  options: OnnxPageOptions & { threads: number[] };
  notes: string[];
  inputs: Record<string, string>;
  /** Per page load: threads asked for, ORT's effective numThreads, load average at the end, seconds. */
  pages: { threads: number; side: PeerSide; ortThreads: number; loadAverage: number[]; seconds: number }[];
  rows: OnnxRow[];
  ratios: OnnxRatio[];
  /** Per page load and model: ORT's class vs beenet's last exit on every staged clip. */
  agreement: (OnnxPageResult['agreement'][number] & { threads: number; side: PeerSide })[];
}

function markdown(r: OnnxChromiumResult, jsonName: string): string {
  const m = r.run.machine;
  const L: string[] = [`# beenet vs ONNX Runtime Web (WASM) in Chromium${r.quick ? ' (quick smoke run, not for citing)' : ''}${r.options.timing ? '' : ' (agreement only, nothing timed)'}`, ''];
  L.push(`Run ${r.run.date}, commit \`${r.run.commit}\`${r.run.dirty ? ' (dirty)' : ''}; ${m.cpu}, ${m.cores} cores (navigator.hardwareConcurrency ${r.browser.hardwareConcurrency}), ${m.memoryGiB} GiB; headless Chromium ${r.browser.chromium}, onnxruntime-web ${r.versions.ort}; crossOriginIsolated ${r.browser.crossOriginIsolated}; load average at start ${m.loadAverage.map((x) => x.toFixed(1)).join(' / ')}, after each page ${r.pages.map((p) => `${p.threads} thread(s)${p.side === 'both' ? '' : ` ${p.side}`}: ${p.loadAverage[0].toFixed(1)}`).join(', ')} (the cores are shared with other work: figures are noisy). Raw data: \`${jsonName}\`. The Node run of the same comparison: onnx-latest.md.`, '');
  for (const n of r.notes) L.push(`- ${n}`);
  L.push('');
  for (const id of [...new Set(r.rows.map((x) => x.model))]) {
    L.push(`## ${id}`, '', `Timing inputs: ${r.inputs[id]}.`, '');
    L.push('| threads (ORT effective) | batch | beenet full | beenet calibrated (mean exit, binary ops) | ORT float32 | ORT int8 | full / int8 | calibrated / int8 | full / float32 |', '|---|---|---|---|---|---|---|---|---|');
    for (const t of r.options.threads) {
      const ortThreads = r.pages.find((p) => p.threads === t && p.side !== 'beenet')?.ortThreads ?? '?';
      for (const b of r.options.batches) {
        const get = (rt: OnnxRow['runtime'], v: string): OnnxRow | undefined => r.rows.find((x) => x.model === id && x.threads === t && x.batch === b && x.runtime === rt && x.variant === v);
        const ratio = (what: string): string => {
          const v = r.ratios.find((x) => x.model === id && x.threads === t && x.batch === b && x.what === what)?.value;
          return v === undefined ? 'n/a' : v.toFixed(2);
        };
        const ms = (x?: OnnxRow): string => (x ? x.msPerClip.toFixed(3) : 'n/a');
        const cal = get('beenet-wasm', 'calibrated');
        L.push(`| ${t} (${ortThreads}) | ${b} | ${ms(get('beenet-wasm', 'full'))} | ${ms(cal)} (${cal?.meanExit?.toFixed(2) ?? '?'}, ${cal?.binaryOpsFraction !== undefined ? (100 * cal.binaryOpsFraction).toFixed(0) : '?'} %) | ${ms(get('ort-wasm', 'float32'))} | ${ms(get('ort-wasm', 'int8'))} | ${ratio('beenet full / ORT int8')} | ${ratio('beenet calibrated / ORT int8')} | ${ratio('beenet full / ORT float32')} |`);
      }
    }
    L.push('', 'ms per clip (median call time / batch); a ratio below 1 means beenet is faster.', '');
    for (const a of r.agreement.filter((x) => x.model === id)) {
      const pc = (n: number): string => (100 * n / a.clips).toFixed(2);
      L.push(`Agreement in the page (${a.threads} thread(s)${a.side === 'both' ? '' : `, the ${a.side}-timing load`}), ORT's class vs beenet WASM's last exit (full network) on all ${a.clips} clips: float32 ${a.float32.sameClass}/${a.clips} (${pc(a.float32.sameClass)} %, max |logit diff| ${a.float32.maxAbsDiff.toExponential(1)}), int8 ${a.int8.sameClass}/${a.clips} (${pc(a.int8.sameClass)} %, max |logit diff| ${a.int8.maxAbsDiff.toFixed(3)}).`, '');
    }
  }
  return L.join('\n') + '\n';
}

async function main(): Promise<void> {
  const run = runInfo();
  log(`${args.quick ? 'quick ' : ''}run on ${run.machine.cpu} x${run.machine.cores}, load ${run.machine.loadAverage.map((x) => x.toFixed(1)).join('/')}; models ${args.model.join(', ')}; threads ${args.threads.join(', ')}; batches ${options.batches.join(', ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'beenet-onnx-browser-'));
  let server: ViteDevServer | null = null;
  let browser: Browser | null = null;
  try {
    const manifest = stage(dir);
    const port = await freePort();
    server = await createServer({
      configFile: false,
      root: join(ROOT, 'bench', 'onnx-page'),
      publicDir: dir,
      cacheDir: join(ROOT, 'node_modules', '.vite-bench-onnx'),
      logLevel: 'warn',
      clearScreen: false,
      plugins: [ortFiles()],
      server: { host: 'localhost', port, strictPort: true, hmr: false, fs: { allow: [ROOT, dir] }, headers: ISOLATION },
      optimizeDeps: { entries: [join(ROOT, 'bench', 'onnx-page', 'index.html')] },
    });
    await server.listen();
    // Playwright launches with a fresh temporary profile (--user-data-dir) of its own.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    const version = browser.version();
    log(`browser: Chromium ${version}`);
    const pages = await runPages(browser, port);
    const first = pages[0].result;
    const rows = pages.flatMap((p) => p.result.rows);
    const result: OnnxChromiumResult = {
      bench: 'onnx-chromium',
      schema: 1,
      quick: args.quick,
      run,
      browser: { chromium: version, userAgent: first.userAgent, hardwareConcurrency: first.hardwareConcurrency, crossOriginIsolated: pages.every((p) => p.result.crossOriginIsolated), flags: CHROMIUM_FLAGS },
      versions: { ort: first.ortVersion },
      options: { ...options, threads: [...new Set(pages.map((p) => p.threads))] },
      notes: [
        'One page load per thread count in the same headless Chromium (ORT fixes its thread count when its module starts); at one thread beenet and ORT take turns call by call on that page, above one each is timed alone in a page load of its own (ORT\'s busy pthreads slow a beenet worker pool beside them).',
        'beenet: the WASM SIMD backend (createRuntime({ backend: "wasm", threads }), module Workers above 1 thread), `full` = entropy threshold 0, `calibrated` = the exit policy in the model file; classifyBatch of `{ features }`.',
        'ORT: onnxruntime-web ort.wasm.min.mjs (WASM, SIMD, numThreads = threads; pthreads need the COOP/COEP headers the local server sends), graphOptimizationLevel all, on the float32 and int8 QDQ exports of src/train/onnx (last exit only, no early exit), served from node_modules.',
        'Both sides take the same normalised features, computed in Node by beenet\'s front end (not timed). ms per clip = median call time / batch.',
      ],
      inputs: Object.fromEntries(manifest.models.map((m) => [m.id, m.inputsSource])),
      pages: pages.map((p) => ({ threads: p.threads, side: p.side, ortThreads: p.result.ortThreads, loadAverage: p.loadAverage, seconds: p.seconds })),
      rows,
      ratios: onnxRatios(rows),
      agreement: pages.flatMap((p) => p.result.agreement.map((a) => ({ ...a, threads: p.threads, side: p.side }))),
    };
    const outDir = resolve(args['out-dir']);
    mkdirSync(outDir, { recursive: true });
    const stamp = run.date.slice(0, 19).replace(/:/g, '');
    const host = run.machine.host.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 32) || 'host';
    const file = join(outDir, `onnx-chromium-${stamp}-${host}${smoke ? '-quick' : ''}.json`);
    writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    const md = markdown(result, basename(file));
    writeFileSync(join(outDir, smoke ? 'onnx-chromium-quick.md' : 'onnx-chromium-latest.md'), md);
    console.log(md);
    log(`wrote ${file}`);
    // Agreement below 99 % fails the run: the comparison would not be of the same network.
    const bad = result.agreement.filter((a) => Math.min(a.float32.sameClass, a.int8.sameClass) < 0.99 * a.clips);
    if (bad.length) throw new Error(`ORT disagrees with beenet on more than 1 % of the clips: ${bad.map((a) => `${a.model} (${a.threads} thread(s))`).join(', ')}`);
  } finally {
    await browser?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    log(`FAILED: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
