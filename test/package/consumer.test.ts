// The package as a consumer meets it: `npm pack`, installed from the tarball alone into a fresh Node project
// (`module: nodenext`, strict) that type-checks and classifies a shipped clip with a shipped model, without the
// optional `webgpu` peer (so auto picks WASM). A missing file, export or declaration fails here.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'beenet-consumer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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
    execFileSync('npm', ['run', 'build:lib'], { cwd: root, stdio: 'pipe' });
    execFileSync('npm', ['pack', '--pack-destination', dir], { cwd: root, stdio: 'pipe' });
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { beenet: `file:./${tarball}` } }));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
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
        files: ['main.mts'],
      }),
    );
    writeFileSync(join(dir, 'main.mts'), CONSUMER);
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--omit=peer'], { cwd: dir, stdio: 'pipe' });
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    execFileSync(process.execPath, [tsc, '-p', dir], { cwd: dir, stdio: 'pipe' });
    const out = execFileSync(process.execPath, [join(dir, 'out', 'main.mjs'), join(root, 'models', 'clips', 'kws', 'yes.wav')], { cwd: dir, encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { label: string; exit: number; backend: string; empty: string };
    expect(r.backend).toBe('wasm');
    expect(typeof r.label).toBe('string');
    expect(r.empty).toBe('BAD_AUDIO');
  }, 300_000);
});
