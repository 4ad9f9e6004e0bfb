// The four binary early-exit architectures as tfjs-core computations over named variables.
//
// Shared skeleton: a real 3x3 stride-2 stem convolution on the log-mel input, four blocks (each may start with a
// 2x2 pooling, then one or two binary units), and an exit after every block: global average pooling + dense.
import * as tf from '@tensorflow/tfjs-core';
import { approxSign, batchNorm, onePad, signSte, type BnBatchStats, type BnState } from './binary-ops';
import type { Rng } from './rng';

export const ARCHITECTURES = ['binarynet', 'xnornet', 'birealnet', 'reactnet'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export interface BlockConfig {
  /** Output channels of every binary unit of the block. */
  channels: number;
  /** Binary 3x3 units in the block. */
  units: number;
  /** A pooling at the start of the block. */
  pool: boolean;
  /** Its window = stride, [time, frequency]; default [2, 2]. [2, 1] halves time only and keeps frequency detail. */
  poolShape?: [number, number];
}

/** The pooling window (= stride) of a block, or null for none. */
export function blockPool(b: BlockConfig): [number, number] | null {
  return b.pool ? (b.poolShape ?? [2, 2]) : null;
}

export interface NetConfig {
  architecture: Architecture;
  inputShape: [number, number, number];
  classes: number;
  stemChannels: number;
  /**
   * Centre each stem filter (weights sum to zero): the stem then ignores a clip's overall level, which the
   * sign after it would otherwise turn into "loud vs quiet" instead of spectral shape.
   */
  stemZeroMean: boolean;
  blocks: BlockConfig[];
  /**
   * A diagnostic, never exported: real weights and clipped-identity activations where the binary units take
   * signs, so the same network measures what binarisation costs on a task.
   */
  realValued?: boolean;
}

/**
 * Default sizes: ops grow with depth so early exits are cheap (about 11/26/58/100% of the binary ops at exits
 * 0..3 on a 98x40 input), small enough to train in well under an hour on one core. Block 2 pools time only, so
 * the last two blocks keep five frequency rows (a 2x2 pool there would leave two).
 */
export function defaultConfig(architecture: Architecture, inputShape: [number, number, number], classes: number): NetConfig {
  return {
    architecture,
    inputShape,
    classes,
    stemChannels: 32,
    stemZeroMean: true,
    blocks: [
      { channels: 32, units: 1, pool: true },
      { channels: 64, units: 2, pool: true },
      { channels: 128, units: 2, pool: true, poolShape: [2, 1] },
      { channels: 128, units: 2, pool: false },
    ],
  };
}

export interface ParamInfo {
  variable: tf.Variable;
  trainable: boolean;
  /** Latent binary weights are clipped to [-1, 1] after every step. */
  clip: boolean;
}

/** One binary unit's parameter names (prefix `b{block}.u{unit}`), as used by model and export. */
export function unitPrefix(block: number, unit: number): string {
  return `b${block}.u${unit}`;
}

/** Input channels of every unit, in order: [block][unit]. */
export function unitInputs(cfg: NetConfig): number[][] {
  let c = cfg.stemChannels;
  return cfg.blocks.map((b) =>
    Array.from({ length: b.units }, () => {
      const cin = c;
      c = b.channels;
      return cin;
    }),
  );
}

let instances = 0;

export class BeeNet {
  readonly params = new Map<string, ParamInfo>();
  /** tfjs variable names are global: each network gets its own prefix. */
  private readonly id = `beenet${instances++}`;

  constructor(
    readonly cfg: NetConfig,
    rng: Rng,
  ) {
    const a = cfg.architecture;
    const uniform = (shape: number[], limit: number): Float32Array => {
      const d = new Float32Array(shape.reduce((x, y) => x * y, 1));
      for (let i = 0; i < d.length; i++) d[i] = (rng.next() * 2 - 1) * limit;
      return d;
    };
    const glorot = (name: string, shape: number[], clip: boolean): void => {
      const fanIn = shape.slice(0, -1).reduce((x, y) => x * y, 1);
      const fanOut = shape[shape.length - 1] * (shape.length === 4 ? shape[0] * shape[1] : 1);
      this.add(name, shape, uniform(shape, Math.sqrt(6 / (fanIn + fanOut))), true, clip);
    };
    const constant = (name: string, n: number, v: number, trainable = true): void => {
      this.add(name, [n], new Float32Array(n).fill(v), trainable, false);
    };
    const bn = (name: string, n: number): void => {
      constant(`${name}.gamma`, n, 1);
      constant(`${name}.beta`, n, 0);
      constant(`${name}.mean`, n, 0, false);
      constant(`${name}.var`, n, 1, false);
    };
    const c0 = cfg.stemChannels;
    glorot('stem.w', [3, 3, cfg.inputShape[2], c0], false);
    bn('stem.bn', c0);
    const inputs = unitInputs(cfg);
    cfg.blocks.forEach((b, bi) => {
      inputs[bi].forEach((cin, ui) => {
        const p = unitPrefix(bi, ui);
        const cout = b.channels;
        glorot(`${p}.w`, [3, 3, cin, cout], true);
        if (a === 'xnornet') {
          bn(`${p}.bnIn`, cin);
          constant(`${p}.bias`, cout, 0);
        } else {
          bn(`${p}.bn`, cout);
        }
        if ((a === 'birealnet' || a === 'reactnet') && cin !== cout) {
          glorot(`${p}.sc.w`, [1, 1, cin, cout], false);
          bn(`${p}.sc.bn`, cout);
        }
        if (a === 'reactnet') {
          constant(`${p}.rsign`, cin, 0);
          constant(`${p}.rp.shiftIn`, cout, 0);
          constant(`${p}.rp.slope`, cout, 0.25);
          constant(`${p}.rp.shiftOut`, cout, 0);
        }
      });
      glorot(`exit${bi}.w`, [b.channels, cfg.classes], false);
      constant(`exit${bi}.b`, cfg.classes, 0);
    });
  }

  private add(name: string, shape: number[], data: Float32Array, trainable: boolean, clip: boolean): void {
    this.params.set(name, { variable: tf.variable(tf.tensor(data, shape), trainable, `${this.id}/${name}`), trainable, clip });
  }

  v(name: string): tf.Variable {
    const p = this.params.get(name);
    if (!p) throw new Error(`no parameter '${name}'`);
    return p.variable;
  }

  /** A batch norm's variables by its prefix (e.g. `stem.bn`). */
  batchNormState(name: string): BnState {
    return { name, gamma: this.v(`${name}.gamma`), beta: this.v(`${name}.beta`), mean: this.v(`${name}.mean`), variance: this.v(`${name}.var`) };
  }

  trainableVariables(): tf.Variable[] {
    return [...this.params.values()].filter((p) => p.trainable).map((p) => p.variable);
  }

  /** Binary 3x3 convolution with one-padding and sign(latent) weights (STE on the weights). */
  private bconv(x: tf.Tensor4D, name: string, scaleByMeanAbs: boolean): tf.Tensor4D {
    const w = this.v(name);
    let wb = (this.cfg.realValued ? w : signSte(w)) as tf.Tensor4D;
    // XNOR-Net: per-output-channel alpha = mean |W| (the gradient also flows through alpha).
    if (scaleByMeanAbs) wb = tf.mul(wb, tf.mean(tf.abs(w), [0, 1, 2], true));
    return tf.conv2d(onePad(x, 3, 3), wb, 1, 'valid');
  }

  /**
   * Logits of every exit, [N, classes] each. In training, `stats` collects every batch norm's batch statistics.
   * Input [N, H, W, 1], normalised features.
   */
  forward(x: tf.Tensor4D, training: boolean, stats: BnBatchStats[] = []): tf.Tensor2D[] {
    const a = this.cfg.architecture;
    const real = this.cfg.realValued === true;
    const hardtanh = (t: tf.Tensor): tf.Tensor4D => tf.clipByValue(t, -1, 1) as tf.Tensor4D;
    // The activations' binarisations (hard tanh in the real-valued diagnostic).
    const sign = (t: tf.Tensor): tf.Tensor4D => (real ? hardtanh(t) : (signSte(t) as tf.Tensor4D));
    const signApprox = (t: tf.Tensor): tf.Tensor4D => (real ? hardtanh(t) : (approxSign(t) as tf.Tensor4D));
    const bn = (t: tf.Tensor, name: string): tf.Tensor4D => batchNorm(t, this.batchNormState(name), training, stats) as tf.Tensor4D;
    let stemW = this.v('stem.w') as tf.Tensor4D;
    if (this.cfg.stemZeroMean) stemW = tf.sub(stemW, tf.mean(stemW, [0, 1, 2], true));
    let h = bn(tf.conv2d(x, stemW, 2, 'same'), 'stem.bn');
    if (a === 'binarynet') h = sign(h);
    else if (a === 'xnornet') h = tf.relu(h);
    const logits: tf.Tensor2D[] = [];
    const inputs = unitInputs(this.cfg);
    this.cfg.blocks.forEach((b, bi) => {
      const pool = blockPool(b);
      if (pool) h = a === 'birealnet' || a === 'reactnet' ? tf.avgPool(h, pool, pool, 'valid') : tf.maxPool(h, pool, pool, 'valid');
      inputs[bi].forEach((cin, ui) => {
        const p = unitPrefix(bi, ui);
        const cout = b.channels;
        switch (a) {
          case 'binarynet':
            h = sign(bn(this.bconv(h, `${p}.w`, false), `${p}.bn`));
            break;
          case 'xnornet': {
            const s = sign(bn(h, `${p}.bnIn`));
            h = tf.add(this.bconv(s, `${p}.w`, true), this.v(`${p}.bias`));
            break;
          }
          case 'birealnet':
          case 'reactnet': {
            const shortcut = cin === cout ? h : bn(tf.conv2d(h, this.v(`${p}.sc.w`) as tf.Tensor4D, 1, 'valid'), `${p}.sc.bn`);
            const s = a === 'reactnet' ? signApprox(tf.sub(h, this.v(`${p}.rsign`))) : signApprox(h);
            h = tf.add(bn(this.bconv(s, `${p}.w`, false), `${p}.bn`), shortcut);
            if (a === 'reactnet') {
              const z = tf.sub(h, this.v(`${p}.rp.shiftIn`));
              h = tf.add(tf.prelu(z, this.v(`${p}.rp.slope`)), this.v(`${p}.rp.shiftOut`));
            }
            break;
          }
        }
      });
      const pooled = tf.mean(h, [1, 2]);
      logits.push(tf.add(tf.matMul(pooled, this.v(`exit${bi}.w`) as tf.Tensor2D), this.v(`exit${bi}.b`)));
    });
    return logits;
  }

  /** Clips latent binary weights to [-1, 1] (they only matter through their sign and the STE window). */
  clipLatent(): void {
    tf.tidy(() => {
      for (const p of this.params.values()) if (p.clip) p.variable.assign(tf.clipByValue(p.variable, -1, 1));
    });
  }

  /** Copies of every parameter's values (for best-checkpoint keeping and saving). */
  snapshot(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [k, p] of this.params) out.set(k, p.variable.dataSync() as Float32Array);
    return new Map([...out].map(([k, d]) => [k, d.slice()]));
  }

  restore(values: Map<string, Float32Array>): void {
    for (const [k, p] of this.params) {
      const d = values.get(k);
      if (!d || d.length !== p.variable.size) throw new Error(`checkpoint lacks '${k}' or its size differs`);
      tf.tidy(() => p.variable.assign(tf.tensor(d, p.variable.shape)));
    }
  }

  dispose(): void {
    for (const p of this.params.values()) p.variable.dispose();
  }
}
