import type { Speller } from './spelling.js';
import { isGeneralWord, tokens, type Token } from './text.js';

/**
 * Phrases that mean the same thing in this domain. Each group is one concept: a lesson text that
 * uses any of its phrases is indexed with the concept too, and a question that uses one searches
 * for the concept (at a lower weight than its own words), so "gating network" finds the lessons'
 * "router". Phrases match on word stems, so plurals and verb forms match too; keep single words
 * unambiguous and use a phrase where a word alone would be too broad ("answer differently", not
 * "different").
 */
export const SYNONYM_GROUPS: readonly (readonly string[])[] = [
  ['moe', 'mixture of experts', 'mixture-of-experts', 'sparse moe', 'sparse mixture of experts'],
  ['router', 'gating', 'gate', 'gating network', 'gating function', 'routing network', 'routing function'],
  ['routing', 'expert routing', 'token routing', 'dispatch', 'expert selection', 'expert choice'],
  ['active parameters', 'activated parameters', 'sparse activation', 'active compute', 'parameters per token'],
  ['total parameters', 'parameter count', 'model size', 'full footprint', 'apparent parameter count'],
  ['load balancing', 'load-balancing loss', 'auxiliary loss', 'aux loss', 'expert utilization', 'expert load'],
  ['latency', 'speed', 'slow', 'fast', 'response time', 'throughput'],
  ['cost', 'price', 'cheap', 'expensive', 'bill', 'economics', 'money'],
  ['memory', 'vram', 'gpu memory', 'ram', 'hbm'],
  ['gpu', 'accelerator', 'hardware'],
  ['eval', 'evaluation', 'benchmark', 'benchmarking'],
  [
    'variance', 'vary', 'variation', 'inconsistent', 'inconsistency', 'flaky', 'flakiness', 'nondeterministic',
    'non-deterministic', 'unstable', 'instability', 'unpredictable', 'answer differently', 'different answers',
    'different results', 'different outputs', 'behave differently',
  ],
  ['cannot', 'limitation', 'weakness', 'drawback', 'downside', 'disadvantage', 'shortcoming', 'bad at', 'struggle'],
  ['do well', 'strength', 'advantage', 'benefit', 'upside', 'good at', 'pros'],
  ['debug', 'debugging', 'inspect', 'interpretability', 'troubleshoot'],
  ['deploy', 'deployment', 'serve', 'serving', 'self-host', 'self-hosting', 'hosting'],
  ['expert', 'sub-network', 'subnetwork', 'specialist'],
  ['dense model', 'non-moe model', 'dense transformer'],
  ['gpt-4', 'gpt4'],
];

interface Phrase {
  stems: string[];
  concept: string;
}

/** A group's concept term: a token no word can produce ("~router"), shared by all its phrases. */
function conceptOf(group: readonly string[]): string {
  return '~' + group[0]!.replace(/[^a-z0-9]+/g, '-');
}

/** Every phrase of every group as word stems (stopwords included, so "mixture of experts" stays a phrase). */
const PHRASES: Phrase[] = SYNONYM_GROUPS.flatMap((group) =>
  group.map((p) => ({ stems: tokens(p).map((t) => t.stem), concept: conceptOf(group) })),
);
/** The phrases by their first stem: most words start none, and are passed over at once. */
const PHRASES_BY_FIRST = new Map<string, Phrase[]>();
for (const p of PHRASES) PHRASES_BY_FIRST.set(p.stems[0]!, [...(PHRASES_BY_FIRST.get(p.stems[0]!) ?? []), p]);

export interface ConceptMatch {
  concept: string;
  /** Token positions [start, end) of the phrase. */
  start: number;
  end: number;
}

/** The synonym phrases found in a token sequence. */
export function findConcepts(toks: readonly Token[]): ConceptMatch[] {
  const found: ConceptMatch[] = [];
  for (let start = 0; start < toks.length; start++) {
    const candidates = PHRASES_BY_FIRST.get(toks[start]!.stem);
    if (!candidates) continue;
    const here = new Set<string>();
    for (const phrase of candidates) {
      const n = phrase.stems.length;
      if (start + n > toks.length || here.has(phrase.concept)) continue;
      if (!phrase.stems.every((s, k) => toks[start + k]!.stem === s)) continue;
      // Two spellings of one phrase ("mixture-of-experts", "mixture of experts") count once.
      here.add(phrase.concept);
      found.push({ concept: phrase.concept, start, end: start + n });
    }
  }
  return found;
}

/** A text's searchable terms: stems of its content words, then the concept of each synonym phrase in it. */
export function indexTerms(text: string): string[] {
  const toks = tokens(text);
  const out = toks.filter((t) => !t.stop).map((t) => t.stem);
  for (const c of findConcepts(toks)) out.push(c.concept);
  return out;
}

export interface QueryTerm {
  term: string;
  /** 1 for the question's own words; lower for concepts. */
  weight: number;
  /** Whether typos and prefixes may match it (the question's own words only). */
  loose: boolean;
  /** Indexes of the question's own terms this term stands for (for coverage). */
  covers: number[];
  /** An everyday word rather than a subject (it counts less in coverage). */
  general: boolean;
}

/** Weight of an everyday word ("known", "affect") in search and in coverage, against a subject word's. */
export const GENERAL_WORD_WEIGHT = 0.4;

/**
 * Weight of a concept term relative to the question's own words: it adds the synonyms' evidence
 * without doubling the weight of a word the lessons use as is.
 */
export const CONCEPT_WEIGHT = 0.6;

/**
 * The question's content terms, then the concept of each synonym phrase it contains. A concept
 * records which of the question's terms it stands for: finding it covers those terms.
 */
export function queryTerms(question: string, speller?: Speller): { own: QueryTerm[]; all: QueryTerm[] } {
  const toks: Token[] = speller ? tokens(question).map((t) => speller.correct(t)) : tokens(question);
  const own: QueryTerm[] = [];
  const ownIndexAt = new Map<number, number>();
  const seen = new Map<string, number>();
  toks.forEach((t, i) => {
    if (t.stop) return;
    const prior = seen.get(t.stem);
    if (prior !== undefined) {
      ownIndexAt.set(i, prior);
      return;
    }
    seen.set(t.stem, own.length);
    ownIndexAt.set(i, own.length);
    const general = isGeneralWord(t.word);
    own.push({ term: t.stem, weight: general ? GENERAL_WORD_WEIGHT : 1, loose: true, covers: [own.length], general });
  });
  const concepts = new Map<string, QueryTerm>();
  for (const c of findConcepts(toks)) {
    const covers: number[] = [];
    for (let i = c.start; i < c.end; i++) {
      const j = ownIndexAt.get(i);
      if (j !== undefined) covers.push(j);
    }
    if (covers.length === 0) continue;
    const prior = concepts.get(c.concept);
    if (prior) prior.covers = [...new Set([...prior.covers, ...covers])];
    else concepts.set(c.concept, { term: c.concept, weight: CONCEPT_WEIGHT, loose: false, covers, general: false });
  }
  return { own, all: [...own, ...concepts.values()] };
}
