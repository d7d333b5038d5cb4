import { LruMap } from '../util/lru-map.js';
import type { Speller } from './spelling.js';
import { isEverydayWord } from './everyday.js';
import { isGeneralWord, stem, STOPWORDS, tokens, unChat, type Token } from './text.js';

/**
 * What kind of answer a question asks for. A number or a name needs a sentence that carries one;
 * a definition needs a sentence that says what the thing is; a list is answered with the list.
 */

export type QuestionKind = 'number' | 'name' | 'attribute' | 'definition' | 'term' | 'list' | 'comparison' | 'procedure' | 'reason' | 'yesno' | 'other';

export interface QuestionShape {
  kind: QuestionKind;
  /** For definitions: the stems of the thing to define, without words that only place it ("in MoE"). */
  subject: string[];
  /** Named things in the question (model names, names with digits), as word sequences that must appear together. */
  entities: string[][];
  /** For "how many X": the stem of X. */
  counted?: string;
  /** Words of the question (lowercase, as corrected), for excluding its own numbers from an answer. */
  words: string[];
  /** Stems of the attributes a figure question asks for ("context", "coefficient"): the answer must name one. */
  measures: string[];
  /** The same attributes as written ("tokenizer"): an answer names one by its written form. */
  measuredWords: string[];
  /** Stems of the words that only ask for a figure ("size", "count", "top"): an answer need not repeat them. */
  figureTerms: string[];
  /** Whether the question is about what AI tools can do (then "AI can …" sentences answer it as they are). */
  aboutAi: boolean;
  /** Whether it asks for the best, fastest, cheapest … of something: only a sentence that ranks things answers it. */
  superlative: boolean;
  /** Whether it compares ("better", "faster"): a yes/no question comparing models needs a sentence that ranks them. */
  comparative: boolean;
  /** Whether it asks when ("when was Mixtral released", "what year"): only a date answers it. */
  asksDate?: boolean;
}

/** Words that name an attribute with a value: a question for one of these asks for a figure. */
const MEASURES = new Set(['context', 'coefficient', 'batch', 'bandwidth', 'window', 'license', 'licence', 'price', 'cost', 'costs', 'score', 'rate', 'factor', 'layers', 'dimension', 'vocabulary', 'tokenizer', 'gigabytes', 'gb', 'hidden']);
/** Words that ask for a figure without naming an attribute the answer has to repeat ("size", "count"). */
const FIGURE_WORDS = new Set(['size', 'count', 'number', 'percent', 'percentage', 'fraction', 'share', 'proportion', 'ratio', 'length', 'year', 'date', 'top', 'topk', 'released', 'release', 'launched', 'published']);
/** Words that ask for a list. */
const LIST_WORDS = new Set(['list', 'limitations', 'strengths', 'weaknesses', 'downsides', 'upsides', 'advantages', 'disadvantages', 'benefits', 'drawbacks', 'pros', 'cons', 'kinds', 'types', 'examples', 'steps', 'things', 'ways', 'components', 'parts', 'factors']);
/** Words after "what is the …" that ask why or how rather than what a thing is. */
const NOT_A_TERM = new Set(['point', 'purpose', 'job', 'role', 'use', 'catch', 'difference', 'tradeoff', 'deal', 'problem', 'idea', 'reason', 'risk', 'benefit', 'advantage', 'effect', 'impact', 'relationship', 'link', 'best', 'right', 'way', 'sum', 'total', 'value', 'name']);
/** Words that only place a term ("in MoE", "for mixture of experts models") or fill a definition question. */
export const PLACE_WORDS = new Set(['moe', 'mixture', 'experts', 'model', 'models', 'exactly', 'here', 'llm', 'llms', 'lesson', 'lessons', 'context']);
const SUPERLATIVES = new Set(['best', 'worst', 'fastest', 'slowest', 'cheapest', 'biggest', 'largest', 'smallest', 'strongest', 'most', 'least']);
const COMPARATIVES = new Set(['better', 'worse', 'faster', 'slower', 'cheaper', 'bigger', 'larger', 'smaller', 'stronger', 'weaker']);
/** Words of a sentence that rank or compare things, the only answer to a superlative question. */
export const RANKING_WORDS = /\b(best|better|worst|worse|fastest|faster|slower|cheapest|cheaper|most|more|least|less|largest|larger|smallest|smaller|beat|beats|outperform\w*|lower|higher|strongest|stronger)\b/i;
const AI_WORDS = /\b(ai|assistant|chatgpt|chatbot|llm|copilot|claude|gemini)\b/;

/** Proper names the lessons use (capitalised inside a sentence, or letters and digits together): "mixtral", "deepseek", "v3". */
export function namesIn(sentence: string): Set<string> {
  const out = new Set<string>();
  const ws = [...sentence.matchAll(/[\p{L}\p{N}]+/gu)].map((m) => m[0]);
  ws.forEach((w, i) => {
    const lower = w.toLowerCase();
    if (/\p{L}/u.test(w) && /\p{N}/u.test(w)) out.add(lower);
    else if (i > 0 && /^\p{Lu}/u.test(w) && !/^(AI|I|MoE)$/.test(w)) out.add(lower);
  });
  return out;
}

const NUMBER_WORDS = new Set(['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'single', 'half', 'dozen', 'hundred', 'thousand', 'million', 'billion']);
/** Quantities without a number, enough for a question about MoE in general ("only a few experts"). */
const QUANTITY_WORDS = new Set(['few', 'fraction', 'subset', 'several', 'all', 'every', 'most']);

function isNumberWord(w: string, vague: boolean): boolean {
  // A figure starts with a digit ("128", "128k", "2024"); "V3" is a name.
  return /^\d/.test(w) || NUMBER_WORDS.has(w) || (vague && QUANTITY_WORDS.has(w));
}

export function classify(question: string, speller: Speller | undefined, names: ReadonlySet<string>): QuestionShape {
  const written = tokens(question);
  const toks: Token[] = speller ? written.map((t) => speller.correct(t)) : written;
  // Slips corrected before the wording is read: "wats the diffrence between" is a comparison.
  const text = correctedText(unChat(question.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase()), written, toks);
  const words = toks.map((t) => t.word);
  const aboutAi = AI_WORDS.test(text);

  // Named things: runs of words the lessons use as names, or that carry digits ("deepseek v3", "mixtral 8x7b", "llama 3 70b").
  const entities: string[][] = [];
  let run: string[] = [];
  const rawWords = text.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  // A word the lessons never use, followed by a version, names a model they don't teach ("phi 3.5", "jamba 1.5").
  const unknownModel = (w: string, next: string | undefined) =>
    next !== undefined && /^\d/.test(next) && unknownWord(w);
  const unknownWord = (w: string) => /^\p{L}{3,}$/u.test(w) && !STOPWORDS.has(w) && !isEverydayWord(w) && !(speller?.knows(stem(w)) ?? true);
  // So does one that ends "… of jamba", the thing a question about a model asks of.
  const unknownLast = (w: string, i: number) => i === rawWords.length - 1 && /^(of|does|do|in|about)$/.test(rawWords[i - 1] ?? '') && unknownWord(w) && !speller?.startsKnown(stem(w));
  for (const [i, w] of [...rawWords, ''].entries()) {
    const isName = w !== '' && (names.has(w) || (/\d/.test(w) && /\p{L}/u.test(w)) || (/^\d/.test(w) && run.length > 0) || unknownModel(w, rawWords[i + 1]) || unknownLast(w, i));
    if (isName && !/^(moe|ai|top|k)$/.test(w)) run.push(w);
    else {
      if (run.length) entities.push(run);
      run = [];
    }
  }

  const measuredWords = words.filter((w) => MEASURES.has(w));
  const measures = measuredWords.map((w) => stem(w));
  const figureTerms = words.filter((w) => FIGURE_WORDS.has(w)).map((w) => stem(w));
  const superlative = words.some((w) => SUPERLATIVES.has(w));
  const comparative = words.some((w) => COMPARATIVES.has(w));
  const shape = (kind: QuestionKind, extra: Partial<QuestionShape> = {}): QuestionShape => ({ kind, subject: [], entities, words, measures, measuredWords, figureTerms, aboutAi, superlative, comparative, ...extra });

  // "can a chatbot tell me how much it will cost?" is a yes/no question, whatever it contains.
  const yesNo = /^\s*(is|are|do|does|did|can|could|will|would|should|was|were|has|have)\b/.test(text);
  const howMany = yesNo ? null : /\bhow (many|much|big|large|long|fast|often|old)\b(?:\s+(\S+))?/.exec(text);
  if (howMany) {
    const next = howMany[2] && /^[a-z-]+$/.test(howMany[2]) ? stem(howMany[2].replace(/-/g, '')) : undefined;
    return shape('number', { counted: howMany[1] === 'many' ? next : undefined });
  }
  if (yesNo) return shape('yesno');
  if (/^\s*when\b|\bwhat (year|date|month)\b|\brelease date\b/.test(text)) return shape('number', { asksDate: true });
  if (/\bwhat (size|percentage|fraction|number|amount)\b/.test(text)) return shape('number');
  // "top-k" asks for k; "its top 4" gives it.
  const topK = /\btop[- ]?k\b/.test(text);
  const givenK = /\btop[- ]?\d+\b/.test(text);
  const hasMeasure = words.some((w) => (MEASURES.has(w) || FIGURE_WORDS.has(w)) && !(givenK && w === 'top')) || topK;
  // "What top-k does DeepSeek-V3 use?" asks how many experts.
  // So does a bare "DeepSeek-V3 context length".
  const noQuestionWord = !/^\s*(what|which|who|whom|whose|why|how|when|where|is|are|am|do|does|did|can|could|will|would|should|was|were|has|have|had|list|name|define|explain|tell|give|show|compare)\b/.test(text);
  // "What does the number in Qwen's name mean" asks what something means, not for a figure.
  const asksMeaning = /^\s*what (does|do) .+ mean\b/.test(text);
  if (entities.length && hasMeasure && !asksMeaning && (noQuestionWord || /^\s*(what|which|whats|what's)\b/.test(text))) return shape('number', topK ? { counted: 'expert' } : {});
  // "what is the training data of DeepSeek-V3": a fact about a named model, which a sentence about that model must state.
  if (entities.length && /^\s*(?:what|whats|what's)\s*(?:'s|is|are)?\s+the\s+[\p{L}\s-]+\s+of\b/u.test(text)) return shape('attribute');
  // "what dataset was Mixtral trained on": the same, asked the other way round.
  if (entities.length && /^\s*what\s+[\p{L}-]+\s+(?:was|were|is|are|does|did|do)\s+/u.test(text) && !/^\s*what\s+(?:is|are|was|were|does|did|do)\b/.test(text)) return shape('attribute');
  if (/^\s*(who|which)\b/.test(text) || /^\s*what (model|models|company|companies|vendor|vendors|license|families|family|gpu|gpus|hardware)\b/.test(text)) {
    if (words.some((w) => LIST_WORDS.has(w))) return shape('list');
    return shape('name');
  }
  if (words.some((w) => LIST_WORDS.has(w)) || /\bwhat goes in\b|\bwhat should .* (include|cover)\b|\bpros and cons\b/.test(text)) return shape('list');
  if (/\b(vs|versus|compare|compared|comparison|than|difference between)\b/.test(text)) return shape('comparison');

  // "what is a residual connection exactly and why does it help": the first question is a definition.
  const asked = text.replace(/\s+and\s+(?:why|how|what|when|where|which|who)\b.*$/, '');
  const definition =
    /^\s*(?:what does|what do)\s+(.+?)\s+mean\s*\??\s*$/.exec(asked) ??
    // "what is X", "whats X"; not "what decides X", which asks what does something.
    /^\s*(?:so\s+)?(?:what\s*(?:'s|is|are|s)|whats|what's)\s+(?:an?|the)?\s*(.+?)\s*\??\s*$/.exec(asked) ??
    /^\s*define\s+(.+?)\s*\??\s*$/.exec(asked) ??
    /^\s*(.+?)\s+(?:meaning|definition|-\s*what is it)\s*\??\s*$/.exec(asked);
  if (definition) {
    // "what is a shared expert in deepseek": the term is "shared expert"; the model only places it.
    const named = new Set(entities.flat());
    // "what is routing observability exactly": the adverb is no part of the term.
    const phrase = definition[1]!
      .replace(/\s+(?:exactly|really|actually|precisely|again|anyway)$/, '')
      .replace(/\s+(?:in|for|of|with)\s+(?:an?\s+|the\s+)?(?:moe|mixture.of.experts?|mixture-of-experts|sparse models?)(?:\s+models?)?\s*$/, '')
      .replace(/\s+(?:in|for|on|with)\s+(?:the\s+)?([\p{L}\p{N}\s.-]+?)\s*$/u, (all, tail: string) => (tail.split(/[^\p{L}\p{N}]+/u).filter(Boolean).every((w) => named.has(w)) ? '' : all));
    const subjectToks = tokens(phrase).map((t) => (speller ? speller.correct(t) : t));
    const content = subjectToks.filter((t) => !t.stop && !isGeneralWord(t.word));
    // "what are MoE models good at" asks what they do, not what they are.
    const asksWhatItDoes = subjectToks.some((t) => !t.stop && isGeneralWord(t.word)) || /\b(at|for|like|with)\s*$/.test(phrase);
    // "what is a mixture of experts model": when only placing words are left, they are the subject.
    const placed = content.filter((t) => !PLACE_WORDS.has(t.word));
    const subject = (placed.length ? placed : content.filter((t) => !/^models?$/.test(t.word))).map((t) => t.stem);
    const firstWords = phrase.split(/\s+/);
    const isTerm =
      subject.length > 0 &&
      // "what is the sum of the softmax scores" asks for a property, not a term.
      !/\bof\b/.test(phrase.replace(/^(?:the\s+)?(?:mixture|mixtures)\s+of\b/, '')) &&
      subject.length <= 4 &&
      !asksWhatItDoes &&
      !/^(does|do|did|can|could|should|would|will|is|are|was|were|happens?|goes)\b/.test(phrase) &&
      !firstWords.some((w) => NOT_A_TERM.has(w)) &&
      !/\b(do|does|did|can|should|would|will|happens?|goes|make|makes|keep|keeps|shape|shapes|depend|depends|trade|focus|include)\b/.test(phrase) &&
      // "the thing that hands each token to experts", "special about how …": a description, not a term.
      !/\b(that|which|who|how|why|when|where|about|after|before)\b/.test(phrase);
    if (isTerm) return shape('definition', { subject });
  }
  // "how do I deploy …": a question for steps, which only an instruction answers.
  if (/^\s*how (do|can|should|would|could) (i|we|you)\b|\bhow to\b/.test(text)) return shape('procedure');
  if (/^\s*(why|how come|how)\b/.test(text)) return shape('reason');
  // A bare term ("lode balansing", "moe?"): a definition is the likeliest answer, but not the only one.
  const bare = toks.filter((t) => !t.stop);
  if (bare.length && bare.length <= 3 && toks.length <= 4 && !/^\s*(is|are|do|does|can|could|will|would|should)\b/.test(text)) {
    const placed = bare.filter((t) => !PLACE_WORDS.has(t.word));
    return shape('term', { subject: (placed.length ? placed : bare).map((t) => t.stem) });
  }
  if (/^\s*(is|are|do|does|did|can|could|will|would|should|was|were|has|have)\b/.test(text)) return shape('yesno');
  return shape('other');
}

/** A lowercase question with each slip replaced by the lesson word the speller read it as. */
function correctedText(lower: string, written: readonly Token[], corrected: readonly Token[]): string {
  const slips = new Map<string, string>();
  written.forEach((t, i) => {
    const c = corrected[i]!;
    if (!c.stop && c.word !== t.word) slips.set(t.word, c.word);
  });
  return slips.size ? lower.replace(/\p{L}+/gu, (w) => slips.get(w) ?? w) : lower;
}

/** Lowercase words of a sentence with where each ends, for checks on the text around them. */
function wordsWithEnds(text: string): { word: string; stem: string; start: number; end: number }[] {
  return [...text.matchAll(/[\p{L}\p{N}]+/gu)].map((m) => ({ word: m[0].toLowerCase(), stem: stem(m[0].toLowerCase()), start: m.index!, end: m.index! + m[0].length }));
}

/**
 * Whether the words of each entity occur next to each other in a sentence ("DeepSeek-V3", not
 * "GPT-OSS … 4"), given as its entityText (the index keeps each sentence's).
 */
export function hasEntities(flat: string, entities: string[][]): boolean {
  return entities.every((e) => entityPattern(e).test(flat));
}

/** A text as entity patterns read it: lowercase words, letters and digits apart ("deepseek v 3"). */
export function entityText(text: string): string {
  return wordsWithEnds(text)
    .map((w) => w.word)
    .join(' ')
    .replace(/(?<=\p{L})(?=\p{N})|(?<=\p{N})(?=\p{L})/gu, ' ');
}

/** The pattern of an entity's words next to each other in an entityText ("deepseek v3" meets "DeepSeek-V3"). */
export function entityPattern(entity: string[]): RegExp {
  const key = entity.join(' ');
  let pattern = entityPatterns.get(key);
  if (!pattern) entityPatterns.set(key, (pattern = buildEntityPattern(entity)));
  return pattern;
}

/** Patterns are asked for once per candidate sentence: kept for the entities of recent questions. */
const entityPatterns = new LruMap<string, RegExp>(1000);

function buildEntityPattern(entity: string[]): RegExp {
  const parts = entity.flatMap((w) => w.split(/[^\p{L}\p{N}]+/u).flatMap((x) => x.split(/(?<=\p{L})(?=\p{N})|(?<=\p{N})(?=\p{L})/u))).filter(Boolean);
  return new RegExp(`(?:^| )${parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join(' ?')}(?: |$)`);
}

/**
 * Whether a sentence's word names a measure asked for, by its written form rather than its stem:
 * "tokenizer" stems to "token", which every sentence about routing holds; "layers" meets "layer".
 */
function namesMeasure(word: string, measure: string): boolean {
  return word.startsWith(measure.slice(0, Math.max(4, measure.length - 2)));
}

/** A year or a month: what a "when" question asks for. */
const DATE = /\b(1[89]|20)\d\d\b|\b(January|February|March|April|May|June|July|August|September|October|November|December)\b/;

/** Whether a sentence carries a number (a figure the question did not give) near what is counted, and names what is measured. */
export function carriesNumber(text: string, shape: QuestionShape): boolean {
  const ws = wordsWithEnds(text);
  if (shape.measuredWords.length && !ws.some((w) => shape.measuredWords.some((m) => namesMeasure(w.word, m)))) return false;
  const own = new Set(shape.words);
  const vague = shape.entities.length === 0;
  const numberAt = ws.map((w) => isNumberWord(w.word, vague) && !own.has(w.word));
  if (!numberAt.some(Boolean)) return false;
  if (shape.asksDate) return DATE.test(text);
  if (!shape.counted) return true;
  // "how many experts": a number at most three words before "experts" ("8 routed experts"); "params" counts "parameters".
  const counted = shape.counted;
  const isCounted = (s: string) => s === counted || (counted.length >= 4 && (s.startsWith(counted) || counted.startsWith(s)));
  return ws.some((w, i) => isCounted(w.stem) && numberAt.slice(Math.max(0, i - 3), i).some(Boolean));
}

/** Whether a sentence names something (a proper name) the question did not. */
export function carriesName(text: string, shape: QuestionShape, names: ReadonlySet<string>): boolean {
  const own = new Set(shape.words);
  return wordsWithEnds(text).some((w) => names.has(w.word) && !own.has(w.word));
}

const COPULA = new Set(['is', 'are', 'means', 'mean', 'refers', 'describes']);
/** Longest term a sentence can define, in words. */
const MAX_TERM_WORDS = 7;

/** A term a lesson sentence defines: its stems, and how surely the sentence defines it. */
export interface DefinedTerm {
  stems: string[];
  /**
   * 3: "X is a/the …", "X means …"; 2: "X is …", "called X", "X, which …"; 1: the sentence opens
   * with X ("Load balancing uses …", "X are not …").
   */
  strength: 1 | 2 | 3;
}

/**
 * The terms a sentence defines, found when the index is built: the words before its first
 * "is/are/means", the words after "called" / "known as", the words before an apposition
 * (", which", ":", "("), and, more weakly, its opening words.
 */
export function definedTerms(text: string): DefinedTerm[] {
  const ws = wordsWithEnds(text);
  const out: DefinedTerm[] = [];
  const content = (from: number, to: number) => ws.slice(from, to).map((w) => w.word).filter((w) => !STOP_FOR_TERMS.has(w)).map((w) => stem(w));
  const copula = ws.findIndex((w) => COPULA.has(w.word));
  if (copula > 0 && copula <= MAX_TERM_WORDS) {
    // "X is an architecture …", "X means …" define X; "X are not debug-friendly" only says something about it.
    const next = ws[copula + 1]?.word ?? '';
    const strength = next === 'not' ? 1 : /^(a|an|the|that|what|how|when|where)$/.test(next) || ws[copula]!.word.startsWith('mean') ? 3 : 2;
    out.push({ stems: content(0, copula), strength });
  }
  const stemsOf = (phrase: string) => (phrase.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !STOP_FOR_TERMS.has(w)).map((w) => stem(w));
  // "… specialized sub-networks called experts", "Total parameters, also called the apparent parameter count, …"
  for (const m of text.matchAll(/\b(?:called|known as)\s+(?:the\s+|an?\s+)?([^,.;:()]+)/gi)) {
    const words = stemsOf(m[1]!);
    if (words.length <= MAX_TERM_WORDS) out.push({ stems: words, strength: 2 });
  }
  // "… auxiliary-loss-free load balancing: a per-expert bias …", "noisy top-k gating, which adds …"
  for (const m of text.matchAll(/([\p{L}\p{N}][\p{L}\p{N} -]*?)\s*(?::|,\s*which\b|\()/gu)) {
    const words = stemsOf(m[1]!).slice(-4);
    if (words.length) out.push({ stems: words, strength: 2 });
  }
  out.push({ stems: content(0, Math.min(ws.length, 3)), strength: 1 });
  return out.filter((d) => d.stems.length > 0);
}

const STOP_FOR_TERMS = new Set(['a', 'an', 'the', 'of', 'in', 'on', 'for', 'to', 'and', 'or', 'its', 'their', 'this', 'that', 'these', 'those', 'also', 'therefore']);

/**
 * Whether a defined term is the subject asked about: every subject word is in it (or a synonym of
 * it is) and it has at most three words more.
 */
export function termMatches(term: DefinedTerm, subject: string[], conceptOf: (stem: string) => string[]): boolean {
  const have = new Set(term.stems.flatMap((s) => [s, ...conceptOf(s)]));
  return subject.every((s) => have.has(s) || conceptOf(s).some((c) => have.has(c))) && term.stems.length <= subject.length + 3;
}
