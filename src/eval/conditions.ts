// Accuracy by recording condition (voice, noise level, channel): where a model's errors come from, using the
// generator's per-clip metadata from the manifest. Browser-safe.
import { simulate } from './policy';
import type { ExitRecords } from './records';

/** What a clip was made of, as far as the manifest says. */
export interface ClipConditions {
  /** e.g. `flite:slt`, `espeak-ng:en-gb`, `noise`. */
  voice: string;
  /** e.g. `SNR 0-5 dB`, `no noise`. */
  noise: string;
  /** `full band`, `telephone`, `8 kHz`. */
  channel: string;
}

export interface ConditionRow {
  /** Which grouping (`voice`, `noise`, `channel`). */
  kind: keyof ClipConditions;
  value: string;
  count: number;
  /** Accuracy of the last exit. */
  lastExitAccuracy: number;
  /** Accuracy under the policy's thresholds. */
  policyAccuracy: number;
  meanExit: number;
}

const SNR_BANDS: [number, string][] = [
  [5, 'SNR 0-5 dB'],
  [10, 'SNR 5-10 dB'],
  [20, 'SNR 10-20 dB'],
  [Infinity, 'SNR 20-30 dB'],
];

/** Conditions of one manifest clip (`engine`, `aug.voice`, `aug.snrDb`, `aug.band` of the generator). */
export function clipConditions(clip: { engine?: string; aug?: Record<string, string | number | boolean> }): ClipConditions {
  const aug = clip.aug ?? {};
  const engine = clip.engine ?? 'unknown';
  const voice = typeof aug.voice === 'string' ? `${engine}:${aug.voice}` : engine;
  const snr = typeof aug.snrDb === 'number' ? aug.snrDb : null;
  const noise = snr === null ? (typeof aug.noise === 'string' ? 'noise only' : 'no noise') : SNR_BANDS.find(([hi]) => snr < hi)![1];
  const band = aug.band === 'telephone' ? 'telephone' : aug.band === '8k' ? '8 kHz' : 'full band';
  return { voice, noise, channel: band };
}

/** Accuracy per condition value, for each kind of condition; rows sorted by kind then value. */
export function accuracyByCondition(r: ExitRecords, thresholds: readonly number[], conditions: readonly ClipConditions[]): ConditionRow[] {
  if (conditions.length !== r.count) throw new Error(`conditions for ${conditions.length} clips, records for ${r.count}`);
  const last = r.argmax.length - 1;
  const { exits, predictions } = simulate(r, thresholds);
  const rows: ConditionRow[] = [];
  for (const kind of ['voice', 'noise', 'channel'] as const) {
    const groups = new Map<string, number[]>();
    conditions.forEach((c, i) => {
      const g = groups.get(c[kind]);
      if (g) g.push(i);
      else groups.set(c[kind], [i]);
    });
    for (const [value, idx] of [...groups].sort((a, b) => a[0].localeCompare(b[0]))) {
      let lastOk = 0;
      let policyOk = 0;
      let sumExit = 0;
      for (const i of idx) {
        if (r.argmax[last][i] === r.labels[i]) lastOk++;
        if (predictions[i] === r.labels[i]) policyOk++;
        sumExit += exits[i];
      }
      rows.push({ kind, value, count: idx.length, lastExitAccuracy: lastOk / idx.length, policyAccuracy: policyOk / idx.length, meanExit: sumExit / idx.length });
    }
  }
  return rows;
}
