import { carriesName, carriesNumber, classify, entityPattern, hasEntities, namesIn, PLACE_WORDS, RANKING_WORDS, termMatches, type QuestionShape } from './question.js';
import type { Retrieval, SectionHit, SentenceHit } from './retrieve.js';
import type { QueryTerm } from './synonyms.js';
import type { AskIndex, IndexedSection, IndexedSentence } from './search-index.js';
import { stem } from './text.js';

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
  /** For abstentions: why, in one sentence ("The lessons don't cover that."). */
  notice?: string;
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
export const ABSTAIN = { minCoverage: 0.45, minScore: 0 } as const;

/** Switches for the answer's checks (each can be turned off to measure what it buys); all default on. */
export interface AnswerOptions {
  /** The answer must be of the kind asked: a figure, a name, a definition (else abstain). */
  questionTypes?: boolean;
  /** A list question is answered with the list. */
  lists?: boolean;
  /** "AI can …" sentences are framed as what the lessons say AI can do, and rank lower for questions not about AI. */
  framing?: boolean;
}

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
/** Why an answer of the wrong kind is withheld. */
export const NO_FIGURE = "The lessons don't give that figure.";
export const NO_NAME = "The lessons don't name that.";
export const NOT_EXPLAINED = "The lessons don't explain that.";

export function abstention(r: Retrieval, notice: string = NOT_COVERED): AskAnswer {
  const suggestions: Suggestion[] = [];
  for (const h of r.hits) {
    if (suggestions.length >= 3) break;
    if (suggestions.some((s) => s.lessonId === h.section.lessonId)) continue;
    suggestions.push({ lessonId: h.section.lessonId, lessonTitle: h.section.lessonTitle, sectionIndex: h.section.sectionIndex, section: h.section.title });
  }
  const answer = suggestions.length
    ? `${notice} Closest lessons: ${suggestions.map((s) => `${s.lessonTitle} (${s.section})`).join('; ')}.`
    : `${notice} See /lessons for what they cover.`;
  return { abstained: true, notice, answer, parts: [], citations: [], suggestions, source: 'none' };
}

/** Sections whose sentences may answer a question for a figure, a name or a definition. */
const KIND_SECTIONS = 5;
/** Share of the question's subject words (weighted as in coverage) a figure's sentence must hold itself. */
const FACT_SENTENCE_COVERAGE = 0.6;
/** The same for a yes/no question about a named model. */
const YES_NO_SENTENCE_COVERAGE = 0.5;
/** Most list items quoted for a list question. */
const MAX_LIST_ITEMS = 6;
/** Weight of an "AI can …" sentence for a question that is not about AI tools. */
const AI_SENTENCE_WEIGHT = 0.5;

/** A sentence that tells the reader what to do: it addresses them, or starts with a verb of instruction. */
const INSTRUCTION = /\byou (should|can|need|must|will)\b|^(use|ask|give|check|compare|treat|verify|run|test|measure|try|start|keep|plan|pick|choose|avoid|set|read|write|add|send|route|first)\b/i;

const AI_SENTENCE = /^AI (can|cannot|can't|does not|doesn't)\s+(.+)$/;

type Choice = IndexedSentence[] | { notice: string };

function weighted(hits: SentenceHit[], shape: QuestionShape | undefined, framing: boolean): SentenceHit[] {
  if (!framing || !shape || shape.aboutAi) return hits;
  return hits
    .map((h) => (AI_SENTENCE.test(h.sentence.text) ? { ...h, score: h.score * AI_SENTENCE_WEIGHT } : h))
    .sort((a, b) => b.score - a.score || a.sentence.index - b.sentence.index);
}

/**
 * Share of the question's own subject words that a single sentence holds, itself or by a synonym;
 * not counting everyday words, words that only place the question ("MoE") or the names it asks
 * about (checked on their own).
 */
function sentenceCoverage(r: Retrieval, s: IndexedSentence, shape: QuestionShape): number {
  const own = r.query.filter((q) => q.loose);
  const named = new Set(shape.entities.flat().map((w) => stem(w)));
  const placing = new Set([...PLACE_WORDS].map((w) => stem(w)));
  const measured = new Set([...shape.measures, ...shape.figureTerms]);
  const subject = own.filter((q) => !q.general && !named.has(q.term) && !placing.has(q.term) && !measured.has(q.term));
  if (!subject.length) return 1;
  const covered = new Set<number>();
  // A word also meets the longer words it starts, as in the search ("params" → "parameters").
  const has = (q: QueryTerm) => s.termCounts.has(q.term) || (q.prefix && s.terms.some((t) => t.startsWith(q.term)));
  for (const q of r.query) if (has(q)) for (const i of q.covers) covered.add(i);
  return subject.filter((q) => covered.has(own.indexOf(q))).length / subject.length;
}

/** Sentences of the best sections that may answer a question of a given kind, best section first. */
function candidatesOf(r: Retrieval, n = KIND_SECTIONS): SentenceHit[] {
  return r.hits.slice(0, n).flatMap((h) => h.sentences);
}

/** Collects the sentences of an answer, each once, up to a number. */
class Picked {
  readonly list: IndexedSentence[] = [];
  private seen = new Set<string>();

  add(s: IndexedSentence, max = MAX_SENTENCES): void {
    const key = s.text.toLowerCase();
    if (this.seen.has(key) || this.list.length >= max) return;
    this.seen.add(key);
    this.list.push(s);
  }
}

function chooseSentences(index: AskIndex, r: Retrieval, options: AnswerOptions): Choice {
  const framing = options.framing !== false;
  const shape = classify(r.question, index.speller, index.names);
  const typed = options.questionTypes !== false && !r.preferred;
  if (typed) {
    // A model the lessons never mention ("Switch Transformer v2", "GPT-5") is not answered about another.
    if (shape.entities.some((e) => !mentioned(index, r, e))) return { notice: NOT_COVERED };
    if (shape.kind === 'number' || shape.kind === 'name' || shape.kind === 'attribute') return factAnswer(index, r, shape, framing);
    // "Does DBRX use shared experts?": a sentence about DBRX that says something about shared experts, or no answer.
    if (shape.kind === 'yesno' && shape.entities.some((e) => e.some((w) => index.titleNames.has(w)))) {
      const fact = factAnswer(index, r, shape, framing);
      // "Is OLMoE better than Mixtral?": only a sentence that ranks them answers it.
      if (Array.isArray(fact) && (shape.superlative || shape.comparative) && !fact.some((s) => RANKING_WORDS.test(s.text))) return { notice: NOT_COVERED };
      return fact;
    }
    if (shape.kind === 'definition' || shape.kind === 'term') {
      const answer = definitionAnswer(index, r, shape, framing) ?? titledSectionAnswer(index, r, shape, framing);
      if (answer) return answer;
      // A bare term with no sentence that defines it is answered as any question.
      if (shape.kind === 'definition') return { notice: NOT_EXPLAINED };
    }
  }
  if (options.lists !== false && shape.kind === 'list' && !r.preferred) {
    const list = listAnswer(index, r, shape);
    if (list) return list;
  }
  const general = generalAnswer(index, r, shape, framing);
  if (typed) {
    // "What is the best MoE model for coding?": the lessons rank nothing unless a sentence says so.
    if (shape.superlative && !general.some((s) => RANKING_WORDS.test(s.text))) return { notice: NOT_COVERED };
    // "How do I deploy Mixtral on SageMaker?": only steps or advice to the reader answer it.
    if (shape.kind === 'procedure' && !general.some((s) => INSTRUCTION.test(s.text))) return { notice: NOT_COVERED };
  }
  return general;
}

/**
 * Whether the lessons mention a named thing at all ("Switch Transformer v2", "GPT-5" are not there):
 * in the text or the title of a retrieved section, the only places its words would be found.
 */
function mentioned(index: AskIndex, r: Retrieval, entity: string[]): boolean {
  const pattern = entityPattern(entity);
  return r.hits.some((h) => pattern.test(h.section.titleEntityText) || h.section.sentenceIds.some((id) => pattern.test(index.sentences[id]!.entityText)));
}

/** A figure, a name or a fact about a named model: a sentence about the thing asked that carries it, or no answer. */
function factAnswer(index: AskIndex, r: Retrieval, shape: QuestionShape, framing: boolean): Choice {
  // A yes/no question may name a model and a version of it ("GPT-OSS … its 20B version") and the
  // alternative the answer turns down ("sigmoid" when the answer is softmax): a sentence about one
  // of its models that holds half of what it asks will do.
  const yesNo = shape.kind === 'yesno';
  // A lesson's list of sources repeats its figures; the lesson, not a citation, answers.
  const fits = candidatesOf(r).filter(
    (c) =>
      !index.sections[c.sentence.sectionId]!.bibliography &&
      (yesNo ? shape.entities.some((e) => hasEntities(c.sentence.entityText, [e])) : hasEntities(c.sentence.entityText, shape.entities)) &&
      (shape.kind === 'number' ? carriesNumber(c.sentence.text, shape) : shape.kind === 'name' ? carriesName(c.sentence.text, shape, index.names) : true) &&
      sentenceCoverage(r, c.sentence, shape) >= (yesNo ? YES_NO_SENTENCE_COVERAGE : FACT_SENTENCE_COVERAGE),
  );
  if (!fits.length) return { notice: shape.kind === 'number' ? NO_FIGURE : shape.kind === 'name' ? NO_NAME : NOT_COVERED };
  // The best-ranked section first, then the best sentence.
  const hitRank = new Map(r.hits.map((h, i) => [h.section.id, i]));
  const best = weighted(fits, shape, framing).sort((a, b) => hitRank.get(a.sentence.sectionId)! - hitRank.get(b.sentence.sectionId)! || b.score - a.score);
  const picked = new Picked();
  picked.add(best[0]!.sentence);
  for (const c of best) if (c.sentence.sectionId === best[0]!.sentence.sectionId && c.score >= SENTENCE_SCORE_SHARE * best[0]!.score) picked.add(c.sentence, 2);
  return picked.list;
}

/**
 * A definition: led by a sentence that defines the asked term ("X is …" before "X uses …", then the
 * better-ranked section, then lesson order), found through the terms each sentence defines;
 * undefined when no sentence defines it.
 */
function definitionAnswer(index: AskIndex, r: Retrieval, shape: QuestionShape, framing: boolean): IndexedSentence[] | undefined {
  const conceptOf = (st: string) => index.synonyms.findConcepts([{ word: st, stem: st, stop: false }]).map((c) => c.concept);
  // Sentences that define a term with the subject's rarest word (or a synonym of it) in it.
  const lists = shape.subject.map((st) => [...new Set([...(index.definitionsByStem.get(st) ?? []), ...conceptOf(st).flatMap((c) => index.definitionsByStem.get(c) ?? [])])]);
  const candidates = lists.sort((a, b) => a.length - b.length)[0] ?? [];
  const hitRank = new Map(r.hits.map((h, i) => [h.section.id, i]));
  let lead: { sentence: IndexedSentence; key: [number, number, number] } | undefined;
  for (const id of candidates) {
    const sentence = index.sentences[id]!;
    const strength = Math.max(0, ...sentence.defines.filter((d) => termMatches(d, shape.subject, conceptOf)).map((d) => d.strength));
    if (strength === 0) continue;
    const key: [number, number, number] = [-strength, hitRank.get(sentence.sectionId) ?? Infinity, id];
    if (!lead || key[0] < lead.key[0] || (key[0] === lead.key[0] && (key[1] < lead.key[1] || (key[1] === lead.key[1] && key[2] < lead.key[2])))) lead = { sentence, key };
  }
  if (!lead) return undefined;
  const picked = new Picked();
  picked.add(lead.sentence);
  const section = r.hits.find((h) => h.section.id === lead!.sentence.sectionId);
  const others = section ? weighted(section.sentences, shape, framing) : [];
  for (const c of others) if (c.score >= SENTENCE_SCORE_SHARE * (others[0]?.score ?? 0)) picked.add(c.sentence, 2);
  return picked.list;
}

/**
 * A section titled by the asked term ("Capacity factor and token dropping" for "what is the
 * capacity factor") explains it even when no sentence reads "X is …": its best sentences answer.
 * Words in most sections ("expert") need not be in the title, unless all of them are.
 */
function titledSectionAnswer(index: AskIndex, r: Retrieval, shape: QuestionShape, framing: boolean): IndexedSentence[] | undefined {
  const n = index.sections.length;
  const frequency = (st: string) => index.sectionFrequency.get(st) ?? 0;
  const rare = shape.subject.filter((st) => frequency(st) * 2 <= n);
  // When every word is common ("top-k routing"), the rarest must be in the title.
  const rarest = [...shape.subject].sort((a, b) => frequency(a) - frequency(b))[0];
  const telling = rare.length ? rare : rarest ? [rarest] : [];
  if (!telling.length) return undefined;
  const titled = r.hits.slice(0, KIND_SECTIONS).find((h) => h.sentences.length && telling.every((st) => index.sectionTitleTerms[h.section.id]!.has(st)));
  if (!titled) return undefined;
  const ranked = weighted(titled.sentences, shape, framing);
  const picked = new Picked();
  for (const c of ranked) if (c.score >= SENTENCE_SCORE_SHARE * ranked[0]!.score) picked.add(c.sentence, 2);
  return picked.list;
}

/**
 * A list question: a list whose title is what the question asks for ("limitations" → "What MoE
 * models cannot do") is quoted in full; otherwise the matching items of the best section's list.
 */
function listAnswer(index: AskIndex, r: Retrieval, shape: QuestionShape): IndexedSentence[] | undefined {
  const lists = r.hits.slice(0, KIND_SECTIONS).filter((h) => h.sentences.some((s) => s.sentence.listItem));
  const query = new Set(r.query.map((q) => q.term));
  // The list whose title shares the most with the question ("MoE downsides" → "What MoE models cannot do", not "What AI cannot do").
  const placing = new Set([...PLACE_WORDS].flatMap((w) => [stem(w), ...index.synonyms.findConcepts([{ word: w, stem: stem(w), stop: false }]).map((c) => c.concept)]));
  const titleMatches = (h: SectionHit) => [...index.sectionTitleTerms[h.section.id]!].filter((t) => query.has(t) && !placing.has(t)).length;
  // A list of what AI tools can do answers a question about AI tools; for any other, a list about the models comes first.
  const mostlyAiItems = (h: SectionHit) => h.section.sentenceIds.filter((id) => index.sentences[id]!.listItem && AI_SENTENCE.test(index.sentences[id]!.text)).length * 2 > h.section.sentenceIds.length;
  const later = new Map(lists.map((h) => [h, !shape.aboutAi && mostlyAiItems(h) ? 1 : 0]));
  const titled = lists.filter((h) => titleMatches(h) > 0).sort((a, b) => titleMatches(b) - titleMatches(a) || later.get(a)! - later.get(b)!)[0];
  const picked = new Picked();
  if (titled) {
    for (const s of titled.section.sentenceIds.map((id) => index.sentences[id]!)) if (s.listItem) picked.add(s, MAX_LIST_ITEMS);
    return picked.list;
  }
  if (lists[0] && lists[0] === r.hits[0]) {
    // The items that match the question ("which kinds of topics" → the rare-topics item), best first.
    const items = lists[0].sentences.filter((s) => s.sentence.listItem);
    for (const s of items) if (s.score >= SENTENCE_SCORE_SHARE * items[0]!.score) picked.add(s.sentence, MAX_LIST_ITEMS);
    return picked.list;
  }
  return undefined;
}

/** Any other question: the best sentence of the best section, and those close to it of that section and a close second one. */
function generalAnswer(index: AskIndex, r: Retrieval, shape: QuestionShape, framing: boolean): IndexedSentence[] {
  const top = r.hits[0]!;
  const sections: SectionHit[] = [top];
  const second = r.hits[1];
  if (!r.preferred && second && second.rank >= SECOND_SECTION_RANK_SHARE * top.rank && second.sentences.length) sections.push(second);
  const candidates = weighted(
    sections.flatMap((h) => h.sentences).sort((a, b) => b.score - a.score),
    shape,
    framing,
  );
  const picked = new Picked();
  // A question about a named model ("does Llama 4 use sigmoid scores?") is not answered with a
  // sentence about other models only ("DeepSeek-V3 computes a sigmoid …").
  const own = new Set(shape.words);
  const aboutOthers = (s: IndexedSentence) =>
    shape.entities.length > 0 && !r.preferred && !hasEntities(s.entityText, shape.entities) && [...namesIn(s.text)].some((n) => index.titleNames.has(n) && !own.has(n));
  const topSentences = top.sentences.filter((s) => !aboutOthers(s.sentence));
  if (top.sentences.length === 0) {
    // Found by its title (or preferred) without a matching sentence: its opening says what it is about.
    for (const id of top.section.sentenceIds.slice(0, OPENING_SENTENCES)) picked.add(index.sentences[id]!);
  } else if (topSentences.length) {
    picked.add(weighted(topSentences, shape, framing)[0]!.sentence);
  } else {
    return [];
  }
  const best = candidates[0]?.score ?? 0;
  // A question about a named thing ("does GPT-4 use MoE?") is not answered with sentences about another.
  const aboutNamed = shape.entities.length > 0 && hasEntities(picked.list[0]?.entityText ?? '', shape.entities);
  for (const c of candidates) {
    if (c.score >= SENTENCE_SCORE_SHARE * best && !aboutOthers(c.sentence) && (!aboutNamed || hasEntities(c.sentence.entityText, shape.entities))) picked.add(c.sentence);
  }
  return picked.list;
}

/** An "AI can …" sentence reads as what the lessons say AI can do, not as an answer about the model. */
export function framed(text: string): string {
  const m = AI_SENTENCE.exec(text);
  if (!m) return text;
  const can = m[1] === 'can';
  return `In the lessons, something AI ${can ? 'can' : 'cannot'} do: ${m[2]}`;
}

/** Citations numbered in lesson order, one per section, quoting what the answer takes from it. */
export function citeInLessonOrder(index: AskIndex, chosen: IndexedSentence[], frame = false): { parts: AnswerPart[]; citations: Citation[] } {
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
    return { text: frame ? framed(s.text) : s.text, citation: n };
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
export function extractiveAnswer(index: AskIndex, r: Retrieval, thresholds: AbstainThresholds = ABSTAIN, options: AnswerOptions = {}): AskAnswer {
  if (shouldAbstain(r, thresholds)) return abstention(r);
  const chosen = chooseSentences(index, r, options);
  if (!Array.isArray(chosen)) return abstention(r, chosen.notice);
  // A section with nothing quotable (a body of only rules or symbols) is no answer.
  if (chosen.length === 0) return abstention(r);
  const { parts, citations } = citeInLessonOrder(index, chosen, options.framing !== false);
  return { abstained: false, answer: answerText(parts), parts, citations, suggestions: [], source: 'extractive' };
}
