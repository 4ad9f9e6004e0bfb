// Valid random `.bee` models for the tests of every backend.
//
// A model is built from a recipe (stem, blocks, one exit head per block where given). Named presets cover
// every layer type, transform and activation; recipe 'random' draws a fresh valid architecture from the rng.
// Parameters are random but sensible: thresholds sit near the middle of the accumulator's range, so packed
// outputs hold a mix of +1 and -1.

import type { BeeModel, Tensor } from '../../src/format/bee';
import type {
  Activation, AffineTransform, Block, Exit, ExitCriterion, FrontendConfig, Layer, ModelDescription, ModelGraph,
  Padding, ThresholdTransform,
} from '../../src/model/graph';
import { countOps } from '../../src/model/ops';
import { outputSize } from '../../src/model/shapes';
import { mulberry32, pick, randInt, randU32, uniform, type Rng } from './rng';

export type ActivationKind = Activation['kind'];
type Pair = number | [number, number];

/** Where a layer's output goes: 'bits' = threshold transform (packed output), 'affine' = float output. */
export type OutputKind = 'bits' | 'affine';

interface ConvRecipe {
  out: number;
  kernel?: Pair;
  stride?: Pair;
  padding?: Padding;
  to: OutputKind;
  activation?: ActivationKind;
  /** Add the most recent visible float value of the output's shape (affine outputs only). */
  residual?: boolean;
}

export type LayerRecipe =
  | ({ op: 'conv_real' } & ConvRecipe)
  | ({ op: 'bconv' } & ConvRecipe)
  | { op: 'pack' }
  | { op: 'maxpool' | 'avgpool'; kernel?: Pair; stride?: Pair }
  | { op: 'gap' }
  | { op: 'dense'; out: number | 'labels' }
  | { op: 'bdense'; out: number | 'labels'; to: OutputKind; activation?: ActivationKind };

export interface BlockRecipe {
  layers: LayerRecipe[];
  /** Head after this block, ending in the logits; none when absent (the last block must have one). */
  exit?: LayerRecipe[];
}

export interface ModelRecipe {
  name: string;
  architecture: string;
  inputShape: [number, number, number];
  labels: number;
  stem: LayerRecipe[];
  blocks: BlockRecipe[];
  criterion?: ExitCriterion;
  normalization?: boolean;
}

export type RecipeName = 'tiny' | 'binarynet' | 'xnor' | 'birealnet' | 'reactnet' | 'edge' | 'pooledstem';
export const RECIPE_NAMES: readonly RecipeName[] = ['tiny', 'binarynet', 'xnor', 'birealnet', 'reactnet', 'edge', 'pooledstem'];

export interface RandomModelOptions {
  /** A preset, 'random' (a fresh architecture drawn from rng) or a recipe. Default 'tiny'. */
  recipe?: RecipeName | 'random' | ModelRecipe;
  /** Overrides the recipe's input shape [frames, melBands, 1]. */
  inputShape?: [number, number, number];
  /** Overrides the recipe's label count. */
  labels?: number;
  criterion?: ExitCriterion;
  /** Frontend normalisation tensors (default: the recipe's, else true). */
  normalization?: boolean;
  /** Block count for recipe 'random' (default 1 to 4). */
  blocks?: number;
}

const conv = (op: 'conv_real' | 'bconv', out: number, to: OutputKind, extra: Partial<ConvRecipe> = {}): LayerRecipe =>
  ({ op, out, to, ...extra });
const gapDense: LayerRecipe[] = [{ op: 'gap' }, { op: 'dense', out: 'labels' }];

/** The presets. Spatial sizes in comments are [frames, mels] for the default input shape. */
export const RECIPES: Readonly<Record<RecipeName, ModelRecipe>> = {
  // Fast: 3 blocks on a 16x12 input; bits and float paths, a residual, all three head styles.
  tiny: {
    name: 'tiny', architecture: 'tiny', inputShape: [16, 12, 1], labels: 5, criterion: 'entropy',
    stem: [conv('conv_real', 8, 'bits')],
    blocks: [
      { layers: [conv('bconv', 33, 'bits'), { op: 'maxpool', kernel: 2, stride: 2 }], exit: gapDense },
      { layers: [conv('bconv', 31, 'affine', { stride: 2, activation: 'relu' })], exit: gapDense },
      {
        layers: [{ op: 'pack' }, conv('bconv', 31, 'affine', { residual: true, activation: 'prelu' })],
        exit: [{ op: 'gap' }, { op: 'pack' }, { op: 'bdense', out: 'labels', to: 'affine' }],
      },
    ],
  },
  // BinaryNet: sign activations everywhere, max pooling on bits, binary dense heads.
  binarynet: {
    name: 'binarynet', architecture: 'binarynet', inputShape: [40, 32, 1], labels: 10, criterion: 'maxprob',
    stem: [conv('conv_real', 32, 'bits')],
    blocks: [
      { layers: [conv('bconv', 32, 'bits'), { op: 'maxpool', kernel: 2, stride: 2 }], exit: [{ op: 'gap' }, { op: 'pack' }, { op: 'bdense', out: 'labels', to: 'affine' }] },
      { layers: [conv('bconv', 64, 'bits'), { op: 'maxpool', kernel: 2, stride: 2 }], exit: [{ op: 'gap' }, { op: 'pack' }, { op: 'bdense', out: 'labels', to: 'affine' }] },
      {
        layers: [conv('bconv', 100, 'bits'), { op: 'maxpool', kernel: 2, stride: 2 }],
        exit: [{ op: 'maxpool', kernel: [5, 4], stride: 1 }, { op: 'bdense', out: 64, to: 'bits' }, { op: 'bdense', out: 'labels', to: 'affine' }],
      },
    ],
  },
  // XNOR-Net: real-valued scaling after each binary conv (affine), ReLU/PReLU, float pooling, dense heads.
  xnor: {
    name: 'xnor', architecture: 'xnor', inputShape: [40, 32, 1], labels: 10, criterion: 'entropy',
    stem: [conv('conv_real', 16, 'affine', { activation: 'relu' }), { op: 'maxpool', kernel: 2, stride: 2 }],
    blocks: [
      { layers: [{ op: 'pack' }, conv('bconv', 32, 'affine', { activation: 'relu' }), { op: 'maxpool', kernel: 2, stride: 2 }], exit: gapDense },
      { layers: [{ op: 'pack' }, conv('bconv', 48, 'affine', { padding: 'valid', activation: 'relu' })], exit: gapDense },
      {
        layers: [{ op: 'pack' }, conv('bconv', 64, 'affine', { stride: 2, activation: 'prelu' }), { op: 'avgpool', kernel: 2, stride: 2 }],
        exit: [{ op: 'dense', out: 'labels' }],
      },
    ],
  },
  // Bi-Real Net: a real-valued shortcut around every binary conv; average-pool downsampling.
  birealnet: {
    name: 'birealnet', architecture: 'birealnet', inputShape: [40, 32, 1], labels: 12, criterion: 'entropy',
    stem: [conv('conv_real', 32, 'affine', { stride: 2 })],
    blocks: [
      {
        layers: [{ op: 'pack' }, conv('bconv', 32, 'affine', { residual: true }), { op: 'pack' }, conv('bconv', 32, 'affine', { residual: true })],
        exit: gapDense,
      },
      { layers: [{ op: 'avgpool', kernel: 2, stride: 2 }, { op: 'pack' }, conv('bconv', 32, 'affine', { residual: true, activation: 'prelu' })], exit: gapDense },
      {
        layers: [
          { op: 'pack' }, conv('bconv', 64, 'affine', { kernel: 1, padding: 'valid' }),
          { op: 'pack' }, conv('bconv', 64, 'affine', { residual: true, activation: 'prelu' }),
        ],
        exit: gapDense,
      },
    ],
  },
  // ReActNet: learnt sign thresholds (pack), RPReLU, 3x3 and 1x1 binary convs with shortcuts.
  reactnet: {
    name: 'reactnet', architecture: 'reactnet', inputShape: [40, 32, 1], labels: 12, criterion: 'maxprob',
    stem: [conv('conv_real', 24, 'affine', { stride: 2, activation: 'rprelu' })],
    blocks: [
      {
        layers: [
          { op: 'pack' }, conv('bconv', 24, 'affine', { residual: true, activation: 'rprelu' }),
          { op: 'pack' }, conv('bconv', 24, 'affine', { kernel: 1, residual: true, activation: 'rprelu' }),
        ],
        exit: gapDense,
      },
      {
        layers: [
          { op: 'pack' }, conv('bconv', 48, 'affine', { stride: 2, activation: 'rprelu' }),
          { op: 'pack' }, conv('bconv', 48, 'affine', { kernel: 1, residual: true, activation: 'rprelu' }),
        ],
        exit: [{ op: 'gap' }, { op: 'pack' }, { op: 'bdense', out: 'labels', to: 'affine' }],
      },
    ],
  },
  // The shipped ReActNet / Bi-Real stems: a linear float conv, then average pooling (which the planner folds into
  // the conv), the pooled map read by the pack and by the first binary conv's shortcut. Odd sizes and channels.
  pooledstem: {
    name: 'pooledstem', architecture: 'reactnet', inputShape: [37, 23, 1], labels: 5, criterion: 'entropy',
    stem: [conv('conv_real', 13, 'affine', { stride: 2 })],
    blocks: [
      {
        layers: [{ op: 'avgpool', kernel: 2, stride: 2 }, { op: 'pack' }, conv('bconv', 13, 'affine', { residual: true, activation: 'rprelu' })],
        exit: gapDense,
      },
      {
        layers: [{ op: 'avgpool', kernel: [2, 1], stride: [2, 1] }, { op: 'pack' }, conv('bconv', 33, 'affine', { activation: 'rprelu' })],
        exit: gapDense,
      },
    ],
  },
  // Edge cases: 1, 31, 33 and 100 channels, valid padding, rectangular kernels and strides, dense on a map,
  // bdense on a [1,1,C] map and to bits, RPReLU after bdense.
  edge: {
    name: 'edge', architecture: 'edge', inputShape: [9, 7, 1], labels: 3, criterion: 'entropy', normalization: false,
    stem: [conv('conv_real', 1, 'affine', { kernel: [5, 3], padding: 'valid' }), { op: 'pack' }],
    blocks: [
      {
        layers: [conv('bconv', 1, 'bits'), conv('bconv', 100, 'affine', { kernel: 2, stride: [2, 1], padding: 'valid', activation: 'relu' })],
        exit: [{ op: 'dense', out: 'labels' }],
      },
      {
        layers: [{ op: 'pack' }, { op: 'maxpool', kernel: [2, 4], stride: 1 }, { op: 'bdense', out: 33, to: 'bits' }, { op: 'bdense', out: 31, to: 'affine', activation: 'rprelu' }],
        exit: [{ op: 'dense', out: 'labels' }],
      },
    ],
  },
};

interface Val {
  name: string;
  kind: 'float' | 'bits';
  shape: number[];
}

const pairOf = (p: Pair | undefined, d: number): [number, number] => (p === undefined ? [d, d] : typeof p === 'number' ? [p, p] : p);
const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const product = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** The value a recipe layer produces from `input` (mirrors src/model/shapes.ts, for planning only). */
function planOutput(r: LayerRecipe, input: Omit<Val, 'name'>, labels: number): Omit<Val, 'name'> {
  const s = input.shape;
  switch (r.op) {
    case 'conv_real':
    case 'bconv': {
      const [kh, kw] = pairOf(r.kernel, 3);
      const [sh, sw] = pairOf(r.stride, 1);
      const pad = r.padding ?? 'same';
      return {
        kind: r.to === 'bits' ? 'bits' : 'float',
        shape: [outputSize(s[0], kh, sh, pad), outputSize(s[1], kw, sw, pad), r.out],
      };
    }
    case 'pack':
      return { kind: 'bits', shape: [...s] };
    case 'maxpool':
    case 'avgpool': {
      const [kh, kw] = pairOf(r.kernel, 2);
      const [sh, sw] = pairOf(r.stride, 2);
      return { kind: input.kind, shape: [outputSize(s[0], kh, sh, 'valid'), outputSize(s[1], kw, sw, 'valid'), s[2]] };
    }
    case 'gap':
      return { kind: 'float', shape: [s[s.length - 1]] };
    case 'dense':
      return { kind: 'float', shape: [r.out === 'labels' ? labels : r.out] };
    case 'bdense':
      return { kind: r.to === 'bits' ? 'bits' : 'float', shape: [r.out === 'labels' ? labels : r.out] };
  }
}

class Builder {
  readonly tensors = new Map<string, Tensor>();

  constructor(private readonly rng: Rng, private readonly labels: number) {}

  private f32(name: string, shape: number[], gen: () => number): string {
    const data = new Float32Array(product(shape));
    for (let i = 0; i < data.length; i++) data[i] = gen();
    this.tensors.set(name, { dtype: 'F32', shape, data });
    return name;
  }

  private flip(name: string, o: number): string {
    const data = new Uint32Array(o);
    for (let i = 0; i < o; i++) data[i] = this.rng() < 0.25 ? 1 : 0;
    this.tensors.set(name, { dtype: 'U32', shape: [o], data });
    return name;
  }

  /** Packed weights [rows..., words(bits)] with zero padding bits. */
  private packed(name: string, rows: number[], bits: number): string {
    const w = Math.ceil(bits / 32);
    const data = new Uint32Array(product(rows) * w);
    const tail = bits % 32;
    for (let i = 0; i < data.length; i++) {
      const last = i % w === w - 1;
      data[i] = last && tail !== 0 ? randU32(this.rng) & ((1 << tail) - 1) : randU32(this.rng);
      data[i] >>>= 0;
    }
    this.tensors.set(name, { dtype: 'U32', shape: [...rows, w], data });
    return name;
  }

  /** Threshold transform; `k` = dot-product length for integer thresholds, null for float accumulators. */
  private threshold(site: string, o: number, k: number | null, spread = 0.2): ThresholdTransform {
    const name = `${site}.threshold`;
    if (k === null) this.f32(name, [o], () => uniform(this.rng, -spread, spread));
    else {
      // The dot product of K random +-1 pairs has standard deviation sqrt(K); stay within one of it.
      const r = Math.max(1, Math.round(Math.sqrt(k)));
      const data = new Int32Array(o);
      for (let i = 0; i < o; i++) data[i] = randInt(this.rng, -r, r);
      this.tensors.set(name, { dtype: 'I32', shape: [o], data });
    }
    return { kind: 'threshold', threshold: name, flip: this.flip(`${site}.flip`, o) };
  }

  private affine(site: string, o: number, scale: number, act: ActivationKind, residual: string | null): AffineTransform {
    const rng = this.rng;
    const mul = this.f32(`${site}.mul`, [o], () => uniform(rng, 0.5, 1.5) * scale * (rng() < 0.15 ? -1 : 1));
    const add = this.f32(`${site}.add`, [o], () => uniform(rng, -0.2, 0.2));
    const slope = (): string => this.f32(`${site}.slope`, [o], () => uniform(rng, 0.05, 0.5));
    const shift = (n: string): string => this.f32(`${site}.${n}`, [o], () => uniform(rng, -0.2, 0.2));
    let activation: Activation;
    if (act === 'prelu') activation = { kind: 'prelu', slope: slope() };
    else if (act === 'rprelu') activation = { kind: 'rprelu', shiftIn: shift('shiftIn'), slope: slope(), shiftOut: shift('shiftOut') };
    else activation = { kind: act };
    return { kind: 'affine', mul, add, residual, activation };
  }

  /** Makes one layer and its parameters; `floats` are the float values it may use as a residual. */
  layer(r: LayerRecipe, site: string, input: Val, floats: readonly Val[]): { layer: Layer; out: Val } {
    const planned = planOutput(r, input, this.labels);
    const out: Val = { name: site, ...planned };
    const inC = input.shape[input.shape.length - 1];
    const rng = this.rng;
    const io = { input: input.name, output: site };
    switch (r.op) {
      case 'conv_real':
      case 'bconv': {
        const kernel = pairOf(r.kernel, 3);
        const stride = pairOf(r.stride, 1);
        const k = kernel[0] * kernel[1] * inC;
        const weights = r.op === 'bconv'
          ? this.packed(`${site}.weights`, [r.out, kernel[0], kernel[1]], inC)
          : this.f32(`${site}.weights`, [r.out, kernel[0], kernel[1], inC], () => uniform(rng, -1, 1) / Math.sqrt(k));
        let transform: AffineTransform | ThresholdTransform;
        if (r.to === 'bits') transform = this.threshold(site, r.out, r.op === 'bconv' ? k : null);
        else {
          let residual: string | null = null;
          if (r.residual) {
            const hit = [...floats].reverse().find((v) => same(v.shape, out.shape));
            if (!hit) throw new Error(`recipe: no float value of shape [${out.shape}] for the residual of ${site}`);
            residual = hit.name;
          }
          transform = this.affine(site, r.out, r.op === 'bconv' ? 1 / Math.sqrt(k) : 1, r.activation ?? 'none', residual);
        }
        const padding = r.padding ?? 'same';
        return { layer: { type: r.op, ...io, kernel, stride, padding, outChannels: r.out, weights, transform }, out };
      }
      case 'pack': {
        const t = this.threshold(site, inC, null, 0.1);
        return { layer: { type: 'pack', ...io, threshold: t.threshold, flip: t.flip }, out };
      }
      case 'maxpool':
      case 'avgpool':
        return { layer: { type: r.op, ...io, kernel: pairOf(r.kernel, 2), stride: pairOf(r.stride, 2) }, out };
      case 'gap':
        return { layer: { type: 'gap', ...io }, out };
      case 'dense': {
        const o = out.shape[0];
        const i = product(input.shape);
        const weights = this.f32(`${site}.weights`, [o, i], () => uniform(rng, -1, 1) / Math.sqrt(i));
        const bias = this.f32(`${site}.bias`, [o], () => uniform(rng, -0.1, 0.1));
        return { layer: { type: 'dense', ...io, outFeatures: o, weights, bias }, out };
      }
      case 'bdense': {
        const o = out.shape[0];
        const weights = this.packed(`${site}.weights`, [o], inC);
        const transform = r.to === 'bits'
          ? this.threshold(site, o, inC)
          : this.affine(site, o, 1 / Math.sqrt(inC), r.activation ?? 'none', null);
        return { layer: { type: 'bdense', ...io, outFeatures: o, weights, transform }, out };
      }
    }
  }

  /** Runs a list of recipes from `input`; float outputs join `floats` (the values a later residual may use). */
  run(recipes: readonly LayerRecipe[], prefix: string, input: Val, floats: Val[]): { layers: Layer[]; out: Val } {
    const layers: Layer[] = [];
    let cur = input;
    recipes.forEach((r, j) => {
      const { layer, out } = this.layer(r, `${prefix}.l${j}`, cur, floats);
      layers.push(layer);
      if (out.kind === 'float') floats.push(out);
      cur = out;
    });
    return { layers, out: cur };
  }
}

function frontendFor(inputShape: [number, number, number], normalization: FrontendConfig['normalization']): FrontendConfig {
  const hop = 160;
  const window = 400;
  // Frames = floor((clip - window) / hop) + 1 under an uncentred STFT.
  return {
    sampleRate: 16000, clipSamples: (inputShape[0] - 1) * hop + window, windowSamples: window, hopSamples: hop,
    fftSize: 512, melBands: inputShape[1], fMinHz: 20, fMaxHz: 8000, logOffset: 1e-6, normalization,
  };
}

/** Builds a model from a recipe with parameters drawn from rng. Throws if the recipe itself is inconsistent. */
export function buildModel(rng: Rng, recipe: ModelRecipe): BeeModel {
  const b = new Builder(rng, recipe.labels);
  const input: Val = { name: 'input', kind: 'float', shape: [...recipe.inputShape] };
  const trunk: Val[] = [input];
  const stem = b.run(recipe.stem, 'stem', input, trunk);
  let cur = stem.out;
  const blocks: Block[] = [];
  const exits: Exit[] = [];
  recipe.blocks.forEach((br, i) => {
    const res = b.run(br.layers, `b${i}`, cur, trunk);
    blocks.push({ layers: res.layers });
    cur = res.out;
    if (br.exit) {
      const head = b.run(br.exit, `e${exits.length}`, cur, [...trunk]);
      exits.push({ after: i, layers: head.layers, logits: head.out.name });
    }
  });
  const graph: ModelGraph = { inputShape: [...recipe.inputShape], stem: stem.layers, blocks, exits };
  let normalization: FrontendConfig['normalization'] = null;
  if (recipe.normalization ?? true) {
    const m = recipe.inputShape[1];
    const mean = new Float32Array(m).map(() => uniform(rng, -6, -1));
    const std = new Float32Array(m).map(() => uniform(rng, 0.5, 2));
    b.tensors.set('frontend.mean', { dtype: 'F32', shape: [m], data: mean });
    b.tensors.set('frontend.std', { dtype: 'F32', shape: [m], data: std });
    normalization = { mean: 'frontend.mean', std: 'frontend.std' };
  }
  const criterion = recipe.criterion ?? 'entropy';
  const thresholds = exits.map((_, i) => {
    if (i === exits.length - 1) return criterion === 'entropy' ? 1 : 0; // the last exit always accepts
    return Math.round(uniform(rng, criterion === 'entropy' ? 0.2 : 0.5, criterion === 'entropy' ? 0.8 : 0.95) * 1000) / 1000;
  });
  const description: ModelDescription = {
    format: 'beenet',
    version: 1,
    name: recipe.name,
    task: 'test',
    architecture: recipe.architecture,
    labels: Array.from({ length: recipe.labels }, (_, i) => `label${i}`),
    frontend: frontendFor(recipe.inputShape, normalization),
    graph,
    exitPolicy: { criterion, thresholds },
    ops: countOps(graph, recipe.labels),
    provenance: { generator: 'test/helpers/random-model.ts', recipe: recipe.name },
  };
  return { description, tensors: b.tensors };
}

const CHANNELS = [1, 7, 31, 32, 33, 64, 100];
const ACTIVATIONS: ActivationKind[] = ['none', 'relu', 'prelu', 'rprelu'];

/** Draws a valid random architecture: trunk values stay maps, heads reduce to a float [labels] vector. */
export function randomRecipe(
  rng: Rng, options: { inputShape?: [number, number, number]; labels?: number; blocks?: number } = {},
): ModelRecipe {
  const inputShape = options.inputShape ?? [randInt(rng, 4, 24), randInt(rng, 4, 16), 1];
  const labels = options.labels ?? randInt(rng, 2, 12);
  const nBlocks = options.blocks ?? randInt(rng, 1, 4);
  let cur: Omit<Val, 'name'> = { kind: 'float', shape: [...inputShape] };
  const floats: number[][] = [[...inputShape]];
  const push = (r: LayerRecipe, list: LayerRecipe[]): void => {
    cur = planOutput(r, cur, labels);
    if (cur.kind === 'float') floats.push(cur.shape);
    list.push(r);
  };
  const convLike = (op: 'conv_real' | 'bconv'): LayerRecipe => {
    const [h, w] = cur.shape;
    const kernel = pick(rng, [1, 3, 3, 2]);
    const valid = rng() < 0.3 && kernel <= Math.min(h, w);
    const stride = h >= 4 && w >= 4 && rng() < 0.3 ? 2 : 1;
    const to: OutputKind = rng() < 0.5 ? 'bits' : 'affine';
    const activation = pick(rng, ACTIVATIONS);
    if (to === 'affine' && !valid && stride === 1 && rng() < 0.5) {
      const hit = floats.filter((s) => s[0] === h && s[1] === w);
      if (hit.length > 0) return { op, out: pick(rng, hit)[2], to, kernel, residual: true, activation };
    }
    return { op, out: pick(rng, CHANNELS), to, kernel, stride, padding: valid ? 'valid' : 'same', activation };
  };
  const canPool = (): boolean => cur.shape[0] >= 2 && cur.shape[1] >= 2;
  const stem: LayerRecipe[] = [];
  push(convLike('conv_real'), stem);
  const blocks: BlockRecipe[] = [];
  for (let i = 0; i < nBlocks; i++) {
    const layers: LayerRecipe[] = [];
    const n = randInt(rng, 1, 3);
    for (let j = 0; j < n; j++) {
      const u = rng();
      if (cur.kind === 'bits') {
        if (u < 0.75 || !canPool()) push(convLike('bconv'), layers);
        else push({ op: 'maxpool', kernel: 2, stride: pick(rng, [1, 2]) }, layers);
      } else if (u < 0.5) push({ op: 'pack' }, layers);
      else if (u < 0.7) push(convLike('conv_real'), layers);
      else if (canPool()) push({ op: pick(rng, ['maxpool', 'avgpool'] as const), kernel: 2, stride: pick(rng, [1, 2]) }, layers);
    }
    const block: BlockRecipe = { layers };
    if (i === nBlocks - 1 || rng() < 0.7) {
      const [h, w, c] = cur.shape;
      const u = rng();
      if (cur.kind === 'bits' && h === 1 && w === 1) block.exit = [{ op: 'bdense', out: 'labels', to: 'affine', activation: pick(rng, ACTIVATIONS) }];
      else if (cur.kind === 'float' && h * w * c <= 4096 && u < 0.3) block.exit = [{ op: 'dense', out: 'labels' }];
      else if (u < 0.6) block.exit = [{ op: 'gap' }, { op: 'dense', out: 'labels' }];
      else if (u < 0.8) block.exit = [{ op: 'gap' }, { op: 'pack' }, { op: 'bdense', out: 'labels', to: 'affine' }];
      else block.exit = [{ op: 'gap' }, { op: 'pack' }, { op: 'bdense', out: pick(rng, CHANNELS), to: 'bits' }, { op: 'bdense', out: 'labels', to: 'affine' }];
    }
    blocks.push(block);
  }
  return {
    name: 'random', architecture: 'random', inputShape, labels, stem, blocks,
    criterion: rng() < 0.5 ? 'entropy' : 'maxprob', normalization: rng() < 0.7,
  };
}

/** A valid random model for tests. */
export function randomModel(rng: Rng, options: RandomModelOptions = {}): BeeModel {
  const base = options.recipe ?? 'tiny';
  let recipe: ModelRecipe;
  if (base === 'random') {
    recipe = randomRecipe(rng, { inputShape: options.inputShape, labels: options.labels, blocks: options.blocks });
  } else {
    recipe = typeof base === 'string' ? RECIPES[base] : base;
    recipe = {
      ...recipe,
      inputShape: options.inputShape ?? recipe.inputShape,
      labels: options.labels ?? recipe.labels,
    };
  }
  recipe = {
    ...recipe,
    criterion: options.criterion ?? recipe.criterion,
    normalization: options.normalization ?? recipe.normalization,
  };
  return buildModel(rng, recipe);
}

/** The small model runtime tests use: 3 blocks on a [16, 12, 1] input, 5 labels. */
export function tinyModel(seed = 1): BeeModel {
  return randomModel(mulberry32(seed), { recipe: 'tiny' });
}
