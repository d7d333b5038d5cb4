import { normalizeText } from '../util/text.js';

/** Damerau–Levenshtein (optimal string alignment) distance, stopping early past `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
  }
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    let rowMin = Infinity;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = v;
      rowMin = Math.min(rowMin, v);
    }
    if (rowMin > max) return max + 1;
  }
  return rows[a.length]![b.length]!;
}

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
