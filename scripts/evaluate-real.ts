// A shipped model on real speakers it never trained on, through the runtime (audio in, the model's own front end):
//   npm run evaluate:real -- --model models/kws-reactnet.bee [--data ../shared/data] [--backend wasm]
// kws: the Speech Commands v0.02 test wavs in <data>/speech-commands-v2/test-wav-40pct (12 classes, ~40 % of
// the canonical test speakers) and, for the clips that have one, the same clip's spectrogram image as features
// (the decisive check that the front end computes what the images hold). digits: the held-out FSDD speakers.
// Writes models/reports/<model>.real.json (figures only: no audio). Skips with a message when <data> is absent.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { cliArgs } from './cli-args';
import { normalizeBands } from '../src/audio/logmel';
import { decodeWav } from '../src/audio/wav';
import { listFsdd } from '../src/data/fsdd';
import { decodeSpectrogram, listTestWavs } from '../src/data/spectrogram-images';
import { readBee } from '../src/format/bee';
import type { BackendChoice, ClassifyResult } from '../src/index';
import { createNodeRuntime } from '../src/node';

interface Clip {
  path: string;
  label: string;
  /** The matching spectrogram image, when the corpus has one. */
  image: string | null;
}

function kwsClips(data: string): Clip[] {
  return listTestWavs(join(data, 'speech-commands-v2')).map((p) => ({ path: p.wav, label: p.label, image: p.image }));
}

function digitClips(data: string): Clip[] {
  const dir = join(data, 'fsdd', 'recordings');
  return listFsdd(dir)
    .filter((c) => c.split === 'test')
    .map((c) => ({ path: join(dir, c.file), label: c.label, image: null }));
}

const pct = (x: number): number => Math.round(1000 * x) / 10;

async function main(): Promise<void> {
  const values = cliArgs('npm run evaluate:real -- --model models/<name>.bee', {
    model: { type: 'string', help: 'the .bee file (required)' },
    data: { type: 'string', default: '../shared/data', help: 'the real recordings' },
    backend: { type: 'string', default: 'wasm', help: 'auto, webgpu, wasm or cpu' },
    'report-dir': { type: 'string', default: 'models/reports', help: 'where the report goes' },
  });
  if (!values.model) throw new Error('--model is required');
  if (!existsSync(values.data)) {
    console.log(`evaluate-real: ${values.data} is absent; nothing to measure (real speech lives outside the project)`);
    return;
  }
  const bee = readBee(readFileSync(values.model));
  const d = bee.description;
  const clips = d.task === 'digits' ? digitClips(values.data) : kwsClips(values.data);
  const runtime = await createNodeRuntime({ backend: values.backend as BackendChoice });
  const model = await runtime.load(values.model);
  const labelIndex = new Map(d.labels.map((l, i) => [l, i]));
  const norm = d.frontend.normalization;
  const mean = norm ? (bee.tensors.get(norm.mean)!.data as Float32Array) : null;
  const std = norm ? (bee.tensors.get(norm.std)!.data as Float32Array) : null;
  const exits = model.plan.stages.length;
  const tally = { audio: new Array<number>(exits).fill(0), image: new Array<number>(exits).fill(0), imageAudio: new Array<number>(exits).fill(0) };
  let calibratedOk = 0;
  let opsSum = 0;
  let paired = 0;
  const perClass = new Map<string, [number, number]>();
  const hit = (r: ClassifyResult, k: number, label: string): number => (r.exits[k].label === label ? 1 : 0);
  for (const c of clips) {
    if (!labelIndex.has(c.label)) throw new Error(`${c.path}: label ${c.label} is not one of the model's`);
    const wav = decodeWav(readFileSync(c.path));
    const all = await model.classify({ audio: wav.samples, sampleRate: wav.sampleRate }, { threshold: 0, mode: 'all-exits' });
    const cal = await model.classify({ audio: wav.samples, sampleRate: wav.sampleRate });
    for (let k = 0; k < exits; k++) tally.audio[k] += hit(all, k, c.label);
    calibratedOk += cal.label === c.label ? 1 : 0;
    opsSum += cal.binaryOpsFraction;
    const pc = perClass.get(c.label) ?? [0, 0];
    pc[0] += hit(all, exits - 1, c.label);
    pc[1]++;
    perClass.set(c.label, pc);
    if (c.image) {
      const px = Float32Array.from(decodeSpectrogram(readFileSync(c.image), c.image));
      const features = mean && std ? normalizeBands(px, mean, std) : px;
      const fromImage = await model.classify({ features }, { threshold: 0, mode: 'all-exits' });
      for (let k = 0; k < exits; k++) {
        tally.image[k] += hit(fromImage, k, c.label);
        tally.imageAudio[k] += hit(all, k, c.label);
      }
      paired++;
    }
  }
  const n = clips.length;
  const report = {
    model: basename(values.model, '.bee'),
    task: d.task,
    source:
      d.task === 'digits'
        ? 'FSDD, the two held-out speakers (never trained on, never validated on)'
        : 'Speech Commands v0.02 test wavs (test-wav-40pct: ~40 % of the canonical test speakers, never trained on)',
    clips: n,
    backend: runtime.info.backend,
    accuracyPerExit: tally.audio.map((x) => pct(x / n)),
    calibratedAccuracy: pct(calibratedOk / n),
    calibratedBinaryOps: pct(opsSum / n),
    thresholds: d.exitPolicy.thresholds,
    perClassLastExit: Object.fromEntries([...perClass].map(([l, [ok, m]]) => [l, pct(ok / m)])),
    pairs: paired
      ? { clips: paired, imageAccuracyPerExit: tally.image.map((x) => pct(x / paired)), audioAccuracyPerExit: tally.imageAudio.map((x) => pct(x / paired)) }
      : null,
  };
  model.dispose();
  runtime.dispose();
  mkdirSync(values['report-dir'], { recursive: true });
  const out = join(values['report-dir'], `${report.model}.real.json`);
  writeFileSync(out, JSON.stringify(report, null, 1) + '\n');
  console.log(JSON.stringify(report, null, 1));
  console.log(`wrote ${out}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
