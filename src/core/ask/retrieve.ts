import type { SearchOptions, SearchResult } from 'minisearch';
import { slugify } from '../util/text.js';
import { SECTION_FIELD_BOOST, type AskIndex, type IndexedSection, type IndexedSentence } from './search-index.js';
import { GENERAL_WORD_WEIGHT, queryTerms, type QueryTerm } from './synonyms.js';

/**
 * Retrieval for /ask: MiniSearch ranks the lesson sections for a question; the best of them are
 * re-ranked with their best-matching sentence, and each gets the share of the question it covers.
 */

export interface SentenceHit {
  sentence: IndexedSentence;
  score: number;
}

export interface SectionHit {
  section: IndexedSection;
  /** Rank score: the section's and its best sentence's BM25+ scores, each relative to the best of the question. */
  rank: number;
  /** BM25+ score of the section. */
  sectionScore: number;
  /** BM25+ score of its best sentence (0 when no sentence matches). */
  sentenceScore: number;
  /** Share of the question's terms (weighted by rarity) found in the section or its lesson's title and tags. */
  coverage: number;
  /** Its matching sentences, best first. */
  sentences: SentenceHit[];
}

export interface Retrieval {
  /** The question as asked. */
  question: string;
  /** The question's own content terms (stems). */
  terms: string[];
  /** Its search terms: its own, then the concepts of its synonym phrases. */
  query: QueryTerm[];
  /** The best sections, best first. */
  hits: SectionHit[];
  /** The section the caller asked to prefer, when it exists (it leads `hits`). */
  preferred?: SectionHit;
}

export interface RetrieveOptions {
  /** Put this section first whatever its score (the "Why?" button: the question's cited section). */
  prefer?: { lessonId: string; section: string };
}

/**
 * The rank of a section: `section` is the weight of its own score against its best sentence's, and
 * `coverage` how much a section that covers little of the question is held back. Chosen on the
 * calibration part of the evaluation set (recall@1, MRR).
 */
export const RANK = { section: 0.3, coverage: 0.7 };

/** A lesson's list of sources ranks lower than the sections that teach them, so an answer quotes the lesson before its bibliography. */
const BIBLIOGRAPHY_WEIGHT = 0.5;

/** How many of the best sections (by their own score) are re-ranked with their sentences. */
export const CANDIDATE_SECTIONS = 24;

/**
 * Least weight of a question term in coverage. A word in every lesson ("MoE") tells sections apart
 * no better than chance, but it still says the question is about what the lessons teach.
 */
export const IDF_FLOOR = 1.5;

/**
 * Terms in more than this share of the sections are left out of the section search: they rank
 * nothing (BM25's idf is near zero) yet walking their postings is most of the work once the lessons
 * grow. They still count in coverage and in sentence scores. A question made only of such terms
 * searches with all of them.
 */
export const SEARCH_DF_CUTOFF = 0.5;
const COMMON_TERMS_SEARCHED = 2;

/** BM25+ as MiniSearch computes it (k = 1.2, b = 0.7, d = 0.5), and its prefix-match weight. */
const BM25 = { k: 1.2, b: 0.7, d: 0.5 };
const PREFIX_WEIGHT = 0.375;

function idf(df: number, n: number): number {
  return Math.log(1 + (n - df + 0.5) / (df + 0.5));
}

function bm25(tf: number, df: number, n: number, length: number, average: number): number {
  return idf(df, n) * (BM25.d + (tf * (BM25.k + 1)) / (tf + BM25.k * (1 - BM25.b + (BM25.b * length) / average)));
}

function searchOptions(terms: QueryTerm[]): SearchOptions {
  const byTerm = new Map(terms.map((t) => [t.term, t]));
  return {
    tokenize: (s) => s.split(' '),
    processTerm: (t) => t,
    combineWith: 'OR',
    boost: SECTION_FIELD_BOOST,
    boostTerm: (term) => byTerm.get(term)?.weight ?? 1,
    // Typos are repaired before the search (spelling.ts); prefixes catch shortenings ("params").
    fuzzy: false,
    prefix: (term) => {
      const t = byTerm.get(term);
      return t !== undefined && t.prefix;
    },
    weights: { fuzzy: 0.45, prefix: PREFIX_WEIGHT },
  };
}

/** MiniSearch multiplies a score by the number of query terms matched; coverage does that job here. */
function unscaledScore(r: SearchResult): number {
  return r.score / Math.max(1, r.queryTerms.length);
}

/** A question term with the longer lesson terms it is a prefix of ("param" → "paramet"), weighted as MiniSearch weighs them. */
interface Expanded {
  q: QueryTerm;
  forms: { term: string; weight: number }[];
}

function expand(index: AskIndex, terms: QueryTerm[]): Expanded[] {
  return terms.map((q) => {
    const forms = [{ term: q.term, weight: 1 }];
    if (q.prefix) {
      for (const term of index.vocabulary.atPrefix(q.term).keys()) {
        if (term !== q.term) forms.push({ term, weight: (PREFIX_WEIGHT * term.length) / (term.length + 0.3 * (term.length - q.term.length)) });
      }
    }
    return { q, forms };
  });
}

/** A sentence's BM25+ score for the question, scored the way MiniSearch scores a field. */
function sentenceScore(index: AskIndex, sentence: IndexedSentence, terms: Expanded[]): number {
  const n = index.sentences.length;
  let score = 0;
  for (const { q, forms } of terms) {
    for (const { term, weight } of forms) {
      const count = sentence.termCounts.get(term);
      if (count) score += q.weight * weight * bm25(count, index.sentenceFrequency.get(term) ?? 0, n, sentence.terms.length, index.averageSentenceLength);
    }
  }
  return score;
}

/**
 * The question's terms worth searching sections with (see SEARCH_DF_CUTOFF); when every term is
 * that common, the rarest few, so that the sections to re-rank are still the likeliest ones.
 */
function informative(index: AskIndex, all: QueryTerm[]): QueryTerm[] {
  const df = (t: QueryTerm) => index.sectionFrequency.get(t.term) ?? 0;
  // Words the lessons never use find nothing; a question of such words and common ones searches with the common ones.
  const known = all.filter((t) => df(t) > 0 || (t.prefix && index.vocabulary.atPrefix(t.term).size > 0));
  const useful = known.filter((t) => df(t) <= SEARCH_DF_CUTOFF * index.sections.length);
  return useful.length ? useful : [...known].sort((a, b) => df(a) - df(b)).slice(0, COMMON_TERMS_SEARCHED);
}

export function retrieve(index: AskIndex, question: string, options: RetrieveOptions = {}): Retrieval {
  const { own, all } = queryTerms(question, index.speller, index.synonyms, index.everyday);
  const preferredId = preferredSection(index, options);
  const terms = own.map((t) => t.term);
  if (own.length === 0 && preferredId === undefined) return { question, terms, query: all, hits: [] };

  const searched = own.length ? informative(index, all) : [];
  const results = searched.length ? index.sectionSearch.search(searched.map((t) => t.term).join(' '), searchOptions(searched)) : [];
  const candidates = results
    .map((r) => ({ section: index.sections[r.id as number]!, sectionScore: unscaledScore(r) }))
    .sort((a, b) => b.sectionScore - a.sectionScore || a.section.id - b.section.id)
    .slice(0, CANDIDATE_SECTIONS);
  if (preferredId !== undefined && !candidates.some((c) => c.section.id === preferredId)) {
    candidates.push({ section: index.sections[preferredId]!, sectionScore: 0 });
  }

  const expanded = expand(index, all);
  const n = index.sections.length;
  const weights = own.map((t) => Math.max(IDF_FLOOR, idf(index.sectionFrequency.get(t.term) ?? 0, n)) * (t.general ? GENERAL_WORD_WEIGHT : 1));
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const scored = candidates.map(({ section, sectionScore }) => {
    const sentences = section.sentenceIds
      .map((id) => ({ sentence: index.sentences[id]!, score: sentenceScore(index, index.sentences[id]!, expanded) }))
      .filter((s) => s.score > 0)
      .sort((a, b) => b.score - a.score || a.sentence.index - b.sentence.index);
    // A question term is covered when the section has it, or has a concept that stands for it.
    const has = index.sectionTerms[section.id]!;
    const covered = new Set<number>();
    for (const { q, forms } of expanded) if (forms.some((f) => has.has(f.term))) for (const i of q.covers) covered.add(i);
    const coverage = totalWeight ? [...covered].reduce((sum, i) => sum + weights[i]!, 0) / totalWeight : 0;
    return { section, sectionScore, sentenceScore: sentences[0]?.score ?? 0, coverage, sentences };
  });

  const maxSection = Math.max(0, ...scored.map((h) => h.sectionScore));
  const maxSentence = Math.max(0, ...scored.map((h) => h.sentenceScore));
  const hits: SectionHit[] = scored.map((h) => ({
    ...h,
    rank:
      (RANK.section * (maxSection ? h.sectionScore / maxSection : 0) + (1 - RANK.section) * (maxSentence ? h.sentenceScore / maxSentence : 0)) *
      (1 - RANK.coverage + RANK.coverage * h.coverage),
  }));
  for (const h of hits) if (h.section.bibliography) h.rank *= BIBLIOGRAPHY_WEIGHT;
  hits.sort((a, b) => b.rank - a.rank || a.section.id - b.section.id);

  const preferred = hits.find((h) => h.section.id === preferredId);
  if (!preferred) return { question, terms, query: all, hits };
  return { question, terms, query: all, hits: [preferred, ...hits.filter((h) => h !== preferred)], preferred };
}

function preferredSection(index: AskIndex, options: RetrieveOptions): number | undefined {
  const want = options.prefer;
  if (!want) return undefined;
  // Sources name a section by its title; titles and slugs match the way the content loader matches them.
  const slug = slugify(want.section);
  return index.sections.find((s) => s.lessonId === want.lessonId && s.slug === slug)?.id;
}
