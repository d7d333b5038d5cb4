import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { matchesShortAnswer } from '../src/core/quiz/matching.js';
import { normalizeText } from '../src/core/util/text.js';

/**
 * Curriculum coverage: every lesson has a bank, every lesson and bank is big enough, every section is
 * asked about, the question types are mixed, no prompt is asked twice, and every quiz question from the
 * seed documents is in a bank exactly once. Reads the files directly (no loader) so it checks the
 * content, not the code; it holds for whatever lessons content/ holds.
 */

const contentDir = new URL('../content/', import.meta.url);
const lessonsDir = new URL('lessons/', contentDir);
const banksDir = new URL('banks/', contentDir);

interface RawQuestion {
  id: string;
  type: string;
  prompt: string;
  answer?: unknown;
  accepted?: unknown[];
  source?: { lesson: string; section: string };
}
interface RawBank {
  id: string;
  lesson?: string;
  questions: RawQuestion[];
}
interface RawLesson {
  id: string;
  sections: string[];
}

function readLessons(): RawLesson[] {
  return readdirSync(lessonsDir)
    .filter((f) => f.endsWith('.md'))
    .map((f) => {
      const text = readFileSync(new URL(f, lessonsDir), 'utf8');
      const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n([\s\S]*)$/.exec(text);
      if (!match) throw new Error(`${f}: no front matter`);
      const front = parse(match[1] ?? '') as { id: string };
      const sections = [...(match[2] ?? '').matchAll(/^## (.+)$/gm)].map((m) => (m[1] ?? '').trim());
      return { id: front.id, sections };
    });
}

function readBanks(): RawBank[] {
  return readdirSync(banksDir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .map((f) => parse(readFileSync(new URL(f, banksDir), 'utf8')) as RawBank);
}

/**
 * One distinctive fragment of each quiz question that appears in the seeds (seed 000: 15, seed 001: 15,
 * seed 003: 10). Rewritten questions are tracked by a fragment of their rewritten prompt.
 */
const SEED_QUESTIONS: readonly string[] = [
  // seed 000: MoE tradeoffs
  'What enables MoE models to have more parameters than dense models',
  'gives two different answers when they rephrase the same question',
  'key limitation of MoE models compared to dense models',
  'Why is debugging MoE models considered more challenging',
  'recommended practice when using MoE models for important applications',
  'On which type of content is MoE quality most likely to be inconsistent',
  'as an example of MoE architecture',
  'What advantage do open-source MoE variants particularly offer',
  'MoE model pricing relative to dense models',
  'What characteristic of MoE models makes them behave unevenly on edge cases',
  'decide which expert handles a given token',
  'Why might high-stakes applications be risky with MoE models',
  'What makes MoE models cost-effective during inference',
  'What is DeepSeek mentioned as',
  'What should you test before relying on MoE models for high-stakes workflows',
  // seed 001: Why MoE models behave differently (listed without choices)
  "primary function of the 'router' component",
  "What does 'active parameters' refer to in an MoE model",
  '400 billion total parameters but only 50 billion active parameters',
  'higher latency variance compared to a dense model of similar size',
  "What does 'routing-induced eval flakiness' mean",
  "What is the purpose of 'load balancing' in MoE training",
  'variance in latency across multiple runs with identical input',
  'Why can a product team NOT reliably predict their specific workload economics',
  'high variance in your MoE evaluation results run-to-run',
  'What does the lesson advise about making production decisions for MoE models',
  '8 experts where the router selects 2 experts per token',
  "AI cannot predict your specific workload's economics on a given MoE model",
  'more valuable than relying on published benchmarks',
  "What is a 'side-by-side comparison'",
  'What infrastructure consideration is unique to MoE deployment',
  // seed 003: Mixtral, DeepSeek, Qwen MoE (several rewritten into fair questions)
  'What is the main idea of the lesson',
  'Which concept is most central to MoE marketing',
  "fits the lesson's list of what MoE models do well",
  'Which limitation of MoE models should you watch for',
  'MoE deployment plan',
  'You want to use AI after this lesson. What is the safest next step',
  'How should AI output about mixture of experts be treated',
  'verify an AI answer about mixture of experts',
  'Which action would help you apply this lesson responsibly',
  'Which choice is a bad use of AI for this lesson',
];

const lessons = readLessons();
const banks = readBanks();
const allQuestions = banks.flatMap((b) => b.questions.map((q) => ({ bank: b, q })));
/** The lesson a question is about: its source's, else its bank's (as the loader has it). */
const lessonOf = ({ bank, q }: { bank: RawBank; q: RawQuestion }) => q.source?.lesson ?? bank.lesson ?? '';

/** Sections that list references rather than teach: nothing is asked about them. */
const UNASKED_SECTIONS = new Set(['Sources']);
const MIN_PER_LESSON = 30;
const MIN_PER_SECTION = 3;

/** Negation prefixes: "unbalanced" is the opposite of "balanced", "asymmetric" of "symmetric". */
const NEGATIONS = ['non', 'un', 'in', 'im', 'il', 'ir', 'dis', 'a'];
/** The opposites of an answer made by adding or dropping a negation prefix on one of its words. */
function opposites(answer: string): string[] {
  const words = normalizeText(answer).split(' ');
  return words.flatMap((w, i) => {
    const swap = (x: string) => [...words.slice(0, i), x, ...words.slice(i + 1)].join(' ');
    const dropped = NEGATIONS.filter((p) => w.startsWith(p) && w.length > p.length + 2).map((p) => swap(w.slice(p.length)));
    return [...dropped, ...NEGATIONS.map((p) => swap(p + w))];
  });
}

describe('content coverage', () => {
  it('has the three seed lessons', () => {
    expect(lessons.map((l) => l.id)).toEqual(expect.arrayContaining(['moe-behave-differently', 'moe-model-families', 'moe-tradeoffs']));
  });

  it('gives every lesson a bank, and every bank a lesson', () => {
    const lessonIds = new Set(lessons.map((l) => l.id));
    for (const lesson of lessons) {
      expect(banks.filter((b) => b.lesson === lesson.id), `bank for ${lesson.id}`).toHaveLength(1);
    }
    for (const bank of banks) expect(lessonIds.has(bank.lesson ?? ''), `lesson of bank ${bank.id}`).toBe(true);
  });

  it(`has at least ${MIN_PER_LESSON} questions in every bank and about every lesson`, () => {
    for (const bank of banks) expect(bank.questions.length, bank.id).toBeGreaterThanOrEqual(MIN_PER_LESSON);
    for (const lesson of lessons) {
      expect(allQuestions.filter((x) => lessonOf(x) === lesson.id).length, lesson.id).toBeGreaterThanOrEqual(MIN_PER_LESSON);
    }
  });

  it(`asks at least ${MIN_PER_SECTION} questions about every section of every lesson`, () => {
    const thin: string[] = [];
    for (const lesson of lessons) {
      for (const section of lesson.sections.filter((s) => !UNASKED_SECTIONS.has(s))) {
        const n = allQuestions.filter((x) => lessonOf(x) === lesson.id && x.q.source?.section === section).length;
        if (n < MIN_PER_SECTION) thin.push(`${lesson.id} § ${section}: ${n}`);
      }
    }
    expect(thin).toEqual([]);
  });

  it('never asks the same prompt twice, across all banks (as the loader and the quiz compare prompts)', () => {
    const seen = new Map<string, string>();
    const twice: string[] = [];
    for (const { q } of allQuestions) {
      const key = normalizeText(q.prompt);
      const prior = seen.get(key);
      if (prior) twice.push(`${prior} and ${q.id}`);
      seen.set(key, q.id);
    }
    expect(twice).toEqual([]);
  });

  it('accepts no short answer whose opposite is a typo away from it', () => {
    const shorts = allQuestions.filter(({ q }) => q.type === 'short');
    expect(shorts.length).toBeGreaterThan(0);
    const risky: string[] = [];
    for (const { q } of shorts) {
      const accepted = [String(q.answer), ...(q.accepted ?? []).map(String)];
      for (const a of accepted) {
        for (const o of opposites(a)) if (matchesShortAnswer(o, accepted)) risky.push(`${q.id}: "${o}" counts as "${a}"`);
      }
    }
    expect(risky).toEqual([]);
  });

  it('mixes in true/false and short-answer questions', () => {
    expect(allQuestions.filter(({ q }) => q.type === 'true_false').length).toBeGreaterThanOrEqual(3);
    expect(allQuestions.filter(({ q }) => q.type === 'short').length).toBeGreaterThanOrEqual(3);
  });

  it('uses unique question ids', () => {
    const ids = allQuestions.map(({ q }) => q.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('cites a real section of a real lesson for every question', () => {
    const byId = new Map(lessons.map((l) => [l.id, l]));
    for (const { bank, q } of allQuestions) {
      const lessonId = q.source?.lesson ?? bank.lesson ?? '';
      const lesson = byId.get(lessonId);
      expect(lesson, `${q.id}: lesson ${lessonId}`).toBeDefined();
      expect(q.source?.section, `${q.id}: section`).toBeDefined();
      expect(lesson?.sections, `${q.id}: section "${q.source?.section}"`).toContain(q.source?.section);
    }
  });

  it('lists 40 distinct seed questions', () => {
    expect(new Set(SEED_QUESTIONS.map((s) => s.toLowerCase())).size).toBe(40);
  });

  it.each(SEED_QUESTIONS)('has the seed question "%s" exactly once', (fragment) => {
    const needle = fragment.toLowerCase();
    const hits = allQuestions.filter(({ q }) => q.prompt.replace(/\s+/g, ' ').toLowerCase().includes(needle));
    expect(hits.map(({ q }) => q.id)).toHaveLength(1);
  });
});
