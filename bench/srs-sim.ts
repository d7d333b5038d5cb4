import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { default_w, FSRSAlgorithm, forgetting_curve, generatorParameters } from 'ts-fsrs';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { loadContent } from '../src/core/content/load.js';
import type { Question } from '../src/core/content/schema.js';
import type { Interaction, Reply } from '../src/core/interaction.js';
import { plainText } from '../src/core/markup.js';
import { ManualClock } from '../src/core/services.js';
import { fitDue } from '../src/core/srs/fit.js';
import { FitThread } from '../src/core/srs/fit-thread.js';
import { cardHistories, dayNumber, itemCount, packHistories } from '../src/core/srs/history.js';
import { quizStore } from '../src/core/quiz/store.js';
import { createLogger } from '../src/logger.js';
import { seededRandom } from '../src/core/util/seeded-random.js';

/**
 * Synthetic learners for the scheduling benchmark and its test. Each one's true memory follows
 * FSRS-6 with parameters of their own (a faster or a slower forgetter than FSRS-6's defaults): a
 * review is right with the true chance of recall, and the true memory then moves on as FSRS-6 with
 * those parameters says. They answer daily through the real bot (a real SQLite file, a manual
 * clock), as a person in the terminal chat would.
 */

// Compiled, this module runs from dist/bench; under vitest, from its source in bench/.
const contentDir = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../content/' : '../../content/', import.meta.url));
const DAY = 86_400_000;
const START = Date.parse('2026-01-05T09:00:00Z');

export interface SimLearner {
  name: string;
  /** The learner's true FSRS-6 parameters. */
  w: number[];
}

/** True parameters: FSRS-6's defaults with first-review stabilities and the growth of stability scaled. */
function forgetter(name: string, initial: number, growth: number, decay = default_w[20]!): SimLearner {
  const w = [...default_w];
  for (let i = 0; i < 4; i++) w[i] = w[i]! * initial;
  w[8] = w[8]! + Math.log(growth);
  w[20] = decay;
  return { name, w };
}

/** Two slower and two faster forgetters than the defaults assume. */
export const LEARNERS: SimLearner[] = [
  forgetter('slow-a', 5, 2.2),
  forgetter('slow-b', 4, 1.8, 0.3),
  forgetter('fast-a', 0.5, 0.7),
  forgetter('fast-b', 0.4, 0.55, 0.45),
];


/** The content's questions, longest prompt first, to know which one a reply shows. */
let questions: Question[] | undefined;
function shownQuestion(reply: Reply): Question {
  questions ??= loadContent(contentDir)
    .banks.flatMap((b) => b.bank.questions)
    .sort((a, b) => b.prompt.length - a.prompt.length);
  const plain = plainText(reply.text);
  const q = questions.find((x) => plain.startsWith(x.prompt) || plain.includes('\n\n' + x.prompt));
  if (!q) throw new Error(`no question matches: ${plain.slice(0, 120)}`);
  return q;
}

type Send = (i: Record<string, unknown>) => Promise<Reply>;

const buttonsOf = (reply: Reply) => (reply.components ?? []).flat().flatMap((c) => (c.kind === 'button' ? [c] : []));

/** Answers the question a reply shows, right or wrong. */
function answer(send: Send, reply: Reply, right: boolean): Promise<Reply> {
  const q = shownQuestion(reply);
  const comps = (reply.components ?? []).flat();
  if (q.type === 'short' || q.type === 'numeric') {
    const input = comps.find((c) => c.kind === 'button' && c.input) as { actionId: string };
    const text = q.type === 'short' ? (right ? q.answer : 'no idea at all') : String(right ? (q.answer ?? q.min) : 987654);
    return send({ kind: 'action', actionId: input.actionId, text });
  }
  const good = q.type === 'single' ? [q.answer] : q.type === 'multiple' ? q.answer : [q.answer ? 'True' : 'False'];
  if (q.type === 'multiple') {
    const select = comps.find((c) => c.kind === 'select') as Extract<(typeof comps)[number], { kind: 'select' }>;
    const rightValues = select.options.filter((o) => good.includes(o.label)).map((o) => o.value);
    const values = right ? rightValues : select.options.filter((o) => !rightValues.includes(o.value)).slice(0, 1).map((o) => o.value);
    return send({ kind: 'action', actionId: select.actionId, values });
  }
  const pick = buttonsOf(reply).find((b) => b.label !== "I don't know" && good.includes(b.label) === right)!;
  return send({ kind: 'action', actionId: pick.actionId });
}

interface Memory {
  s: number;
  d: number;
  day: number;
}

export interface SimOptions {
  learners?: SimLearner[];
  days?: number;
  /** Whether the bot fits parameters (a fitting pass each simulated day, as its hourly job would). */
  fit: boolean;
  seed?: number;
  newPerDay?: number;
}

export interface SimResult {
  app: App;
  dir: string;
  /** The last simulated day (day numbers as history.ts counts them). */
  lastDay: number;
  /** Per learner: reviews given, the true recall of every card at the end, user id. */
  learners: { name: string; userId: number; reviews: number; cards: number; trueRecall: number }[];
  close(): void;
}

/** Runs the learners for `days` days through the bot; the caller closes the result. */
export async function simulate(opts: SimOptions): Promise<SimResult> {
  const learners = opts.learners ?? LEARNERS;
  const days = opts.days ?? 120;
  const dir = mkdtempSync(join(tmpdir(), 'quizbot-srs-'));
  const config = loadConfig(
    { CONTENT_DIR: contentDir, DATABASE_PATH: join(dir, 'sim.sqlite'), NEW_CARDS_PER_DAY: String(opts.newPerDay ?? 5), MAX_REVIEWS_PER_DAY: '500', QUIZ_MAX_CARDS: '50' },
    '/nonexistent/.env',
  );
  const clock = new ManualClock(new Date(START));
  const app = createApp(config, createLogger('silent'), { clock });
  const rand = seededRandom(opts.seed ?? 7);
  const truth = learners.map((l) => ({ learner: l, alg: new FSRSAlgorithm(generatorParameters({ w: l.w, enable_short_term: false })), cards: new Map<string, Memory>(), reviews: 0 }));
  let counter = 0;
  for (let day = 0; day < days; day++) {
    clock.set(new Date(START + day * DAY));
    const today = dayNumber(new Date(START + day * DAY).toISOString().slice(0, 10));
    for (const t of truth) {
      const actor = { platform: 'terminal' as const, userId: t.learner.name, displayName: t.learner.name, isAdmin: false };
      const place = { serverId: 'local', channelId: 'general' };
      const send: Send = (i) => app.dispatcher.handle({ id: `s${++counter}`, actor, place, ...i } as Interaction);
      for (let round = 0; round < 20; round++) {
        let reply = await send({ kind: 'command', command: 'quiz', options: {} });
        if (!reply.title?.includes('question')) break;
        while (reply.title?.includes('question')) {
          const q = shownQuestion(reply);
          const mem = t.cards.get(q.id);
          const elapsed = mem ? today - mem.day : 0;
          // A question never met is answered right one time in three (a guess among choices).
          const recall = mem ? forgetting_curve(t.learner.w, elapsed, mem.s) : 1 / 3;
          const right = rand() < recall;
          const next = t.alg.next_state(mem ? { stability: mem.s, difficulty: mem.d } : null, elapsed, right ? 3 : 1);
          t.cards.set(q.id, { s: next.stability, d: next.difficulty, day: today });
          t.reviews++;
          clock.advance(15_000);
          const feedback = await answer(send, reply, right);
          const nextButton = buttonsOf(feedback).find((b) => b.label === 'Next ▶' || b.label === 'See my results');
          if (!nextButton) throw new Error(`no Next button: ${plainText(feedback.text).slice(0, 200)}`);
          reply = await send({ kind: 'action', actionId: nextButton.actionId });
        }
      }
    }
    if (opts.fit) await fitDue(app.services);
  }
  const store = quizStore(app.services);
  const lastDay = dayNumber(new Date(START + days * DAY).toISOString().slice(0, 10));
  return {
    app,
    dir,
    lastDay,
    learners: truth.map((t) => {
      const userId = store.q<[string], { id: number }>("SELECT id FROM users WHERE platform = 'terminal' AND external_id = ?").get(t.learner.name)!.id;
      let trueRecall = 0;
      for (const m of t.cards.values()) trueRecall += forgetting_curve(t.learner.w, lastDay - m.day, m.s);
      return { name: t.learner.name, userId, reviews: t.reviews, cards: t.cards.size, trueRecall };
    }),
    close: () => {
      app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Per learner, on the reviews a simulation stored: parameters fitted on the first `trainShare` of
 * the days, and the log loss of FSRS-6's defaults and of the fitted parameters on the later
 * reviews (each predicted from the card's whole history before it).
 */
export async function heldOutLogLoss(sim: SimResult, days: number, trainShare = 2 / 3): Promise<{ name: string; defaults: number; fitted: number; trainItems: number; testItems: number }[]> {
  const store = quizStore(sim.app.services);
  const split = sim.lastDay - days + Math.round(days * trainShare);
  const thread = new FitThread();
  try {
    const out = [];
    for (const l of sim.learners) {
      const histories = cardHistories(
        store
          .q<[number], { questionId: string; rating: number; localDay: string }>(
            'SELECT question_id questionId, rating, local_day localDay FROM reviews WHERE user_id = ? AND was_due = 1 ORDER BY question_id, answered_at, id',
          )
          .iterate(l.userId),
      );
      const train = itemCount(histories.map((h) => h.filter((r) => r.day < split)));
      const test = itemCount(histories) - train;
      const res = await thread.run({ histories: packHistories(histories), trainDays: [-Infinity, split], evalDays: [split, Infinity], evaluate: [null], fit: true });
      out.push({ name: l.name, defaults: res.metrics[0]!.logLoss, fitted: res.metrics[1]!.logLoss, trainItems: train, testItems: test });
    }
    return out;
  } finally {
    await thread.close();
  }
}
