import SearchableMap from 'minisearch/SearchableMap';
import { editDistance } from '../util/text.js';
import type { Token } from './text.js';

/**
 * Typo repair for questions: a word the lessons never use is replaced by the closest word they do
 * use ("paramters" → "parameters", "activaton" → "activation") before stemming decides anything,
 * and a short unknown word one letter away from a function word ("wht") is treated as one.
 */
export class Speller {
  private vocabulary = new SearchableMap<{ stem: string; count: number }>();
  private stems = new Set<string>();

  add(tokens: readonly Token[]): void {
    for (const t of tokens) {
      if (t.stop || !/^\p{L}+$/u.test(t.word)) continue;
      const entry = this.vocabulary.get(t.word);
      if (entry) entry.count++;
      else this.vocabulary.set(t.word, { stem: t.stem, count: 1 });
      this.stems.add(t.stem);
    }
  }

  /** The token as the lessons would spell it; unknown words stay as they are. */
  correct(token: Token): Token {
    if (token.stop || this.stems.has(token.stem) || !/^\p{L}+$/u.test(token.word)) return token;
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
    return token;
  }
}

/** Function words common enough in questions that a misspelling of them is likely ("wht"). */
const QUESTION_WORDS = ['what', 'whats', 'why', 'how', 'when', 'where', 'which', 'who', 'does', 'the', 'and', 'with', 'that', 'this', 'there', 'your'];

function nearStopword(word: string): boolean {
  return QUESTION_WORDS.some((s) => Math.abs(s.length - word.length) <= 1 && editDistance(s, word, 1) <= 1);
}
