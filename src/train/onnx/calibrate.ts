// Calibration of the int8 model's requantisation: the |accumulator| histogram of every binary layer (bconv,
// bdense) over some clips, from beenet's CPU reference, and the smallest even step that saturates at most a
// given share of them.
import { runLayerCpu } from '../../cpu/executor';
import { identityAffine } from '../../layout/transform';
import type { ValueName } from '../../model/graph';
import type { ModelPlan, PlannedLayer } from '../../plan/plan';

/** The same layer with its output transform replaced by the identity: the raw accumulators as floats. */
function rawAccumulator(l: PlannedLayer): PlannedLayer | null {
  const op = l.op;
  if (op.type === 'bconv') return { ...l, op: { ...op, transform: identityAffine(op.geometry.outChannels) } };
  if (op.type === 'bdense') return { ...l, op: { ...op, transform: identityAffine(op.outFeatures) } };
  return null;
}

/** Terms in one accumulator of a binary layer (kh * kw * C, or the input features): the largest |acc|. */
function terms(l: PlannedLayer): number {
  const op = l.op;
  if (op.type === 'bconv') return op.geometry.kernel[0] * op.geometry.kernel[1] * l.inputInfo.shape[l.inputInfo.shape.length - 1];
  if (op.type === 'bdense') return op.inFeatures;
  return 0;
}

export interface LayerCalibration {
  maxAbs: number;
  /** The chosen step and the share of accumulators it saturates (|acc| > 127 * step). */
  scale: number;
  saturated: number;
}

export interface Calibration {
  /** Per binary layer, by output value name. */
  layers: Map<ValueName, LayerCalibration>;
  /** The requantisation step per binary layer, for exportOnnx's accScales. */
  scales: Map<ValueName, number>;
  clips: number;
}

/**
 * Runs every clip through every stage (exit heads included) on the CPU twins and records the accumulators; the
 * step per layer is the smallest even one that saturates at most `maxSaturated` of them.
 */
export function calibrateAccumulators(plan: ModelPlan, features: readonly Float32Array[], maxSaturated = 1e-3): Calibration {
  const histograms = new Map<ValueName, Float64Array>();
  for (const f of features) {
    const values = new Map<ValueName, Float32Array | Uint32Array>([['input', f]]);
    const visit = (l: PlannedLayer, into: Map<ValueName, Float32Array | Uint32Array>): void => {
      const raw = rawAccumulator(l);
      if (raw) {
        const acc = runLayerCpu(raw, into);
        let h = histograms.get(l.output);
        if (!h) histograms.set(l.output, (h = new Float64Array(terms(l) + 1)));
        for (let i = 0; i < acc.length; i++) h[Math.min(h.length - 1, Math.abs(acc[i]))]++;
      }
      into.set(l.output, runLayerCpu(l, into));
    };
    for (const s of plan.stages) {
      for (const l of s.layers) visit(l, values);
      const head = new Map(values);
      for (const l of s.exitLayers) visit(l, head);
    }
  }
  const layers = new Map<ValueName, LayerCalibration>();
  const scales = new Map<ValueName, number>();
  for (const [name, h] of histograms) {
    const total = h.reduce((a, b) => a + b, 0);
    let maxAbs = 0;
    for (let v = 0; v < h.length; v++) if (h[v] > 0) maxAbs = v;
    const above = (limit: number): number => {
      let n = 0;
      for (let v = Math.floor(limit) + 1; v < h.length; v++) n += h[v];
      return total > 0 ? n / total : 0;
    };
    let scale = 2;
    while (above(127 * scale) > maxSaturated) scale += 2;
    layers.set(name, { maxAbs, scale, saturated: above(127 * scale) });
    scales.set(name, scale);
  }
  return { layers, scales, clips: features.length };
}
