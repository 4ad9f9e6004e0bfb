// Node-only: the Free Spoken Digit Dataset (../shared/data/fsdd/recordings: `<digit>_<speaker>_<take>.wav`, 8 kHz,
// 6 speakers x 10 digits x 50 takes). Whole speakers are held out: the last two names (sorted) are the test
// speakers; of the other four, takes 0-4 validate and the rest train.

import { existsSync, readdirSync } from 'node:fs';
import { BeenetError } from '../errors';
import { SPEECH_COMMANDS_DIGITS } from './corpora';
import type { Split } from './manifest';

export interface FsddClip {
  file: string;
  /** The digit's Speech Commands word (zero..nine), the digits task's label. */
  label: string;
  speaker: string;
  take: number;
  split: Split;
}

/** Held-out speakers: never trained on, never used for validation. */
export const FSDD_TEST_SPEAKERS_COUNT = 2;
const VALIDATION_TAKES = 5;

export function listFsdd(dir: string): FsddClip[] {
  if (!existsSync(dir)) throw new BeenetError('BAD_INPUT', `no FSDD recordings folder at ${dir}`);
  const parsed = readdirSync(dir)
    .sort()
    .map((file) => ({ file, m: /^(\d)_([a-z]+)_(\d+)\.wav$/.exec(file) }))
    .filter((x): x is { file: string; m: RegExpExecArray } => x.m !== null);
  if (parsed.length === 0) throw new BeenetError('BAD_INPUT', `no <digit>_<speaker>_<take>.wav files in ${dir}`);
  const speakers = [...new Set(parsed.map((x) => x.m[2]))].sort();
  const test = new Set(speakers.slice(-FSDD_TEST_SPEAKERS_COUNT));
  return parsed.map(({ file, m }) => {
    const speaker = m[2];
    const take = Number(m[3]);
    const split: Split = test.has(speaker) ? 'test' : take < VALIDATION_TAKES ? 'validation' : 'train';
    return { file, label: SPEECH_COMMANDS_DIGITS[Number(m[1])], speaker, take, split };
  });
}
