// The reference backend: the whole network on the TypeScript CPU twins, one clip at a time.
import { bconvCpu } from './bconv';
import { convRealCpu } from './conv-real';
import { bdenseCpu, denseCpu } from './dense';
import { exitResultCpu } from './exit-result';
import { packCpu } from './pack';
import { gapBitsCpu, gapFloatCpu, maxpoolBitsCpu, poolFloatCpu } from './pool';
import { BeenetError } from '../errors';
import type { MapShape } from '../layout/geometry';
import type { OutputTransform } from '../layout/transform';
import type { ValueName } from '../model/graph';
import type { ValueInfo } from '../model/shapes';
import type { ExecutorStats, StageExecutor } from '../plan/executor';
import type { ModelPlan, PlannedLayer, TransformSpec } from '../plan/plan';

type Value = Float32Array | Uint32Array;

function mapShape(info: ValueInfo): MapShape {
  const s = info.shape;
  return s.length === 3 ? { n: 1, h: s[0], w: s[1], c: s[2] } : { n: 1, h: 1, w: 1, c: s[0] };
}

function asFloat(v: Value | undefined, name: ValueName): Float32Array {
  if (!(v instanceof Float32Array)) throw new BeenetError('BAD_INPUT', `value '${name}' is not a float tensor here`);
  return v;
}

function asBits(v: Value | undefined, name: ValueName): Uint32Array {
  if (!(v instanceof Uint32Array)) throw new BeenetError('BAD_INPUT', `value '${name}' is not a packed tensor here`);
  return v;
}

/** Runs one planned layer of one clip on the CPU twins. */
export function runLayerCpu(l: PlannedLayer, values: Map<ValueName, Value>): Value {
  const x = values.get(l.input);
  const shape = mapShape(l.inputInfo);
  const resolve = (t: TransformSpec): OutputTransform =>
    t.kind === 'threshold' ? t : { ...t, residual: t.residual === null ? null : asFloat(values.get(t.residual), t.residual) };
  const op = l.op;
  switch (op.type) {
    case 'conv_real':
      return convRealCpu(asFloat(x, l.input), shape, op.weights, op.geometry, resolve(op.transform)).out;
    case 'bconv':
      return bconvCpu(asBits(x, l.input), shape, op.weights, op.geometry, resolve(op.transform)).out;
    case 'pack':
      return packCpu(asFloat(x, l.input), shape, op.transform);
    case 'maxpool':
      return l.inputInfo.kind === 'bits'
        ? maxpoolBitsCpu(asBits(x, l.input), shape, op.window).out
        : poolFloatCpu(asFloat(x, l.input), shape, op.window, 'max').out;
    case 'avgpool':
      return poolFloatCpu(asFloat(x, l.input), shape, op.window, 'avg').out;
    case 'gap':
      return l.inputInfo.kind === 'bits' ? gapBitsCpu(asBits(x, l.input), shape) : gapFloatCpu(asFloat(x, l.input), shape);
    case 'dense':
      return denseCpu(asFloat(x, l.input), 1, op.inFeatures, op.weights, op.bias);
    case 'bdense':
      return bdenseCpu(asBits(x, l.input), 1, op.inFeatures, op.weights, op.outFeatures, resolve(op.transform));
  }
}

export class CpuExecutor implements StageExecutor {
  readonly kind = 'cpu' as const;
  readonly maxBatch = Number.MAX_SAFE_INTEGER;
  private clips: Map<ValueName, Value>[] = [];

  constructor(private readonly plan: ModelPlan) {}

  async setInput(features: Float32Array, n: number): Promise<void> {
    const size = this.plan.inputElements;
    this.clips = [];
    for (let i = 0; i < n; i++) {
      this.clips.push(new Map<ValueName, Value>([['input', features.slice(i * size, (i + 1) * size)]]));
    }
  }

  async runStage(stage: number, active: Uint32Array): Promise<Float32Array> {
    const s = this.plan.stages[stage];
    const classes = this.plan.classes;
    const out = new Float32Array(active.length * (classes + 3));
    active.forEach((clip, row) => {
      const values = this.clips[clip];
      for (const l of s.layers) values.set(l.output, runLayerCpu(l, values));
      // Exit values are private to the head: keep them out of the clip's trunk values.
      const head = new Map(values);
      for (const l of s.exitLayers) head.set(l.output, runLayerCpu(l, head));
      out.set(exitResultCpu(asFloat(head.get(s.logits), s.logits), 1, classes), row * (classes + 3));
    });
    return out;
  }

  stats(): ExecutorStats {
    return { backend: 'cpu', liveBuffers: 0, liveBindGroups: 0, bytes: 0 };
  }

  dispose(): void {
    this.clips = [];
  }
}
