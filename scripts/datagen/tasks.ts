// What each task says: labels, words and phrases.

import type { Rng } from './rng';

export type TaskName = 'kws' | 'digits' | 'langid';
export type Lang = 'en' | 'es' | 'fr' | 'it' | 'ru';

export interface TaskDef {
  name: TaskName;
  labels: string[];
  /** Clips per class over all splits by default. */
  defaultPerClass: number;
  /** Training clips per class by default, when more than defaultPerClass's 70 % (see --train-per-class). */
  defaultTrainPerClass?: number;
  /** Add the respelt non-English female voices to training (speakers.ts, TRAIN_ONLY_RECORDED). */
  trainOnlyVoices?: boolean;
  /** Use the non-espeak engines (English only). */
  englishEnginesToo: boolean;
  /** Phrases longer than a clip: a random 1 s window of speech is kept. */
  phrases: boolean;
  /** Language and text for one clip of a label, or null for a noise-only clip. */
  utterance(label: string, rng: Rng): { lang: Lang; text: string } | null;
}

export const KWS_WORDS = ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go'];

/**
 * Words for `_unknown_`: Speech Commands' auxiliary words plus others of similar length. None may sound like a
 * keyword: homophones ("know", "write") or near-rhymes ("top", "goal", "lift", "often") would be labelled
 * `_unknown_` while sounding like "no", "right", "stop", "go", "left", "off" — an error no model can avoid.
 */
export const UNKNOWN_WORDS = [
  'bed', 'bird', 'cat', 'dog', 'happy', 'house', 'marvin', 'sheila', 'tree', 'wow', 'backward', 'forward',
  'follow', 'learn', 'visual', 'zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine',
  'yellow', 'window', 'table', 'water', 'music', 'orange', 'paper', 'river', 'money', 'garden', 'apple',
  'button', 'later', 'morning', 'kitchen', 'purple', 'tiger', 'basket', 'pencil', 'chicken', 'monkey', 'sugar',
  'family', 'number', 'picture', 'silver', 'thirty', 'machine', 'cheese', 'bridge', 'village', 'ticket',
];

export const DIGITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/** Common words per language; phrases are random sequences, so the model must learn the language's sound. */
const VOCAB: Record<Lang, string[]> = {
  en: (
    'the house is very small and the garden was green today we will go to the market tomorrow morning ' +
    'my brother likes coffee but his friends prefer tea with milk where is the station please ' +
    'I think that this book is better than the film children play outside when the weather is nice ' +
    'she bought three apples and a loaf of bread yesterday evening nobody knows what happened there ' +
    'the window was open all night long our teacher speaks slowly and clearly every afternoon'
  ).split(' '),
  es: (
    'la casa es muy pequeña y el jardín estaba verde hoy vamos a ir al mercado mañana por la mañana ' +
    'mi hermano quiere café pero sus amigos prefieren té con leche dónde está la estación por favor ' +
    'creo que este libro es mejor que la película los niños juegan fuera cuando hace buen tiempo ' +
    'ella compró tres manzanas y un pan ayer por la tarde nadie sabe qué pasó allí ' +
    'la ventana estuvo abierta toda la noche nuestro profesor habla despacio y claro cada tarde'
  ).split(' '),
  fr: (
    'la maison est très petite et le jardin était vert aujourd’hui nous irons au marché demain matin ' +
    'mon frère aime le café mais ses amis préfèrent le thé au lait où est la gare s’il vous plaît ' +
    'je pense que ce livre est meilleur que le film les enfants jouent dehors quand il fait beau ' +
    'elle a acheté trois pommes et du pain hier soir personne ne sait ce qui s’est passé là-bas ' +
    'la fenêtre est restée ouverte toute la nuit notre professeur parle lentement et clairement chaque après-midi'
  ).split(' '),
  it: (
    'la casa è molto piccola e il giardino era verde oggi andremo al mercato domani mattina ' +
    'mio fratello ama il caffè ma i suoi amici preferiscono il tè con il latte dov’è la stazione per favore ' +
    'penso che questo libro sia migliore del film i bambini giocano fuori quando fa bel tempo ' +
    'lei ha comprato tre mele e un pane ieri sera nessuno sa cosa sia successo laggiù ' +
    'la finestra è rimasta aperta tutta la notte il nostro insegnante parla lentamente e chiaramente ogni pomeriggio'
  ).split(' '),
  ru: (
    'дом очень маленький и сад был зелёный сегодня мы пойдём на рынок завтра утром ' +
    'мой брат любит кофе но его друзья предпочитают чай с молоком где находится вокзал пожалуйста ' +
    'я думаю что эта книга лучше чем фильм дети играют на улице когда хорошая погода ' +
    'она купила три яблока и хлеб вчера вечером никто не знает что там случилось ' +
    'окно было открыто всю ночь наш учитель говорит медленно и ясно каждый день после обеда'
  ).split(' '),
};

export const LANGS: Record<string, Lang> = {
  english: 'en',
  spanish: 'es',
  french: 'fr',
  italian: 'it',
  russian: 'ru',
};

/** espeak-ng voices (accents) per language. */
export const ESPEAK_VOICES: Record<Lang, string[]> = {
  en: ['en-us', 'en-gb', 'en-gb-scotland', 'en-gb-x-rp', 'en-gb-x-gbclan', 'en-gb-x-gbcwmd', 'en-029', 'en-us-nyc'],
  es: ['es', 'es-419'],
  fr: ['fr-fr', 'fr-be', 'fr-ch'],
  it: ['it'],
  ru: ['ru', 'ru-lv'],
};

function phrase(lang: Lang, rng: Rng): string {
  const words = VOCAB[lang];
  const n = rng.int(4, 7);
  const out: string[] = [];
  // A contiguous run of the text reads naturally; a random restart in the middle adds variety.
  let i = rng.int(0, words.length - 1);
  for (let k = 0; k < n; k++) {
    if (rng.chance(0.3)) i = rng.int(0, words.length - 1);
    out.push(words[i % words.length]);
    i++;
  }
  return out.join(' ');
}

export const TASKS: Record<TaskName, TaskDef> = {
  kws: {
    name: 'kws',
    labels: [...KWS_WORDS, '_silence_', '_unknown_'],
    defaultPerClass: 500,
    defaultTrainPerClass: 1050,
    trainOnlyVoices: true,
    englishEnginesToo: true,
    phrases: false,
    utterance(label, rng) {
      if (label === '_silence_') return null;
      return { lang: 'en', text: label === '_unknown_' ? rng.pick(UNKNOWN_WORDS) : label };
    },
  },
  digits: {
    name: 'digits',
    labels: DIGITS,
    defaultPerClass: 450,
    englishEnginesToo: true,
    phrases: false,
    utterance: (label) => ({ lang: 'en', text: label }),
  },
  langid: {
    name: 'langid',
    labels: Object.keys(LANGS),
    defaultPerClass: 750,
    englishEnginesToo: false,
    phrases: true,
    utterance: (label, rng) => ({ lang: LANGS[label], text: phrase(LANGS[label], rng) }),
  },
};
