// The gradient kernels registered for the wasm backend agree with tfjs's CPU backend.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initTrainingBackend, registerGradients } from '../../src/train/backend';

describe('wasm training backend', () => {
  it('Conv2DBackpropFilter / Conv2DBackpropInput as forward convolutions match the CPU backend', async () => {
    await registerGradients();
    const cases: Array<[[number, number], 'same' | 'valid']> = [
      [[1, 1], 'same'],
      [[2, 2], 'same'],
      [[2, 1], 'valid'],
      [[1, 1], 'valid'],
    ];
    const xv = Float32Array.from({ length: 3 * 9 * 7 * 5 }, (_, i) => Math.sin(i * 0.37));
    const wv = Float32Array.from({ length: 3 * 3 * 5 * 4 }, (_, i) => Math.cos(i * 0.91));
    const grads = async (backend: string): Promise<number[][]> => {
      await tf.setBackend(backend);
      const x = tf.tensor4d(xv, [3, 9, 7, 5]);
      const w = tf.tensor4d(wv, [3, 3, 5, 4]);
      const out: number[][] = [];
      for (const [s, p] of cases) {
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, p))))([x, w]);
        out.push(Array.from(await g[0].data()), Array.from(await g[1].data()));
      }
      return out;
    };
    const ref = await grads('cpu');
    await initTrainingBackend();
    const got = await grads('wasm');
    got.forEach((g, k) => g.forEach((v, i) => expect(Math.abs(v - ref[k][i])).toBeLessThan(1e-3 * (1 + Math.abs(ref[k][i])))));
  }, 30_000);
});
