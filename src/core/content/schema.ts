import { z } from 'zod';
import { formatNumericAnswer, MAX_NUMERIC, type NumericAnswer } from './numeric.js';

/**
 * The content formats, declared once. Lessons (Markdown front matter) and question banks (YAML or
 * JSON) are validated with these schemas by the content loader, the importers and the exporters.
 */

/** Lowercase words joined by hyphens: stable, URL- and button-id-safe. */
export const idSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9]+(?:[-_.][a-z0-9]+)*$/, 'must be lowercase letters, digits and single - _ . between them');

/** Platform limits that content must respect so every adapter can show it. */
export const LIMITS = {
  promptLength: 1000,
  /** Discord button labels hold 80 characters; Slack's hold 75. */
  choiceLength: 75,
  explanationLength: 1500,
  answerLength: 200,
  maxChoices: 6,
  tagLength: 40,
} as const;

export const lessonFrontMatterSchema = z.strictObject({
  id: idSchema,
  title: z.string().min(1).max(200),
  summary: z.string().min(1).max(500),
  /** Still accepted, no longer used: a lesson's reading time is computed from its text. */
  minutes: z.number().int().positive().max(600).optional(),
  tags: z.array(z.string().min(1).max(LIMITS.tagLength)).default([]),
});
export type LessonFrontMatter = z.infer<typeof lessonFrontMatterSchema>;

export const sourceSchema = z.strictObject({
  lesson: idSchema,
  /** The section's title as written after `## ` in the lesson. */
  section: z.string().min(1).max(200),
});
export type QuestionSource = z.infer<typeof sourceSchema>;

const text = (max: number) => z.string().trim().min(1).max(max);
const common = {
  id: idSchema,
  prompt: text(LIMITS.promptLength),
  explanation: text(LIMITS.explanationLength),
  source: sourceSchema.optional(),
  tags: z.array(text(LIMITS.tagLength)).default([]),
};
const choices = z.array(text(LIMITS.choiceLength)).min(2).max(LIMITS.maxChoices);

export const singleChoiceSchema = z.strictObject({
  ...common,
  type: z.literal('single'),
  choices,
  /** The text of the one correct choice. */
  answer: text(LIMITS.choiceLength),
});
export const multipleChoiceSchema = z.strictObject({
  ...common,
  type: z.literal('multiple'),
  choices,
  /** The texts of every correct choice (at least one). */
  answer: z.array(text(LIMITS.choiceLength)).min(1),
});
export const trueFalseSchema = z.strictObject({
  ...common,
  type: z.literal('true_false'),
  answer: z.boolean(),
});
export const shortAnswerSchema = z.strictObject({
  ...common,
  type: z.literal('short'),
  answer: text(LIMITS.answerLength),
  /** Other answers that count as right (synonyms, abbreviations). */
  accepted: z.array(text(LIMITS.answerLength)).default([]),
  /** Only the exact answer counts (case, accents, punctuation and articles aside): no typo forgiven. */
  exact: z.boolean().optional(),
});

const numberValue = z.number().min(-MAX_NUMERIC).max(MAX_NUMERIC);
/**
 * One right answer of a numeric question: `answer` with an optional `tolerance` (either side,
 * default 0), or a range from `min` to `max`. Which of the two it is, is checked with the question.
 */
const numericAnswerFields = {
  answer: numberValue.optional(),
  tolerance: z.number().min(0).max(MAX_NUMERIC).optional(),
  min: numberValue.optional(),
  max: numberValue.optional(),
};
export const numericSchema = z.strictObject({
  ...common,
  type: z.literal('numeric'),
  ...numericAnswerFields,
  /** Other right answers (GIFT's `{#=3 =4}`), each a value ± tolerance or a range. */
  accepted: z.array(z.strictObject(numericAnswerFields)).max(20).default([]),
});

type NumericAnswerDraft = { answer?: number | undefined; tolerance?: number | undefined; min?: number | undefined; max?: number | undefined };

/** What is wrong with one right answer of a numeric question, as a sentence and the field to blame. */
function numericProblem(a: NumericAnswerDraft): { field: string; message: string } | undefined {
  const range = a.min !== undefined || a.max !== undefined;
  if (a.answer !== undefined && range) return { field: 'min', message: 'give either answer (with an optional tolerance) or min and max, not both' };
  if (a.answer === undefined && !range) return { field: 'answer', message: 'answer is required: a number (or min and max for a range)' };
  if (range && a.min === undefined) return { field: 'min', message: 'min is required with max' };
  if (range && a.max === undefined) return { field: 'max', message: 'max is required with min' };
  if (range && a.tolerance !== undefined) return { field: 'tolerance', message: 'a range (min and max) takes no tolerance' };
  if (range && a.min! > a.max!) return { field: 'max', message: `min ${a.min} is more than max ${a.max}` };
  return undefined;
}

export const questionSchema = z
  .discriminatedUnion('type', [singleChoiceSchema, multipleChoiceSchema, trueFalseSchema, shortAnswerSchema, numericSchema])
  .superRefine((q, ctx) => {
    if (q.type === 'numeric') {
      const first = numericProblem(q);
      if (first) ctx.addIssue({ code: 'custom', path: [first.field], message: first.message });
      q.accepted.forEach((a, i) => {
        const problem = numericProblem(a);
        if (problem) ctx.addIssue({ code: 'custom', path: ['accepted', i, problem.field], message: `accepted answer ${i + 1}: ${problem.message}` });
      });
      return;
    }
    if (q.type !== 'single' && q.type !== 'multiple') return;
    const seen = new Set<string>();
    q.choices.forEach((c, i) => {
      const key = c.toLowerCase();
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['choices', i], message: `duplicate choice "${c}"` });
      seen.add(key);
    });
    const answers = typeof q.answer === 'string' ? [q.answer] : q.answer;
    answers.forEach((a, i) => {
      if (!q.choices.includes(a)) {
        ctx.addIssue({
          code: 'custom',
          path: typeof q.answer === 'string' ? ['answer'] : ['answer', i],
          message: `answer "${a}" is not one of the choices`,
        });
      }
    });
    if (q.type === 'multiple' && new Set(answers).size !== answers.length) {
      ctx.addIssue({ code: 'custom', path: ['answer'], message: 'the same answer is listed twice' });
    }
  });
export type Question = z.infer<typeof questionSchema>;
export type QuestionType = Question['type'];

export const bankSchema = z.strictObject({
  id: idSchema,
  title: text(200),
  description: z.string().trim().max(1000).optional(),
  /** Default source lesson for questions that give none. */
  lesson: idSchema.optional(),
  questions: z.array(questionSchema).min(1),
});
export type Bank = z.infer<typeof bankSchema>;

/** The correct answers of a question as a list of strings, whatever its type. */
export function correctAnswers(q: Question): string[] {
  switch (q.type) {
    case 'single':
      return [q.answer];
    case 'multiple':
      return q.answer;
    case 'true_false':
      return [q.answer ? 'True' : 'False'];
    case 'short':
      return [q.answer, ...q.accepted];
    case 'numeric':
      return numericAnswers(q).map((a) => formatNumericAnswer(a));
  }
}

/** Every right answer of a numeric question, the first one first. */
export function numericAnswers(q: Extract<Question, { type: 'numeric' }>): NumericAnswer[] {
  // Raw fields (a default explanation's) may lack `accepted`.
  return [q, ...(q.accepted ?? [])].map((a): NumericAnswer => (a.min !== undefined && a.max !== undefined ? { min: a.min, max: a.max } : { answer: a.answer ?? NaN, ...(a.tolerance !== undefined ? { tolerance: a.tolerance } : {}) }));
}

/** The choices a user picks from (true/false questions have two fixed ones). */
export function choicesOf(q: Question): string[] {
  if (q.type === 'single' || q.type === 'multiple') return q.choices;
  if (q.type === 'true_false') return ['True', 'False'];
  return [];
}
