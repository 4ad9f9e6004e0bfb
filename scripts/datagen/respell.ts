// English command words respelled for non-English festival voices, so that their own letter-to-sound rules say
// roughly the English word ("right" read by the Italian rules is "rigt"; "rait" is close to /raIt/). Only the
// kws commands need this: a mispronounced `_unknown_` word is still an unknown word, so those keep their
// spelling. Checked by printing each voice's phone sequence for the respelt words.

export type Respelling = 'it' | 'ca' | 'fi' | 'cs';

const COMMANDS: Record<Respelling, Record<string, string>> = {
  it: { yes: 'ies', no: 'nou', up: 'ap', down: 'daun', left: 'left', right: 'rait', on: 'on', off: 'of', stop: 'stop', go: 'gou' },
  ca: { yes: 'ies', no: 'nou', up: 'ap', down: 'daun', left: 'left', right: 'rait', on: 'on', off: 'of', stop: 'stop', go: 'gou' },
  fi: { yes: 'jes', no: 'nou', up: 'ap', down: 'daun', left: 'left', right: 'rait', on: 'on', off: 'of', stop: 'stop', go: 'gou' },
  cs: { yes: 'jes', no: 'nou', up: 'ap', down: 'daun', left: 'left', right: 'rajt', on: 'on', off: 'of', stop: 'stop', go: 'gou' },
};

/** The text a voice with these spelling rules should be given for an English word. */
export function respell(rules: Respelling | undefined, text: string): string {
  if (!rules) return text;
  return COMMANDS[rules][text] ?? text;
}
