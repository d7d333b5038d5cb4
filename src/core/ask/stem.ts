/**
 * The Porter stemmer (M.F. Porter, 1980, with the published errata: "bli" → "ble", "logi" →
 * "log"), so that "routing", "routed" and "routes" meet at "rout" in the search index. Input is one
 * lowercase word; words shorter than three letters come back unchanged.
 */

const consonant = '[^aeiou]';
const vowel = '[aeiouy]';
const consonants = consonant + '[^aeiouy]*';
const vowels = vowel + '[aeiou]*';

/** measure > 0: [C](VC){1,}[V] */
const mGreater0 = new RegExp(`^(${consonants})?${vowels}${consonants}`);
/** measure = 1 */
const mEquals1 = new RegExp(`^(${consonants})?${vowels}${consonants}(${vowels})?$`);
/** measure > 1 */
const mGreater1 = new RegExp(`^(${consonants})?${vowels}${consonants}${vowels}${consonants}`);
/** the stem contains a vowel */
const hasVowel = new RegExp(`^(${consonants})?${vowel}`);
/** ends consonant-vowel-consonant, the last not w, x or y */
const cvc = new RegExp(`^${consonants}${vowel}[^aeiouwxy]$`);

const step2: Record<string, string> = {
  ational: 'ate', tional: 'tion', enci: 'ence', anci: 'ance', izer: 'ize', bli: 'ble', alli: 'al', entli: 'ent',
  eli: 'e', ousli: 'ous', ization: 'ize', ation: 'ate', ator: 'ate', alism: 'al', iveness: 'ive', fulness: 'ful',
  ousness: 'ous', aliti: 'al', iviti: 'ive', biliti: 'ble', logi: 'log',
};
const step2Suffix = /^(.+?)(ational|tional|enci|anci|izer|bli|alli|entli|eli|ousli|ization|ation|ator|alism|iveness|fulness|ousness|aliti|iviti|biliti|logi)$/;
const step3: Record<string, string> = { icate: 'ic', ative: '', alize: 'al', iciti: 'ic', ical: 'ic', ful: '', ness: '' };
const step3Suffix = /^(.+?)(icate|ative|alize|iciti|ical|ful|ness)$/;
const step4Suffix = /^(.+?)(al|ance|ence|er|ic|able|ible|ant|ement|ment|ent|ou|ism|ate|iti|ous|ive|ize)$/;
const step4Ion = /^(.+?)(s|t)(ion)$/;

export function porterStem(word: string): string {
  if (word.length < 3) return word;
  let w = word;
  const initialY = w[0] === 'y';
  if (initialY) w = 'Y' + w.slice(1);

  // Step 1a: plurals.
  let m: RegExpExecArray | null;
  if ((m = /^(.+?)(ss|i)es$/.exec(w))) w = m[1]! + m[2]!;
  else if ((m = /^(.+?)([^s])s$/.exec(w))) w = m[1]! + m[2]!;

  // Step 1b: -eed, -ed, -ing.
  if ((m = /^(.+?)eed$/.exec(w))) {
    if (mGreater0.test(m[1]!)) w = w.slice(0, -1);
  } else if ((m = /^(.+?)(ed|ing)$/.exec(w))) {
    const stem = m[1]!;
    if (hasVowel.test(stem)) {
      w = stem;
      if (/(at|bl|iz)$/.test(w)) w += 'e';
      else if (/([^aeiouylsz])\1$/.test(w)) w = w.slice(0, -1);
      else if (cvc.test(w)) w += 'e';
    }
  }

  // Step 1c: y → i after a vowel-bearing stem.
  if ((m = /^(.+?)y$/.exec(w)) && hasVowel.test(m[1]!)) w = m[1]! + 'i';

  // Steps 2 and 3: double and single suffixes.
  if ((m = step2Suffix.exec(w)) && mGreater0.test(m[1]!)) w = m[1]! + step2[m[2]!];
  if ((m = step3Suffix.exec(w)) && mGreater0.test(m[1]!)) w = m[1]! + step3[m[2]!];

  // Step 4: residual suffixes.
  if ((m = step4Suffix.exec(w))) {
    if (mGreater1.test(m[1]!)) w = m[1]!;
  } else if ((m = step4Ion.exec(w))) {
    const stem = m[1]! + m[2]!;
    if (mGreater1.test(stem)) w = stem;
  }

  // Step 5: final -e and -ll.
  if ((m = /^(.+?)e$/.exec(w))) {
    const stem = m[1]!;
    if (mGreater1.test(stem) || (mEquals1.test(stem) && !cvc.test(stem))) w = stem;
  }
  if (/ll$/.test(w) && mGreater1.test(w)) w = w.slice(0, -1);

  return initialY ? 'y' + w.slice(1) : w;
}
