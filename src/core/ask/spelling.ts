import { doubleMetaphone } from 'double-metaphone';
import SearchableMap from 'minisearch/SearchableMap';
import { editDistance } from '../util/text.js';
import { isEverydayWord } from './everyday.js';
import type { Token } from './text.js';

/**
 * Typo repair for questions: a word the lessons never use is replaced by the closest word they do
 * use ("paramters" → "parameters", "activaton" → "activation") before stemming decides anything,
 * and a short unknown word one letter away from a function word ("wht") is treated as one.
 * Phonetic misspellings, written as the word sounds ("activashun", "ekspert", "lode balansing"),
 * are repaired by their Double Metaphone code: a lesson word that sounds the same wins.
 */
export class Speller {
  private vocabulary = new SearchableMap<{ stem: string; count: number }>();
  private stems = new SearchableMap<true>();
  /** Lesson words by their Double Metaphone codes. */
  private bySound = new Map<string, string[]>();

  constructor(private readonly options: { phonetic?: boolean } = {}) {}

  add(tokens: readonly Token[]): void {
    for (const t of tokens) {
      if (t.stop || !/^\p{L}+$/u.test(t.word)) continue;
      const entry = this.vocabulary.get(t.word);
      if (entry) {
        entry.count++;
        continue;
      }
      this.vocabulary.set(t.word, { stem: t.stem, count: 1 });
      this.stems.set(t.stem, true);
      if (t.word.length >= 4) for (const code of new Set(doubleMetaphone(t.word))) this.bySound.set(code, [...(this.bySound.get(code) ?? []), t.word]);
    }
  }

  /** Whether the lessons use a word with this stem. */
  knows(stem: string): boolean {
    return this.stems.has(stem);
  }

  /** Whether a lesson word starts with this stem ("param" → "parameters"). */
  startsKnown(stem: string): boolean {
    return this.stems.atPrefix(stem).size > 0;
  }

  /** The token as the lessons would spell it; unknown words stay as they are. */
  correct(token: Token): Token {
    if (token.stop || this.stems.has(token.stem) || !/^\p{L}+$/u.test(token.word)) return token;
    // An everyday English word is what the learner meant, not a slip for a lesson word ("fully" is not "full", "date" not "data").
    if (isEverydayWord(token.word)) return token;
    const n = token.word.length;
    if (n >= 5) {
      let best: { word: string; stem: string; distance: number; count: number } | undefined;
      for (const [word, [entry, distance]] of this.vocabulary.fuzzyGet(token.word, n >= 8 ? 2 : 1)) {
        if (!best || distance < best.distance || (distance === best.distance && entry.count > best.count)) {
          best = { word, stem: entry.stem, distance, count: entry.count };
        }
      }
      if (best) return { word: best.word, stem: best.stem, stop: false };
    }
    if (n <= 4 && nearStopword(token.word)) return { ...token, stop: true };
    // Three letters sound like too many words ("bot", "both").
    if (this.options.phonetic !== false && n >= 4) {
      const sounds = this.soundsLike(token.word);
      if (sounds) return { word: sounds, stem: this.vocabulary.get(sounds)!.stem, stop: false };
    }
    return token;
  }

  /**
   * The lesson word that sounds like `word`: the same Double Metaphone code, the same first letter
   * for short words, and spelt within a third of its length; the nearest spelling, then the most used.
   */
  private soundsLike(word: string): string | undefined {
    const maxDistance = Math.max(1, Math.floor(word.length / 3));
    const own = new Set(doubleMetaphone(word));
    // Longer words may also sound one consonant apart ("mixchur", "mixture").
    const codes = word.length >= 6 ? [...this.bySound.keys()].filter((c) => [...own].some((o) => editDistance(o, c, 1) <= 1)) : [...own];
    let best: { word: string; distance: number; count: number } | undefined;
    for (const code of codes) {
      for (const candidate of this.bySound.get(code) ?? []) {
        if (candidate[0] !== word[0]) continue;
        const distance = editDistance(word, candidate, maxDistance);
        if (distance > maxDistance) continue;
        const count = this.vocabulary.get(candidate)!.count;
        if (!best || distance < best.distance || (distance === best.distance && count > best.count)) best = { word: candidate, distance, count };
      }
    }
    return best?.word;
  }
}

/** Function words common enough in questions that a misspelling of them is likely ("wht"). */
const QUESTION_WORDS = ['what', 'whats', 'why', 'how', 'when', 'where', 'which', 'who', 'does', 'the', 'and', 'with', 'that', 'this', 'there', 'your'];

function nearStopword(word: string): boolean {
  return QUESTION_WORDS.some((s) => Math.abs(s.length - word.length) <= 1 && editDistance(s, word, 1) <= 1);
}
