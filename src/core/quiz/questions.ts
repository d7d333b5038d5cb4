import { choicesOf, correctAnswers, numericAnswers, type Question } from '../content/schema.js';
import { findSection } from '../content/load.js';
import { UserError } from '../errors.js';
import type { Services } from '../services.js';
import { matchesNumericAnswer, matchesShortAnswer } from './matching.js';
import type { QuizStore } from './store.js';

/** Questions as stored, parsed once per version: the short content hash says when to re-read. */
const parsed = new Map<string, { hash: string; question: Question }>();

export function loadQuestion(store: QuizStore, id: string): Question {
  const version = store.stmt.questionHash.get(id);
  if (!version) throw new UserError('This question no longer exists.');
  const hit = parsed.get(id);
  if (hit && hit.hash === version.hash) return hit.question;
  const question = JSON.parse(store.stmt.question.get(id)!.body) as Question;
  parsed.set(id, { hash: version.hash, question });
  return question;
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
  | { kind: 'choice'; display: number }
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

export function gradeAnswer(q: Question, order: readonly number[], given: GivenAnswer): Graded {
  const choices = choicesOf(q);
  const pick = (display: number) => {
    const index = order[display];
    if (index === undefined) throw new UserError('That choice is not part of this question.');
    return choices[index]!;
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
      return { correct: matchesShortAnswer(given.text, correctAnswers(q)), given: given.text };
    }
    case 'choice': {
      if (q.type === 'short' || q.type === 'numeric' || q.type === 'multiple') throw new UserError('This question is not answered with one button.');
      const text = pick(given.display);
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
