import { describe, expect, it } from 'vitest';
import { accuracyByCondition, clipConditions } from '../../src/eval/conditions';
import type { ExitRecords } from '../../src/eval/records';

describe('accuracy by recording condition', () => {
  it('reads voice, SNR band and channel from the generator metadata', () => {
    expect(clipConditions({ engine: 'flite', aug: { voice: 'slt', snrDb: 4.9, band: 'telephone' } })).toEqual({ voice: 'flite:slt', noise: 'SNR 0-5 dB', channel: 'telephone' });
    expect(clipConditions({ engine: 'espeak-ng', aug: { voice: 'en-gb', snrDb: 25, band: 'full' } })).toEqual({ voice: 'espeak-ng:en-gb', noise: 'SNR 20-30 dB', channel: 'full band' });
    expect(clipConditions({ engine: 'noise', aug: { noise: 'pinknoise', band: '8k' } })).toEqual({ voice: 'noise', noise: 'noise only', channel: '8 kHz' });
    expect(clipConditions({ engine: 'speech_commands' })).toEqual({ voice: 'speech_commands', noise: 'no noise', channel: 'full band' });
  });

  it('groups last-exit and policy accuracy and the mean exit per value', () => {
    // 3 clips, 2 exits; clip 2 leaves early with a wrong answer that the last exit gets right.
    const r: ExitRecords = {
      classes: 2,
      count: 3,
      labels: Int32Array.from([0, 1, 1]),
      argmax: [Int32Array.from([0, 0, 0]), Int32Array.from([0, 0, 1])],
      entropy: [Float32Array.from([0.1, 0.9, 0.1]), Float32Array.from([0.1, 0.1, 0.1])],
      maxProb: [new Float32Array(3), new Float32Array(3)],
    };
    const c = [
      { voice: 'a', noise: 'no noise', channel: 'full band' },
      { voice: 'b', noise: 'no noise', channel: 'full band' },
      { voice: 'b', noise: 'SNR 0-5 dB', channel: 'full band' },
    ];
    const rows = accuracyByCondition(r, [0.5, 1], c);
    const b = rows.find((x) => x.kind === 'voice' && x.value === 'b')!;
    expect(b).toEqual({ kind: 'voice', value: 'b', count: 2, lastExitAccuracy: 0.5, policyAccuracy: 0, meanExit: 0.5 });
    expect(rows.filter((x) => x.kind === 'channel')).toEqual([{ kind: 'channel', value: 'full band', count: 3, lastExitAccuracy: 2 / 3, policyAccuracy: 1 / 3, meanExit: 1 / 3 }]);
    expect(() => accuracyByCondition(r, [0.5, 1], c.slice(1))).toThrow(/conditions for 2 clips, records for 3/);
  });
});
