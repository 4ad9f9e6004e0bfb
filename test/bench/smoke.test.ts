// Smoke run of `npm run bench -- --quick` (Node on Dawn and headless Chromium, one model, a few clips): the
// JSON has every section and its numbers are finite and positive. The real benchmark runs are not tests.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PeerMeasurements } from '../../bench/peer';
import type { BenchResult } from '../../bench/result';
import type { BeenetMeasurements, ColdStart } from '../../bench/suite';

const ROOT = resolve(import.meta.dirname, '../..');

/** The first shipped model, or none (the benchmark then measures its random placeholder). */
function firstModel(): string[] {
  const dir = join(ROOT, 'models');
  const bee = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.bee')).sort() : [];
  return bee.length > 0 ? ['--model', bee[0].slice(0, -4)] : [];
}

function positive(v: unknown, what: string): void {
  expect(typeof v, what).toBe('number');
  expect(Number.isFinite(v as number) && (v as number) > 0, `${what} = ${String(v)}`).toBe(true);
}

function checkBeenet(m: BeenetMeasurements | undefined, backend: string, batches: number[]): void {
  expect(m, `${backend} measurements`).toBeDefined();
  expect(m!.latency.some((r) => r.kind === 'full')).toBe(true);
  expect(m!.latency.some((r) => r.kind === 'calibrated')).toBe(true);
  for (const r of m!.latency) {
    positive(r.latency.medianMs, `${backend} ${r.mode} ${r.point} median`);
    positive(r.latency.p95Ms, `${backend} ${r.mode} ${r.point} p95`);
    expect(r.binaryOpsFraction).toBeGreaterThan(0);
    expect(r.binaryOpsFraction).toBeLessThanOrEqual(1 + 1e-9);
  }
  for (const b of batches) expect(m!.throughput.some((t) => t.batch === b), `${backend} batch ${b}`).toBe(true);
  for (const t of m!.throughput) positive(t.clipsPerS, `${backend} ${t.mode} ${t.kind} batch ${t.batch} clips/s`);
  expect(m!.prefix.length).toBeGreaterThan(0);
  for (const p of m!.prefix) positive(p.latency.medianMs, `${backend} ${p.mode} prefix ${p.exit}`);
}

function checkPeer(p: PeerMeasurements | undefined, what: string): void {
  expect(p, what).toBeDefined();
  positive(p!.latency.latency.medianMs, `${what} latency`);
  expect(p!.throughput.length).toBeGreaterThan(0);
  for (const t of p!.throughput) positive(t.clipsPerS, `${what} batch ${t.batch}`);
}

function checkCold(c: ColdStart | undefined, what: string): void {
  expect(c, what).toBeDefined();
  positive(c!.totalMs, `${what} cold start`);
  positive(c!.loadMs, `${what} load`);
}

describe('benchmark smoke run (--quick)', () => {
  let dir = '';
  let result: BenchResult;
  let markdown = '';
  let svgs: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'beenet-bench-smoke-'));
    const args = ['--import', 'tsx', '--import', './scripts/wgsl-loader.mjs', 'bench/run.ts', '--quick', ...firstModel(), '--out-dir', dir];
    await new Promise<void>((ok, fail) => {
      execFile(process.execPath, args, { cwd: ROOT, timeout: 170_000, maxBuffer: 32 * 2 ** 20 }, (error, stdout, stderr) => {
        if (error) fail(new Error(`bench --quick failed: ${error.message}\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`));
        else ok();
      });
    });
    const json = readdirSync(dir).find((f) => f.endsWith('-quick.json'));
    expect(json, 'the run wrote its JSON').toBeDefined();
    result = JSON.parse(readFileSync(join(dir, json!), 'utf8')) as BenchResult;
    markdown = readFileSync(join(dir, 'quick.md'), 'utf8');
    svgs = readdirSync(dir).filter((f) => f.endsWith('.svg'));
  }, 180_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('records the run: commit, machine, adapter and whether it is emulated', () => {
    expect(result.bench).toBe('beenet');
    expect(result.quick).toBe(true);
    expect(result.run.commit).toMatch(/^[0-9a-f]{4,}|unknown$/);
    expect(result.run.machine.cpu.length).toBeGreaterThan(0);
    positive(result.run.machine.cores, 'cores');
    expect(result.run.dawn).toMatch(/^webgpu@/);
    expect(result.models).toHaveLength(1);
    const id = result.models[0].id;
    const gpu = result.node!.results[id].webgpu;
    expect(gpu.ok, gpu.error).toBe(true);
    expect(gpu.value!.adapter.info.architecture.length + gpu.value!.adapter.info.vendor.length).toBeGreaterThan(0);
    expect(typeof gpu.value!.adapter.isFallbackAdapter).toBe('boolean');
    if (gpu.value!.adapter.isFallbackAdapter) expect(gpu.value!.adapter.kind).toMatch(/CPU emulation/);
    expect(result.browser?.ok, result.browser?.error).toBe(true);
    expect(result.browser!.chromium.length).toBeGreaterThan(0);
    expect(result.browser!.page!.adapter).not.toBeNull();
  });

  it('has finite, positive figures for beenet, the float peer and cold start in Node and in Chromium', () => {
    const id = result.models[0].id;
    const batches = result.options.batches;
    const n = result.node!.results[id];
    checkBeenet(n.webgpu.value?.beenet, 'node webgpu', batches);
    checkBeenet(n.wasm.value?.beenet, 'node wasm', batches);
    expect(n.webgpu.value!.beenet.latency.some((r) => r.mode === 'gpu')).toBe(true);
    checkCold(n.webgpu.value?.coldStart, 'node webgpu');
    checkCold(n.wasm.value?.coldStart, 'node wasm');
    checkPeer(n.peerWasm.value, 'node tfjs-wasm');
    checkPeer(n.peerWebgpu.value, 'node tfjs-webgpu');
    if (n.webgpu.value!.gpuTime) for (const s of n.webgpu.value!.gpuTime[0].stageGpu) positive(s.medianMs, 'GPU time per stage');
    const b = result.browser!.page!.results[id];
    checkBeenet(b.webgpu.value?.beenet, 'chromium webgpu', batches);
    checkBeenet(b.wasm.value?.beenet, 'chromium wasm', batches);
    checkCold(b.webgpu.value?.coldStart, 'chromium webgpu');
    checkPeer(b.peerWasm.value, 'chromium tfjs-wasm');
    checkPeer(b.peerWebgpu.value, 'chromium tfjs-webgpu');
  });

  it('writes the Markdown summary with the ratio table and the SVG plots', () => {
    expect(markdown).toContain('Ratios against the targets');
    expect(markdown).toContain('TF.js WebGPU');
    expect(markdown).not.toMatch(/NaN|undefined/);
    expect(svgs.length).toBe(3);
    for (const s of svgs) expect(readFileSync(join(dir, s), 'utf8')).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*<\/svg>\n$/);
  });
});
