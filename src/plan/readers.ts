// Who reads each value: what decides whether a rewrite or a fusion may drop a value that one layer wrote.
import type { ValueName } from '../model/graph';
import type { Stage } from './plan';

/** How many layers read each value (as input or residual), plus one for every exit's logits. */
export function readerCounts(plan: { stages: readonly Stage[] }): Map<ValueName, number> {
  const n = new Map<ValueName, number>();
  const read = (v: ValueName): void => {
    n.set(v, (n.get(v) ?? 0) + 1);
  };
  for (const s of plan.stages) {
    for (const l of [...s.layers, ...s.exitLayers]) {
      read(l.input);
      if ('transform' in l.op && l.op.transform.kind === 'affine' && l.op.transform.residual !== null) read(l.op.transform.residual);
    }
    read(s.logits);
  }
  return n;
}
