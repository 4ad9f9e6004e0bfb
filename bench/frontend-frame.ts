// The microfrontend's cost per 10 ms frame, the front end's share of a stream's CPU time (issue 20):
//   npm run bench:frontend [-- --seconds 5] [--rounds 15] [--baseline HEAD~1] [--json]
// Times Microfrontend.processFrame over every frame of a few seconds of synthetic speech-like audio (harmonic
// bursts with a moving formant over background noise, at several levels, with near-silent stretches), and the
// streaming path's frameWriter (what FeatureStream calls per frame). Reports the median and the fastest round,
// in microseconds per frame and milliseconds of CPU per second of audio (100 frames at MICROFRONTEND_16K).
// --baseline REV also loads src/audio/microfrontend.ts as it was at git revision REV (from `git show`, into a
// temporary folder, with that revision's spectral host, twin and kernel, compiled) and times it in the same run,
// rounds interleaved, after checking that both give the same bits on the bench audio: the only fair comparison
// on shared cores whose speed drifts between runs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cliArgs } from '../scripts/cli-args';
import { MICROFRONTEND_16K, frameWriter } from '../src/audio/frontend';
import { Microfrontend, type MicrofrontendConfig } from '../src/audio/microfrontend';
import { ROOT, runInfo } from './env';
import { compileAssemblyAt } from './wasm-at-revision';

const args = cliArgs('npm run bench:frontend -- [--seconds 5] [--rounds 15] [--baseline REV] [--json]', {
  seconds: { type: 'number', default: 5, help: 'seconds of audio per round' },
  rounds: { type: 'number', default: 15, help: 'timed rounds per implementation (after 3 warm-up rounds)' },
  baseline: { type: 'string', help: 'also time src/audio/microfrontend.ts at this git revision, in the same run' },
  json: { type: 'boolean', help: 'print the result as JSON too' },
});

const CFG = MICROFRONTEND_16K;
const RATE = CFG.sampleRate;

/** Speech-like audio: voiced bursts (150-250 Hz harmonics, a moving formant) of varying level over noise. */
function benchAudio(seconds: number): Float32Array {
  const n = Math.round(seconds * RATE);
  const x = new Float32Array(n);
  let seed = 12345;
  const rand = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };
  let phase = 0;
  let lp = 0;
  for (let i = 0; i < n; i++) {
    const t = i / RATE;
    const word = Math.floor(t / 0.45); // a "word" every 450 ms, some loud, some soft, some absent
    const level = [0.5, 0.12, 0, 0.3, 0.02, 0.8, 0][word % 7];
    const env = Math.max(0, Math.sin((Math.PI * (t % 0.45)) / 0.35)) * (t % 0.45 < 0.35 ? 1 : 0);
    const f0 = 150 + 100 * Math.sin(2 * Math.PI * 0.7 * t + word);
    phase += (2 * Math.PI * f0) / RATE;
    const formant = 500 + 1500 * (0.5 + 0.5 * Math.sin(2 * Math.PI * 2.3 * t + word));
    let voiced = 0;
    for (let h = 1; h <= 20; h++) {
      const fh = h * f0;
      if (fh > 3900) break;
      voiced += Math.sin(h * phase) / (1 + ((fh - formant) / 300) ** 2);
    }
    lp = 0.9 * lp + 0.1 * rand(); // brownish background noise
    x[i] = level * env * 0.3 * voiced + 0.01 * lp + 0.002 * rand();
  }
  return x;
}

/** The audio files loadBaseline takes from the revision, where it has them (the rest come from this tree). */
const BASELINE_FILES = ['microfrontend.ts', 'spectrum-wasm.ts', 'spectrum.ts'];

/** git show REV:path, or null where the revision has no such file. */
function showAt(rev: string, path: string): string | null {
  try {
    return execFileSync('git', ['show', `${rev}:${path}`], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

/** The spectral kernel (wasm/assembly/spectrum.ts) as it was at `rev`, compiled, as the generated module's text. */
async function kernelAt(rev: string): Promise<string> {
  const bytes = await compileAssemblyAt(rev, 'wasm/assembly/spectrum.ts');
  return `export const SPECTRUM_WASM_BASE64 = '${Buffer.from(bytes).toString('base64')}';\n`;
}

/**
 * Our own microfrontend as it was at `rev`, importable from a temporary folder: microfrontend.ts with the
 * spectral stage's host, twin and kernel of that revision too (where it has them), so that the comparison is
 * the old frame against the new one, not the old frame's JS around the new kernel.
 */
async function loadBaseline(rev: string): Promise<{ Microfrontend: new (c: MicrofrontendConfig) => Microfrontend; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'beenet-frontend-baseline-'));
  const local = new Set<string>();
  const sources = new Map<string, string>();
  for (const f of BASELINE_FILES) {
    const src = showAt(rev, `src/audio/${f}`);
    if (src !== null) sources.set(f, src);
  }
  if (!sources.has('microfrontend.ts')) throw new Error(`no src/audio/microfrontend.ts at ${rev}`);
  if (sources.has('spectrum-wasm.ts') && showAt(rev, 'wasm/assembly/spectrum.ts') !== null) {
    mkdirSync(join(dir, 'generated'));
    writeFileSync(join(dir, 'generated', 'spectrum-kernel.ts'), await kernelAt(rev));
    local.add('generated/spectrum-kernel');
  }
  for (const f of sources.keys()) local.add(f.replace(/\.ts$/, ''));
  const fftPath = createRequire(join(ROOT, 'package.json')).resolve('fft.js');
  for (const [f, src] of sources) {
    const fixed = src
      .replace(/from '\.\.\/([^']+)'/g, (_, p: string) => `from '${join(ROOT, 'src', p)}'`)
      .replace(/from '\.\/([^']+)'/g, (_, p: string) => (local.has(p) ? `from './${p}'` : `from '${join(ROOT, 'src', 'audio', p)}'`))
      .replace(/from 'fft\.js'/g, `from '${fftPath}'`);
    writeFileSync(join(dir, f), fixed);
  }
  const mod = (await import(pathToFileURL(join(dir, 'microfrontend.ts')).href)) as { Microfrontend: new (c: MicrofrontendConfig) => Microfrontend };
  return { Microfrontend: mod.Microfrontend, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

interface Contender {
  name: string;
  /** Computes every frame of the audio once. */
  run: () => void;
  /** The features of the last run. */
  out: Float32Array;
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  const audio = benchAudio(args.seconds);
  const { hopSamples: hop, melBands: bands } = CFG;
  const mc: MicrofrontendConfig = { ...CFG, microfrontend: CFG.microfrontend! };
  const frames = new Microfrontend(mc).frames(audio.length);

  // Each contender has its own loop, written out, so that V8 keeps separate type feedback for each (a shared loop
  // would see two Microfrontend classes at one call site and slow both down).
  const mf = new Microfrontend(mc);
  const state = mf.newState();
  const out0 = new Float32Array(frames * bands);
  const write = frameWriter(CFG);
  const out1 = new Float32Array(frames * bands);
  // The spectral stage on its TypeScript twin instead of the WebAssembly kernel (engines without SIMD).
  const twin = new Microfrontend(mc, { spectrum: 'twin' });
  const twinState = twin.newState();
  const out3 = new Float32Array(frames * bands);
  const contenders: Contender[] = [
    {
      name: 'processFrame',
      out: out0,
      run: () => {
        for (let t = 0; t < frames; t++) mf.processFrame(audio, t * hop, state, out0, t * bands);
      },
    },
    {
      name: 'frameWriter',
      out: out1,
      run: () => {
        for (let t = 0; t < frames; t++) write(audio, t * hop, out1, t * bands);
      },
    },
    {
      name: 'processFrame, twin',
      out: out3,
      run: () => {
        for (let t = 0; t < frames; t++) twin.processFrame(audio, t * hop, twinState, out3, t * bands);
      },
    },
  ];
  let cleanup = () => {};
  let identical: boolean | null = null;
  if (args.baseline) {
    const base = await loadBaseline(args.baseline);
    cleanup = base.cleanup;
    const old = new base.Microfrontend(mc);
    const oldState = old.newState();
    const out2 = new Float32Array(frames * bands);
    contenders.push({
      name: `processFrame @ ${args.baseline}`,
      out: out2,
      run: () => {
        for (let t = 0; t < frames; t++) old.processFrame(audio, t * hop, oldState, out2, t * bands);
      },
    });
  }

  const times = contenders.map(() => [] as number[]);
  const warmup = 3;
  for (let round = 0; round < warmup + args.rounds; round++) {
    contenders.forEach((c, k) => {
      const t0 = process.hrtime.bigint();
      c.run();
      const us = Number(process.hrtime.bigint() - t0) / 1000;
      if (round >= warmup) times[k].push(us / frames);
    });
  }
  cleanup();
  const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
  if (!same(contenders[0].out, contenders[1].out)) throw new Error('frameWriter and processFrame disagree');
  if (!same(contenders[0].out, contenders[2].out)) throw new Error('the spectral kernel and its twin disagree');
  if (args.baseline) identical = same(contenders[0].out, contenders[3].out);

  const framesPerSecond = RATE / hop;
  const info = runInfo();
  const results = contenders.map((c, k) => ({
    name: c.name,
    usPerFrameMedian: median(times[k]),
    usPerFrameMin: Math.min(...times[k]),
    msPerAudioSecondMedian: (median(times[k]) * framesPerSecond) / 1000,
  }));
  console.log(`microfrontend frame cost: ${frames} frames (${args.seconds} s of audio at ${RATE} Hz, window ${CFG.windowSamples}, ` +
    `fft ${CFG.fftSize}, ${bands} bands), ${args.rounds} rounds (median, fastest)`);
  console.log(`machine: ${info.machine.cpu} x${info.machine.cores}, node ${info.machine.node}, load ${info.machine.loadAverage.map((l) => l.toFixed(2)).join(' ')}; ` +
    `commit ${info.commit}${info.dirty ? ' (dirty)' : ''}`);
  for (const r of results) {
    console.log(`  ${r.name.padEnd(28)} ${r.usPerFrameMedian.toFixed(2).padStart(7)} us/frame (fastest ${r.usPerFrameMin.toFixed(2)})  ` +
      `${r.msPerAudioSecondMedian.toFixed(3)} ms per audio second`);
  }
  if (args.baseline) {
    console.log(`  speed-up vs ${args.baseline}: ${(results[3].usPerFrameMedian / results[0].usPerFrameMedian).toFixed(2)}x (median); ` +
      `output identical on this audio: ${identical ? 'yes' : 'NO'}`);
  }
  if (args.json) console.log(JSON.stringify({ date: info.date, commit: info.commit, dirty: info.dirty, machine: info.machine, frames, results, identical }));
  if (identical === false) process.exitCode = 1;
}

void main();
