// Synthetic audio-classification datasets from Debian's speech synthesisers, augmented with sox.
//
//   npx tsx scripts/datagen/generate.ts --task kws|digits|langid --out data/<task> [--seed 1] [--per-class N] [--train-per-class N]
//     [--jobs 2] [--examples DIR | --no-examples] [--no-festival] [--no-ambient] [--labels a,b]
//
// Writes <out>/<label>/<nnnnn>.wav (1 s, 16 kHz, mono, 16-bit) and <out>/manifest.json; with examples, one
// test-split clip per class into models/clips/<task>/. Deterministic for a seed (every clip has its own random
// stream, planned before anything runs).

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeWav16 } from '../../src/audio/wav';
import { manifestSummary, writeManifest, type Manifest, type ManifestClip, type Split } from '../../src/data/manifest';
import { loadNoiseBank, type NoiseBank } from './noise';
import { f32FromBytes, mapPool, pipeline, type Cmd } from './proc';
import { Rng } from './rng';
import { respell } from './respell';
import { buildSpeakers, type Engine, type Speaker, type SpeakerPool } from './speakers';
import { TASKS, type TaskDef, type TaskName } from './tasks';
import { cliArgs } from '../cli-args';

const RATE = 16000;
const CLIP = 16000;
const SPLIT_FRACTIONS: Record<Split, number> = { train: 0.7, validation: 0.15, test: 0.15 };
/** How often each engine speaks a clip, where the split has it. */
const ENGINE_WEIGHT: Record<Engine, number> = { 'espeak-ng': 0.6, flite: 0.25, festival: 0.15 };

export interface GenerateOptions {
  task: TaskName;
  out: string;
  seed: number;
  perClass?: number;
  /**
   * Training clips per class, when more than `perClass`'s 70 % share. The extra clips are drawn after the test
   * ones in each label's stream, so validation and test clips stay byte-identical to a `perClass` run.
   */
  trainPerClass?: number;
  jobs?: number;
  /** Folder for the example clips; null for none. */
  examples?: string | null;
  festival?: boolean;
  ambient?: boolean;
  /** Only these labels (a subset of the task's; for quick tests). */
  labels?: string[];
  /** No progress lines on stderr. */
  quiet?: boolean;
}

interface Aug {
  speed: number;
  pitchCents: number;
  tempo: number;
  reverb: number;
  roomScale: number;
  band: 'full' | 'telephone' | '8k';
  levelDb: number;
  noise: string;
  noiseStart: number;
  snrDb: number;
  shift: number;
}

interface PlannedClip {
  index: number;
  label: string;
  split: Split;
  speaker: Speaker | null;
  text: string;
  /** Per-clip random stream (augmentation, placement, noise). */
  seed: number;
  aug: Partial<Aug>;
  path: string;
}

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function splitCounts(n: number): Record<Split, number> {
  const val = Math.round(n * SPLIT_FRACTIONS.validation);
  const test = Math.round(n * SPLIT_FRACTIONS.test);
  return { train: n - val - test, validation: val, test };
}

/** Clips per class in planning order: the `perClass` splits, then any extra training clips. */
function planOrder(perClass: number, trainPerClass: number | undefined): [Split, number][] {
  const c = splitCounts(perClass);
  const extra = Math.max(0, (trainPerClass ?? 0) - c.train);
  return [['train', c.train], ['validation', c.validation], ['test', c.test], ['train', extra]];
}

function pickSpeaker(pool: SpeakerPool, split: Split, rng: Rng): Speaker {
  const engines = (Object.keys(pool.bySplit[split]) as Engine[]).sort();
  const e = engines[rng.weighted(engines.map((x) => ENGINE_WEIGHT[x]))];
  return rng.pick(pool.bySplit[split][e]!);
}

function plan(task: TaskDef, pool: SpeakerPool, order: [Split, number][], seed: number): PlannedClip[] {
  const clips: PlannedClip[] = [];
  for (const label of task.labels) {
    // One stream per label, so a label subset plans the same clips as the full task.
    const rng = new Rng(`plan:${task.name}:${label}:${seed}`);
    let k = 0;
    for (const [split, count] of order) {
      for (let j = 0; j < count; j++, k++) {
        const clipSeed = Math.floor(rng.next() * 2 ** 32);
        const crng = new Rng(clipSeed);
        const utt = task.utterance(label, crng);
        const speaker = utt ? pickSpeaker(langPool(pool, utt.lang), split, crng) : null;
        clips.push({
          index: clips.length,
          label,
          split,
          speaker,
          text: utt?.text ?? '',
          seed: clipSeed,
          aug: {},
          path: `${label}/${String(k).padStart(5, '0')}.wav`,
        });
      }
    }
  }
  return clips;
}

const langPools = new WeakMap<SpeakerPool, Map<string, SpeakerPool>>();

/** The pool restricted to one language (cached). */
function langPool(pool: SpeakerPool, lang: string): SpeakerPool {
  let m = langPools.get(pool);
  if (!m) langPools.set(pool, (m = new Map()));
  let p = m.get(lang);
  if (!p) {
    const speakers = pool.speakers.filter((s) => s.lang === lang);
    const bySplit: SpeakerPool['bySplit'] = { train: {}, validation: {}, test: {} };
    for (const s of speakers) (bySplit[s.split][s.engine] ??= []).push(s);
    m.set(lang, (p = { speakers, bySplit }));
  }
  return p;
}

/**
 * The synthesiser command: espeak-ng writes a WAV to stdout; flite to `file` (it cannot open /dev/stdout when
 * that is a socket, as Node's child stdio is). Festival clips are pre-rendered.
 */
function synthCmd(s: Speaker, text: string, file: string): Cmd {
  if (s.engine === 'espeak-ng') {
    return {
      cmd: 'espeak-ng',
      args: ['-v', `${s.voice}+${s.variant}`, '-p', String(s.pitch), '-s', String(s.rate), '--stdout', text],
    };
  }
  return { cmd: 'flite', args: ['-voice', s.voice, '--setf', `duration_stretch=${s.rate}`, '-t', text, '-o', file] };
}

/** Draws the sox-side augmentation of a clip. */
function drawSoxAug(s: Speaker, rng: Rng): Partial<Aug> {
  const a: Partial<Aug> = {};
  const baseCents = s.engine === 'espeak-ng' ? 0 : s.pitch;
  const cents = baseCents + (rng.chance(0.3) ? Math.round(rng.uniform(-150, 150)) : 0);
  if (cents !== 0) a.pitchCents = cents;
  if (rng.chance(0.5)) a.speed = Math.round(rng.uniform(0.9, 1.1) * 1000) / 1000;
  if (rng.chance(0.3)) a.tempo = Math.round(rng.uniform(0.85, 1.15) * 1000) / 1000;
  if (rng.chance(0.3)) {
    a.reverb = rng.int(10, 80);
    a.roomScale = rng.int(20, 100);
  }
  const b = rng.next();
  a.band = b < 0.1 ? 'telephone' : b < 0.18 ? '8k' : 'full';
  return a;
}

function soxArgs(input: string, a: Partial<Aug>): string[] {
  const args = ['-R', '-V1', ...(input === '-' ? ['-t', 'wav'] : []), input, '-t', 'f32', '-r', String(RATE), '-c', '1', '-'];
  args.push('remix', '-');
  if (a.pitchCents) args.push('pitch', String(a.pitchCents));
  if (a.speed) args.push('speed', String(a.speed));
  if (a.tempo) args.push('tempo', '-s', String(a.tempo));
  if (a.band === 'telephone') args.push('rate', '8000', 'sinc', '300-3400');
  else if (a.band === '8k') args.push('rate', '8000');
  if (a.reverb) args.push('pad', '0', '0.3', 'reverb', String(a.reverb), '50', String(a.roomScale));
  return args;
}

/** First and last+1 sample of the part above -40 dB of the loudest 10 ms frame. */
function activeRange(x: Float32Array): [number, number] {
  const f = 160;
  const frames = Math.floor(x.length / f);
  const e = new Float64Array(frames);
  let max = 0;
  for (let t = 0; t < frames; t++) {
    let s = 0;
    for (let i = t * f; i < (t + 1) * f; i++) s += x[i] * x[i];
    e[t] = s / f;
    max = Math.max(max, e[t]);
  }
  if (max < 1e-10) return [0, 0];
  const th = max * 1e-4;
  let a = 0;
  while (a < frames && e[a] < th) a++;
  let b = frames - 1;
  while (b > a && e[b] < th) b--;
  return [a * f, (b + 1) * f];
}

function rmsOf(x: Float32Array, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, to - from));
}

/** Places speech in the 1 s window, sets its level, adds noise at an SNR. */
function compose(speech: Float32Array | null, c: PlannedClip, task: TaskDef, noise: NoiseBank): Float32Array {
  const rng = new Rng(c.seed ^ 0x5bd1e995);
  const out = new Float32Array(CLIP);
  const a = c.aug;
  let speechRms = 0;
  if (speech) {
    const [s0, s1] = activeRange(speech);
    if (s1 <= s0) throw new Error(`no speech from ${c.speaker?.id} for "${c.text}"`);
    const len = s1 - s0;
    let src = s0;
    let dst: number;
    if (len >= CLIP) {
      // Phrases: any 1 s of the speech; words too long for 1 s (slow voices): keep the start.
      src = task.phrases ? rng.int(s0, s1 - CLIP) : s0;
      dst = 0;
    } else {
      dst = rng.int(0, CLIP - len);
    }
    const n = Math.min(len, CLIP);
    out.set(speech.subarray(src, src + n), dst);
    a.shift = dst - src;
    const peak = out.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    a.levelDb = Math.round(rng.uniform(-24, -1) * 10) / 10;
    const g = peak > 0 ? 10 ** (a.levelDb / 20) / peak : 0;
    for (let i = 0; i < CLIP; i++) out[i] *= g;
    speechRms = rmsOf(out, dst, dst + n);
  }
  const wantNoise = !speech || rng.chance(0.85);
  if (wantNoise) {
    const src = noise.pickSource(rng);
    const ex = noise.excerpt(src, c.split, CLIP, rng);
    a.noise = src.name;
    a.noiseStart = ex.start;
    const nr = Math.max(rmsOf(ex.samples), 1e-4);
    let target: number;
    if (speech) {
      a.snrDb = Math.round(rng.uniform(task.phrases ? 5 : 0, 30) * 10) / 10;
      target = speechRms / 10 ** (a.snrDb / 20);
    } else {
      // Silence clips: anything from near-digital silence to loud background.
      a.levelDb = Math.round(rng.uniform(-70, -15) * 10) / 10;
      target = 10 ** (a.levelDb / 20);
    }
    const g = target / nr;
    for (let i = 0; i < CLIP; i++) out[i] += g * ex.samples[i];
  }
  const peak = out.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  if (peak > 0.99) for (let i = 0; i < CLIP; i++) out[i] *= 0.99 / peak;
  return out;
}

/** Renders all festival clips up front: one festival process per speaker (its start-up costs ~0.5 s). */
async function renderFestival(clips: PlannedClip[], tmp: string, jobs: number): Promise<Map<number, string>> {
  const files = new Map<number, string>();
  const groups = new Map<string, PlannedClip[]>();
  for (const c of clips) {
    if (c.speaker?.engine !== 'festival') continue;
    const g = groups.get(c.speaker.id) ?? [];
    g.push(c);
    groups.set(c.speaker.id, g);
  }
  await mapPool([...groups.values()], jobs, async (group) => {
    const s = group[0].speaker!;
    const lines = [`(voice_${s.voice})`, `(Parameter.set 'Duration_Stretch ${s.rate})`];
    for (const c of group) {
      const f = join(tmp, `fest-${c.index}.wav`);
      files.set(c.index, f);
      const text = respell(s.respell, c.text).replace(/"/g, '');
      lines.push(`(utt.save.wave (utt.synth (Utterance Text "${text}")) "${f}" 'riff)`);
    }
    const scm = join(tmp, `fest-${group[0].index}.scm`);
    writeFileSync(scm, lines.join('\n') + '\n');
    await pipeline([{ cmd: 'festival', args: ['-b', scm] }]);
  });
  return files;
}

function progress(label: string, done: number, total: number, t0: number, quiet: boolean, state: { last: number }) {
  if (quiet) return;
  const now = Date.now();
  if (done < total && now - state.last < 1000) return;
  state.last = now;
  const secs = (now - t0) / 1000;
  const rate = done / Math.max(secs, 1e-3);
  const eta = rate > 0 ? Math.round((total - done) / rate) : 0;
  process.stderr.write(`[${label}] ${done}/${total} clips  ${rate.toFixed(1)}/s  elapsed ${secs.toFixed(0)} s  eta ${eta} s\n`);
}

/** One clip's audio: synthesis and sox augmentation in child processes (none for noise-only clips), then mixing. */
async function renderClip(c: PlannedClip, task: TaskDef, noise: NoiseBank, festivalFiles: Map<number, string>, tmp: string): Promise<Float32Array> {
  let speech: Float32Array | null = null;
  if (c.speaker) {
    const rng = new Rng(c.seed ^ 0x27d4eb2d);
    c.aug = drawSoxAug(c.speaker, rng);
    let file = festivalFiles.get(c.index);
    const cmds: Cmd[] = [];
    if (c.speaker.engine === 'flite') {
      file = join(tmp, `flite-${c.index}.wav`);
      await pipeline([synthCmd(c.speaker, c.text, file)]);
    } else if (!file) {
      cmds.push(synthCmd(c.speaker, c.text, ''));
    }
    cmds.push({ cmd: 'sox', args: soxArgs(file ?? '-', c.aug) });
    speech = f32FromBytes(await pipeline(cmds));
    if (file) rmSync(file, { force: true });
  }
  return compose(speech, c, task, noise);
}

/** The manifest of rendered clips (pure): what each clip is, who says it, and how it was augmented. */
function manifestOf(
  task: TaskDef,
  clips: PlannedClip[],
  run: { seed: number; perClass: number; trainPerClass: number | undefined; engines: Engine[]; noise: NoiseBank; seconds: number },
): Manifest {
  const manifestClips: ManifestClip[] = clips.map((c) => {
    const s = c.speaker;
    const clip: ManifestClip = {
      path: c.path,
      label: c.label,
      speaker: s ? s.id : `noise:${c.aug.noise}`,
      split: c.split,
      engine: s ? s.engine : 'noise',
    };
    if (c.text) clip.text = c.text;
    const aug: Record<string, string | number | boolean> = {};
    if (s) {
      aug.voice = s.voice;
      if (s.variant) aug.variant = s.variant;
      aug.timbre = s.timbre;
    }
    for (const [k, v] of Object.entries(c.aug)) if (v !== undefined) aug[k] = v;
    clip.aug = aug;
    return clip;
  });
  return {
    version: 1,
    task: task.name,
    labels: task.labels,
    sampleRate: RATE,
    clipSamples: CLIP,
    seed: run.seed,
    info: {
      generator: 'scripts/datagen/generate.ts',
      perClass: run.perClass,
      ...(run.trainPerClass !== undefined ? { trainPerClass: run.trainPerClass } : {}),
      engines: run.engines,
      splitFractions: SPLIT_FRACTIONS,
      noiseSources: run.noise.sources.map((x) => x.name),
      seconds: run.seconds,
    },
    clips: manifestClips,
  };
}

/** Plans the clips (pure: plan()), renders them in parallel (renderClip), writes the manifest (manifestOf). */
export async function generate(opts: GenerateOptions): Promise<Manifest> {
  const full = TASKS[opts.task];
  if (!full) throw new Error(`unknown task ${opts.task} (kws, digits, langid)`);
  const bad = (opts.labels ?? []).filter((l) => !full.labels.includes(l));
  if (bad.length) throw new Error(`unknown labels for ${full.name}: ${bad.join(', ')}`);
  const task: TaskDef = opts.labels ? { ...full, labels: full.labels.filter((l) => opts.labels!.includes(l)) } : full;
  const perClass = opts.perClass ?? task.defaultPerClass;
  const jobs = opts.jobs ?? Math.max(1, cpus().length);
  const quiet = opts.quiet ?? false;
  const t0 = Date.now();
  for (const tool of ['espeak-ng', 'sox']) if (!has(tool)) throw new Error(`${tool} is not installed`);
  const engines: Engine[] = ['espeak-ng'];
  if (task.englishEnginesToo && has('flite')) engines.push('flite');
  if (task.englishEnginesToo && opts.festival !== false && has('festival')) engines.push('festival');
  const langs = [...new Set(task.labels.map((l) => task.utterance(l, new Rng(0))?.lang).filter((x) => x !== undefined))];
  // The task's default training size goes with its default size only.
  const trainPerClass = opts.trainPerClass ?? (opts.perClass === undefined ? task.defaultTrainPerClass : undefined);
  const pool = buildSpeakers(langs, engines, opts.seed, { trainOnlyVoices: task.trainOnlyVoices });
  const clips = plan(task, pool, planOrder(perClass, trainPerClass), opts.seed);
  const noise = await loadNoiseBank(opts.ambient !== false);
  const out = resolve(opts.out);
  for (const l of task.labels) mkdirSync(join(out, l), { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), 'beenet-datagen-'));
  const state = { last: 0 };
  if (!quiet) {
    process.stderr.write(
      `[${task.name}] ${clips.length} clips, ${pool.speakers.length} speakers (${engines.join(', ')}), ` +
        `${noise.sources.length} noise sources (${noise.ambientCount} ambient), ${jobs} jobs\n`,
    );
  }
  try {
    const festivalFiles = engines.includes('festival') ? await renderFestival(clips, tmp, jobs) : new Map<number, string>();
    let done = 0;
    await mapPool(clips, jobs, async (c) => {
      writeFileSync(join(out, c.path), encodeWav16(await renderClip(c, task, noise, festivalFiles, tmp), RATE));
      progress(task.name, ++done, clips.length, t0, quiet, state);
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const manifest = manifestOf(task, clips, {
    seed: opts.seed,
    perClass,
    trainPerClass,
    engines,
    noise,
    seconds: Math.round((Date.now() - t0) / 100) / 10,
  });
  writeManifest(join(out, 'manifest.json'), manifest);
  if (opts.examples) writeExamples(manifest, out, opts.examples);
  if (!quiet) {
    const sum = manifestSummary(manifest);
    const counts = (Object.keys(sum) as Split[]).map((s) => `${s} ${Object.values(sum[s]).reduce((a, b) => a + b, 0)}`);
    const speakers = (split: Split) => new Set(manifest.clips.filter((c) => c.split === split).map((c) => c.speaker)).size;
    process.stderr.write(
      `[${task.name}] done in ${manifest.info!.seconds} s: ${counts.join(', ')} clips; speakers train ${speakers('train')}, ` +
        `validation ${speakers('validation')}, test ${speakers('test')}\n`,
    );
  }
  return manifest;
}

/** One test-split clip per class (the cleanest: no noise, or the highest SNR) for the demo page and tests. */
function writeExamples(m: Manifest, dataDir: string, dir: string): void {
  mkdirSync(dir, { recursive: true });
  const index: { file: string; label: string }[] = [];
  for (const label of m.labels) {
    const cands = m.clips.filter((c) => c.split === 'test' && c.label === label);
    if (cands.length === 0) continue;
    const score = (c: ManifestClip) => {
      const a = c.aug ?? {};
      const snr = a.snrDb === undefined ? 40 : Number(a.snrDb);
      return snr - (a.band === 'full' || a.band === undefined ? 0 : 20) - (a.reverb ? 10 : 0);
    };
    const best = label === '_silence_' ? cands[0] : cands.reduce((b, c) => (score(c) > score(b) ? c : b));
    const file = `${label}.wav`;
    copyFileSync(join(dataDir, best.path), join(dir, file));
    index.push({ file, label });
  }
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index, null, 2) + '\n');
}

function parseArgs(argv: string[]): GenerateOptions {
  const v = cliArgs(
    'npm run datagen -- --task kws|digits|langid [--out DIR] [--seed 1] [--per-class N] [--train-per-class N] [--jobs N] [--examples DIR | --no-examples] [--no-festival] [--no-ambient] [--labels a,b]',
    {
      task: { type: 'string', help: 'kws, digits or langid (required)' },
      out: { type: 'string', help: 'output folder (default data/<task>)' },
      seed: { type: 'number', default: 1, help: 'speakers, texts and augmentation' },
      'per-class': { type: 'number', help: "clips per class (default the task's)" },
      'train-per-class': { type: 'number', help: 'extra training clips per class' },
      jobs: { type: 'number', help: 'parallel synthesis jobs (default: cores)' },
      examples: { type: 'string', help: 'where the example clips go (default models/clips/<task>)' },
      'no-examples': { type: 'boolean', help: 'write no example clips' },
      'no-festival': { type: 'boolean', help: 'leave festival voices out' },
      'no-ambient': { type: 'boolean', help: 'no ambient noise recordings' },
      labels: { type: 'list', help: 'only these labels' },
    },
    { argv },
  );
  const task = v.task as TaskName | undefined;
  if (!task || !(task in TASKS)) throw new Error(`--task must be one of ${Object.keys(TASKS).join(', ')}, got ${String(v.task)}`);
  for (const k of ['seed', 'per-class', 'train-per-class', 'jobs'] as const) {
    const n = v[k];
    if (n !== undefined && (!Number.isInteger(n) || n < 0)) throw new Error(`--${k} must be a non-negative integer, got ${n}`);
  }
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  return {
    task,
    out: v.out ?? join('data', task),
    seed: v.seed,
    perClass: v['per-class'],
    trainPerClass: v['train-per-class'],
    jobs: v.jobs,
    examples: v['no-examples'] ? null : (v.examples ?? join(root, 'models', 'clips', task)),
    festival: !v['no-festival'],
    ambient: !v['no-ambient'],
    labels: v.labels,
  };
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const opts = parseArgs(process.argv.slice(2));
  generate(opts).then(
    (m) => {
      if (opts.examples) process.stderr.write(`examples in ${relative(process.cwd(), opts.examples)}\n`);
      void m;
    },
    (e: unknown) => {
      process.stderr.write(`generate: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
