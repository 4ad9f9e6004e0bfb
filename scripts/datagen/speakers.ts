// Synthetic speakers and the speaker-disjoint split. A speaker = engine + voice + variant + pitch + rate; the
// split is decided per *timbre* (espeak-ng variant, or the recorded person behind a flite/festival voice), so
// test voices are never heard in training, under any accent, pitch or rate.

import { existsSync, readdirSync } from 'node:fs';
import type { Split } from '../../src/data/manifest';
import type { Respelling } from './respell';
import { ESPEAK_VOICES, type Lang } from './tasks';
import { Rng } from './rng';

export type Engine = 'espeak-ng' | 'flite' | 'festival';

export interface Speaker {
  id: string;
  engine: Engine;
  lang: Lang;
  /** espeak-ng voice (accent), flite voice or festival voice function. */
  voice: string;
  /** espeak-ng variant ('' for other engines). */
  variant: string;
  /** espeak-ng pitch 0-99; other engines: a pitch shift in cents applied by sox. */
  pitch: number;
  /** espeak-ng words per minute; other engines: duration stretch (> 1 is slower). */
  rate: number;
  /** The split unit. */
  timbre: string;
  split: Split;
  /** A non-English voice: the spelling rules its English words are respelt for (scripts/datagen/respell.ts). */
  respell?: Respelling;
}

/** espeak-ng variants (voices/!v); novelty ones that are barely speech are left out. */
const ESPEAK_VARIANTS = [
  'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'f1', 'f2', 'f3', 'f4', 'f5', 'croak', 'whisper', 'whisperf',
  'klatt', 'klatt2', 'klatt3', 'klatt4', 'klatt6', 'Alex', 'Alicia', 'Andrea', 'Andy', 'Annie', 'Denis', 'Diogo',
  'Gene', 'Gene2', 'Henrique', 'Hugo', 'Jacky', 'Lee', 'Marco', 'Mario', 'Michael', 'Mike', 'Nguyen', 'Storm',
  'Tweaky', 'adam', 'anika', 'announcer', 'antonio', 'aunty', 'belinda', 'benjamin', 'boris', 'caleb', 'david',
  'ed', 'edward', 'edward2', 'grandma', 'grandpa', 'iven', 'iven2', 'iven3', 'iven4', 'john', 'kaukovalta',
  'linda', 'marcelo', 'max', 'michel', 'miguel', 'norbert', 'pablo', 'paul', 'pedro', 'quincy', 'rob', 'robert',
  'sandro', 'shelby', 'steph', 'steph2', 'steph3', 'travis', 'victor', 'zac',
];

/** flite and festival voices, grouped by the recorded person (kal appears in both engines, so does slt). */
const RECORDED: { engine: Engine; voice: string; timbre: string }[] = [
  { engine: 'flite', voice: 'kal', timbre: 'kal' },
  { engine: 'flite', voice: 'kal16', timbre: 'kal' },
  { engine: 'flite', voice: 'awb', timbre: 'awb' },
  { engine: 'flite', voice: 'rms', timbre: 'rms' },
  { engine: 'flite', voice: 'slt', timbre: 'slt' },
  { engine: 'festival', voice: 'kal_diphone', timbre: 'kal' },
  { engine: 'festival', voice: 'ked_diphone', timbre: 'ked' },
  { engine: 'festival', voice: 'cmu_us_slt_arctic_hts', timbre: 'slt' },
];

/**
 * Female voices of other languages, made to say the English words by respelling. The recorded English voices
 * hold one woman (slt), and the split puts her in test, so training otherwise hears no recorded female voice.
 * Training only: never a split unit, so validation and test are what they were without them.
 */
const TRAIN_ONLY_RECORDED: { voice: string; timbre: string; respell: Respelling }[] = [
  { voice: 'lp_diphone', timbre: 'lp', respell: 'it' },
  { voice: 'upc_ca_ona_hts', timbre: 'ona', respell: 'ca' },
  { voice: 'suo_fi_lj_diphone', timbre: 'lj', respell: 'fi' },
  { voice: 'czech_dita', timbre: 'dita', respell: 'cs' },
];

const FESTIVAL_VOICES = '/usr/share/festival/voices';

function festivalVoiceInstalled(voice: string): boolean {
  if (!existsSync(FESTIVAL_VOICES)) return false;
  return readdirSync(FESTIVAL_VOICES).some((lang) => existsSync(`${FESTIVAL_VOICES}/${lang}/${voice}`));
}

/** One recorded voice as 12 speakers: random sox pitch shift (cents) and duration stretch each. */
function recordedSpeakers(engine: Engine, voice: string, timbre: string, split: Split, rng: Rng, respell?: Respelling): Speaker[] {
  return Array.from({ length: 12 }, () => {
    const pitch = rng.int(-300, 300);
    const rate = Math.round(rng.uniform(0.85, 1.2) * 100) / 100;
    const s: Speaker = { id: `${engine}:${voice}:c${pitch}:d${rate}`, engine, lang: 'en', voice, variant: '', pitch, rate, timbre, split };
    if (respell) s.respell = respell;
    return s;
  });
}

export interface SpeakerPool {
  speakers: Speaker[];
  /** Speakers per split and engine. */
  bySplit: Record<Split, Partial<Record<Engine, Speaker[]>>>;
}

function assignSplits(timbres: string[], rng: Rng, fractions: [number, number]): Map<string, Split> {
  const order = rng.shuffle([...timbres].sort());
  const nVal = Math.max(1, Math.round(order.length * fractions[0]));
  const nTest = Math.max(1, Math.round(order.length * fractions[1]));
  const m = new Map<string, Split>();
  order.forEach((t, i) => m.set(t, i < nTest ? 'test' : i < nTest + nVal ? 'validation' : 'train'));
  return m;
}

/**
 * The speakers for some languages. `fractions` = [validation, test] share of timbres. `engines` limits the
 * engines used (festival only if installed); `trainOnlyVoices` adds TRAIN_ONLY_RECORDED.
 */
export function buildSpeakers(
  langs: Lang[],
  engines: Engine[],
  seed: number,
  options: { fractions?: [number, number]; trainOnlyVoices?: boolean } = {},
): SpeakerPool {
  const fractions = options.fractions ?? [0.15, 0.15];
  const rng = new Rng(`speakers:${seed}`);
  const speakers: Speaker[] = [];
  const espeakSplit = assignSplits(ESPEAK_VARIANTS, rng, fractions);
  const recorded = RECORDED.filter((r) => engines.includes(r.engine));
  // Few recorded people: one for validation, one for test, the rest for training.
  const recSplit = assignSplits([...new Set(recorded.map((r) => r.timbre))], rng, [0.2, 0.2]);
  if (engines.includes('espeak-ng')) {
    for (const lang of langs) {
      for (const voice of ESPEAK_VOICES[lang]) {
        for (const variant of ESPEAK_VARIANTS) {
          for (let k = 0; k < 2; k++) {
            const pitch = rng.int(20, 80);
            const rate = rng.int(130, 200);
            speakers.push({
              id: `espeak-ng:${voice}+${variant}:p${pitch}:s${rate}`,
              engine: 'espeak-ng',
              lang,
              voice,
              variant,
              pitch,
              rate,
              timbre: `espeak-ng:${variant}`,
              split: espeakSplit.get(variant)!,
            });
          }
        }
      }
    }
  }
  if (langs.includes('en')) {
    for (const r of recorded) speakers.push(...recordedSpeakers(r.engine, r.voice, r.timbre, recSplit.get(r.timbre)!, rng));
  }
  // After every other speaker, so the random draws for those (and the split) do not change.
  if (options.trainOnlyVoices && langs.includes('en') && engines.includes('festival')) {
    for (const r of TRAIN_ONLY_RECORDED.filter((v) => festivalVoiceInstalled(v.voice))) {
      speakers.push(...recordedSpeakers('festival', r.voice, r.timbre, 'train', rng, r.respell));
    }
  }
  const bySplit: SpeakerPool['bySplit'] = { train: {}, validation: {}, test: {} };
  for (const s of speakers) (bySplit[s.split][s.engine] ??= []).push(s);
  return { speakers, bySplit };
}
