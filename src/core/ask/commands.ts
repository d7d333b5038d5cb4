import { eq } from 'drizzle-orm';
import { questions } from '../../db/schema.js';
import type { ArgsOf } from '../action-catalogue.js';
import { encodeAction } from '../actions.js';
import { correctAnswers, questionSchema, type Question } from '../content/schema.js';
import type { ActionHandler, Capability, CommandHandler } from '../dispatcher.js';
import { UserError } from '../errors.js';
import type { Button } from '../interaction.js';
import type { Services } from '../services.js';
import { truncate } from '../util/text.js';
import { askReply } from './reply.js';

/** Retrieval and its search library load on the first question, not at start-up. */
async function ask(...args: Parameters<typeof import('./ask.js').ask>) {
  return (await import('./ask.js')).ask(...args);
}

/** Longest question shown as the title of a public answer. */
const MAX_TITLE = 200;

const askCommand: CommandHandler = async ({ services, options }) => {
  const question = String(options.question);
  const answer = await ask(services, question);
  return askReply(answer, { title: truncate(`Q: ${question}`, MAX_TITLE), visibility: options.private ? 'ephemeral' : 'public' });
};

/** A question's subject as a search: its prompt, its correct answers and its tags. */
export function whyQuery(q: Question): string {
  // "True"/"False" say nothing about the subject.
  const answers = q.type === 'true_false' ? [] : correctAnswers(q);
  return [q.prompt, ...answers, ...q.tags.map((t) => t.replace(/[-_]+/g, ' '))].join(' ');
}

function loadQuestion(services: Services, id: string): { question: Question; source?: { lessonId: string; section: string } } {
  const row = services.db
    .select({ body: questions.body, lessonId: questions.lessonId, sectionTitle: questions.sectionTitle })
    .from(questions)
    .where(eq(questions.id, id))
    .get();
  if (!row) throw new UserError('That question is no longer in the question banks.');
  let parsed;
  try {
    parsed = questionSchema.safeParse(JSON.parse(row.body));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.success) {
    services.logger.warn({ question: id }, 'stored question does not parse');
    throw new UserError('That question cannot be explained right now.');
  }
  const q = parsed.data;
  const lessonId = q.source?.lesson ?? row.lessonId;
  const section = q.source?.section ?? row.sectionTitle;
  return { question: q, source: lessonId && section ? { lessonId, section } : undefined };
}

/** "Why?" after a wrong answer: the lessons on that question's subject, from its cited section first. */
const whyAction: ActionHandler<ArgsOf<'why'>> = async ({ services, args: [id] }) => {
  const { question, source } = loadQuestion(services, id);
  const answer = await ask(services, whyQuery(question), { prefer: source });
  return askReply(answer, { title: truncate(`Why? ${question.prompt}`, MAX_TITLE), visibility: 'ephemeral' });
};

/** The button the quiz shows after a wrong answer. */
export function whyButton(questionId: string): Button {
  return { kind: 'button', label: 'Why?', actionId: encodeAction('why', questionId), style: 'secondary' };
}

export const askCapability: Capability = {
  commands: { ask: askCommand },
  actions: { why: whyAction },
};
