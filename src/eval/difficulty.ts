// Sample difficulty and per-class uncertainty: which exits each class takes and how unsure the exits are.
import { simulate } from './policy';
import type { ExitRecords } from './records';

export interface ClassDifficulty {
  label: number;
  name: string;
  count: number;
  accuracy: number;
  /** Fraction of the class's clips leaving at each exit under the policy. */
  exitShare: number[];
  meanExit: number;
  /** Mean normalised entropy at each exit (over all the class's clips). */
  meanEntropy: number[];
}

export interface HardClip {
  index: number;
  id: string;
  label: string;
  predicted: string;
  exit: number;
  /** Mean normalised entropy over all exits: high means every exit was unsure. */
  meanEntropy: number;
  correct: boolean;
}

export function classDifficulty(r: ExitRecords, thresholds: readonly number[], names: readonly string[]): ClassDifficulty[] {
  const exitsN = r.argmax.length;
  const { exits, predictions } = simulate(r, thresholds);
  return names.map((name, label) => {
    const share = new Array<number>(exitsN).fill(0);
    const ent = new Array<number>(exitsN).fill(0);
    let count = 0;
    let ok = 0;
    let sumExit = 0;
    for (let i = 0; i < r.count; i++) {
      if (r.labels[i] !== label) continue;
      count++;
      share[exits[i]]++;
      sumExit += exits[i];
      if (predictions[i] === label) ok++;
      for (let e = 0; e < exitsN; e++) ent[e] += r.entropy[e][i];
    }
    const d = Math.max(1, count);
    return {
      label,
      name,
      count,
      accuracy: ok / d,
      exitShare: share.map((s) => s / d),
      meanExit: sumExit / d,
      meanEntropy: ent.map((s) => s / d),
    };
  });
}

/** The `limit` clips whose exits were most unsure on average (ties: later exit first). */
export function hardestClips(
  r: ExitRecords,
  thresholds: readonly number[],
  names: readonly string[],
  ids: readonly string[],
  limit = 20,
): HardClip[] {
  const { exits, predictions } = simulate(r, thresholds);
  const exitsN = r.argmax.length;
  const list: HardClip[] = [];
  for (let i = 0; i < r.count; i++) {
    let s = 0;
    for (let e = 0; e < exitsN; e++) s += r.entropy[e][i];
    list.push({
      index: i,
      id: ids[i] ?? String(i),
      label: names[r.labels[i]] ?? String(r.labels[i]),
      predicted: names[predictions[i]] ?? String(predictions[i]),
      exit: exits[i],
      meanEntropy: s / exitsN,
      correct: predictions[i] === r.labels[i],
    });
  }
  list.sort((a, b) => b.meanEntropy - a.meanEntropy || b.exit - a.exit);
  return list.slice(0, limit);
}
