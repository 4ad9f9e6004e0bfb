// The Markdown summary and SVG plots of one run (bench/results/latest.md, latest-*.svg).
import type { StageGpuTime } from './gpu-timing';
import type { PeerMeasurements } from './peer';
import type { BenchResult, ModelInfo } from './result';
import { ratio } from './stats';
import type { BeenetMeasurements, ColdStart, LatencyRow, ThroughputRow } from './suite';
import { percent } from '../src/eval/format';
import { COLORS, plot, type PlotSeries } from '../src/eval/svg';

/** One environment's figures for one model, whichever side (Node or Chromium) produced them. */
interface EnvView {
  name: string;
  short: string;
  adapter: string;
  webgpu: BeenetMeasurements | null;
  wasm: BeenetMeasurements | null;
  cold: ColdStart[];
  gpuTime: StageGpuTime[] | null;
  peerWebgpu: PeerMeasurements | null;
  peerWasm: PeerMeasurements | null;
  errors: string[];
}

function views(r: BenchResult, id: string): EnvView[] {
  const out: EnvView[] = [];
  const n = r.node?.results[id];
  if (n) {
    const a = n.webgpu.value?.adapter;
    out.push({
      name: `Node ${r.run.machine.node} + Dawn (${r.run.dawn})`,
      short: 'Node',
      adapter: a ? `${a.kind}; adapter.info ${JSON.stringify(a.info)}, isFallbackAdapter ${a.isFallbackAdapter}` : 'no WebGPU adapter',
      webgpu: n.webgpu.value?.beenet ?? null,
      wasm: n.wasm.value?.beenet ?? null,
      cold: [n.webgpu.value?.coldStart, n.wasm.value?.coldStart].filter((c): c is ColdStart => !!c),
      gpuTime: n.webgpu.value?.gpuTime ?? null,
      peerWebgpu: n.peerWebgpu.value ?? null,
      peerWasm: n.peerWasm.value ?? null,
      errors: [n.webgpu.error, n.wasm.error, n.peerWebgpu.error, n.peerWasm.error].filter((e): e is string => !!e),
    });
  }
  const b = r.browser?.page?.results[id];
  if (b && r.browser) {
    const a = r.browser.page?.adapter;
    out.push({
      name: `Chromium ${r.browser.chromium} (headless)`,
      short: 'Chromium',
      adapter: a ? `${a.kind}; adapter.info ${JSON.stringify(a.info)}, isFallbackAdapter ${a.isFallbackAdapter}` : 'no WebGPU adapter',
      webgpu: b.webgpu.value?.beenet ?? null,
      wasm: b.wasm.value?.beenet ?? null,
      cold: [b.webgpu.value?.coldStart, b.wasm.value?.coldStart].filter((c): c is ColdStart => !!c),
      gpuTime: b.webgpu.value?.gpuTime ?? null,
      peerWebgpu: b.peerWebgpu.value ?? null,
      peerWasm: b.peerWasm.value ?? null,
      errors: [b.webgpu.error, b.wasm.error, b.peerWebgpu.error, b.peerWasm.error].filter((e): e is string => !!e),
    });
  }
  return out;
}

const lat = (m: BeenetMeasurements | null, mode: string, kind: LatencyRow['kind']): LatencyRow | undefined =>
  m?.latency.find((r) => r.mode === mode && r.kind === kind);
const thr = (m: BeenetMeasurements | null, mode: string, kind: ThroughputRow['kind'], batch: number): ThroughputRow | undefined =>
  m?.throughput.find((r) => r.mode === mode && r.kind === kind && r.batch === batch);
const peerThr = (p: PeerMeasurements | null, batch: number): number | undefined => p?.throughput.find((t) => t.batch === batch)?.clipsPerS;

const f = (v: number | null | undefined, d = 2): string => (v == null || !Number.isFinite(v) ? 'n/a' : v.toFixed(d));
const x = (v: number | null): string => (v == null ? 'n/a' : `${v >= 10 ? v.toFixed(0) : v.toFixed(1)}x`);
const pct = (v: number | null | undefined, d = 0): string => (v == null || !Number.isFinite(v) ? 'n/a' : `${percent(v, d)}%`);

interface RatioRow {
  what: string;
  target: string;
  /** A cell per environment: the ratio and what it was computed from. */
  cell(v: EnvView): { value: number | null; detail: string };
  /** Does the ratio meet the target? */
  meets(v: number): boolean;
}

function ratioRows(): RatioRow[] {
  const speedAt1 = (mode: string, kind: LatencyRow['kind'], peer: 'webgpu' | 'wasm', backend: 'webgpu' | 'wasm') => (v: EnvView) => {
    const mine = lat(backend === 'webgpu' ? v.webgpu : v.wasm, mode, kind)?.latency.medianMs;
    const theirs = (peer === 'webgpu' ? v.peerWebgpu : v.peerWasm)?.latency.latency.medianMs;
    return { value: ratio(theirs, mine), detail: `${f(theirs, 1)} / ${f(mine, 2)} ms` };
  };
  const speedAt = (batch: number, mode: string, kind: ThroughputRow['kind'], peer: 'webgpu' | 'wasm', backend: 'webgpu' | 'wasm') => (v: EnvView) => {
    const mine = thr(backend === 'webgpu' ? v.webgpu : v.wasm, mode, kind, batch)?.clipsPerS;
    const theirs = peerThr(peer === 'webgpu' ? v.peerWebgpu : v.peerWasm, batch);
    return { value: ratio(mine, theirs), detail: `${f(mine, 1)} / ${f(theirs, 2)} clips/s` };
  };
  const meanRatio = (m: 'webgpu' | 'wasm', mode: string) => (v: EnvView) => {
    const meas = m === 'webgpu' ? v.webgpu : v.wasm;
    const cal = lat(meas, mode, 'calibrated')?.latency.meanMs;
    const full = lat(meas, mode, 'full')?.latency.meanMs;
    return { value: ratio(cal, full), detail: `${f(cal)} / ${f(full)} ms mean` };
  };
  const modeRatio = (kind: LatencyRow['kind']) => (v: EnvView) => {
    const g = lat(v.webgpu, 'gpu', kind)?.latency.medianMs;
    const rb = lat(v.webgpu, 'readback', kind)?.latency.medianMs;
    return { value: ratio(g, rb), detail: `${f(g)} / ${f(rb)} ms median` };
  };
  const atLeast = (t: number) => (v: number): boolean => v >= t;
  const atMost = (t: number) => (v: number): boolean => v <= t;
  return [
    { what: 'WebGPU full binary vs TF.js WebGPU f32, batch 1 (latency, readback mode)', target: '>= 5x', cell: speedAt1('readback', 'full', 'webgpu', 'webgpu'), meets: atLeast(5) },
    { what: 'WebGPU full binary vs TF.js WebGPU f32, batch 1 (latency, gpu mode)', target: '>= 5x', cell: speedAt1('gpu', 'full', 'webgpu', 'webgpu'), meets: atLeast(5) },
    { what: 'WebGPU full binary vs TF.js WebGPU f32, batch 64 (throughput, readback)', target: '>= 15x', cell: speedAt(64, 'readback', 'full', 'webgpu', 'webgpu'), meets: atLeast(15) },
    { what: 'WebGPU full binary vs TF.js WebGPU f32, batch 64 (throughput, gpu mode)', target: '>= 15x', cell: speedAt(64, 'gpu', 'full', 'webgpu', 'webgpu'), meets: atLeast(15) },
    { what: 'WebGPU calibrated vs TF.js WebGPU f32, batch 1 (latency, readback)', target: '(info)', cell: speedAt1('readback', 'calibrated', 'webgpu', 'webgpu'), meets: () => true },
    { what: 'WebGPU calibrated / full, mean latency (readback)', target: '<= 0.5', cell: meanRatio('webgpu', 'readback'), meets: atMost(0.5) },
    { what: 'WebGPU calibrated / full, mean latency (gpu mode)', target: '<= 0.5', cell: meanRatio('webgpu', 'gpu'), meets: atMost(0.5) },
    { what: 'WebGPU gpu mode / readback mode, full network (median)', target: '<= 1', cell: modeRatio('full'), meets: atMost(1) },
    { what: 'WebGPU gpu mode / readback mode, calibrated (median)', target: '<= 1', cell: modeRatio('calibrated'), meets: atMost(1) },
    { what: 'WASM full binary vs TF.js WASM f32, batch 1 (latency)', target: '>= 3x', cell: speedAt1('readback', 'full', 'wasm', 'wasm'), meets: atLeast(3) },
    { what: 'WASM full binary vs TF.js WASM f32, batch 64 (throughput)', target: '>= 3x', cell: speedAt(64, 'readback', 'full', 'wasm', 'wasm'), meets: atLeast(3) },
    { what: 'WASM calibrated vs TF.js WASM f32, batch 1 (latency)', target: '>= 6x', cell: speedAt1('readback', 'calibrated', 'wasm', 'wasm'), meets: atLeast(6) },
    { what: 'WASM calibrated vs TF.js WASM f32, batch 64 (throughput)', target: '>= 6x', cell: speedAt(64, 'readback', 'calibrated', 'wasm', 'wasm'), meets: atLeast(6) },
    { what: 'WASM calibrated / full, mean latency', target: '<= 0.5', cell: meanRatio('wasm', 'readback'), meets: atMost(0.5) },
    { what: 'beenet WASM full vs beenet WebGPU full, batch 1 (this adapter)', target: '(info)', cell: (v) => {
      const w = lat(v.wasm, 'readback', 'full')?.latency.medianMs;
      const g = lat(v.webgpu, 'readback', 'full')?.latency.medianMs;
      return { value: ratio(g, w), detail: `${f(g)} / ${f(w)} ms` };
    }, meets: () => true },
  ];
}

function batchesOf(r: BenchResult): number[] {
  return r.options.batches;
}

/** Ratio rows adapted to the run's largest batch (quick runs do not reach 64). */
function adaptedRows(r: BenchResult): RatioRow[] {
  const big = Math.max(...batchesOf(r));
  return ratioRows().map((row) => (big === 64 ? row : { ...row, what: row.what.replace('batch 64', `batch ${big} (quick run; the target is for 64)`), cell: adaptBatch(row, big) }));
}

function adaptBatch(row: RatioRow, big: number): RatioRow['cell'] {
  if (!row.what.includes('batch 64')) return row.cell;
  // Re-evaluate with the largest measured batch: the closures read batch 64, so remap through a view copy.
  return (v: EnvView) => {
    const remap = (m: BeenetMeasurements | null): BeenetMeasurements | null =>
      m && { ...m, throughput: m.throughput.map((t) => (t.batch === big ? { ...t, batch: 64 } : t)) };
    const remapPeer = (p: PeerMeasurements | null): PeerMeasurements | null =>
      p && { ...p, throughput: p.throughput.map((t) => (t.batch === big ? { ...t, batch: 64 } : t)) };
    return row.cell({ ...v, webgpu: remap(v.webgpu), wasm: remap(v.wasm), peerWebgpu: remapPeer(v.peerWebgpu), peerWasm: remapPeer(v.peerWasm) });
  };
}

function latencyTable(v: EnvView): string[] {
  const L = ['| backend | mode | operating point | median ms | p95 ms | mean ms | mean exit | exit shares | binary ops |', '|---|---|---|---|---|---|---|---|---|'];
  for (const m of [v.webgpu, v.wasm]) {
    for (const r of m?.latency ?? []) {
      L.push(`| ${r.backend} | ${r.mode} | ${r.point} | ${f(r.latency.medianMs)} | ${f(r.latency.p95Ms)} | ${f(r.latency.meanMs)} | ${f(r.meanExit)} | ${r.exitShare.map((s) => pct(s)).join(' / ')} | ${pct(r.binaryOpsFraction)} |`);
    }
  }
  for (const p of [v.peerWebgpu, v.peerWasm]) {
    if (p) L.push(`| ${p.backend} (f32 peer) | - | every exit | ${f(p.latency.latency.medianMs)} | ${f(p.latency.latency.p95Ms)} | ${f(p.latency.latency.meanMs)} | - | - | - |`);
  }
  return L;
}

function throughputTable(v: EnvView, batches: number[]): string[] {
  const L = [`| backend | mode | point | ${batches.map((b) => `batch ${b} clips/s`).join(' | ')} | mean exit at ${Math.max(...batches)} |`, `|---|---|---|${batches.map(() => '---|').join('')}---|`];
  for (const m of [v.webgpu, v.wasm]) {
    if (!m) continue;
    const keys = [...new Set(m.throughput.map((t) => `${t.mode}|${t.kind}`))];
    for (const k of keys) {
      const [mode, kind] = k.split('|');
      const rows = batches.map((b) => m.throughput.find((t) => t.mode === mode && t.kind === kind && t.batch === b));
      L.push(`| ${m.backend} | ${mode} | ${kind} | ${rows.map((t) => f(t?.clipsPerS, 1)).join(' | ')} | ${f(rows[rows.length - 1]?.meanExit)} |`);
    }
  }
  for (const p of [v.peerWebgpu, v.peerWasm]) {
    if (p) L.push(`| ${p.backend} (f32 peer) | - | every exit | ${batches.map((b) => f(peerThr(p, b), 2)).join(' | ')} | - |`);
  }
  return L;
}

function stageTable(v: EnvView): string[] {
  const L: string[] = [];
  const exits = (v.webgpu ?? v.wasm)?.prefix.filter((p) => p.mode === 'readback').length ?? 0;
  if (exits === 0) return L;
  const head = ['| measure | ' + Array.from({ length: exits }, (_, k) => `stage ${k}`).join(' | ') + ' |', '|---|' + '---|'.repeat(exits)];
  L.push(...head);
  for (const m of [v.webgpu, v.wasm]) {
    for (const mode of ['readback', 'gpu']) {
      const rows = m?.prefix.filter((p) => p.mode === mode) ?? [];
      if (rows.length === 0) continue;
      L.push(`| ${m!.backend} ${mode}: wall ms to exit k (prefix median) | ${rows.map((r) => f(r.latency.medianMs)).join(' | ')} |`);
      L.push(`| ${m!.backend} ${mode}: wall ms of stage k (prefix difference) | ${rows.map((r) => f(r.stageMs)).join(' | ')} |`);
    }
  }
  for (const g of v.gpuTime ?? []) {
    L.push(`| webgpu GPU ms per stage, batch ${g.batch} (timestamp-query, median of ${g.stageGpu[0]?.n ?? 0}) | ${g.stageGpu.map((s) => f(s.medianMs)).join(' | ')} |`);
  }
  const g1 = v.gpuTime?.find((g) => g.batch === 1);
  const rb = v.webgpu?.prefix.filter((p) => p.mode === 'readback') ?? [];
  if (g1 && rb.length === g1.stageGpu.length) {
    L.push(`| webgpu readback: host + submit + readback ms per stage (wall - GPU, batch 1) | ${rb.map((r, k) => f(r.stageMs - g1.stageGpu[k].medianMs)).join(' | ')} |`);
  }
  return L;
}

function readbackCost(v: EnvView): string {
  const rb = lat(v.webgpu, 'readback', 'full')?.latency.medianMs;
  const g = lat(v.webgpu, 'gpu', 'full')?.latency.medianMs;
  const exits = v.webgpu?.prefix.filter((p) => p.mode === 'readback').length ?? 0;
  if (rb == null || g == null || exits < 2) return 'n/a';
  const per = (rb - g) / (exits - 1);
  const gated = v.gpuTime?.find((t) => t.batch === 1)?.gatedGpu.medianMs;
  const stages = v.gpuTime?.find((t) => t.batch === 1)?.stageGpu.reduce((a, s) => a + s.medianMs, 0);
  return (
    `full network, batch 1: readback mode ${f(rb)} ms (${exits} submissions, ${exits} readbacks) vs gpu mode ${f(g)} ms (1 submission, 1 readback): ` +
    `${f(per)} ms per extra exit check${gated != null && stages != null ? `; GPU time: ${f(stages)} ms summed over the stages vs ${f(gated)} ms for the gated pass` : ''}`
  );
}

function coldTable(v: EnvView): string[] {
  const L = ['| backend | runtime/device ms | load (read/fetch + parse + compile) ms | first result ms | total ms |', '|---|---|---|---|---|'];
  for (const c of v.cold) L.push(`| ${c.backend} | ${f(c.runtimeMs, 0)} | ${f(c.loadMs, 0)} | ${f(c.firstResultMs, 1)} | ${f(c.totalMs, 0)} |`);
  for (const p of [v.peerWebgpu, v.peerWasm]) if (p) L.push(`| ${p.backend} (f32 peer, first call only) | - | - | ${f(p.latency.firstCallMs, 0)} | - |`);
  return L;
}

function kernelSection(r: BenchResult): string[] {
  const L: string[] = ['## Kernel level', ''];
  const k = r.kernels.webgpu;
  const kd = k.data as { date?: string; adapter?: unknown; isFallbackAdapter?: boolean; timing?: string; peakBitOpsPerS?: number; rows?: Record<string, number | string>[] } | null;
  if (kd?.rows) {
    L.push(`WGSL convolutions (\`bench/kernels.ts\`, ${k.source === 'run' ? 'run in this benchmark' : `from ${k.file}`}, ${kd.date ?? '?'}; adapter ${JSON.stringify(kd.adapter)}, isFallbackAdapter ${kd.isFallbackAdapter}, timing ${kd.timing}).`);
    L.push(`Peak XOR+popcount: ${f((kd.peakBitOpsPerS ?? NaN) / 1e9, 1)} G bit-ops/s.`, '');
    L.push('| shape | batch | binary G MAC/s | f32 G MAC/s | binary / f32 | fraction of popcount peak |', '|---|---|---|---|---|---|');
    for (const row of kd.rows) {
      L.push(`| ${row.shape} | ${row.batch} | ${f(Number(row.binaryMacsPerS) / 1e9)} | ${f(Number(row.floatMacsPerS) / 1e9, 3)} | ${x(Number(row.ratio))} | ${pct(Number(row.fractionOfPeak))} |`);
    }
  } else L.push('WGSL kernel results: none (run `node --import tsx --import ./scripts/wgsl-loader.mjs bench/kernels.ts`).');
  L.push('');
  const w = r.kernels.wasm;
  const wd = w.data as { date?: string; rows?: Record<string, number | string>[]; models?: Record<string, number | string | number[]>[] } | null;
  if (wd?.rows) {
    L.push(`WASM SIMD kernels (\`bench/wasm-kernels.ts\`, ${w.source === 'run' ? 'run in this benchmark' : `from ${w.file}`}, ${wd.date ?? '?'}; one thread, fastest of repeated batches).`, '');
    L.push('| shape | bconv wasm ms | G binary MAC/s | f32 conv wasm ms | G MAC/s | binary vs f32 |', '|---|---|---|---|---|---|');
    for (const row of wd.rows) {
      L.push(`| ${row.shape} | ${f(Number(row.bconvWasmMs), 3)} | ${f(Number(row.bconvWasmGops), 1)} | ${f(Number(row.convF32WasmMs), 3)} | ${f(Number(row.convF32WasmGflops), 2)} | ${x(Number(row.speedupVsF32Wasm))} |`);
    }
    for (const m of wd.models ?? []) L.push(`- random ${m.recipe} ${Array.isArray(m.inputShape) ? m.inputShape.join('x') : ''}: WASM ${f(Number(m.msWasm))} ms per clip (all exits), JS twins ${f(Number(m.msCpu), 1)} ms`);
  } else L.push('WASM kernel results: none (run `npx tsx bench/wasm-kernels.ts`).');
  L.push('');
  return L;
}

interface SweepPoint {
  threshold: number;
  accuracy: number;
  binaryOpsFraction: number;
}

function reportSweep(m: ModelInfo): SweepPoint[] {
  const rep = m.report as { sweep?: { threshold?: number; accuracy?: number; binaryOpsFraction?: number }[] } | null;
  return (rep?.sweep ?? [])
    .filter((s) => typeof s.accuracy === 'number' && typeof s.binaryOpsFraction === 'number')
    .map((s) => ({ threshold: s.threshold ?? NaN, accuracy: s.accuracy!, binaryOpsFraction: s.binaryOpsFraction! }));
}

function plots(r: BenchResult, m: ModelInfo, vs: EnvView[], base: string): Record<string, string> {
  const svgs: Record<string, string> = {};
  const warn = vs.some((v) => v.adapter.startsWith('CPU emulation')) ? 'WebGPU here is a CPU emulation (SwiftShader), not a GPU' : undefined;
  const sweepSeries = (v: EnvView, meas: BeenetMeasurements | null, mode: string): { x: number; y: number; ops: number }[] =>
    (meas?.latency ?? []).filter((l) => l.mode === mode && l.threshold !== null).map((l) => ({ x: l.threshold!, y: l.latency.medianMs, ops: l.binaryOpsFraction }));
  const series: PlotSeries[] = [];
  let c = 0;
  for (const v of vs) {
    for (const [meas, mode] of [[v.webgpu, 'readback'], [v.webgpu, 'gpu'], [v.wasm, 'readback']] as const) {
      const pts = sweepSeries(v, meas, mode);
      if (pts.length) series.push({ label: `${v.short} ${meas!.backend} ${mode}`, color: COLORS[c++ % COLORS.length], points: pts, dashed: v.short === 'Chromium' });
    }
  }
  svgs[`${base}-${m.id}-latency.svg`] = plot({
    title: `${m.id}: batch-1 latency vs entropy threshold`,
    subtitle: warn,
    x: { label: 'entropy threshold (all exits; 0 = full network)' },
    y: { label: 'median latency per clip, ms', log: true },
    series,
  });

  const acc = reportSweep(m);
  const tradeoff: PlotSeries[] = [];
  if (acc.length) tradeoff.push({ label: 'test accuracy % (models/reports)', color: '#000', points: acc.map((p) => ({ x: p.binaryOpsFraction, y: 100 * p.accuracy })) });
  c = 0;
  for (const v of vs) {
    for (const [meas, mode] of [[v.webgpu, 'readback'], [v.wasm, 'readback']] as const) {
      const pts = (meas?.latency ?? []).filter((l) => l.mode === mode && l.kind !== 'calibrated').map((l) => ({ x: l.binaryOpsFraction, y: l.latency.meanMs }));
      if (pts.length) tradeoff.push({ label: `${v.short} ${meas!.backend} mean ms`, color: COLORS[c++ % COLORS.length], points: pts, right: true, dashed: v.short === 'Chromium' });
    }
  }
  svgs[`${base}-${m.id}-tradeoff.svg`] = plot({
    title: `${m.id}: accuracy and latency vs fraction of binary ops`,
    subtitle: acc.length ? warn : `no accuracy sweep (models/reports/${m.id}.json missing)${warn ? '; ' + warn : ''}`,
    x: { label: 'fraction of the full network\'s binary ops (mean per clip)' },
    y: { label: acc.length ? 'test accuracy %' : '(no accuracy data)' },
    y2: { label: 'mean latency per clip, ms', log: true },
    series: tradeoff,
  });

  const tput: PlotSeries[] = [];
  c = 0;
  for (const v of vs) {
    for (const [meas, mode, kind] of [[v.webgpu, 'readback', 'full'], [v.webgpu, 'gpu', 'calibrated'], [v.webgpu, 'readback', 'calibrated'], [v.wasm, 'readback', 'full'], [v.wasm, 'readback', 'calibrated']] as const) {
      const pts = (meas?.throughput ?? []).filter((t) => t.mode === mode && t.kind === kind).map((t) => ({ x: t.batch, y: t.clipsPerS }));
      if (pts.length) tput.push({ label: `${v.short} ${meas!.backend} ${mode} ${kind}`, color: COLORS[c++ % COLORS.length], points: pts, dashed: v.short === 'Chromium' });
    }
    for (const p of [v.peerWebgpu, v.peerWasm]) {
      if (p) tput.push({ label: `${v.short} ${p.backend} f32`, color: COLORS[c++ % COLORS.length], points: p.throughput.map((t) => ({ x: t.batch, y: t.clipsPerS })), dashed: true });
    }
  }
  svgs[`${base}-${m.id}-throughput.svg`] = plot({
    title: `${m.id}: throughput vs batch size`,
    subtitle: warn,
    x: { label: 'batch size', log: true },
    y: { label: 'clips per second', log: true },
    series: tput,
  });
  return svgs;
}

export function renderReport(r: BenchResult, base: string, jsonName: string): { markdown: string; svgs: Record<string, string> } {
  const L: string[] = [];
  const svgs: Record<string, string> = {};
  const mach = r.run.machine;
  L.push(`# beenet benchmark${r.quick ? ' (quick smoke run: few clips, small batches, not for citing)' : ''}`, '');
  L.push(`Run ${r.run.date}, commit \`${r.run.commit}\`${r.run.dirty ? ' (working tree had uncommitted changes)' : ''}; ${mach.cpu}, ${mach.cores} cores, ${mach.memoryGiB} GiB, ${mach.platform} ${mach.release}; load average at start ${mach.loadAverage.map((l) => l.toFixed(1)).join(' / ')}.`);
  L.push(`Node ${mach.node}, ${r.run.dawn}, ${r.run.tfjs}${r.browser ? `, Chromium ${r.browser.chromium}` : ''}. Raw data: \`${jsonName}\`.`, '');
  const adapters = new Set<string>();
  for (const m of r.models) for (const v of views(r, m.id)) adapters.add(`${v.name}: ${v.adapter}`);
  const emulated = [...adapters].some((a) => a.includes('CPU emulation'));
  if (emulated) {
    L.push('> **WebGPU on this machine is a CPU emulation (SwiftShader), not a GPU.** Every WebGPU figure below, beenet\'s and', '> TF.js\'s alike, is software rasterisation on the CPU cores; on a real GPU the balance (dispatch, readback and', '> compute costs) is different. Ratios between runtimes on the same adapter in the same run are the meaningful numbers.', '');
  }
  L.push('Adapters:', '', ...[...adapters].map((a) => `- ${a}`), '');
  if (r.notes.length) L.push('Notes:', '', ...r.notes.map((n) => `- ${n}`), '');
  const big = Math.max(...r.options.batches);
  for (const m of r.models) {
    const vs = views(r, m.id);
    L.push(`## ${m.id}`, '');
    L.push(`${m.shipped ? 'Shipped model' : 'Placeholder model'} \`${m.file ?? '(in memory)'}\`: task ${m.task}, architecture ${m.architecture}, input ${m.inputShape.join('x')}, ${m.classes} classes; ` +
      `calibrated policy ${m.exitPolicy.criterion} ${m.exitPolicy.thresholds.map((t) => t.toFixed(3)).join(' / ')}; cumulative binary ops per exit ${m.cumulativeBinaryOps.map((c) => pct(c)).join(' / ')}.`);
    L.push(`Float32 peer: BeeNet ${m.peer.architecture} ${m.peer.inputShape.join('x')}, ${m.peer.classes} classes, weights: ${m.peer.weights}${m.peer.sameArchitecture ? '' : ' (NOT the same architecture as the measured model)'}; every exit computed, no early exit.`);
    const inputs = r.node?.results[m.id]?.inputs;
    if (inputs) L.push(`Inputs: ${inputs.source}.`);
    L.push('');
    for (const v of vs) if (v.errors.length) L.push(`Failures in ${v.name}: ${v.errors.join('; ')}`, '');
    L.push('### Ratios against the targets (same adapter, same run)', '');
    L.push(`| comparison | target | ${vs.map((v) => v.name).join(' | ')} |`, `|---|---|${vs.map(() => '---|').join('')}`);
    for (const row of adaptedRows(r)) {
      const cells = vs.map((v) => {
        const c = row.cell(v);
        const verdict = c.value == null || row.target === '(info)' ? '' : row.meets(c.value) ? ' **meets**' : ' **misses**';
        return `${row.target.startsWith('<=') ? f(c.value) : x(c.value)}${verdict} (${c.detail})`;
      });
      L.push(`| ${row.what} | ${row.target} | ${cells.join(' | ')} |`);
    }
    L.push('');
    for (const v of vs) {
      L.push(`### ${v.name}`, '', `Adapter: ${v.adapter}.`, '');
      L.push('Latency per clip at batch 1 (after warm-up):', '', ...latencyTable(v), '');
      L.push(`Throughput (clips leave the batch at their exit):`, '', ...throughputTable(v, r.options.batches), '');
      L.push('Per-stage cost (every clip forced to leave at exit k; stage = trunk block(s) + exit head + exit check):', '', ...stageTable(v), '');
      L.push(`Readback cost per exit check: ${readbackCost(v)}.`, '');
      L.push('Cold start (fresh runtime and device; model fetched/read, parsed, every pipeline compiled, first clip classified):', '', ...coldTable(v), '');
    }
    const ps = plots(r, m, vs, base);
    Object.assign(svgs, ps);
    L.push('Plots:', '', ...Object.keys(ps).map((n) => `![${n}](${n})`), '');
  }
  if (big !== 64) L.push(`(Quick run: largest batch ${big}.)`, '');
  L.push(...kernelSection(r));
  return { markdown: L.join('\n') + '\n', svgs };
}
