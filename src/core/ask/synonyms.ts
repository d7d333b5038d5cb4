import { isEverydayWord } from './everyday.js';
import type { Speller } from './spelling.js';
import { isGeneralWord, stem, tokens, type Token } from './text.js';

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
  ['routing', 'expert routing', 'token routing', 'dispatch', 'expert selection'],
  ['active parameters', 'activated parameters', 'sparse activation', 'active compute', 'parameters per token'],
  ['total parameters', 'parameter count', 'model size', 'full footprint', 'apparent parameter count'],
  ['load balancing', 'load-balancing loss', 'auxiliary loss', 'aux loss', 'expert utilization', 'expert load'],
  ['latency', 'speed', 'slow', 'fast', 'response time', 'throughput'],
  ['cost', 'price', 'cheap', 'expensive', 'bill', 'economics', 'money', 'invoice', 'spend'],
  ['memory', 'vram', 'gpu memory', 'ram', 'hbm'],
  ['gpu', 'accelerator', 'hardware', 'graphics card', 'video card'],
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

/**
 * Learners' words for what the lessons say in their own words, found by asking the lessons'
 * questions the way a newcomer would ("cost less per token" for "lower per-token cost", "reword" for
 * "rephrase", "niche subjects" for "rare topics", "specialist" for "expert"). Like the groups above,
 * a lesson sentence is indexed with the concept of every phrase it contains when the index is built,
 * so a question in other words meets it; `paraphrases: false` leaves these groups out.
 */
export const PARAPHRASE_GROUPS: readonly (readonly string[])[] = [
  ['token', 'word', 'words', 'piece of text'],
  ['rephrase', 'reword', 'paraphrase', 'phrasing', 'worded differently', 'ask differently', 'rewrite the prompt', 'in other words', 'different words', 'other words'],
  ['rare topics', 'rare topic', 'niche', 'obscure', 'unusual', 'uncommon', 'edge cases', 'long tail', 'specialised subjects', 'oddball', 'weird', 'strange', 'exotic', 'rarely'],
  ['uneven', 'uniform', 'patchy', 'hit and miss', 'fall apart', 'inconsistent quality'],
  ['adversarial', 'attack', 'attacks', 'jailbreak', 'robustness', 'robust', 'tougher', 'manipulation', 'hostile', 'malicious', 'hold up against'],
  [
    'lower per-token cost', 'cost per token', 'per-token cost', 'per token cost', 'cheaper per token', 'cost less per token',
    'cheap per token', 'price per token', 'cheaply', 'cheaper', 'cost less', 'cheap to serve', 'cheap to run', 'lower price',
    'less expensive', 'savings',
  ],
  ['scale parameter count', 'more parameters', 'high parameter count', 'huge', 'giant', 'bigger', 'big model', 'many parameters', 'scale capacity'],
  ['picker', 'chooser', 'selector', 'chooses which expert', 'picks the experts'],
  ['fallback', 'fall back', 'backup', 'backup plan', 'safety net'],
  ['deployment', 'production', 'prod', 'putting into production', 'go live', 'rollout', 'ship', 'shipping'],
  ['marketing', 'advertising', 'advertise', 'hype', 'headline number'],
  ['benchmark', 'leaderboard', 'leaderboards', 'scoreboard'],
  ['on-prem', 'own servers', 'own hardware', 'our servers', 'locally', 'in-house', 'self-host', 'data centre', 'data center', 'own gpus', 'our gpus', 'host'],
  ['open-source', 'open source', 'open weights', 'open-weight', 'open models'],
  ['load balancing', 'busy evenly', 'spread evenly', 'all the work', 'even load', 'evenly', 'balanced', 'balance'],
  ['memory-constrained', 'memory limited', 'memory-limited', 'small gpu', 'laptop', 'consumer gpu', 'limited memory', 'low memory', 'little memory'],
  ['variance', 'reproducible', 'reproducibility', 'repeatable', 'deterministic', 'jump around', 'swing', 'swings', 'fluctuate', 'fluctuation', 'all over the place', 'sometimes slow', 'slow sometimes', 'change run to run', 'vary run to run'],
  ['active parameters', 'weights used', 'part of the network', 'part of the model', 'parameters used', 'weights one token uses'],
  ['total parameters', 'number of weights', 'all the weights', 'all its weights', 'whole model'],
  ['dense model', 'regular model', 'normal model', 'dense net', 'dense network', 'non-sparse model', 'dense ones'],
  ['which expert fired', 'which expert handled', 'which experts fire', 'which experts activate', 'which specialist', 'which experts get picked', 'which experts light up'],
  ['activate', 'light up', 'kick in', 'switch on', 'fire'],
  ['routes each token to', 'route each token to', 'fire per token', 'fire for each token', 'experts fire', 'experts per token', 'experts light up', 'experts each token uses', 'experts does each token use'],
  ['ai', 'chatbot', 'assistant', 'chatgpt', 'language model'],
  ['reasoning', 'logic', 'puzzles', 'maths problems', 'think through'],
  ['diverse tasks', 'different tasks', 'many tasks', 'different jobs', 'variety of tasks', 'multitask', 'lots of tasks', 'many kinds of tasks'],
  ['topic', 'subject', 'domain', 'field'],
  ['release', 'come out', 'came out', 'launch', 'launched', 'published', 'who makes', 'who made', 'who built', 'who developed', 'who created', 'put out', 'made by', 'built by', 'developed by'],
  ['context length', 'context window', 'context', 'how long a prompt', 'prompt length', 'longest input', 'max tokens'],
  ['router', 'decides where each token goes', 'decides which expert', 'which bit decides', 'what decides'],
  ['quality', 'performance', 'accuracy', 'answer quality'],
  ['cannot', 'have trouble', 'trouble with', 'problems with', 'cons', 'negatives', 'weak spots', 'weak points'],
  ['tradeoff', 'trade-off', 'trade off', 'catch', 'trade memory for compute'],
  ['do well', 'pros', 'strengths', 'strong points', 'good for'],
  ['sub-network', 'specialist', 'specialists', 'expert network'],
  ['deployment plan', 'budget for', 'production checklist', 'plan for deploying'],
  ['debug', 'troubleshoot', 'painful to debug', 'hard to inspect', 'inspect'],
];

interface Phrase {
  stems: string[];
  concept: string;
}

/** A group's concept term: a token no word can produce ("~router"), shared by all its phrases. */
function conceptOf(group: readonly string[]): string {
  return '~' + group[0]!.replace(/[^a-z0-9]+/g, '-');
}

/** A synonym table: its phrases as word stems (stopwords included, so "mixture of experts" stays a phrase), by their first stem. */
export class SynonymTable {
  private byFirst = new Map<string, Phrase[]>();

  constructor(groups: readonly (readonly string[])[]) {
    for (const group of groups) {
      for (const p of group) {
        const phrase = { stems: tokens(p).map((t) => t.stem), concept: conceptOf(group) };
        // Most words start no phrase, and are passed over at once.
        this.byFirst.set(phrase.stems[0]!, [...(this.byFirst.get(phrase.stems[0]!) ?? []), phrase]);
      }
    }
  }

  /** The synonym phrases found in a token sequence. */
  findConcepts(toks: readonly Token[]): ConceptMatch[] {
    const found: ConceptMatch[] = [];
    for (let start = 0; start < toks.length; start++) {
      const candidates = this.byFirst.get(toks[start]!.stem);
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
}

/** The domain synonyms, and the domain synonyms with the learners' paraphrases. */
export const BASE_SYNONYMS = new SynonymTable(SYNONYM_GROUPS);
export const FULL_SYNONYMS = new SynonymTable([...SYNONYM_GROUPS, ...PARAPHRASE_GROUPS]);

export interface ConceptMatch {
  concept: string;
  /** Token positions [start, end) of the phrase. */
  start: number;
  end: number;
}

/** A text's searchable terms: stems of its content words, then the concept of each synonym phrase in it. */
export function indexTerms(text: string, synonyms: SynonymTable = FULL_SYNONYMS): string[] {
  const toks = tokens(text);
  const out = toks.filter((t) => !t.stop).map((t) => t.stem);
  // A model name written with its version ("Qwen3", "GPT4") is found by the name alone too.
  for (const t of toks) {
    const name = /^(\p{L}{2,})\d[\p{L}\p{N}]*$/u.exec(t.word);
    if (name && !t.stop) out.push(stem(name[1]!));
  }
  for (const c of synonyms.findConcepts(toks)) out.push(c.concept);
  return out;
}

export interface QueryTerm {
  term: string;
  /** 1 for the question's own words; lower for concepts. */
  weight: number;
  /** Whether typos and prefixes may match it (the question's own words only). */
  loose: boolean;
  /** Whether it may match the longer lesson words it starts ("param" → "parameters"): a shortened word, not a whole everyday one ("fall" is not "fallback"). */
  prefix: boolean;
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
export function queryTerms(
  question: string,
  speller?: Speller,
  synonyms: SynonymTable = FULL_SYNONYMS,
  /** Whether an everyday English word the lessons never use weighs as an everyday word (see everyday.ts). */
  everyday = false,
): { own: QueryTerm[]; all: QueryTerm[] } {
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
    const general = isGeneralWord(t.word) || (everyday && !speller?.knows(t.stem) && isEverydayWord(t.word));
    const prefix = t.stem.length >= 4 && !isEverydayWord(t.word);
    own.push({ term: t.stem, weight: general ? GENERAL_WORD_WEIGHT : 1, loose: true, prefix, covers: [own.length], general });
  });
  const concepts = new Map<string, QueryTerm>();
  for (const c of synonyms.findConcepts(toks)) {
    const covers: number[] = [];
    for (let i = c.start; i < c.end; i++) {
      const j = ownIndexAt.get(i);
      if (j !== undefined) covers.push(j);
    }
    if (covers.length === 0) continue;
    const prior = concepts.get(c.concept);
    if (prior) prior.covers = [...new Set([...prior.covers, ...covers])];
    else concepts.set(c.concept, { term: c.concept, weight: CONCEPT_WEIGHT, loose: false, prefix: false, covers, general: false });
  }
  return { own, all: [...own, ...concepts.values()] };
}
