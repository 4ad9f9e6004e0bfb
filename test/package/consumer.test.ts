// The package as its consumers meet it: `npm pack`, installed from the tarball alone (never from this tree)
//  - into a fresh Node project (`module: nodenext`, strict) that type-checks and classifies a shipped clip with a
//    shipped model, without the optional `webgpu` peer (so auto picks WASM);
//  - into a fresh Vite app, the README's way (`beenet/models/...?url`), built, served on localhost and run in
//    headless Chromium on WASM and on WebGPU.
// A missing file, export, declaration or asset fails here.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { build, preview } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, freePort } from '../helpers/chromium';

const root = resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'beenet-consumer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let tarball = '';
beforeAll(() => {
  execFileSync('npm', ['run', 'build:lib'], { cwd: root, stdio: 'pipe' });
  execFileSync('npm', ['pack', '--pack-destination', dir], { cwd: root, stdio: 'pipe' });
  tarball = join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz'))!);
}, 300_000);

/** The README's program after `<!-- consumer:NAME ... -->`: the test runs it exactly as a reader would paste it. */
function readmeProgram(name: string): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const m = new RegExp(`<!-- consumer:${name}[^>]*-->\\s*\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!m) throw new Error(`README.md has no consumer:${name} program`);
  return m[1];
}

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

/** A fresh project folder depending on the tarball alone, installed without peers (no Dawn). */
function freshProject(name: string, files: Record<string, string>): string {
  const project = join(dir, name);
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name, private: true, type: 'module', dependencies: { beenet: `file:${tarball}` } }));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(project, file), text);
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--omit=peer'], { cwd: project, stdio: 'pipe' });
  return project;
}

const CONSUMER = `import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createNodeRuntime, decodeWav, isBeenetError, type ClassifyResult } from 'beenet/node';

const runtime = await createNodeRuntime();
const model = await runtime.load(fileURLToPath(import.meta.resolve('beenet/models/kws-reactnet.bee')));
const wav = decodeWav(readFileSync(process.argv[2]));
const r: ClassifyResult = await model.classify({ audio: wav.samples, sampleRate: wav.sampleRate });
let named = '';
try {
  await model.classify({ audio: new Float32Array(0), sampleRate: 16000 });
} catch (e) {
  if (isBeenetError(e)) named = e.code;
}
console.log(JSON.stringify({ label: r.label, exit: r.exit, backend: runtime.info.backend, empty: named }));
model.dispose();
runtime.dispose();
`;

describe('the packed package in a fresh nodenext project', () => {
  it('installs from the tarball, type-checks under nodenext strict and classifies on WASM without webgpu', () => {
    const tsconfig = {
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        strict: true,
        outDir: 'out',
        types: ['node'],
        typeRoots: [join(root, 'node_modules', '@types')],
        lib: ['es2022', 'dom'],
      },
      files: ['main.mts', 'readme.mts'],
    };
    const project = freshProject('node-consumer', { 'tsconfig.json': JSON.stringify(tsconfig), 'main.mts': CONSUMER, 'readme.mts': readmeProgram('node') });
    // WGSL is reflected at build time: neither the reflector nor Dawn comes with the package.
    expect(existsSync(join(project, 'node_modules', 'wgsl_reflect'))).toBe(false);
    expect(existsSync(join(project, 'node_modules', 'webgpu'))).toBe(false);
    execFileSync(process.execPath, [tsc, '-p', project], { cwd: project, stdio: 'pipe' });
    const readme = execFileSync(process.execPath, [join(project, 'out', 'readme.mjs')], { cwd: project, encoding: 'utf8' });
    expect(readme.trim()).toMatch(/^\S+ at exit \d+ on wasm$/);
    const out = execFileSync(process.execPath, [join(project, 'out', 'main.mjs'), join(root, 'models', 'clips', 'kws', 'yes.wav')], { cwd: project, encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { label: string; exit: number; backend: string; empty: string };
    expect(r.backend).toBe('wasm');
    expect(typeof r.label).toBe('string');
    expect(r.empty).toBe('BAD_AUDIO');
  }, 300_000);
});

// The README's browser snippet, with the model and a clip served by Vite from the installed package.
const VITE_MAIN = `import { createRuntime, decodeWav } from 'beenet';
import modelUrl from 'beenet/models/kws-reactnet.bee?url';
import clipUrl from 'beenet/models/clips/kws/yes.wav?url';

const out = document.getElementById('out')!;
try {
  const backend = new URLSearchParams(location.search).get('backend') === 'webgpu' ? 'webgpu' : 'wasm';
  const runtime = await createRuntime({ backend });
  const model = await runtime.load(modelUrl);
  const wav = decodeWav(new Uint8Array(await (await fetch(clipUrl)).arrayBuffer()));
  const r = await model.classify({ audio: wav.samples, sampleRate: wav.sampleRate });
  out.dataset.result = JSON.stringify({ label: r.label, exit: r.exit, backend: r.backend, adapter: runtime.info.adapter });
  model.dispose();
  runtime.dispose();
} catch (e) {
  out.dataset.result = JSON.stringify({ error: String(e) });
}
`;

describe('the packed package in a fresh Vite app', () => {
  it('builds with Vite, serves the model by ?url and classifies in Chromium on WASM and on WebGPU', async () => {
    const page = (script: string): string => `<!doctype html><html><body><p id="out"></p><script type="module" src="./${script}"></script></body></html>`;
    const tsconfig = {
      compilerOptions: { module: 'esnext', moduleResolution: 'bundler', target: 'es2022', strict: true, noEmit: true, lib: ['es2022', 'dom'], types: [] },
      files: ['vite-env.d.ts', 'main.ts', 'readme.ts'],
    };
    const app = freshProject('vite-consumer', {
      'index.html': page('main.ts'),
      'readme.html': page('readme.ts'),
      'main.ts': VITE_MAIN,
      'readme.ts': readmeProgram('browser'),
      // What `npm create vite` puts in an app: Vite's client types, for `?url` imports.
      'vite-env.d.ts': `/// <reference path="${join(root, 'node_modules', 'vite', 'client.d.ts')}" />\n`,
      'tsconfig.json': JSON.stringify(tsconfig),
    });
    execFileSync(process.execPath, [tsc, '-p', app], { cwd: app, stdio: 'pipe' });
    const outDir = join(app, 'dist');
    const input = { main: join(app, 'index.html'), readme: join(app, 'readme.html') };
    await build({ root: app, configFile: false, logLevel: 'warn', build: { outDir, target: 'es2022', rollupOptions: { input } } });
    const server = await preview({ root: app, configFile: false, logLevel: 'warn', build: { outDir }, preview: { host: 'localhost', port: await freePort(), strictPort: true } });
    const profile = mkdtempSync(join(tmpdir(), 'beenet-chromium-'));
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS] });
    try {
      const url = server.resolvedUrls!.local[0];
      const results: Record<string, { label?: string; backend?: string; error?: string }> = {};
      for (const backend of ['wasm', 'webgpu']) {
        const page = await context.newPage();
        await page.goto(`${url}?backend=${backend}`);
        await page.waitForFunction(() => !!document.getElementById('out')?.dataset.result, undefined, { timeout: 120_000 });
        results[backend] = JSON.parse((await page.locator('#out').getAttribute('data-result'))!) as (typeof results)[string];
        await page.close();
      }
      // The README's program as pasted (auto backend: WASM on this software adapter).
      const readmePage = await context.newPage();
      const logs: string[] = [];
      const errors: string[] = [];
      readmePage.on('console', (m) => logs.push(m.text()));
      readmePage.on('pageerror', (e) => errors.push(String(e)));
      await readmePage.goto(`${url}readme.html`);
      await expect.poll(() => logs.length >= 3 || errors.length > 0, { timeout: 120_000, interval: 200 }).toBe(true);
      await readmePage.close();
      expect(errors).toEqual([]);
      expect(logs[1]).toMatch(/^\S+ at exit \d+, \d+ % of the binary ops$/);
      expect(logs[2]).toBe(logs[1].split(' ')[0]);
      expect(results.wasm).toMatchObject({ backend: 'wasm' });
      expect(results.webgpu).toMatchObject({ backend: 'webgpu' });
      // The same bits on both backends: the same answer.
      expect(results.webgpu.label).toBe(results.wasm.label);
      expect(typeof results.wasm.label).toBe('string');
    } finally {
      await context.close();
      await new Promise<void>((ok) => server.httpServer.close(() => ok()));
      rmSync(profile, { recursive: true, force: true });
    }
  }, 300_000);
});
