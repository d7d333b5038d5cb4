import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { default_w, FSRSAlgorithm, forgetting_curve, generatorParameters } from 'ts-fsrs';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { Interaction, Reply } from '../src/core/interaction.js';
import { ManualClock } from '../src/core/services.js';
import { fitDue } from '../src/core/srs/fit.js';
import { createLogger } from '../src/logger.js';
import { percentile, round, type Benchmark } from './harness.js';
import { heldOutLogLoss, simulate, type SimResult } from './srs-sim.js';
import { seededRandom } from '../src/core/util/seeded-random.js';

/**
 * Per-learner FSRS parameters: how much better they predict and schedule simulated learners than
 * FSRS-6's defaults, how long fitting takes, and what a fit in flight does to answer latency.
 */

const contentDir = fileURLToPath(new URL('../../content/', import.meta.url));
const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T09:00:00Z');
const SIM_DAYS = 120;
/** Answers timed with, and as many without, a fit in flight. */
const TIMED_ANSWERS = 400;


function benchApp(dir: string): App {
  const config = loadConfig(
    { CONTENT_DIR: contentDir, DATABASE_PATH: join(dir, 'bench.sqlite'), NEW_CARDS_PER_DAY: '50', QUIZ_MAX_CARDS: '50', MAX_REVIEWS_PER_DAY: '500', RATE_LIMIT_BURST: '10000' },
    '/nonexistent/.env',
  );
  return createApp(config, createLogger('silent'), { clock: new ManualClock(new Date(NOW)) });
}

/**
 * Reviews in SQL for `learners` learners of one tenant, `cards` cards each, `perCard` reviews a
 * card: right with the chance of recall of a learner slower to forget than the defaults say, each
 * next review after the interval the default parameters would give.
 */
function seedReviews(app: App, tenant: string, firstId: string, learners: number, cards: number, perCard: number): void {
  const db = app.services.db.$client;
  const rand = seededRandom(11);
  const truth = [...default_w];
  truth[8] = truth[8]! + Math.log(1.8);
  const trueAlg = new FSRSAlgorithm(generatorParameters({ w: truth, enable_short_term: false }));
  const schedAlg = new FSRSAlgorithm(generatorParameters({ enable_short_term: false }));
  const user = db.prepare('INSERT INTO users (platform, external_id, display_name) VALUES (?, ?, ?) RETURNING id');
  const member = db.prepare('INSERT INTO members (tenant, user_id, display_name) VALUES (?, ?, ?)');
  const review = db.prepare('INSERT INTO reviews (user_id, question_id, rating, correct, was_due, was_new, answered_at, local_day) VALUES (?, ?, ?, ?, 1, ?, ?, ?)');
  db.exec('BEGIN');
  for (let l = 0; l < learners; l++) {
    const name = `${firstId}${l}`;
    const { id } = user.get('bench', name, name) as { id: number };
    member.run(tenant, id, name);
    for (let c = 0; c < cards; c++) {
      let day = Math.floor(rand() * 30);
      let mem: { stability: number; difficulty: number } | null = null;
      let sched: { stability: number; difficulty: number } | null = null;
      let elapsed = 0;
      for (let k = 0; k < perCard; k++) {
        const right = rand() < (mem ? forgetting_curve(truth, elapsed, mem.stability) : 0.5);
        const g = right ? 3 : 1;
        mem = trueAlg.next_state(mem, elapsed, g);
        sched = schedAlg.next_state(sched, elapsed, g);
        const at = NOW - 400 * DAY + day * DAY;
        review.run(id, `q${c}`, g, right ? 1 : 0, k === 0 ? 1 : 0, at, new Date(at).toISOString().slice(0, 10));
        elapsed = Math.max(1, Math.round(sched.stability));
        day += elapsed;
      }
    }
  }
  db.exec('COMMIT');
}

/** Milliseconds of one fitting pass. */
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/**
 * Answer latency, `TIMED_ANSWERS` answers in a row by learners of another server: first with no
 * fit running, then with the server's fit (1,000 learners) kept in flight throughout.
 */
async function answerLatency(app: App): Promise<{ idle: number[]; fitting: number[]; fits: number }> {
  const place = { serverId: 'latency', channelId: 'c1' };
  let n = 0;
  let learner = 0;
  let reply: Reply | undefined;
  const actor = () => ({ platform: 'bench' as const, userId: `answerer${learner}`, displayName: `answerer ${learner}`, isAdmin: false });
  const handle = (i: Record<string, unknown>) => app.dispatcher.handle({ id: `l${++n}`, actor: actor(), place, ...i } as unknown as Interaction);
  /** One answer ("I don't know", which every question offers), timed; the next question, not timed. */
  const answerOne = async (): Promise<number> => {
    while (!reply?.title?.includes('question')) {
      learner++;
      reply = await handle({ kind: 'command', command: 'quiz', options: {} });
    }
    const unknown = (reply.components ?? []).flat().find((c) => c.kind === 'button' && c.label === "I don't know") as { actionId: string };
    const t = performance.now();
    const feedback = await handle({ kind: 'action', actionId: unknown.actionId });
    const ms = performance.now() - t;
    const next = (feedback.components ?? []).flat().find((c) => c.kind === 'button' && (c.label === 'Next ▶' || c.label === 'See my results')) as { actionId: string; label: string };
    reply = next.label === 'Next ▶' ? await handle({ kind: 'action', actionId: next.actionId }) : undefined;
    return ms;
  };
  for (let i = 0; i < 50; i++) await answerOne();
  const idle: number[] = [];
  for (let i = 0; i < TIMED_ANSWERS; i++) idle.push(await answerOne());
  const fitting: number[] = [];
  let fits = 0;
  let pass: Promise<unknown> | undefined;
  let done = true;
  while (fitting.length < TIMED_ANSWERS) {
    if (done) {
      done = false;
      fits++;
      pass = fitDue(app.services, { users: false, force: true }).finally(() => (done = true));
    }
    fitting.push(await answerOne());
  }
  await pass;
  return { idle, fitting, fits };
}

export const srsBenchmark: Benchmark = {
  name: 'srs',
  async run() {
    // Simulated learners, 120 days, scheduled with the defaults and then with fitted parameters.
    const byDefault: SimResult = await simulate({ days: SIM_DAYS, fit: false });
    const held = await heldOutLogLoss(byDefault, SIM_DAYS);
    byDefault.close();
    const fitted: SimResult = await simulate({ days: SIM_DAYS, fit: true });
    fitted.close();
    const items = held.reduce((k, h) => k + h.testItems, 0);
    const logLoss = (key: 'defaults' | 'fitted') => held.reduce((sum, h) => sum + h[key] * h.testItems, 0) / items;
    const reviews = (r: SimResult) => r.learners.reduce((k, l) => k + l.reviews, 0);
    const recalled = (r: SimResult) => r.learners.reduce((k, l) => k + l.trueRecall, 0);
    const cards = (r: SimResult) => r.learners.reduce((k, l) => k + l.cards, 0);

    const dir = mkdtempSync(join(tmpdir(), 'quizbot-bench-srs-'));
    const app = benchApp(dir);
    try {
      // One learner with 5,000 reviews (500 cards, 10 each); a server of 1,000 learners with 60 each.
      seedReviews(app, 'bench:solo', 'solo', 1, 500, 10);
      seedReviews(app, 'bench:srv', 'm', 1000, 6, 10);
      app.services.db.$client.exec('ANALYZE');
      const soloId = (app.services.db.$client.prepare("SELECT id FROM users WHERE external_id = 'solo0'").get() as { id: number }).id;
      const learnerMs = await timed(() => fitDue(app.services, { userId: soloId, force: true }));
      const serverMs = await timed(() => fitDue(app.services, { users: false, force: true }));
      const latency = await answerLatency(app);
      const figures = {
        srs_logloss_default: round(logLoss('defaults'), 4),
        srs_logloss_fitted: round(logLoss('fitted'), 4),
        srs_reviews_per_retained_card_default: round(reviews(byDefault) / recalled(byDefault), 3),
        srs_reviews_per_retained_card_fitted: round(reviews(fitted) / recalled(fitted), 3),
        srs_true_retention_default: round(recalled(byDefault) / cards(byDefault), 4),
        srs_true_retention_fitted: round(recalled(fitted) / cards(fitted), 4),
        srs_reviews_default: reviews(byDefault),
        srs_reviews_fitted: reviews(fitted),
        srs_fit_ms_learner_5000_reviews: round(learnerMs, 0),
        srs_fit_ms_server_1000_learners: round(serverMs, 0),
        answer_p99_ms_no_fit: round(percentile(latency.idle, 99), 2),
        answer_p99_ms_during_fit: round(percentile(latency.fitting, 99), 2),
        answer_p50_ms_no_fit: round(percentile(latency.idle, 50), 2),
        answer_p50_ms_during_fit: round(percentile(latency.fitting, 50), 2),
        srs_fits_during_latency_run: latency.fits,
      };
      const perLearner = held.map((h) => `${h.name} ${round(h.defaults, 3)} → ${round(h.fitted, 3)}`).join(', ');
      return {
        figures,
        rows: [
          [`held-out log loss, last third of ${SIM_DAYS} days (defaults → fitted; ${perLearner})`, `${figures.srs_logloss_default} → ${figures.srs_logloss_fitted}`, 'fitted lower'],
          [
            `reviews per retained card after ${SIM_DAYS} days (true retention ${figures.srs_true_retention_default} → ${figures.srs_true_retention_fitted})`,
            `${figures.srs_reviews_per_retained_card_default} → ${figures.srs_reviews_per_retained_card_fitted}`,
            'fitted lower',
          ],
          ['fit one learner, 5,000 reviews (read, fit, evaluate, write)', `${figures.srs_fit_ms_learner_5000_reviews} ms`, 'off the answering path'],
          ['fit a server of 1,000 learners (60,000 reviews)', `${figures.srs_fit_ms_server_1000_learners} ms`, 'off the answering path'],
          ['answer p99 without / with a fit in flight', `${figures.answer_p99_ms_no_fit} / ${figures.answer_p99_ms_during_fit} ms`, 'about the same'],
        ],
      };
    } finally {
      app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
