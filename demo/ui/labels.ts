// Class names as a visitor should read them: the dataset's bookkeeping labels get plain words. Only the text
// shown changes; data attributes and logs keep the model's own labels.
const FRIENDLY: Record<string, string> = {
  _silence_: 'silence',
  _unknown_: 'unknown word',
  _background_noise_: 'background noise',
};

export function friendly(label: string): string {
  return FRIENDLY[label] ?? label;
}

/** Labels that say "no keyword": a long file's best window prefers any other. */
export function isFiller(label: string): boolean {
  return label in FRIENDLY;
}
