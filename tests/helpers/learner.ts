import { join } from 'node:path';
import type { App } from '../../src/app.js';
import { loadContent } from '../../src/core/content/load.js';
import type { Question } from '../../src/core/content/schema.js';
import type { Reply } from '../../src/core/interaction.js';
import { plainText } from '../../src/core/markup.js';
import type { ManualClock } from '../../src/core/services.js';
import { actor, as, buttons } from './app.js';
import { repoRoot } from './cli.js';

/**
 * A learner who takes the daily quiz through the real dispatcher, typing or picking answers as a
 * person would: right, or wrong when `right` says so.
 */

type Session = ReturnType<typeof as>;

/** The real content's questions, longest prompt first, so a prompt that begins another never hides it. */
const questions: Question[] = loadContent(join(repoRoot, 'content'))
  .banks.flatMap((b) => b.bank.questions)
  .sort((a, b) => b.prompt.length - a.prompt.length);

/** The question a quiz reply shows. */
export function shownQuestion(reply: Reply): Question {
  const plain = plainText(reply.text);
  const q = questions.find((x) => plain.startsWith(x.prompt) || plain.includes('\n\n' + x.prompt));
  if (!q) throw new Error(`no question matches: ${plain.slice(0, 120)}`);
  return q;
}

/** What a learner types for a short or numeric question. */
function typed(q: Question, right: boolean): string {
  if (q.type === 'short') return right ? q.answer : 'no idea at all';
  // A wrong number is still a number: words would only be asked for again.
  if (q.type === 'numeric') return String(right ? (q.answer ?? q.min) : 987654);
  throw new Error(`${q.id} is not typed`);
}

/** Answers the question shown in `reply`, rightly or wrongly; returns the feedback. */
export async function answerShown(user: Session, reply: Reply, right: boolean): Promise<Reply> {
  const q = shownQuestion(reply);
  const comps = (reply.components ?? []).flat();
  if (q.type === 'short' || q.type === 'numeric') {
    const input = comps.find((c) => c.kind === 'button' && c.input) as { actionId: string } | undefined;
    if (!input) throw new Error(`${q.id}: no answer box`);
    return user.action(input.actionId, { text: typed(q, right) });
  }
  const good = q.type === 'single' ? [q.answer] : q.type === 'multiple' ? q.answer : [q.answer ? 'True' : 'False'];
  if (q.type === 'multiple') {
    const select = comps.find((c) => c.kind === 'select') as Extract<(typeof comps)[number], { kind: 'select' }>;
    const rightValues = select.options.filter((o) => good.includes(o.label)).map((o) => o.value);
    const values = right ? rightValues : select.options.filter((o) => !rightValues.includes(o.value)).slice(0, 1).map((o) => o.value);
    return user.action(select.actionId, { values });
  }
  const pick = buttons(reply).find((b) => b.label !== "I don't know" && good.includes(b.label) === right);
  if (!pick) throw new Error(`${q.id}: no button to press`);
  return user.action(pick.actionId);
}

/**
 * One learner's day: /quiz, every question answered (a pause between answers), and /quiz again
 * until nothing is left for today. `right(n)` says whether the learner's n-th answer ever is right.
 * Returns the ids of the questions asked.
 */
export async function studyToday(app: App, clock: ManualClock, name: string, right: (n: number) => boolean, answered = { n: 0 }): Promise<string[]> {
  const user = as(app, actor(name));
  const asked: string[] = [];
  for (let round = 0; round < 10; round++) {
    let reply = await user.command('quiz');
    if (!reply.title?.includes('question')) return asked;
    while (reply.title?.includes('question')) {
      asked.push(shownQuestion(reply).id);
      clock.advance(20_000);
      const feedback = await answerShown(user, reply, right(answered.n++));
      const next = buttons(feedback).find((b) => b.label === 'Next ▶' || b.label === 'See my results');
      if (!next) throw new Error(`no Next button after ${asked.at(-1)}: ${plainText(feedback.text).slice(0, 200)}`);
      reply = await user.action(next.actionId);
    }
  }
  throw new Error(`${name} was still being asked questions after ten quizzes in one day`);
}
