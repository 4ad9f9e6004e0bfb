// Which planned layers the WASM backend runs as one kernel. A float convolution followed by a pooling and a
// sign packing (conv, pool, pack: the stems the planner cannot fold, XNOR-Net's and BinaryNet's max-pooled ones,
// src/plan/fold-pool.ts) is one step (convPoolPack) when nothing else reads the convolution's output, whose map
// is then never stored whole; the pooled map is written out only when another layer reads it too (a shortcut
// around the first binary conv).
import type { ValueName } from '../model/graph';
import type { PlannedLayer } from '../plan/plan';


export type StepLayers =
  | { kind: 'one'; layer: PlannedLayer }
  | { kind: 'conv-pool-pack'; conv: PlannedLayer; pool: PlannedLayer; pack: PlannedLayer; keepPooled: boolean };

function fusesConvPoolPack(a: PlannedLayer, b: PlannedLayer, c: PlannedLayer, readers: Map<ValueName, number>): boolean {
  if (a.op.type !== 'conv_real' || a.op.transform.kind !== 'affine' || a.op.transform.residual !== null) return false;
  if ((b.op.type !== 'avgpool' && b.op.type !== 'maxpool') || b.input !== a.output || b.inputInfo.kind !== 'float') return false;
  if (c.op.type !== 'pack' || c.input !== b.output) return false;
  return readers.get(a.output) === 1;
}

/** Groups one stage's layers (in order) into the steps the executor runs; `fuse: false` keeps every layer a step. */
export function groupSteps(layers: readonly PlannedLayer[], readers: Map<ValueName, number>, fuse: boolean): StepLayers[] {
  const out: StepLayers[] = [];
  for (let i = 0; i < layers.length; i++) {
    if (fuse && i + 2 < layers.length && fusesConvPoolPack(layers[i], layers[i + 1], layers[i + 2], readers)) {
      const pool = layers[i + 1];
      out.push({ kind: 'conv-pool-pack', conv: layers[i], pool, pack: layers[i + 2], keepPooled: (readers.get(pool.output) ?? 0) > 1 });
      i += 2;
    } else {
      out.push({ kind: 'one', layer: layers[i] });
    }
  }
  return out;
}
