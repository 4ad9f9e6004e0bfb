// Export a trained BeeNet to the runtime's model description + tensors (.bee), and check it against the runtime.
import type { Tensor } from '../format/bee';
import type { FrontendConfig, Layer, ModelDescription, ModelGraph } from '../model/graph';
import { countOps } from '../model/ops';
import { CpuExecutor } from '../cpu/executor';
import { planModel } from '../plan/plan';
import { collectRecords, type ExitRecords } from '../eval/records';
import { agreement } from '../eval/policy';
import { BN_EPSILON } from './binary-ops';
import {
  foldBnAffine,
  foldBnSignFloat,
  foldBnSignInt,
  centrePerOutput,
  hwioToOhwi,
  meanAbsPerOutput,
  packWeightsHwio,
  transposeDense,
  type BnParams,
} from './fold';
import { blockPool, unitInputs, unitPrefix, type NetConfig } from './model';

export interface ExportInput {
  cfg: NetConfig;
  /** Trained values by parameter name (BeeNet.snapshot()). */
  values: Map<string, Float32Array>;
  name: string;
  task: string;
  labels: string[];
  frontend: FrontendConfig;
  /** Per-band normalisation the network was trained with (stored in the file, applied by the front end). */
  normalization: { mean: Float32Array; std: Float32Array } | null;
  thresholds: number[];
  provenance: Record<string, string | number | boolean>;
}

export interface ExportedModel {
  description: ModelDescription;
  tensors: Map<string, Tensor>;
}

export function exportModel(inp: ExportInput): ExportedModel {
  const { cfg, values } = inp;
  if (cfg.realValued) throw new Error('export: a real-valued diagnostic network has no binary form to export');
  const a = cfg.architecture;
  const tensors = new Map<string, Tensor>();
  const get = (n: string): Float32Array => {
    const d = values.get(n);
    if (!d) throw new Error(`export: missing parameter '${n}'`);
    return d;
  };
  const f32 = (name: string, data: Float32Array, shape: number[]): string => {
    tensors.set(name, { dtype: 'F32', shape, data });
    return name;
  };
  const u32 = (name: string, data: Uint32Array, shape: number[]): string => {
    tensors.set(name, { dtype: 'U32', shape, data });
    return name;
  };
  const i32 = (name: string, data: Int32Array, shape: number[]): string => {
    tensors.set(name, { dtype: 'I32', shape, data });
    return name;
  };
  const bnOf = (n: string): BnParams => ({
    gamma: get(`${n}.gamma`),
    beta: get(`${n}.beta`),
    mean: get(`${n}.mean`),
    variance: get(`${n}.var`),
    epsilon: BN_EPSILON,
  });
  const affine = (prefix: string, m: { mul: Float32Array; add: Float32Array }) => ({
    mul: f32(`${prefix}.mul`, m.mul, [m.mul.length]),
    add: f32(`${prefix}.add`, m.add, [m.add.length]),
  });

  // Stem: real 3x3 stride 2 conv; BN folded into the threshold (BinaryNet) or the affine transform.
  const c0 = cfg.stemChannels;
  const inC = cfg.inputShape[2];
  const stemBn = bnOf('stem.bn');
  const stemHwio = cfg.stemZeroMean ? centrePerOutput(get('stem.w'), c0) : get('stem.w');
  const stemW = f32('stem.w', hwioToOhwi(stemHwio, 3, 3, inC, c0), [c0, 3, 3, inC]);
  let stemLayer: Layer;
  if (a === 'binarynet') {
    const t = foldBnSignFloat(stemBn);
    stemLayer = {
      type: 'conv_real', input: 'input', output: 'stem', kernel: [3, 3], stride: [2, 2], padding: 'same', outChannels: c0, weights: stemW,
      transform: { kind: 'threshold', threshold: f32('stem.threshold', t.threshold, [c0]), flip: u32('stem.flip', t.flip, [c0]) },
    };
  } else {
    stemLayer = {
      type: 'conv_real', input: 'input', output: 'stem', kernel: [3, 3], stride: [2, 2], padding: 'same', outChannels: c0, weights: stemW,
      transform: { kind: 'affine', ...affine('stem', foldBnAffine(stemBn)), residual: null, activation: { kind: a === 'xnornet' ? 'relu' : 'none' } },
    };
  }

  const graph: ModelGraph = { inputShape: cfg.inputShape, stem: [stemLayer], blocks: [], exits: [] };
  let cur = 'stem';
  const inputs = unitInputs(cfg);
  cfg.blocks.forEach((b, bi) => {
    const layers: Layer[] = [];
    const pool = blockPool(b);
    if (pool) {
      const type = a === 'birealnet' || a === 'reactnet' ? 'avgpool' : 'maxpool';
      layers.push({ type, input: cur, output: `b${bi}.pool`, kernel: pool, stride: pool });
      cur = `b${bi}.pool`;
    }
    inputs[bi].forEach((cin, ui) => {
      const p = unitPrefix(bi, ui);
      const cout = b.channels;
      const words = Math.ceil(cin / 32);
      const w = get(`${p}.w`);
      const wName = u32(`${p}.w`, packWeightsHwio(w, 3, 3, cin, cout), [cout, 3, 3, words]);
      const conv = { type: 'bconv' as const, output: p, kernel: [3, 3] as [number, number], stride: [1, 1] as [number, number], padding: 'same' as const, outChannels: cout, weights: wName };
      if (a === 'binarynet') {
        const t = foldBnSignInt(bnOf(`${p}.bn`), 9 * cin);
        layers.push({ ...conv, input: cur, transform: { kind: 'threshold', threshold: i32(`${p}.threshold`, t.threshold, [cout]), flip: u32(`${p}.flip`, t.flip, [cout]) } });
      } else if (a === 'xnornet') {
        const t = foldBnSignFloat(bnOf(`${p}.bnIn`));
        layers.push({ type: 'pack', input: cur, output: `${p}.bits`, threshold: f32(`${p}.pack.threshold`, t.threshold, [cin]), flip: u32(`${p}.pack.flip`, t.flip, [cin]) });
        const m = { mul: meanAbsPerOutput(w, cout), add: get(`${p}.bias`).slice() };
        layers.push({ ...conv, input: `${p}.bits`, transform: { kind: 'affine', ...affine(p, m), residual: null, activation: { kind: 'none' } } });
      } else {
        let residual = cur;
        if (cin !== cout) {
          const scW = f32(`${p}.sc.w`, hwioToOhwi(get(`${p}.sc.w`), 1, 1, cin, cout), [cout, 1, 1, cin]);
          layers.push({
            type: 'conv_real', input: cur, output: `${p}.sc`, kernel: [1, 1], stride: [1, 1], padding: 'valid', outChannels: cout, weights: scW,
            transform: { kind: 'affine', ...affine(`${p}.sc`, foldBnAffine(bnOf(`${p}.sc.bn`))), residual: null, activation: { kind: 'none' } },
          });
          residual = `${p}.sc`;
        }
        // RSign's learnable threshold (ReActNet) or plain sign at 0 (Bi-Real): x - t >= 0 <=> x >= t exactly in f32.
        const thr = a === 'reactnet' ? get(`${p}.rsign`).slice() : new Float32Array(cin);
        layers.push({ type: 'pack', input: cur, output: `${p}.bits`, threshold: f32(`${p}.pack.threshold`, thr, [cin]), flip: u32(`${p}.pack.flip`, new Uint32Array(cin), [cin]) });
        const activation =
          a === 'reactnet'
            ? {
                kind: 'rprelu' as const,
                shiftIn: f32(`${p}.rp.shiftIn`, get(`${p}.rp.shiftIn`), [cout]),
                slope: f32(`${p}.rp.slope`, get(`${p}.rp.slope`), [cout]),
                shiftOut: f32(`${p}.rp.shiftOut`, get(`${p}.rp.shiftOut`), [cout]),
              }
            : { kind: 'none' as const };
        layers.push({ ...conv, input: `${p}.bits`, transform: { kind: 'affine', ...affine(p, foldBnAffine(bnOf(`${p}.bn`))), residual, activation } });
      }
      cur = p;
    });
    graph.blocks.push({ layers });
    const classes = inp.labels.length;
    graph.exits.push({
      after: bi,
      logits: `exit${bi}.logits`,
      layers: [
        { type: 'gap', input: cur, output: `exit${bi}.gap` },
        {
          type: 'dense', input: `exit${bi}.gap`, output: `exit${bi}.logits`, outFeatures: classes,
          weights: f32(`exit${bi}.w`, transposeDense(get(`exit${bi}.w`), b.channels, classes), [classes, b.channels]),
          bias: f32(`exit${bi}.b`, get(`exit${bi}.b`).slice(), [classes]),
        },
      ],
    });
  });

  let frontend: FrontendConfig = { ...inp.frontend, normalization: null };
  if (inp.normalization) {
    const bands = inp.normalization.mean.length;
    frontend = {
      ...frontend,
      normalization: { mean: f32('frontend.mean', inp.normalization.mean, [bands]), std: f32('frontend.std', inp.normalization.std, [bands]) },
    };
  }
  const ops = countOps(graph, inp.labels.length);
  const description: ModelDescription = {
    format: 'beenet',
    version: 1,
    name: inp.name,
    task: inp.task,
    architecture: a,
    labels: inp.labels,
    frontend,
    graph,
    exitPolicy: { criterion: 'entropy', thresholds: inp.thresholds },
    ops,
    provenance: inp.provenance,
  };
  return { description, tensors };
}

export interface ConsistencyReport {
  clips: number;
  /** Per exit: fraction of clips where the runtime's argmax equals the training model's. */
  exitAgreement: number[];
  /** Fraction with the same exit and the same prediction under the given thresholds. */
  policyAgreement: number;
  runtime: ExitRecords;
}

/** Runs the exported model on the runtime's CPU reference; compares with records of the training model. */
export async function checkConsistency(
  model: ExportedModel,
  features: Float32Array,
  reference: ExitRecords,
  thresholds: number[],
  minAgreement = 0.995,
): Promise<ConsistencyReport> {
  const plan = planModel(model.description, model.tensors);
  const ex = new CpuExecutor(plan);
  const runtime = await collectRecords(ex, plan, features, reference.labels);
  ex.dispose();
  const { exitAgreement, policyAgreement } = agreement(runtime, reference, thresholds);
  const rep = { clips: runtime.count, exitAgreement, policyAgreement, runtime };
  const worst = Math.min(...exitAgreement, policyAgreement);
  if (worst < minAgreement) {
    throw new Error(
      `export check failed: runtime vs training agreement per exit ${exitAgreement.map((v) => v.toFixed(4)).join('/')}, ` +
        `policy ${policyAgreement.toFixed(4)} (need >= ${minAgreement})`,
    );
  }
  return rep;
}
