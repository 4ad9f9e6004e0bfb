// Export shipped `.bee` models to ONNX (float32 and int8) for the ONNX Runtime Web peer (bench/onnx.ts):
//   npx tsx scripts/export-onnx.ts [models/kws-reactnet.bee ...] [--out-dir out/onnx] [--precision float32,int8]
//     [--int8-form qdq|integer] [--calibrate] [--all-exits] [--no-check]
// Without files, every models/*.bee. Writes <out-dir>/<id>.<precision>.onnx and, unless --no-check, runs each
// exported model in onnxruntime-web (WASM) on the bundled clips and compares it with beenet's CPU reference.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { readBee } from '../src/format/bee';
import { planModel } from '../src/plan/plan';
import { calibrateAccumulators } from '../src/train/onnx/calibrate';
import { bundledClips } from '../src/train/onnx/clips';
import { exportOnnx, type OnnxPrecision } from '../src/train/onnx/export';
import { compareLogits, referenceLogits, stackFeatures } from '../src/train/onnx/reference';
import { createSession, runBatch } from '../src/train/onnx/session';
import { cliArgs } from './cli-args';

const ROOT = resolve(import.meta.dirname, '..');

const args = cliArgs(
  'npx tsx scripts/export-onnx.ts [model.bee ...] [--out-dir out/onnx] [--precision float32,int8] [--int8-form qdq|integer] [--calibrate] [--all-exits] [--no-check]',
  {
    'out-dir': { type: 'string', default: join(ROOT, 'out', 'onnx'), help: 'where the .onnx files go' },
    precision: { type: 'list', default: ['float32', 'int8'], help: 'float32, int8 or both' },
    'int8-form': { type: 'string', default: 'qdq', help: "int8 binary layers: 'qdq' (QLinearConv after ORT's fusion) or 'integer' (ConvInteger, exact)" },
    calibrate: { type: 'boolean', help: 'QDQ: choose each layer\'s requantisation step on the bundled clips (default: step 2 everywhere)' },
    'all-exits': { type: 'boolean', help: 'also output every exit\'s logits (exit0, exit1, ...)' },
    'no-check': { type: 'boolean', help: 'skip the comparison with the CPU reference' },
  },
  { positionals: true },
);

const form = args['int8-form'];
if (form !== 'qdq' && form !== 'integer') throw new Error(`--int8-form must be qdq or integer, got ${form}`);
const precisions = args.precision.map((p) => {
  if (p !== 'float32' && p !== 'int8') throw new Error(`--precision takes float32 and int8, got ${p}`);
  return p as OnnxPrecision;
});
const files = args.positionals.length > 0
  ? args.positionals.map((f) => resolve(f))
  : readdirSync(join(ROOT, 'models')).filter((f) => f.endsWith('.bee')).sort().map((f) => join(ROOT, 'models', f));
const outDir = resolve(args['out-dir']);
mkdirSync(outDir, { recursive: true });

for (const file of files) {
  const id = basename(file, '.bee');
  const model = readBee(new Uint8Array(readFileSync(file)));
  const plan = planModel(model.description, model.tensors);
  const clips = bundledClips(model, ROOT);
  let accScales: Map<string, number> | undefined;
  if (args.calibrate && precisions.includes('int8') && form === 'qdq') {
    if (clips.features.length === 0) throw new Error(`${id}: no bundled clips to calibrate on (models/clips/${model.description.task}/)`);
    const cal = calibrateAccumulators(plan, clips.features);
    accScales = cal.scales;
    console.log(`${id}: calibrated on ${cal.clips} clips: ${[...cal.layers].map(([k, v]) => `${k} max ${v.maxAbs} step ${v.scale}`).join(', ')}`);
  }
  const reference = args['no-check'] || clips.features.length === 0 ? null : (await referenceLogits(plan, clips.features)).at(-1)!;
  for (const precision of precisions) {
    const e = exportOnnx(model.description, model.tensors, { precision, int8Form: form, accScales, exits: args['all-exits'] ? 'all' : 'last' });
    const out = join(outDir, `${id}.${precision}.onnx`);
    writeFileSync(out, e.bytes);
    const ops = Object.entries(e.ops).map(([k, v]) => `${k} ${v}`).join(', ');
    let check = '';
    if (reference) {
      const session = await createSession(e.bytes);
      const got = await runBatch(session, stackFeatures(clips.features), clips.features.length, e.inputShape);
      await session.release();
      const a = compareLogits(reference, got, plan.classes);
      check = `; vs CPU reference on ${a.clips} bundled clips: same class ${a.sameClass}/${a.clips}, max |logit diff| ${a.maxAbsDiff.toExponential(2)}`;
    }
    console.log(`${out}: ${(e.bytes.length / 1024).toFixed(0)} KiB, ${ops}${check}`);
  }
}
