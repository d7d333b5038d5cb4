import type { AskIndex, IndexedSection, IndexedSentence } from './search-index.js';
import type { Retrieval, SectionHit } from './retrieve.js';

/**
 * The extractive answer: the best few sentences of the best sections, quoted in lesson order with a
 * numbered citation each; or, when the lessons do not cover the question, an abstention that names
 * the closest lessons.
 */

export interface Citation {
  lessonId: string;
  lessonTitle: string;
  /** The section's title. */
  section: string;
  /** Position of the section in its lesson (for the "Read the lesson" button). */
  sectionIndex: number;
  /** The words the answer takes from the section. */
  quote: string;
}

export interface AnswerPart {
  text: string;
  /** 1-based number into `citations`. */
  citation: number;
}

export interface Suggestion {
  lessonId: string;
  lessonTitle: string;
  /** The lesson's section closest to the question. */
  sectionIndex: number;
  section: string;
}

export interface AskAnswer {
  abstained: boolean;
  /** Plain text with [n] citation marks. */
  answer: string;
  /** Sentences with their citation numbers (extractive answers), or the generated text as one part. */
  parts: AnswerPart[];
  citations: Citation[];
  /** For abstentions: the lessons closest to the question. */
  suggestions: Suggestion[];
  source: 'extractive' | 'generated' | 'none';
}

/**
 * When to abstain: the best section must cover at least `minCoverage` of the question (terms
 * weighted by rarity, see retrieve.ts) and its best sentence must score at least `minScore` (BM25+).
 * Chosen by calibrateAbstention() in tests/helpers/ask-eval.ts on the calibration part of the
 * evaluation set (tests/fixtures/ask-eval.json), which maximises abstention recall minus the
 * in-scope false-abstention rate; tests/ask-eval.test.ts checks that these values are still optimal
 * and prints the sweep. Recalibrate there after changing the lessons or the retrieval.
 */
export const ABSTAIN = { minCoverage: 0.5, minScore: 0 } as const;

/** Switches for the answer's checks (each can be turned off to measure what it buys). */
export interface AnswerOptions {}

export type AbstainThresholds = { minCoverage: number; minScore: number };

export function shouldAbstain(r: Retrieval, t: AbstainThresholds = ABSTAIN): boolean {
  if (r.preferred) return false;
  const top = r.hits[0];
  return !top || top.coverage < t.minCoverage || top.sentenceScore < t.minScore;
}

/** Most sentences in one answer, and how close to the best one the others must score. */
const MAX_SENTENCES = 3;
const SENTENCE_SCORE_SHARE = 0.5;
/** A second section contributes only when it ranks close to the best one. */
const SECOND_SECTION_RANK_SHARE = 0.75;
/** A section found only by its title: quote its opening sentences. */
const OPENING_SENTENCES = 2;

export const NOT_COVERED = "The lessons don't cover that.";

export function abstention(r: Retrieval): AskAnswer {
  const suggestions: Suggestion[] = [];
  for (const h of r.hits) {
    if (suggestions.length >= 3) break;
    if (suggestions.some((s) => s.lessonId === h.section.lessonId)) continue;
    suggestions.push({ lessonId: h.section.lessonId, lessonTitle: h.section.lessonTitle, sectionIndex: h.section.sectionIndex, section: h.section.title });
  }
  const answer = suggestions.length
    ? `${NOT_COVERED} Closest lessons: ${suggestions.map((s) => s.lessonTitle).join('; ')}.`
    : `${NOT_COVERED} See /lessons for what they cover.`;
  return { abstained: true, answer, parts: [], citations: [], suggestions, source: 'none' };
}

function chooseSentences(index: AskIndex, r: Retrieval): IndexedSentence[] {
  const top = r.hits[0]!;
  const sections: SectionHit[] = [top];
  const second = r.hits[1];
  if (!r.preferred && second && second.rank >= SECOND_SECTION_RANK_SHARE * top.rank && second.sentences.length) sections.push(second);

  const candidates = sections.flatMap((h) => h.sentences).sort((a, b) => b.score - a.score);
  const chosen: IndexedSentence[] = [];
  const seen = new Set<string>();
  const add = (s: IndexedSentence) => {
    const key = s.text.toLowerCase();
    if (seen.has(key) || chosen.length >= MAX_SENTENCES) return;
    seen.add(key);
    chosen.push(s);
  };
  if (top.sentences.length === 0) {
    // Found by its title (or preferred) without a matching sentence: its opening says what it is about.
    for (const id of top.section.sentenceIds.slice(0, OPENING_SENTENCES)) add(index.sentences[id]!);
  } else {
    add(top.sentences[0]!.sentence);
  }
  const best = candidates[0]?.score ?? 0;
  for (const c of candidates) if (c.score >= SENTENCE_SCORE_SHARE * best) add(c.sentence);
  return chosen;
}

/** Citations numbered in lesson order, one per section, quoting what the answer takes from it. */
export function citeInLessonOrder(index: AskIndex, chosen: IndexedSentence[]): { parts: AnswerPart[]; citations: Citation[] } {
  const order = (s: IndexedSentence) => {
    const sec = index.sections[s.sectionId]!;
    return [sec.lessonIndex, sec.sectionIndex, s.index] as const;
  };
  const sorted = [...chosen].sort((a, b) => {
    const [x, y] = [order(a), order(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
  const citations: Citation[] = [];
  const numberOf = new Map<number, number>();
  const quotes = new Map<number, IndexedSentence[]>();
  const parts: AnswerPart[] = sorted.map((s) => {
    let n = numberOf.get(s.sectionId);
    if (n === undefined) {
      const section: IndexedSection = index.sections[s.sectionId]!;
      citations.push({ lessonId: section.lessonId, lessonTitle: section.lessonTitle, section: section.title, sectionIndex: section.sectionIndex, quote: '' });
      n = citations.length;
      numberOf.set(s.sectionId, n);
    }
    quotes.set(s.sectionId, [...(quotes.get(s.sectionId) ?? []), s]);
    return { text: s.text, citation: n };
  });
  for (const [sectionId, list] of quotes) {
    // Sentences that are not next to each other in the lesson are joined with an ellipsis.
    citations[numberOf.get(sectionId)! - 1]!.quote = list
      .map((s, i) => (i > 0 && s.index !== list[i - 1]!.index + 1 ? '… ' : '') + s.text)
      .join(' ');
  }
  return { parts, citations };
}

export function answerText(parts: AnswerPart[]): string {
  return parts.map((p) => `${p.text} [${p.citation}]`).join(' ');
}

/** The extractive answer to a retrieval (or the abstention, when it falls below the thresholds). */
export function extractiveAnswer(index: AskIndex, r: Retrieval, thresholds: AbstainThresholds = ABSTAIN, _options: AnswerOptions = {}): AskAnswer {
  if (shouldAbstain(r, thresholds)) return abstention(r);
  const chosen = chooseSentences(index, r);
  // A section with nothing quotable (a body of only rules or symbols) is no answer.
  if (chosen.length === 0) return abstention(r);
  const { parts, citations } = citeInLessonOrder(index, chosen);
  return { abstained: false, answer: answerText(parts), parts, citations, suggestions: [], source: 'extractive' };
}
