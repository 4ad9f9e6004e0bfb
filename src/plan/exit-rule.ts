// The exit decision, shared by every mode and backend (the GPU gate kernel, shaders/exit_gate.wgsl, implements the
// same rule on the device).
import type { ExitCriterion } from '../model/graph';

/**
 * Threshold as the comparison uses it. Normalised entropy is at most 1 (exactly 1 only for a uniform softmax),
 * so an entropy threshold >= 1 means "always exit": mapped to 2 so that `entropy < t` holds for every clip.
 */
export function effectiveThreshold(criterion: ExitCriterion, t: number): number {
  return criterion === 'entropy' && t >= 1 ? 2 : t;
}

/**
 * The f32 threshold a device compares f32 records against so that its decisions equal the host's comparison of
 * the same records with the caller's (f64) threshold, for both criteria: the smallest f32 >= t. For an f32
 * record x and a t between two f32 values, x < t iff x < ceil32(t) and x >= t iff x >= ceil32(t); plain f32
 * rounding (to nearest) may round t down onto a record and flip that clip's decision.
 */
export function deviceThreshold(criterion: ExitCriterion, t: number): number {
  return f32Ceil(effectiveThreshold(criterion, t));
}

/** The smallest f32 value >= v (v finite). */
export function f32Ceil(v: number): number {
  const f = Math.fround(v);
  if (f >= v) return f;
  const bits = new Float32Array([f]);
  const u = new Uint32Array(bits.buffer);
  // One ulp towards +infinity: the bit pattern grows for positives and shrinks for negatives (-0 -> smallest +).
  if (f > 0) u[0]++;
  else if (f < 0) u[0]--;
  else u[0] = 1;
  return bits[0];
}

/** Does a clip with this exit record leave at this exit? The last exit always accepts. */
export function exitsHere(criterion: ExitCriterion, t: number, entropy: number, maxProb: number, isLast: boolean): boolean {
  if (isLast) return true;
  const e = effectiveThreshold(criterion, t);
  return criterion === 'entropy' ? entropy < e : maxProb >= e;
}
