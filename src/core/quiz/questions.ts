import { createHash } from 'node:crypto';
import { choicesOf, correctAnswers, numericAnswers, type Question } from '../content/schema.js';
import { findSection } from '../content/load.js';
import { UserError } from '../errors.js';
import type { Services } from '../services.js';
import { matchesNumericAnswer, matchesShortAnswer } from './matching.js';
import type { QuizStore } from './store.js';

/** Questions as stored, parsed once per version: the short content hash says when to re-read. */
const parsed = new Map<string, { hash: string; question: Question; version: string }>();

const shortHash = (text: string, length: number) => createHash('sha256').update(text).digest('base64url').slice(0, length);

/**
 * The version of a question as a learner sees and is graded on it: its type, prompt, choices in
 * stored order and right answers. An edited explanation or tag leaves it unchanged; anything that
 * could make a click or a typed answer mean something else changes it.
 */
function gradedVersion(q: Question): string {
  const { type, prompt } = q;
  const numeric = q.type === 'numeric' ? numericAnswers(q) : undefined;
  const exact = q.type === 'short' ? q.exact === true : undefined;
  return shortHash(JSON.stringify([type, prompt, choicesOf(q), numeric ?? correctAnswers(q), exact ?? null]), 12);
}

function loadParsed(store: QuizStore, id: string): { question: Question; version: string } {
  const stored = store.stmt.questionHash.get(id);
  if (!stored) throw new UserError('This question no longer exists.');
  const hit = parsed.get(id);
  if (hit && hit.hash === stored.hash) return hit;
  const question = JSON.parse(store.stmt.question.get(id)!.body) as Question;
  const entry = { hash: stored.hash, question, version: gradedVersion(question) };
  parsed.set(id, entry);
  return entry;
}

export function loadQuestion(store: QuizStore, id: string): Question {
  return loadParsed(store, id).question;
}

/** The question and its graded version (see gradedVersion), as stored now. */
export function loadQuestionVersion(store: QuizStore, id: string): { question: Question; version: string } {
  return loadParsed(store, id);
}

/** A choice's short key, carried by its button: a click names the choice it meant, not only its place. */
export function choiceKey(choice: string): string {
  return shortHash(choice, 5);
}

/**
 * Display order of a question's choices: shuffled for choice questions, fixed for true/false.
 * The order only has to look unpredictable to learners, so Math.random serves.
 */
export function choiceOrder(q: Question): number[] {
  const n = choicesOf(q).length;
  const order = Array.from({ length: n }, (_, i) => i);
  if (q.type === 'single' || q.type === 'multiple') {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
  }
  return order;
}

/** What the user gave: a displayed choice, several choices, typed text, or "I don't know". */
export type GivenAnswer =
  | { kind: 'choice'; display: number; key?: string }
  | { kind: 'choices'; display: number[] }
  | { kind: 'text'; text: string }
  | { kind: 'unknown' };

export interface Graded {
  correct: boolean;
  /** The answer as text, for the feedback and the record. */
  given: string;
  /** "I don't know": graded as a miss (FSRS Again), answered without a verdict. */
  unknown?: boolean;
}

/** A click names a choice the question no longer has where it was: the question changed since it was shown. */
export class QuestionChanged extends Error {
  constructor() {
    super('The question changed since it was shown.');
  }
}

export function gradeAnswer(q: Question, order: readonly number[], given: GivenAnswer): Graded {
  const choices = choicesOf(q);
  const pick = (display: number) => {
    const index = order[display];
    if (index === undefined) throw new UserError('That choice is not part of this question.');
    const choice = choices[index];
    if (choice === undefined) throw new QuestionChanged();
    return choice;
  };
  switch (given.kind) {
    case 'unknown':
      return { correct: false, given: "I don't know", unknown: true };
    case 'text': {
      if (q.type === 'numeric') {
        const correct = matchesNumericAnswer(given.text, numericAnswers(q));
        // Not a number at all: asked again rather than counted as a miss.
        if (correct === undefined) throw new UserError('Type just a number, such as 3, 2.5 or 2,5 (no units or words).');
        return { correct, given: given.text.trim() };
      }
      if (q.type !== 'short') throw new UserError('This question is answered with the buttons.');
      return { correct: matchesShortAnswer(given.text, correctAnswers(q), { exact: q.exact === true }), given: given.text };
    }
    case 'choice': {
      if (q.type === 'short' || q.type === 'numeric' || q.type === 'multiple') throw new UserError('This question is not answered with one button.');
      const text = pick(given.display);
      if (given.key !== undefined && given.key !== choiceKey(text)) throw new QuestionChanged();
      return { correct: correctAnswers(q).includes(text), given: text };
    }
    case 'choices': {
      if (q.type !== 'multiple') throw new UserError('This question takes one answer.');
      const picked = [...new Set(given.display.map(pick))];
      const right = new Set(correctAnswers(q));
      return { correct: picked.length === right.size && picked.every((p) => right.has(p)), given: picked.join('; ') };
    }
  }
}

/** The cited section as a title and its index in the lesson (for "Read the lesson"). */
export function sourceOf(services: Services, q: Question): { label: string; lessonId: string; index: number } | undefined {
  if (!q.source) return undefined;
  const lesson = services.lessons.get(q.source.lesson);
  if (!lesson) return undefined;
  const section = findSection(lesson, q.source.section);
  if (!section) return undefined;
  return { label: `${lesson.title} › ${section.title}`, lessonId: lesson.id, index: lesson.sections.indexOf(section) };
}
