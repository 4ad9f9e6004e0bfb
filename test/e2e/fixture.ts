// What the demo e2e test runs against: the first shipped model (models/index.json) whose file and clips exist,
// or, while none has been trained yet, a random placeholder model written only into the test's build folder.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRuntime, decodeWav, encodeWav16, writeBee, type ClassifyResult } from '../../src/index';
import { costsFromPlan, type ExitRecords } from '../../src/eval/records';
import { calibrateForAccuracy, thresholdSweep } from '../../src/eval/policy';
import { exitsHere } from '../../src/runtime/exit-policy';
import { randomModel } from '../helpers/random-model';
import { mulberry32 } from '../helpers/rng';

export interface ClipCase {
  file: string;
  label: string;
  /** The CPU reference in Node, all exits evaluated: per exit its label, entropy and max probability. */
  exits: ClassifyResult['exits'];
}

export interface Fixture {
  id: string;
  placeholder: boolean;
  clips: ClipCase[];
  /** Where the clips' WAV files are (to build longer recordings from them). */
  clipsDir: string;
  /** Backbone blocks of the model. */
  blocks: number;
  /** Per exit, the share of the full model's binary ops a clip leaving there spends (from the model's plan). */
  exitOps: number[];
}

function exitOpsOf(model: { plan: { stages: { cumulativeOps: { binaryOps: number } }[]; totalOps: { binaryOps: number } } }): number[] {
  const total = model.plan.totalOps.binaryOps;
  return model.plan.stages.map((s) => (total > 0 ? s.cumulativeOps.binaryOps / total : 1));
}

interface CatalogEntry {
  id?: string;
  task?: string;
  architecture?: string;
  file?: string;
  clips?: string;
  report?: string;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

function clipList(path: string): { file: string; label: string }[] {
  const json = readJson(path);
  if (!Array.isArray(json)) return [];
  return json.filter((c): c is { file: string; label: string } => typeof c?.file === 'string' && typeof c?.label === 'string');
}

/** The shipped model to test, if one is complete (model file + clip list + every clip present). */
function shippedModel(modelsDir: string): { entry: CatalogEntry; clipsDir: string; clips: { file: string; label: string }[] } | null {
  const catalog = readJson(join(modelsDir, 'index.json'));
  if (!Array.isArray(catalog)) return null;
  for (const entry of catalog as CatalogEntry[]) {
    if (!entry?.file || !entry.clips || !existsSync(join(modelsDir, entry.file))) continue;
    const listPath = join(modelsDir, entry.clips);
    const clips = clipList(listPath);
    const clipsDir = join(listPath, '..');
    if (clips.length > 0 && clips.every((c) => existsSync(join(clipsDir, c.file)))) return { entry, clipsDir, clips };
  }
  return null;
}

/** Synthetic clips (tones and noise) for when no example clips exist at all. */
function syntheticClips(dir: string): { file: string; label: string }[] {
  mkdirSync(dir, { recursive: true });
  const rng = mulberry32(7);
  const out = [220, 440, 880].map((hz, k) => {
    const x = new Float32Array(16000);
    for (let i = 0; i < x.length; i++) x[i] = 0.3 * Math.sin((2 * Math.PI * hz * i) / 16000) + 0.05 * (rng() - 0.5);
    const file = `tone${k}.wav`;
    writeFileSync(join(dir, file), encodeWav16(x, 16000));
    return { file, label: `tone${k}` };
  });
  writeFileSync(join(dir, 'index.json'), JSON.stringify(out));
  return out;
}

async function reference(bytes: Uint8Array, clipsDir: string, clips: { file: string; label: string }[]) {
  const runtime = await createRuntime({ backend: 'cpu' });
  const model = await runtime.load(bytes);
  const results: ClassifyResult[] = [];
  for (const c of clips) {
    const w = decodeWav(readFileSync(join(clipsDir, c.file)));
    results.push(await model.classify({ audio: w.samples, sampleRate: w.sampleRate }, { mode: 'all-exits', threshold: 0 }));
  }
  return { runtime, model, results };
}

/**
 * Picks the model and computes the CPU reference for each clip. In placeholder mode it also writes the model,
 * a catalogue and an evaluation report (a sweep over the clips) into `outDir`, the test's own build.
 */
export async function prepareFixture(modelsDir: string, outDir: string): Promise<Fixture> {
  const shipped = shippedModel(modelsDir);
  if (shipped) {
    const bytes = readFileSync(join(modelsDir, shipped.entry.file!));
    const { runtime, model, results } = await reference(bytes, shipped.clipsDir, shipped.clips);
    const exitOps = exitOpsOf(model);
    const blocks = model.description.graph.blocks.length;
    runtime.dispose();
    const id = shipped.entry.id ?? `${shipped.entry.task}-${shipped.entry.architecture}`;
    return { id, placeholder: false, clipsDir: shipped.clipsDir, blocks, exitOps, clips: shipped.clips.map((c, i) => ({ ...c, exits: results[i].exits })) };
  }

  let clipsRel = 'clips/kws/index.json';
  let clipsDir = join(outDir, 'clips', 'kws');
  let clips = clipList(join(clipsDir, 'index.json')).filter((c) => existsSync(join(clipsDir, c.file)));
  if (clips.length === 0) {
    clipsRel = 'clips/placeholder/index.json';
    clipsDir = join(outDir, 'clips', 'placeholder');
    clips = syntheticClips(clipsDir);
  }
  // Seed 39 of the random recipe gives 4 blocks with an exit after each and binary work in every block.
  const bee = randomModel(mulberry32(39), { recipe: 'random', inputShape: [98, 40, 1], labels: 12, blocks: 4, criterion: 'entropy' });
  const names = [...new Set(clips.map((c) => c.label))];
  bee.description.labels = bee.description.labels.map((l, i) => names[i] ?? l);
  bee.description.name = 'placeholder (random weights)';
  bee.description.task = 'kws';
  bee.description.architecture = 'placeholder';
  const bytes = writeBee(bee);
  const { runtime, model, results } = await reference(bytes, clipsDir, clips);
  // A report in the shape the evaluation tools produce, so the trade-off chart has something to draw.
  const exits = model.plan.stages.length;
  const records: ExitRecords = {
    classes: model.labels.length,
    count: clips.length,
    labels: Int32Array.from(clips, (c) => model.labels.indexOf(c.label)),
    argmax: Array.from({ length: exits }, (_, k) => Int32Array.from(results, (r) => r.exits[k].classIndex)),
    entropy: Array.from({ length: exits }, (_, k) => Float32Array.from(results, (r) => r.exits[k].entropy)),
    maxProb: Array.from({ length: exits }, (_, k) => Float32Array.from(results, (r) => r.exits[k].maxProb)),
  };
  const costs = costsFromPlan(model.plan);
  // The shape of scripts/evaluate.ts's report (src/eval/report.ts), the parts the page reads.
  const sweep = thresholdSweep(records, costs, 21).map((p) => ({ ...p, threshold: p.thresholds[0], cpuLatencyMs: null }));
  const cal = calibrateForAccuracy(records, costs, { maxDrop: 0.05 });
  const report = {
    model: 'kws-placeholder',
    task: 'kws',
    architecture: 'placeholder',
    labels: model.labels,
    sweep,
    calibrated: [{ target: 'accuracy -5 pt', validation: cal, test: cal }],
    exitPolicy: cal.thresholds,
  };
  const exitOps = exitOpsOf(model);
  const blocks = model.description.graph.blocks.length;
  runtime.dispose();
  writeFileSync(join(outDir, 'kws-placeholder.bee'), bytes);
  mkdirSync(join(outDir, 'reports'), { recursive: true });
  writeFileSync(join(outDir, 'reports', 'kws-placeholder.json'), JSON.stringify(report));
  const entry = { id: 'kws-placeholder', task: 'kws', architecture: 'placeholder', file: 'kws-placeholder.bee', report: 'reports/kws-placeholder.json', clips: clipsRel };
  writeFileSync(join(outDir, 'index.json'), JSON.stringify([entry]));
  return { id: entry.id, placeholder: true, clipsDir, blocks, exitOps, clips: clips.map((c, i) => ({ ...c, exits: results[i].exits })) };
}

/** The exits a clip may take under these thresholds: one, or two when a score sits on a threshold. */
export function expectedExits(c: ClipCase, criterion: 'entropy' | 'maxprob', thresholds: number[]): number[] {
  const last = c.exits.length - 1;
  const eps = 1e-4;
  for (let k = 0; k < last; k++) {
    const e = c.exits[k];
    const score = criterion === 'entropy' ? e.entropy : e.maxProb;
    if (Math.abs(score - thresholds[k]) < eps) return [k, ...expectedExits({ ...c, exits: c.exits.slice(k + 1).map((x) => x) }, criterion, thresholds.slice(k + 1)).map((x) => x + k + 1)];
    if (exitsHere(criterion, thresholds[k], e.entropy, e.maxProb, false)) return [k];
  }
  return [last];
}

/** A recording made of the given clips (at their own rate) with `gapS` seconds of silence between them. */
export function joinClips(fixture: Fixture, files: string[], gapS: number): { wav: Uint8Array; sampleRate: number; starts: number[] } {
  const parts = files.map((f) => decodeWav(readFileSync(join(fixture.clipsDir, f))));
  const rate = parts[0].sampleRate;
  const gap = Math.round(gapS * rate);
  const total = parts.reduce((a, p) => a + p.samples.length, 0) + gap * (parts.length - 1);
  const out = new Float32Array(total);
  const starts: number[] = [];
  let at = 0;
  parts.forEach((p, i) => {
    starts.push(at / rate);
    out.set(p.samples, at);
    at += p.samples.length + (i < parts.length - 1 ? gap : 0);
  });
  return { wav: pcm16Exact(out, rate), sampleRate: rate, starts };
}

/**
 * Mono 16-bit WAV that gives back exactly the samples decodeWav read (it divides by 32768; encodeWav16 scales by
 * 32767), so a window cut at a clip's start is that clip, sample for sample, and its CPU reference applies.
 */
function pcm16Exact(x: Float32Array, rate: number): Uint8Array {
  const out = new Uint8Array(44 + x.length * 2);
  const v = new DataView(out.buffer);
  const text = (at: number, s: string): void => [...s].forEach((ch, i) => v.setUint8(at + i, ch.charCodeAt(0)));
  text(0, 'RIFF');
  v.setUint32(4, 36 + x.length * 2, true);
  text(8, 'WAVEfmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  text(36, 'data');
  v.setUint32(40, x.length * 2, true);
  for (let i = 0; i < x.length; i++) v.setInt16(44 + i * 2, Math.max(-32768, Math.min(32767, Math.round(x[i] * 32768))), true);
  return out;
}
