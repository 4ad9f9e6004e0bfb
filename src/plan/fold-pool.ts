// An average pooling right after a float convolution whose transform is linear (affine, no activation, no
// residual) is itself a convolution: the pool's window of convolution outputs reads a wider window of the input,
// with the kernel's taps averaged into a wider kernel. ReactNet's and Bi-Real's stems (3x3 stride 2, then 2x2
// pooling) become one 5x5 stride-4 convolution: a third fewer multiply-adds, no full-resolution map written and
// read back, one kernel or dispatch instead of two. The affine commutes with the average (per channel), so it
// stays as it is. Every backend runs the folded plan, so the CPU reference stays every kernel's twin; the sums
// are taken in another order than the trained network's, which the export checks measure.
import { convOutput, poolOutput, type ConvGeometry, type ExplicitPadding, type Window2d } from '../layout/geometry';
import type { ValueInfo } from '../model/shapes';
import type { ValueName } from '../model/graph';
import { readerCounts } from './readers';
import type { PlannedLayer, Stage } from './plan';

/**
 * The folded kernel, OHWI like the convolution's own: each averaged output reads kh + (ph - 1) * sh rows of the
 * input, and tap (a, b) sums the original taps that land on it, scaled by 1 / (ph * pw).
 */
export function foldedConvWeights(
  weights: Float32Array,
  outChannels: number,
  inChannels: number,
  kernel: readonly [number, number],
  stride: readonly [number, number],
  pool: readonly [number, number],
): { weights: Float32Array; kernel: [number, number] } {
  const [kh, kw] = kernel;
  const [sh, sw] = stride;
  const [ph, pw] = pool;
  const fh = kh + (ph - 1) * sh;
  const fw = kw + (pw - 1) * sw;
  const out = new Float32Array(outChannels * fh * fw * inChannels);
  const scale = 1 / (ph * pw);
  for (let o = 0; o < outChannels; o++) {
    for (let a = 0; a < fh; a++) {
      for (let b = 0; b < fw; b++) {
        for (let c = 0; c < inChannels; c++) {
          let sum = 0;
          for (let u = 0; u < ph; u++) {
            const y = a - u * sh;
            if (y < 0 || y >= kh) continue;
            for (let v = 0; v < pw; v++) {
              const x = b - v * sw;
              if (x < 0 || x >= kw) continue;
              sum += weights[((o * kh + y) * kw + x) * inChannels + c];
            }
          }
          out[((o * fh + a) * fw + b) * inChannels + c] = Math.fround(sum * scale);
        }
      }
    }
  }
  return { weights: out, kernel: [fh, fw] };
}

function folds(conv: PlannedLayer, pool: PlannedLayer, readers: Map<ValueName, number>): boolean {
  const op = conv.op;
  if (op.type !== 'conv_real' || pool.op.type !== 'avgpool' || pool.input !== conv.output) return false;
  const t = op.transform;
  return t.kind === 'affine' && t.residual === null && t.activation.kind === 'none' && readers.get(conv.output) === 1;
}

/**
 * The convolution (OHWI weights and geometry) that computes the average pool `win` of the convolution `g` on an
 * input of h x w x c: the same output shape as the pool, the convolution's zeros before the input, and zeros
 * after it only as far as the last pooled output reads (never more than the convolution padded).
 */
export function foldConvPool(
  weights: Float32Array,
  input: { h: number; w: number; c: number },
  g: ConvGeometry,
  win: Window2d,
): { weights: Float32Array; geometry: ConvGeometry } {
  const map = { n: 1, ...input };
  const { shape: convShape, padTop, padLeft } = convOutput(map, g);
  const pooled = poolOutput(convShape, win);
  const folded = foldedConvWeights(weights, g.outChannels, input.c, g.kernel, g.stride, win.kernel);
  const kernel = folded.kernel;
  const stride: [number, number] = [g.stride[0] * win.stride[0], g.stride[1] * win.stride[1]];
  const after = (out: number, k: number, s: number, before: number, size: number): number => Math.max(0, (out - 1) * s + k - size - before);
  const padding: ExplicitPadding = {
    top: padTop,
    bottom: after(pooled.h, kernel[0], stride[0], padTop, input.h),
    left: padLeft,
    right: after(pooled.w, kernel[1], stride[1], padLeft, input.w),
  };
  const geometry: ConvGeometry = { kernel, stride, padding, outChannels: g.outChannels };
  const shape = convOutput(map, geometry).shape;
  if (shape.h !== pooled.h || shape.w !== pooled.w) throw new Error(`fold: ${shape.h}x${shape.w} folded, the pool gives ${pooled.h}x${pooled.w}`);
  return { weights: folded.weights, geometry };
}

/** The planned convolution that computes `pool` of `conv` directly. */
function foldLayer(conv: PlannedLayer, pool: PlannedLayer): PlannedLayer {
  if (conv.op.type !== 'conv_real' || pool.op.type !== 'avgpool') throw new Error('foldLayer: not a float conv + avgpool');
  const [h, w, c] = conv.inputInfo.shape;
  const { weights, geometry } = foldConvPool(conv.op.weights, { h, w, c }, conv.op.geometry, pool.op.window);
  return {
    label: `${conv.label} + ${pool.label}, folded`,
    input: conv.input,
    output: pool.output,
    inputInfo: conv.inputInfo,
    outputInfo: pool.outputInfo,
    op: { type: 'conv_real', geometry, weights, transform: conv.op.transform },
  };
}

/**
 * Folds every avgpool that follows a linear float convolution into it, within each stage. Returns the stages
 * (new arrays; the given ones are not changed) and the values no layer writes any more.
 */
export function foldPoolsIntoConvs(stages: readonly Stage[]): { stages: Stage[]; dropped: ValueName[] } {
  const readers = readerCounts({ stages });
  const dropped: ValueName[] = [];
  const out = stages.map((s) => {
    const layers: PlannedLayer[] = [];
    for (let i = 0; i < s.layers.length; i++) {
      const [a, b] = [s.layers[i], s.layers[i + 1]];
      if (b && folds(a, b, readers)) {
        layers.push(foldLayer(a, b));
        dropped.push(a.output);
        i++;
      } else {
        layers.push(a);
      }
    }
    return { ...s, layers };
  });
  return { stages: out, dropped };
}

/** The value table without the values a rewrite dropped. */
export function withoutValues(values: Map<ValueName, ValueInfo>, dropped: readonly ValueName[]): Map<ValueName, ValueInfo> {
  const m = new Map(values);
  for (const v of dropped) m.delete(v);
  return m;
}
