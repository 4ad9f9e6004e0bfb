// Node-only: the TensorFlow.js WebAssembly backend for training, with the one gradient kernel it lacks.
import { createRequire, register } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/** SAME/VALID/explicit padding of one conv as [top, bottom, left, right]. */
function padsOf(
  pad: unknown,
  inH: number,
  inW: number,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
): [number, number, number, number] {
  if (pad === 'valid') return [0, 0, 0, 0];
  if (typeof pad === 'number') return [pad, pad, pad, pad];
  if (Array.isArray(pad)) {
    // Explicit NHWC padding [[0,0],[t,b],[l,r],[0,0]].
    const p = pad as number[][];
    return [p[1][0], p[1][1], p[2][0], p[2][1]];
  }
  if (pad === 'same') {
    const oh = Math.ceil(inH / sh);
    const ow = Math.ceil(inW / sw);
    const th = Math.max((oh - 1) * sh + kh - inH, 0);
    const tw = Math.max((ow - 1) * sw + kw - inW, 0);
    return [Math.floor(th / 2), th - Math.floor(th / 2), Math.floor(tw / 2), tw - Math.floor(tw / 2)];
  }
  throw new Error(`Conv2DBackpropFilter: unsupported padding ${String(pad)}`);
}

/**
 * dW[ky,kx,ci,co] = sum_{n,oy,ox} x[n, oy*s+ky-pt, ox*s+kx-pl, ci] * dy[n,oy,ox,co]: a forward convolution of
 * x with the batch as channels ([ci,H,W,N]) by dy as a filter ([oh,ow,N,co]) dilated by the stride.
 */
export function conv2dBackpropFilterViaForward(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: [number, number],
  pad: unknown,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = filterShape;
    const [sh, sw] = strides;
    const [, inH, inW] = x.shape;
    const [pt, pb, pl, pr] = padsOf(pad, inH, inW, kh, kw, sh, sw);
    const [, oh, ow] = dy.shape;
    let xp: tf.Tensor4D = pt + pb + pl + pr > 0 ? tf.pad(x, [[0, 0], [pt, pb], [pl, pr], [0, 0]]) : x;
    // Rows/cols past the last window never reach dW; crop so the valid output is exactly kh x kw.
    const needH = (oh - 1) * sh + kh;
    const needW = (ow - 1) * sw + kw;
    if (xp.shape[1] !== needH || xp.shape[2] !== needW) xp = tf.slice(xp, [0, 0, 0, 0], [-1, needH, needW, -1]);
    const xt = tf.transpose(xp, [3, 1, 2, 0]);
    const f = tf.transpose(dy, [1, 2, 0, 3]);
    const r = tf.conv2d(xt, f, 1, 'valid', 'NHWC', [sh, sw]);
    return tf.transpose(r, [1, 2, 0, 3]);
  });
}

// tfjs-core's Node bundle has no gradient configs; they exist only as ESM files with extensionless relative
// imports, which Node rejects. This resolve hook adds '.js' inside tfjs-core/dist only. The ESM copy shares the
// engine and registries with the CJS copy through tfjs's globals, so its registrations apply.
const RESOLVE_HOOK = `
export async function resolve(specifier, context, next) {
  const p = context.parentURL ?? '';
  if (specifier.startsWith('.') && p.includes('/@tensorflow/tfjs-core/dist/') && !specifier.endsWith('.js')) {
    try { return await next(specifier + '.js', context); } catch { /* not a file: ordinary resolution */ }
  }
  return next(specifier, context);
}`;

/** Registers tfjs-core's gradient configs (idempotent). */
export async function registerGradients(): Promise<void> {
  if (tf.getGradient('Conv2D') && tf.getGradient('Sum')) return;
  register('data:text/javascript,' + encodeURIComponent(RESOLVE_HOOK));
  const spec = '@tensorflow/tfjs-core/dist/register_all_gradients.js';
  await import(/* @vite-ignore */ spec);
}

/**
 * A [kh, kw, cin, cout] filter turned 180 degrees in (kh, kw): the kh * kw taps copied in reverse order. A plain
 * copy here takes well under a millisecond where the wasm backend's Reverse takes ~7 ms on 3x3x128x128.
 */
function rotate180(filter: tf.Tensor4D): tf.Tensor4D {
  const [kh, kw, cin, cout] = filter.shape;
  const src = filter.dataSync() as Float32Array;
  const dst = new Float32Array(src.length);
  const tap = cin * cout;
  for (let t = 0; t < kh * kw; t++) dst.set(src.subarray(t * tap, (t + 1) * tap), (kh * kw - 1 - t) * tap);
  return tf.tensor4d(dst, [kh, kw, cin, cout]);
}

/**
 * dx of a stride-1 convolution as a forward convolution: dy padded by (k - 1 - pad) on each side, correlated with
 * the filter rotated 180 degrees and with in/out channels swapped. The wasm backend's own kernel is ~5x slower.
 */
export function conv2dBackpropInputViaForward(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  pad: unknown,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = filter.shape;
    const [, inH, inW] = inputShape;
    const [pt, pb, pl, pr] = padsOf(pad, inH, inW, kh, kw, 1, 1);
    const f = tf.transpose(rotate180(filter), [0, 1, 3, 2]);
    const p = tf.pad(dy, [[0, 0], [kh - 1 - pt, kh - 1 - pb], [kw - 1 - pl, kw - 1 - pr], [0, 0]]);
    return tf.conv2d(p, f, 1, 'valid');
  });
}

let ready: Promise<void> | null = null;

/** Starts the wasm backend once (SIMD, one thread: the machine's cores are shared) and registers the kernel. */
export function initTrainingBackend(): Promise<void> {
  ready ??= (async () => {
    const require = createRequire(import.meta.url);
    const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    setWasmPaths(dir + path.sep);
    setThreadsCount(1);
    await registerGradients();
    if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
      tf.registerKernel({
        kernelName: 'Conv2DBackpropFilter',
        backendName: 'wasm',
        kernelFunc: ({ inputs, attrs }) => {
          const { x, dy } = inputs as { x: tf.Tensor4D; dy: tf.Tensor4D };
          const a = attrs as { strides: number | [number, number]; pad: unknown; filterShape: [number, number, number, number] };
          const s: [number, number] = typeof a.strides === 'number' ? [a.strides, a.strides] : a.strides;
          return conv2dBackpropFilterViaForward(x, dy, a.filterShape, s, a.pad);
        },
      });
    }
    const original = tf.getKernel('Conv2DBackpropInput', 'wasm');
    if (original && !(original as { beenet?: boolean }).beenet) {
      tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
      const config: tf.KernelConfig & { beenet: boolean } = {
        kernelName: 'Conv2DBackpropInput',
        backendName: 'wasm',
        beenet: true,
        // The original kernel (kept for strides > 1) binds its wasm function in its setup.
        setupFunc: original.setupFunc,
        disposeFunc: original.disposeFunc,
        kernelFunc: (args) => {
          const { dy, filter } = args.inputs as { dy: tf.Tensor4D; filter: tf.Tensor4D };
          const a = args.attrs as { strides: number | [number, number]; pad: unknown; inputShape: [number, number, number, number]; dilations?: unknown };
          const s: [number, number] = typeof a.strides === 'number' ? [a.strides, a.strides] : a.strides;
          // Only stride 1 is rewritten; anything else keeps the backend's kernel.
          if (s[0] !== 1 || s[1] !== 1 || (typeof a.pad !== 'string' && typeof a.pad !== 'number')) return original.kernelFunc(args);
          return conv2dBackpropInputViaForward(dy, filter, a.inputShape, a.pad);
        },
      };
      tf.registerKernel(config);
    }
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new Error('could not start the tfjs wasm backend');
  })();
  return ready;
}
