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
