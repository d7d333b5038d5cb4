import { plainText } from '../markup.js';
import { stemmer } from 'stemmer';

/**
 * The one text analyser of /ask: the index and the questions go through the same steps, so a word
 * in a question meets the same word in a lesson whatever its form ("routed", "routing" → "rout").
 */

/** Function words and question words: they say what kind of question it is, not what it is about. */
export const STOPWORDS: ReadonlySet<string> = new Set(
  `a an the and or but if then than so of in on at to for from by with about as into onto over under between through
  behind within without along during via toward towards beyond inside outside above below
  is are was were be been being am do does did doing done have has had having get gets got
  i me my mine we us our you your he him his she her it its they them their this that these those there here
  what whats which who whom whose why how when where whether
  can could would should will shall may might must
  just also very really quite please tell tells told explain explains explained explaining mean means meant meaning kind sort
  not no nor any some all every each other such own same too only
  vs versus per like one ones ok okay thing things up out off stuff way ways lot lots much many
  s t d ll re ve m`.split(/\s+/),
);

/**
 * Everyday words that say little about a topic ("known", "affect", "happen"). The lessons are too
 * small to learn that from their own word counts, so these weigh less in the search and in how much
 * of a question the lessons cover: a learner's wording should not outweigh the question's subject.
 */
const GENERAL_WORDS = new Set(
  `able accept act actually add affect again ago agree allow almost already always answer anyone anything anyway appear
  apply approach area around ask asked avoid aware back bad badly basic basically become begin believe best better big bit
  bring build call called care case cause certain certainly change check choose clear close come common compare complete
  consider continue correct could create current currently deal decide describe detail difference different differently
  difficult do doing easy effect else end enough especially even ever everyone everything exactly example exist expect
  explain fact fail fair far feel fine follow found generally give given go going good great guess happen happens hard
  help high hold idea important include includes including instead involve issue keep know known large last later learn
  least leave less let level likely little long look lot low main make matter maybe mind miss more most move need never new
  next nice normal normally often old open order others otherwise part particular pick place point possible possibly
  pretty probably problem put question quick quickly rather read real really reason right run say see seem seems sense set
  show similar simple simply since situation small someone something sometimes soon sort start still stop support supports sure take talk
  tend term think thought time today together true try turn type understand upon use used useful user using usually want
  well whole why wide work works world worse worst wrong yet`.split(/\s+/),
);

/** Whether a word (as written) is an everyday word rather than a subject (see GENERAL_WORDS). */
export function isGeneralWord(word: string): boolean {
  return GENERAL_WORDS.has(word) || GENERAL_WORDS.has(IRREGULAR.get(word) ?? word);
}

const MAX_STEM_CACHE = 50_000;
const stemCache = new Map<string, string>();

/** Irregular verb forms, read as their base form before stemming ("made" → make, "chose" → choose). */
const IRREGULAR: ReadonlyMap<string, string> = new Map(
  `made:make came:come went:go gone:go took:take taken:take gave:give given:give chose:choose chosen:choose
  ran:run began:begin begun:begin brought:bring built:build bought:buy caught:catch drew:draw drawn:draw
  drove:drive driven:drive fell:fall fallen:fall felt:feel found:find grew:grow grown:grow held:hold kept:keep
  knew:know known:know led:lead left:leave lost:lose meant:mean paid:pay saw:see seen:see sent:send
  shown:show sold:sell spent:spend stood:stand taught:teach thought:think told:tell understood:understand
  won:win wrote:write written:write`
    .split(/\s+/)
    .map((pair) => pair.split(':') as [string, string]),
);

/** Porter stem with British -ise/-isation spelt as -ize/-ization first, cached (the vocabulary is small). */
export function stem(word: string): string {
  let s = stemCache.get(word);
  if (s === undefined) {
    const base = IRREGULAR.get(word) ?? word;
    const american = base.length >= 6 ? base.replace(/is(ation|ations|e|es|ed|ing|er|ers)$/, 'iz$1') : base;
    s = stemmer(american);
    if (stemCache.size >= MAX_STEM_CACHE) stemCache.clear();
    stemCache.set(word, s);
  }
  return s;
}

export interface Token {
  /** Lowercase word as written (accents removed). */
  word: string;
  stem: string;
  stop: boolean;
}

/**
 * A question in chat spelling, spelt out: "wat" → "what", "y do" → "why do", "r" → "are", "u" →
 * "you", "ur" → "your", "im" → "i am", "pls" → "please", "whens" → "when is", "thru" → "through",
 * and the usual slips in question words ("meny", "wich"). Lowercase text in, lowercase text out.
 */
export function unChat(lower: string): string {
  return lower
    .replace(/[\u2018\u2019\u02bc`]/g, "'")
    .replace(/\b(wot|wut|wat|wht)\b/g, 'what')
    .replace(/\b(wots|wuts|wats)\b/g, "what's")
    .replace(/\b(iz)\b/g, 'is')
    .replace(/\b(whens|hows|wheres|whos|whys)\b/g, (w) => `${w.slice(0, -1)} is`)
    .replace(/\b(meny|mny|manny)\b/g, 'many')
    .replace(/\b(wich|whcih|wihch|whitch)\b/g, 'which')
    .replace(/\b(hw)\b/g, 'how')
    .replace(/\b(wen)\b/g, 'when')
    .replace(/\b(thru|thrugh)\b/g, 'through')
    .replace(/^(\s*)how come\b/, '$1why')
    .replace(/^(\s*)y(?=\s+(do|does|did|is|are|was|were|would|should|can|cant|cannot|dont|doesnt|isnt|arent|not|on)\b)/, '$1why')
    .replace(/\br\b(?!\s*[-'])/g, 'are')
    .replace(/\bu\b(?!\s*[-'])/g, 'you')
    .replace(/\bur\b/g, 'your')
    .replace(/\bim\b/g, 'i am')
    .replace(/\b(cuz|coz|bc)\b/g, 'because')
    .replace(/\b(pls|plz)\b/g, 'please');
}

/** Lowercase words, contractions expanded ("can't" → "cannot"), accents and punctuation dropped. */
export function words(text: string): string[] {
  const normalized = unChat(
    text
      .normalize('NFKD')
      .replace(/\p{M}+/gu, '')
      .toLowerCase(),
  )
    .replace(/\bcan't\b|\bcannot\b/g, ' cannot ')
    .replace(/\bwon't\b/g, ' will not ')
    .replace(/n't\b/g, ' not ')
    // Contractions typed without the apostrophe.
    .replace(/\bcant\b/g, ' cannot ')
    .replace(/\b(dont|doesnt|didnt|isnt|arent|wasnt|werent|shouldnt|wouldnt|couldnt)\b/g, (w) => `${w.slice(0, -2)} not`);
  return normalized.split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 1 || /\d/.test(w));
}

export function tokens(text: string): Token[] {
  return words(text).map((word) => ({ word, stem: stem(word), stop: STOPWORDS.has(word) }));
}

/** The searchable terms of a text: stems of its content words, in order, repeats kept. */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const t of tokens(text)) if (!t.stop) out.push(t.stem);
  return out;
}

/** A sentence of a lesson, and whether it is (part of) a list item. */
export interface LessonSentence {
  text: string;
  listItem: boolean;
}

/**
 * Where a sentence ends: . ! or ? (a closing quote or bracket may follow), a space, then a capital,
 * digit or opening quote; not after an abbreviation that never ends a sentence ("Shazeer et al.
 * (2017)", "e.g. Mixtral").
 */
const SENTENCE_BREAK = /(?<=[.!?]["”’)]?)(?<!\b(?:et al|e\.g|i\.e|cf|vs|fig|approx)\.)\s+(?=["“‘(]?[\p{Lu}\p{N}])/iu;

/**
 * Lesson markup → sentences of plain text. List items and lines are sentences of their own;
 * within a line, a sentence ends as SENTENCE_BREAK says.
 */
export function lessonSentences(markup: string): LessonSentence[] {
  const out: LessonSentence[] = [];
  for (const rawLine of markup.split('\n')) {
    const plain = plainText(rawLine);
    const listItem = /^\s*(?:[-*+]|\d+[.)])\s+/.test(plain);
    const line = plain
      .replace(/^\s*(?:[-*+]|\d+[.)])\s+/, '')
      .replace(/^#+\s+/, '')
      .trim();
    if (!line) continue;
    for (const part of line.split(SENTENCE_BREAK)) {
      const s = part.trim();
      if (/[\p{L}\p{N}]/u.test(s)) out.push({ text: s, listItem });
    }
  }
  return out;
}

export function sentences(markup: string): string[] {
  return lessonSentences(markup).map((s) => s.text);
}
