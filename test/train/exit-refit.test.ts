// Exit heads refit on frozen features: the cell pooling is the runtime's, the fitted softmax regression learns a
// separable problem whatever the features' offsets and scales (the standardisation is folded back into the
// weights), and a refit head is a valid exit that every backend runs to the same logits a hand computation gives.
import { describe, expect, it } from 'vitest';
import { CpuExecutor, runLayerCpu } from '../../src/cpu/executor';
import { exitRecordStride } from '../../src/cpu/exit-result';
import { readBee, writeBee } from '../../src/format/bee';
import type { Tensor } from '../../src/format/safetensors';
import { countOps } from '../../src/model/ops';
import { planModel } from '../../src/plan/plan';
import { initTrainingBackend } from '../../src/train/backend';
import { cellWindow, fitSoftmax, headFeatures, parseHeadCells, poolHeadInputs, refitHead, type SoftmaxFit } from '../../src/train/exit-refit';
import { WasmExecutor } from '../../src/wasm/executor';
import { randomModel } from '../helpers/random-model';
import { mulberry32 } from '../helpers/rng';

describe('exit refit', () => {
  it('parses cells, cuts maps into VALID windows and rejects cells a map cannot hold', () => {
    expect(parseHeadCells('gap')).toBe('gap');
    expect(parseHeadCells('3x2')).toEqual([3, 2]);
    for (const bad of ['3', '0x2', 'x2', '3x2x1', '']) expect(() => parseHeadCells(bad), bad).toThrow(/TxF/);
    expect(cellWindow({ n: 1, h: 24, w: 10, c: 32 }, [3, 2])).toEqual([8, 5]);
    expect(cellWindow({ n: 1, h: 12, w: 5, c: 64 }, [1, 2])).toEqual([12, 2]);
    expect(() => cellWindow({ n: 1, h: 2, w: 5, c: 8 }, [3, 1])).toThrow(/cannot be cut/);
    expect(headFeatures({ n: 1, h: 24, w: 10, c: 32 }, [3, 2])).toBe(192);
    expect(headFeatures({ n: 1, h: 24, w: 10, c: 32 }, 'gap')).toBe(32);
    // Cell (t, f) of channel c is the mean of its window, in NHWC order.
    const shape = { n: 1, h: 4, w: 2, c: 3 };
    const x = Float32Array.from({ length: 24 }, (_, i) => i);
    const p = poolHeadInputs(x, shape, [2, 1]);
    expect(Array.from(p)).toEqual([4.5, 5.5, 6.5, 16.5, 17.5, 18.5]);
  });

  it('fits a separable problem with large offsets and scales; the folded weights act on the raw features', async () => {
    await initTrainingBackend();
    const rng = mulberry32(5);
    const classes = 3;
    const d = 4;
    const make = (n: number): { x: Float32Array; labels: Int32Array; count: number } => {
      const x = new Float32Array(n * d);
      const labels = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const k = i % classes;
        labels[i] = k;
        // Feature k carries the class; every feature has its own offset and scale.
        for (let j = 0; j < d; j++) x[i * d + j] = 1000 * (j + 1) + (j + 1) * 50 * ((j === k ? 1 : 0) + 0.3 * (rng() - 0.5));
      }
      return { x, labels, count: n };
    };
    const train = make(300);
    const val = make(90);
    const fit = fitSoftmax(train, val, d, classes, { lambdas: [1e-3, 1e-4], steps: 150 });
    expect(fit.validationAccuracy).toBe(1);
    expect(fit.trainAccuracy).toBe(1);
    // The returned weights, applied to the raw features, give the same answers.
    let right = 0;
    for (let i = 0; i < val.count; i++) {
      let best = -1;
      let bestLogit = -Infinity;
      for (let k = 0; k < classes; k++) {
        let z = fit.bias[k];
        for (let j = 0; j < d; j++) z += fit.weights[k * d + j] * val.x[i * d + j];
        if (z > bestLogit) [best, bestLogit] = [k, z];
      }
      right += best === val.labels[i] ? 1 : 0;
    }
    expect(right).toBe(val.count);
  });

  it('a refit head is a valid exit: the CPU and WASM backends give the hand-computed logits', async () => {
    const base = randomModel(mulberry32(11), { recipe: 'reactnet', inputShape: [32, 16, 1] });
    const d = base.description;
    const plan = planModel(d, base.tensors);
    const first = plan.stages[0].exitLayers[0];
    const [h, w, c] = first.inputInfo.shape;
    const shape = { n: 1, h, w, c };
    const cells: [number, number] = [2, 2];
    const classes = d.labels.length;
    const f = headFeatures(shape, cells);
    const rng = mulberry32(12);
    const fit: SoftmaxFit = {
      weights: Float32Array.from({ length: classes * f }, () => rng() - 0.5),
      bias: Float32Array.from({ length: classes }, () => rng() - 0.5),
      lambda: 0,
      trainAccuracy: 0,
      validationAccuracy: 0,
    };
    const head = refitHead(0, first.input, shape, cells, fit, classes);
    const graph = structuredClone(d.graph);
    const tensors = new Map<string, Tensor>(base.tensors);
    for (const l of graph.exits[0].layers) if (l.type === 'dense') [l.weights, l.bias].forEach((t) => tensors.delete(t));
    for (const [k, t] of head.tensors) tensors.set(k, t);
    graph.exits[0] = { after: 0, layers: head.layers, logits: head.logits };
    // Written and read back: the format's checks (shapes, op counts, names) accept it.
    const refit = readBee(writeBee({ description: { ...d, graph, ops: countOps(graph, classes) }, tensors }));
    const refitPlan = planModel(refit.description, refit.tensors);
    const input = Float32Array.from({ length: 2 * refitPlan.inputElements }, () => 4 * rng() - 2);
    const cpu = new CpuExecutor(refitPlan);
    const wasm = await WasmExecutor.create(refitPlan, { maxBatch: 2 });
    await cpu.setInput(input, 2);
    await wasm.setInput(input, 2);
    const both = Uint32Array.of(0, 1);
    const got = await cpu.runStage(0, both);
    expect(await wasm.runStage(0, both)).toEqual(got);
    // The map the head reads is the trunk's, unchanged: pool it and apply the weights by hand (f64 sums).
    const stride = exitRecordStride(classes);
    for (let clip = 0; clip < 2; clip++) {
      const values = new Map<string, Float32Array | Uint32Array>([['input', input.slice(clip * refitPlan.inputElements, (clip + 1) * refitPlan.inputElements)]]);
      for (const l of plan.stages[0].layers) values.set(l.output, runLayerCpu(l, values));
      const pooled = poolHeadInputs(values.get(first.input) as Float32Array, shape, cells);
      for (let k = 0; k < classes; k++) {
        let z = fit.bias[k];
        for (let j = 0; j < f; j++) z += fit.weights[k * f + j] * pooled[j];
        expect(got[clip * stride + k]).toBeCloseTo(z, 4);
      }
    }
    // The later exits are the model's own.
    const shipped = new CpuExecutor(plan);
    await shipped.setInput(input, 2);
    await shipped.runStage(0, both);
    for (let st = 1; st < refitPlan.stages.length; st++) expect(await cpu.runStage(st, both)).toEqual(await shipped.runStage(st, both));
    wasm.dispose();
  });
});
