import { encodeAction } from '../actions.js';
import { choicesOf, correctAnswers, type Question } from '../content/schema.js';
import type { Button, Component, Reply } from '../interaction.js';
import { md } from '../markup.js';
import type { Services } from '../services.js';
import { choiceKey, sourceOf } from './questions.js';

const MAX_BUTTONS_PER_ROW = 5;

function rows<T>(items: T[], size = MAX_BUTTONS_PER_ROW): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The answer controls of a question: one button per choice (in display order), a select for
 * several answers, a text input for short and numeric answers, and always "I don't know".
 * `action(kind, …)` builds the ids: personal quizzes and races encode them differently.
 */
export function answerComponents(q: Question, order: readonly number[], ids: { choice(display: number, key: string): string; text?: string; multi?: string; unknown?: string }): Component[][] {
  const choices = choicesOf(q);
  const out: Component[][] = [];
  if ((q.type === 'short' || q.type === 'numeric') && ids.text) {
    const placeholder = q.type === 'numeric' ? 'A number, e.g. 3 or 2.5' : 'A word or two';
    out.push([{ kind: 'button', label: 'Type your answer', actionId: ids.text, style: 'primary', input: { title: 'Your answer', label: 'Answer', placeholder, maxLength: 200 } }]);
  } else if (q.type === 'multiple' && ids.multi) {
    out.push([
      {
        kind: 'select',
        placeholder: 'Pick every right answer',
        actionId: ids.multi,
        options: order.map((index, display) => ({ label: choices[index]!, value: String(display) })),
        maxValues: choices.length,
      },
    ]);
  } else {
    const buttons: Button[] = order.map((index, display) => ({ kind: 'button', label: choices[index]!, actionId: ids.choice(display, choiceKey(choices[index]!)), style: 'primary' }));
    out.push(...rows(buttons));
  }
  if (ids.unknown) out.push([{ kind: 'button', label: "I don't know", actionId: ids.unknown, style: 'secondary' }]);
  return out;
}

const HINTS: Partial<Record<Question['type'], string>> = {
  multiple: md`\n_(Pick every right answer.)_`,
  short: md`\n_(Type a word or two.)_`,
  numeric: md`\n_(Type a number.)_`,
  true_false: md`\n_(True or false?)_`,
};

export function questionText(q: Question): string {
  return md`${q.prompt}` + (HINTS[q.type] ?? '');
}

/** "Right answer: …" for any question type. */
export function rightAnswerText(q: Question): string {
  const answers = correctAnswers(q);
  if (q.type === 'short') return md`**${answers[0]!}**`;
  // Any one of a numeric question's answers is right: `3 ± 0.5 or 10–20`.
  return answers.map((a) => md`**${a}**`).join(q.type === 'numeric' ? ' or ' : ', ');
}

/** Buttons under an answer's feedback: read the cited section, report the question. */
export function feedbackButtons(services: Services, q: Question): Button[] {
  const buttons: Button[] = [];
  const source = sourceOf(services, q);
  if (source) buttons.push({ kind: 'button', label: 'Read the lesson', actionId: encodeAction('lesson', source.lessonId, source.index), style: 'secondary' });
  buttons.push({
    kind: 'button',
    label: 'Report question',
    actionId: encodeAction('qrep', q.id),
    style: 'secondary',
    input: { title: 'Report this question', label: "What's wrong with it?", placeholder: 'e.g. the answer key looks wrong because…', maxLength: 500 },
  });
  return buttons;
}

/**
 * An explanation that only restates the right answer ("Correct answer: X", the fallback written at
 * import for a question without one): the feedback's "Right answer" line says it already.
 */
function restatesAnswer(q: Question): boolean {
  const norm = (s: string) => s.trim().replace(/\s+/g, ' ').replace(/\.$/, '').toLowerCase();
  const answers = correctAnswers(q).map((a) => String(a).trim());
  const said = norm(q.explanation);
  return [', ', '; '].some((sep) => ['Correct answer', 'Correct answers'].some((lead) => said === norm(`${lead}: ${answers.join(sep)}`)));
}

/** Feedback on an answer; `unknown`: the learner said "I don't know", answered without a verdict. */
export function feedbackText(services: Services, q: Question, correct: boolean, given: string, points: number, unknown = false): Pick<Reply, 'title' | 'text'> {
  const source = sourceOf(services, q);
  const title = unknown ? "Here's the answer — it'll come back soon." : correct ? `✅ Right!${points ? ` +${points} points` : ''}` : '❌ Not quite';
  let text = md`${q.prompt}\n\nYour answer: ${given}\n`;
  text += md`Right answer: ` + rightAnswerText(q);
  if (!restatesAnswer(q)) text += '\n\n' + md`${q.explanation}`;
  if (source) text += md`\n\n_Source: ${source.label}_`;
  return { title, text };
}
