import { fileURLToPath } from 'node:url';
import { loadContent } from '../../src/core/content/load.js';
import { correctAnswers, type Question } from '../../src/core/content/schema.js';
import type { Reply } from '../../src/core/interaction.js';
import { plainText } from '../../src/core/markup.js';
import { buttons, type as } from './app.js';

const contentDir = fileURLToPath(new URL('../../content/', import.meta.url));

/** Every question of the real content banks, to look up the right answer of a shown prompt. */
const all: Question[] = loadContent(contentDir).banks.flatMap((b) => b.bank.questions);

export function questionShown(text: string): Question {
  const plain = plainText(text);
  const q = all.find((x) => plain.startsWith(x.prompt) || plain.includes('\n\n' + x.prompt));
  if (!q) throw new Error(`no question matches: ${plain.slice(0, 120)}`);
  return q;
}

export function rightLabels(q: Question): string[] {
  return correctAnswers(q);
}

/** Answers the question shown in `reply`, rightly or wrongly, and returns the feedback. */
export async function answer(user: ReturnType<typeof as>, reply: Reply, right: boolean): Promise<Reply> {
  const q = questionShown(reply.text);
  const comps = (reply.components ?? []).flat();
  if (q.type === 'short') {
    const input = comps.find((c) => c.kind === 'button' && c.input);
    return user.action((input as { actionId: string }).actionId, { text: right ? q.answer.toUpperCase() + '!' : 'no idea at all' });
  }
  if (q.type === 'multiple') {
    const select = comps.find((c) => c.kind === 'select') as Extract<(typeof comps)[number], { kind: 'select' }>;
    const good = select.options.filter((o) => rightLabels(q).includes(o.label)).map((o) => o.value);
    const values = right ? good : select.options.filter((o) => !good.includes(o.value)).slice(0, 1).map((o) => o.value);
    return user.action(select.actionId, { values });
  }
  const labels = buttons(reply).filter((b) => b.label !== "I don't know");
  const pick = labels.find((b) => rightLabels(q).includes(b.label) === right)!;
  return user.action(pick.actionId);
}
