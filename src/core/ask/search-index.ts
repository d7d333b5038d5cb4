import MiniSearch from 'minisearch';
import SearchableMap from 'minisearch/SearchableMap';
import type { Lesson } from '../content/load.js';
import { plainText } from '../markup.js';
import { Speller } from './spelling.js';
import { BASE_SYNONYMS, FULL_SYNONYMS, indexTerms, PARAPHRASE_GROUPS, SYNONYM_GROUPS, type SynonymTable } from './synonyms.js';
import { isEverydayWord } from './everyday.js';
import { definedTerms, entityText, namesIn, type DefinedTerm } from './question.js';
import { lessonSentences, stem, STOPWORDS, tokens } from './text.js';

/**
 * The /ask search index: every lesson section in MiniSearch (BM25+, field boosts, prefix search),
 * and every sentence with its terms for choosing the sentences to quote. Quiz questions are never
 * indexed: an answer built from them would give away answer keys.
 */

export interface IndexedSection {
  id: number;
  lessonId: string;
  lessonTitle: string;
  /** Position of the lesson and of the section in it: answers quote in lesson order. */
  lessonIndex: number;
  sectionIndex: number;
  title: string;
  slug: string;
  /** Plain text of the section body, lines and list marks kept (what a model is given). */
  text: string;
  /** Ids of its sentences, in order. */
  sentenceIds: number[];
  /** Its title as entity patterns read it ("DeepSeek-V3" → "deepseek v 3"). */
  titleEntityText: string;
  /** A lesson's list of sources: it names every model and figure again, and answers nothing itself. */
  bibliography: boolean;
}

const BIBLIOGRAPHY = /^(sources|references|bibliography|further reading)$/i;

export interface IndexedSentence {
  id: number;
  sectionId: number;
  /** Position in the section. */
  index: number;
  text: string;
  /** Its searchable terms (see synonyms.ts indexTerms), and how often each occurs. */
  terms: string[];
  termCounts: Map<string, number>;
  /** Whether it is an item of a list (a list question quotes the list). */
  listItem: boolean;
  /** The terms it defines (a "what is" question is answered by a sentence that defines its term). */
  defines: DefinedTerm[];
  /** Its words as entity patterns read them (question.ts entityText). */
  entityText: string;
}

/** A section as MiniSearch sees it: each field already analysed into space-separated terms. */
interface SectionDoc {
  id: number;
  title: string;
  body: string;
  lesson: string;
}

export interface AskIndex {
  sections: IndexedSection[];
  sentences: IndexedSentence[];
  sectionSearch: MiniSearch<SectionDoc>;
  /** In how many sections each term occurs: the weight of a term in query coverage. */
  sectionFrequency: Map<string, number>;
  /** In how many sentences each term occurs, and their average length in terms (sentence BM25). */
  sentenceFrequency: Map<string, number>;
  averageSentenceLength: number;
  /** The terms of each section (title, body, lesson title and tags), by section id. */
  sectionTerms: Set<string>[];
  /** The terms of each section's title, by section id. */
  sectionTitleTerms: Set<string>[];
  /** Every term of the lessons, for finding the longer terms a question term starts. */
  vocabulary: SearchableMap<true>;
  /** Repairs typos in questions against the lessons' own words. */
  speller: Speller;
  /** The synonym phrases both the lessons and the questions are read with. */
  synonyms: SynonymTable;
  /** Sentences by the stems (and concepts) of the terms they define, for "what is" questions. */
  definitionsByStem: Map<string, number[]>;
  /** Whether everyday English words the lessons never use weigh less in coverage. */
  everyday: boolean;
  /** Proper names in the lessons ("mixtral", "deepseek", "v3"): a question naming one asks about that thing. */
  names: Set<string>;
  /** The names in lesson and section titles: what the lessons are about ("mixtral", "dbrx", "llama"), not names in passing ("gaussian"). */
  titleNames: Set<string>;
}

/** Switches for what the index adds to BM25 (each can be turned off to measure what it buys). */
export interface IndexOptions {
  /** Learners' paraphrases (synonyms.ts PARAPHRASE_GROUPS) indexed with each sentence; default on. */
  paraphrases?: boolean;
  /** Typo repair by sound as well as by spelling; default on. */
  phonetic?: boolean;
  /** Everyday English words the lessons never use weigh less in coverage (everyday.ts); default on. */
  everyday?: boolean;
}

/** Field weights of a section: its title says most about it, its lesson's title and tags least. */
export const SECTION_FIELD_BOOST = { title: 2, body: 1, lesson: 0.5 } as const;

/**
 * A section that quotes its own lesson's title ('Give it one detail from "Why MoE Models Behave
 * Differently"') is not about those words: the title is matched once, in the lesson field.
 */
function titlePattern(lessonTitle: string): RegExp {
  const escaped = lessonTitle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`["“']?${escaped}["”']?`, 'gi');
}

function count(map: Map<string, number>, terms: Iterable<string>): void {
  for (const t of terms) map.set(t, (map.get(t) ?? 0) + 1);
}

export function buildAskIndex(lessons: readonly Lesson[], options: IndexOptions = {}): AskIndex {
  const paraphrases = options.paraphrases !== false;
  const synonyms = paraphrases ? FULL_SYNONYMS : BASE_SYNONYMS;
  const sections: IndexedSection[] = [];
  const sentences: IndexedSentence[] = [];
  const sectionDocs: SectionDoc[] = [];
  const sectionFrequency = new Map<string, number>();
  const sentenceFrequency = new Map<string, number>();
  const sectionTerms: Set<string>[] = [];
  const sectionTitleTerms: Set<string>[] = [];
  let sentenceTermCount = 0;
  const capitalised = new Map<string, number>();
  const lowercase = new Map<string, number>();
  /** Capitalised words that open a sentence: a name when the lessons never write them in lowercase ("Shazeer et al."). */
  const opening = new Set<string>();
  const speller = new Speller({ phonetic: options.phonetic });
  for (const group of paraphrases ? [...SYNONYM_GROUPS, ...PARAPHRASE_GROUPS] : SYNONYM_GROUPS) for (const phrase of group) speller.add(tokens(phrase));

  lessons.forEach((lesson, lessonIndex) => {
    const ownTitle = titlePattern(lesson.title);
    const lessonContext = `${lesson.title} ${lesson.tags.join(' ')}`;
    const lessonTerms = indexTerms(lessonContext, synonyms);
    speller.add(tokens(lessonContext));
    lesson.sections.forEach((s, sectionIndex) => {
      const id = sections.length;
      const sentenceIds: number[] = [];
      const bodyTerms: string[] = [];
      lessonSentences(s.body).forEach(({ text, listItem }, index) => {
        const terms = indexTerms(text.replace(ownTitle, ' '), synonyms);
        sentenceIds.push(sentences.length);
        const termCounts = new Map<string, number>();
        count(termCounts, terms);
        sentences.push({ id: sentences.length, sectionId: id, index, text, terms, termCounts, listItem, defines: definedTerms(text), entityText: entityText(text) });
        count(sentenceFrequency, termCounts.keys());
        sentenceTermCount += terms.length;
        bodyTerms.push(...terms);
        speller.add(tokens(text));
        count(capitalised, namesIn(text));
        const first = /^[\p{L}\p{N}]+/u.exec(text)?.[0];
        if (first && /^\p{Lu}\p{Ll}/u.test(first)) opening.add(first.toLowerCase());
        count(lowercase, text.match(/(?<![\p{L}\p{N}])\p{Ll}[\p{Ll}\p{N}]*/gu) ?? []);
      });
      const title = plainText(s.title);
      const titleTerms = indexTerms(title, synonyms);
      sectionTitleTerms.push(new Set(titleTerms));
      speller.add(tokens(title));
      sections.push({ id, lessonId: lesson.id, lessonTitle: lesson.title, lessonIndex, sectionIndex, title, slug: s.slug, text: plainText(s.body), sentenceIds, titleEntityText: entityText(title), bibliography: BIBLIOGRAPHY.test(title) });
      sectionDocs.push({ id, title: titleTerms.join(' '), body: bodyTerms.join(' '), lesson: lessonTerms.join(' ') });
      const terms = new Set([...titleTerms, ...bodyTerms, ...lessonTerms]);
      sectionTerms.push(terms);
      count(sectionFrequency, terms);
    });
  });

  const definitionsByStem = new Map<string, number[]>();
  for (const s of sentences) {
    const keys = new Set(s.defines.flatMap((d) => d.stems.flatMap((st) => [st, ...synonyms.findConcepts([{ word: st, stem: st, stop: false }]).map((c) => c.concept)])));
    for (const k of keys) definitionsByStem.set(k, [...(definitionsByStem.get(k) ?? []), s.id]);
  }

  // The fields are analysed already: MiniSearch only splits them.
  const sectionSearch = new MiniSearch<SectionDoc>({
    fields: ['title', 'body', 'lesson'],
    tokenize: (text) => (text ? text.split(' ') : []),
    processTerm: (term) => term,
  });
  sectionSearch.addAll(sectionDocs);
  const vocabulary = new SearchableMap<true>();
  for (const term of sectionFrequency.keys()) vocabulary.set(term, true);
  // A word the lessons write in lowercase at least as often ("The", "Try") is no name; nor is an
  // everyday English word capitalised in a quoted title ("Cheaper, Better, Faster").
  const lowercaseStems = new Set([...lowercase.keys()].map((w) => stem(w)));
  const names = new Set([
    ...[...capitalised].filter(([n, k]) => /\d/.test(n) || (k > (lowercase.get(n) ?? 0) && !isEverydayWord(n))).map(([n]) => n),
    ...[...opening].filter((n) => !lowercaseStems.has(stem(n)) && !isEverydayWord(n) && !STOPWORDS.has(n)),
  ]);
  const titleWords = new Set([...lessons.map((l) => l.title), ...sections.map((s) => s.title)].flatMap((t) => t.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []));
  return {
    sections,
    sentences,
    sectionSearch,
    sectionFrequency,
    sentenceFrequency,
    averageSentenceLength: sentences.length ? sentenceTermCount / sentences.length : 0,
    sectionTerms,
    sectionTitleTerms,
    vocabulary,
    speller,
    synonyms,
    definitionsByStem,
    everyday: options.everyday !== false,
    names,
    titleNames: new Set([...names].filter((n) => titleWords.has(n))),
  };
}

const cache = new WeakMap<readonly Lesson[], AskIndex>();

/**
 * The index of a lesson list, built on first use and kept while that list is current: replacing
 * the lessons (a content reload) hands out a new list, and the next question builds a new index.
 */
export function askIndexFor(lessons: readonly Lesson[]): AskIndex {
  let index = cache.get(lessons);
  if (!index) {
    index = buildAskIndex(lessons);
    cache.set(lessons, index);
  }
  return index;
}
