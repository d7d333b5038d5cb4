import { numberMatches, parseNumber, type NumericAnswer } from '../content/numeric.js';
import { editDistance, normalizeText } from '../util/text.js';

/** Typos forgiven: none for short words, one from 5 characters, two from 10. */
function tolerance(length: number): number {
  return length >= 10 ? 2 : length >= 5 ? 1 : 0;
}

/**
 * Whether a typed answer matches one of the accepted answers: case, accents and punctuation are
 * ignored, a leading article is optional, and small typos are forgiven.
 */
export function matchesShortAnswer(typed: string, accepted: readonly string[]): boolean {
  const strip = (s: string) => normalizeText(s).replace(/^(the|a|an) /, '');
  const given = strip(typed);
  if (!given) return false;
  return accepted.some((a) => {
    const target = strip(a);
    return given === target || editDistance(given, target, tolerance(target.length)) <= tolerance(target.length);
  });
}

/**
 * A typed number against the right answers of a numeric question: undefined when the text is not
 * one number (`3 experts`, `three`), so the quiz can ask again instead of counting a miss.
 */
export function matchesNumericAnswer(typed: string, answers: readonly NumericAnswer[]): boolean | undefined {
  const n = parseNumber(typed);
  return n === undefined ? undefined : numberMatches(n, answers);
}
