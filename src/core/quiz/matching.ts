import { numberMatches, parseNumber, type NumericAnswer } from '../content/numeric.js';
import { editDistance } from '../util/text.js';

/**
 * Grading of typed answers. What a learner typed is compared word by word with each accepted
 * answer, after the forgiveness that never changes a meaning: case, accents, punctuation, spacing
 * and articles. Then, only within one word, one typo in a word of five letters or more, and a
 * plural `s`. Never forgiven: a changed digit or number (numbers compare as numbers, `six` is 6),
 * a negation added or dropped (`balanced` against `unbalanced`, `not sparse` against `sparse`),
 * a word added or missing. A question marked `exact` forgives no typo at all.
 */

/** Prefixes that negate a word: "unbalanced" is not "balanced". */
export const NEGATION_PREFIXES = ['non', 'un', 'in', 'im', 'il', 'ir', 'dis', 'de', 'a'];
/** Prefixes that make another word of the same stem: "renormalise" is not "denormalise". */
const MEANING_PREFIXES = [...NEGATION_PREFIXES, 're', 'pre', 'post', 'over', 'under', 'sub', 'super', 'inter', 'intra', 'anti', 'co'];
const ARTICLES = new Set(['the', 'a', 'an']);
const NUMBER_WORDS: Record<string, number> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18,
  nineteen: 19, twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90,
  hundred: 100, thousand: 1000, million: 1_000_000, billion: 1_000_000_000,
};
/** The shortest word in which one typo is forgiven: shorter words change meaning with one letter. */
const TYPO_MIN_LENGTH = 5;

export interface MatchOptions {
  /** The question asks for the exact answer: no typo or plural is forgiven. */
  exact?: boolean;
}

/**
 * Words of an answer: lower case, accents and punctuation gone, numbers kept whole (`2.5`, `1,000`)
 * and written as their value, articles dropped unless the answer is only an article.
 */
export function answerWords(s: string): string[] {
  const words = s
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/(\p{L})['’](\p{L})/gu, '$1$2')
    .match(/[\p{L}\p{N}]+(?:[.,]\p{N}+)*/gu) ?? [];
  const kept = words.filter((w) => !ARTICLES.has(w));
  return (kept.length ? kept : words).map(numberForm);
}

/** A word that is a number, as its value (`6`, `six` and `6.0` are all `6`); other words as they are. */
function numberForm(word: string): string {
  const named = NUMBER_WORDS[word];
  if (named !== undefined) return String(named);
  if (!/^\p{N}/u.test(word)) return word;
  const n = parseNumber(word);
  return n === undefined ? word : String(n);
}

const hasDigit = (w: string) => /\p{N}/u.test(w);

/**
 * Whether two words are one stem with different prefixes, or with a prefix and without:
 * `unbalanced` and `balanced`, `renormalised` and `denormalised`. Two negations of one stem
 * (`inbalanced` typed for `imbalanced`) mean the same, so a typo there is still forgiven.
 */
function prefixChanged(a: string, b: string): boolean {
  const split = (w: string): [string, string][] => [['', w], ...MEANING_PREFIXES.filter((p) => w.startsWith(p) && w.length - p.length >= 3).map((p): [string, string] => [p, w.slice(p.length)])];
  const negation = (p: string) => NEGATION_PREFIXES.includes(p);
  return split(a).some(([pa, stem]) => split(b).some(([pb, other]) => stem === other && pa !== pb && !(negation(pa) && negation(pb))));
}

/** Whether a typed word counts as the expected word. */
function wordMatches(typed: string, expected: string, exact: boolean): boolean {
  if (typed === expected) return true;
  if (exact) return false;
  // A number or a model name with digits (`8x7b`) is right only as written.
  if (hasDigit(typed) || hasDigit(expected)) return false;
  if (prefixChanged(typed, expected)) return false;
  if (typed === expected + 's' || expected === typed + 's') return true;
  return expected.length >= TYPO_MIN_LENGTH && editDistance(typed, expected, 1) <= 1;
}

function answerMatches(typed: string[], expected: string[], exact: boolean): boolean {
  if (typed.length === expected.length && typed.every((w, i) => wordMatches(w, expected[i]!, exact))) return true;
  // One word or two: `load balancing` and `loadbalancing`, never with a typo on top.
  return typed.length !== expected.length && typed.join('') === expected.join('');
}

/** Whether a typed answer matches one of the accepted answers (see the rules above). */
export function matchesShortAnswer(typed: string, accepted: readonly string[], options: MatchOptions = {}): boolean {
  const given = answerWords(typed);
  if (!given.length) return false;
  return accepted.some((a) => answerMatches(given, answerWords(a), options.exact === true));
}

/**
 * A typed number against the right answers of a numeric question: undefined when the text is not
 * one number (`3 experts`, `three`), so the quiz can ask again instead of counting a miss.
 */
export function matchesNumericAnswer(typed: string, answers: readonly NumericAnswer[]): boolean | undefined {
  const n = parseNumber(typed);
  return n === undefined ? undefined : numberMatches(n, answers);
}
