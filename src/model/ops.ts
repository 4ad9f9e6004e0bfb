// Work per clip, per block and per exit head. A multiply-accumulate counts as one op; binary MACs (XNOR-popcount
// lanes) go to binaryOps, float MACs and the small per-element work (transforms, pooling, packing) to floatOps.

import type { Activation, AffineTransform, ModelGraph, OpCount, ThresholdTransform } from './graph';
import { BeenetError } from '../errors';
import { paramScalars, layerParams } from './params';
import { analyzeGraph, flatSize, layerLabel, type GraphShapes, type LayerShapes } from './shapes';

export interface GraphOps {
  /** Index 0 = stem + block 0, then one per block. */
  blocks: OpCount[];
  exits: OpCount[];
}

function activationOps(a: Activation): number {
  if (a.kind === 'none') return 0;
  return a.kind === 'rprelu' ? 3 : 1;
}

/** Float ops per output element of a transform. */
function transformOps(t: AffineTransform | ThresholdTransform): number {
  if (t.kind === 'threshold') return 1;
  return 2 + (t.residual === null ? 0 : 1) + activationOps(t.activation);
}

/** Ops and parameter scalars of one layer, given its shapes. */
export function layerOps(l: LayerShapes): OpCount {
  const { layer, input, output } = l;
  const outN = flatSize(output);
  const inN = flatSize(input);
  const inC = input.shape[input.shape.length - 1];
  let binaryOps = 0;
  let floatOps = 0;
  switch (layer.type) {
    case 'conv_real':
    case 'bconv': {
      const macs = outN * layer.kernel[0] * layer.kernel[1] * inC;
      if (layer.type === 'bconv') binaryOps += macs;
      else floatOps += macs;
      floatOps += outN * transformOps(layer.transform);
      break;
    }
    case 'pack':
      floatOps += inN;
      break;
    case 'maxpool':
    case 'avgpool':
      floatOps += outN * layer.kernel[0] * layer.kernel[1];
      break;
    case 'gap':
      floatOps += inN;
      break;
    case 'dense':
      floatOps += outN * inN + outN;
      break;
    case 'bdense':
      binaryOps += outN * inC;
      floatOps += outN * transformOps(layer.transform);
      break;
  }
  let params = 0;
  for (const p of layerParams(layer, input)) params += paramScalars(p);
  const ops = { binaryOps, floatOps, params };
  for (const [k, v] of Object.entries(ops)) {
    if (!Number.isSafeInteger(v)) throw new BeenetError('MODEL_FORMAT', `${layerLabel(l.site, layer)}: ${k} count is too large`);
  }
  return ops;
}

/** The sum of two op counts. */
export function addOps(a: OpCount, b: OpCount): OpCount {
  return { binaryOps: a.binaryOps + b.binaryOps, floatOps: a.floatOps + b.floatOps, params: a.params + b.params };
}

/** Op counts of a graph (stem counted into block 0). Throws MODEL_FORMAT where the graph is invalid. */
export function countOps(graph: ModelGraph, labels?: number, shapes?: GraphShapes): GraphOps {
  const g = shapes ?? analyzeGraph(graph, labels ?? null);
  const zero = (): OpCount => ({ binaryOps: 0, floatOps: 0, params: 0 });
  const blocks = graph.blocks.map(zero);
  const exits = graph.exits.map(zero);
  for (const l of g.layers) {
    const ops = layerOps(l);
    if (l.site.section === 'exit') exits[l.site.index] = addOps(exits[l.site.index], ops);
    else {
      const b = l.site.section === 'stem' ? 0 : l.site.index;
      blocks[b] = addOps(blocks[b], ops);
    }
  }
  for (const c of [...blocks, ...exits]) {
    if (!Number.isSafeInteger(c.binaryOps + c.floatOps + c.params)) throw new BeenetError('MODEL_FORMAT', 'op counts are too large');
  }
  return { blocks, exits };
}
