import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { Interaction, Reply } from '../src/core/interaction.js';
import { readBoard } from '../src/core/quiz/leaderboard.js';
import { quizStore } from '../src/core/quiz/store.js';
import { ManualClock } from '../src/core/services.js';
import { tenantOf } from '../src/core/tenant.js';
import { createLogger } from '../src/logger.js';
import { learnerDay } from '../src/core/util/time.js';
import { median, percentile, round, type Benchmark } from './harness.js';

const contentDir = fileURLToPath(new URL('../../content/', import.meta.url));
const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T09:00:00Z');
/** Answers in flight at once in the answer benchmark. */
const CONCURRENCY = 50;
/** Timed answer rounds; as many again, in between, measure the time spent inside SQLite. */
const TIMED_ROUNDS = 5;

/**
 * Runs `work` with every prepared statement's run/get/all timed (BEGIN and COMMIT included, since
 * the grouped writes prepare them too), and returns the milliseconds spent inside SQLite.
 */
async function timeInsideSqlite(db: Database.Database, work: () => Promise<void>): Promise<number> {
  const proto = Object.getPrototypeOf(db.prepare('SELECT 1')) as Record<'run' | 'get' | 'all', (...args: unknown[]) => unknown>;
  const originals = { run: proto.run, get: proto.get, all: proto.all };
  let ms = 0;
  for (const name of ['run', 'get', 'all'] as const) {
    const original = originals[name];
    proto[name] = function (this: unknown, ...args: unknown[]) {
      const t = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        ms += performance.now() - t;
      }
    };
  }
  try {
    await work();
  } finally {
    Object.assign(proto, originals);
  }
  return ms;
}

/** The bot as it runs: background work (database checkpoints included) started. */
function benchApp(dir: string): App {
  const config = loadConfig({ CONTENT_DIR: contentDir, DATABASE_PATH: join(dir, 'bench.sqlite'), NEW_CARDS_PER_DAY: String(2 * TIMED_ROUNDS) }, '/nonexistent/.env');
  const app = createApp(config, createLogger('silent'), { clock: new ManualClock(new Date(NOW)) });
  app.startBackground();
  return app;
}

/** Users u1…uN of the 'bench' platform (ids 1…N in a fresh database). */
function seedUsers(app: App, users: number): void {
  app.services.db.$client
    .prepare(
      `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?)
       INSERT INTO users (platform, external_id, display_name) SELECT 'bench', 'u' || i, 'user ' || i FROM s`,
    )
    .run(users);
}

/** Synthetic history: users, a bank of questions, past reviews and cards, written in SQL. */
function seedHistory(app: App, users: number, reviews: number, cardsPerUser: number): void {
  const db = app.services.db.$client;
  db.exec('BEGIN');
  seedUsers(app, users);
  db.prepare("INSERT INTO banks (id, title, origin, content_hash, updated_at) VALUES ('bench', 'Bench', 'import', 'x', 0)").run();
  db.prepare(
    `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?)
     INSERT INTO questions (id, bank_id, position, type, body, content_hash, updated_at)
     SELECT 'bench-' || i, 'bench', i, 'true_false',
       json_object('id', 'bench-' || i, 'type', 'true_false', 'prompt', 'Bench statement ' || i, 'answer', json('true'), 'explanation', 'Because.', 'tags', json('[]')),
       'h' || i, 0 FROM s`,
  ).run(cardsPerUser);
  db.prepare(
    `WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ? - 1)
     INSERT INTO reviews (user_id, question_id, rating, correct, was_due, was_new, answered_at, local_day)
     SELECT (i % ?) + 1, 'bench-' || cast(cast(i / ? AS INTEGER) % ? + 1 AS INTEGER), 3, 1, 1, 0, ? - (i % 365) * ?, '2026-01-01' FROM s`,
  ).run(reviews, users, users, cardsPerUser, NOW, DAY);
  db.prepare(
    `WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ? - 1)
     INSERT INTO cards (user_id, question_id, due, stability, difficulty, elapsed_days, scheduled_days, learning_steps, reps, lapses, state, last_review)
     SELECT cast(i / ? AS INTEGER) + 1, 'bench-' || cast((i % ?) + 1 AS INTEGER), ? + ((i * 7919) % 61 - 30) * ?, 5.0, 5.0, 3, 5, 0, 3, 0, 2, ? - 5 * ? FROM s`,
  ).run(users * cardsPerUser, cardsPerUser, cardsPerUser, NOW, DAY, NOW, DAY);
  db.exec('COMMIT');
  db.exec('ANALYZE');
}

async function answerThroughput(app: App, users: number): Promise<{ answerUs: number; floorUs: number; sqliteUs: number }> {
  const db = app.services.db.$client;
  db.exec('CREATE TABLE floor_insert (id INTEGER PRIMARY KEY, v TEXT)');
  const floor = db.prepare('INSERT INTO floor_insert (v) VALUES (?)');
  const place = { serverId: 'bench-server', channelId: 'c1' };
  const actorOf = (i: number) => ({ platform: 'bench' as const, userId: `u${i + 1}`, displayName: `user ${i + 1}`, isAdmin: false });
  let n = 0;
  const handle = (i: Interaction) => app.dispatcher.handle(i);
  // Each user's quiz: the content's new questions (all due cards are moved out of the way).
  db.exec(`UPDATE cards SET due = ${NOW + 365 * DAY}`);
  const sessions: Reply[] = [];
  for (let u = 0; u < users; u++) {
    sessions.push(await handle({ kind: 'command', id: `s${u}`, actor: actorOf(u) as never, place, command: 'quiz', options: {} }));
  }
  const answerRounds: number[] = [];
  const floorRounds: number[] = [];
  const sqliteRounds: number[] = [];
  for (let position = 0; position < 2 * TIMED_ROUNDS; position++) {
    const ids = sessions.map((reply) => (reply.components ?? []).flat().find((c) => c.kind === 'button' && c.actionId.startsWith('qa:'))!);
    // Users answer concurrently, as on a busy morning: CONCURRENCY interactions in flight at once.
    const answerAll = async () => {
      for (let from = 0; from < users; from += CONCURRENCY) {
        const wave = ids.slice(from, from + CONCURRENCY).map((button, k) =>
          handle({ kind: 'action', id: `a${position}-${from + k}`, actor: actorOf(from + k) as never, place, actionId: (button as { actionId: string }).actionId }),
        );
        for (const reply of await Promise.all(wave)) if (!reply.title) throw new Error(`answer failed: ${reply.text}`);
      }
    };
    if (position % 2) {
      // Every other round is not timed as a whole: how much of an answer is SQLite's own work.
      sqliteRounds.push(((await timeInsideSqlite(db, answerAll)) * 1000) / users);
    } else {
      // Floor and answers side by side, alternating, so both see the same machine state.
      let t = performance.now();
      for (let u = 0; u < users; u++) floor.run(`row ${n++}`);
      floorRounds.push(((performance.now() - t) * 1000) / users);
      t = performance.now();
      await answerAll();
      answerRounds.push(((performance.now() - t) * 1000) / users);
    }
    if (position === 2 * TIMED_ROUNDS - 1) break;
    // Untimed: press Next to get each user's following question.
    for (let u = 0; u < users; u++) {
      const sid = (ids[u] as { actionId: string }).actionId.split(':')[1];
      sessions[u] = await handle({ kind: 'action', id: `n${position}-${u}`, actor: actorOf(u) as never, place, actionId: `qn:${sid}` });
    }
  }
  return { answerUs: median(answerRounds), floorUs: median(floorRounds), sqliteUs: median(sqliteRounds) };
}

/** The benchmark's one server: its board scope, and the tenant whose questions are asked. */
const BENCH_TENANT = tenantOf('bench', { serverId: 's' });

function dueCards(app: App, users: number, queries: number): number {
  const store = quizStore(app.services);
  const times: number[] = [];
  for (let i = 0; i < queries; i++) {
    const user = ((i * 7919) % users) + 1;
    const t = performance.now();
    // As a quiz plans: the learner's day, then every card due before it ends, most overdue first.
    const day = learnerDay(new Date(NOW), 'UTC', app.services.config.DAY_STARTS_AT_HOUR);
    store.stmt.dueCards.all({ userId: user, dayEnd: day.end, tenant: BENCH_TENANT, limit: 20 });
    times.push(performance.now() - t);
  }
  return percentile(times, 95);
}

function leaderboard(dir: string, users: number, awards: number): { p95: number; groupByMs: number; boardMedian: number; coldMs: number } {
  const app = benchApp(dir);
  try {
    const db = app.services.db.$client;
    db.exec('BEGIN');
    seedUsers(app, users);
    db.prepare(
      `WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ? - 1)
       INSERT INTO awards (award_key, user_id, server_key, channel_id, points, reason, created_at)
       SELECT 'k' || i, ((i * 7919) % ?) + 1, 'bench:s', 'c', 5 + (i % 3) * 5, 'quiz', ? + i FROM s`,
    ).run(awards, users, NOW - awards);
    // The running totals the bot keeps as it awards, built here in one pass.
    db.prepare("INSERT INTO scores (scope, period, user_id, points, reached_at) SELECT 'bench:s', 'all', user_id, sum(points), max(created_at) FROM awards GROUP BY user_id").run();
    db.exec('COMMIT');
    db.exec('ANALYZE');
    const store = quizStore(app.services);
    // The first read loads the board's standings into memory: once per board per process.
    let t = performance.now();
    readBoard(store, BENCH_TENANT, 'bench:s', 'all', 1);
    const coldMs = performance.now() - t;
    const times: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const user = ((i * 104729) % users) + 1;
      t = performance.now();
      readBoard(store, BENCH_TENANT, 'bench:s', 'all', user);
      times.push(performance.now() - t);
    }
    const groupBy = db.prepare(
      "SELECT user_id, sum(points) points, max(created_at) reached FROM awards WHERE server_key = 'bench:s' GROUP BY user_id ORDER BY points DESC, reached ASC LIMIT 10",
    );
    const groupTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      t = performance.now();
      groupBy.all();
      groupTimes.push(performance.now() - t);
    }
    return { p95: percentile(times, 95), boardMedian: median(times), groupByMs: median(groupTimes), coldMs };
  } finally {
    app.close();
  }
}

export const quizBenchmark: Benchmark = {
  name: 'quiz',
  async run() {
    const scale = Number(process.env.BENCH_SCALE ?? '1');
    const dir = mkdtempSync(join(tmpdir(), 'quizbot-bench-quiz-'));
    try {
      const users = Math.round(10_000 * scale);
      const app = benchApp(dir);
      let answer: { answerUs: number; floorUs: number; sqliteUs: number };
      let due: number;
      try {
        seedHistory(app, users, Math.round(1_000_000 * scale), 100);
        due = dueCards(app, users, 5000);
        answer = await answerThroughput(app, Math.min(users, 2000));
      } finally {
        app.close();
      }
      const board = leaderboard(join(dir, 'board'), Math.round(100_000 * scale), Math.round(10_000_000 * scale));
      const perSecond = Math.round(1e6 / answer.answerUs);
      const vsFloor = round(answer.answerUs / answer.floorUs, 2);
      const sqliteVsFloor = round(answer.sqliteUs / answer.floorUs, 2);
      const vsGroupBy = round(board.groupByMs / board.boardMedian, 0);
      return {
        figures: {
          answer_per_s: perSecond,
          answer_vs_floor: vsFloor,
          answer_sqlite_us: round(answer.sqliteUs, 1),
          answer_sqlite_vs_floor: sqliteVsFloor,
          leaderboard_p95_ms: round(board.p95, 3),
          leaderboard_vs_groupby: vsGroupBy,
          leaderboard_cold_ms: round(board.coldMs, 1),
          due_cards_p95_ms: round(due, 3),
        },
        rows: [
          [`answer: whole core path (10k users, 1M reviews, ${CONCURRENCY} in flight)`, `${perSecond}/s (${round(answer.answerUs, 1)} µs each)`, '≥ 5000/s'],
          ['answer vs floor (one-row insert+commit)', `${vsFloor}× (floor ${round(answer.floorUs, 1)} µs)`, '≤ 12×'],
          ["the answer's SQLite statements alone (commits included), vs floor", `${round(answer.sqliteUs, 1)} µs, ${sqliteVsFloor}×`, ''],
          ['leaderboard top 10 + rank around me (100k users, 10M awards), p95', `${round(board.p95, 3)} ms`, '< 5 ms'],
          ['leaderboard vs plain GROUP BY over awards', `${vsGroupBy}× faster (GROUP BY ${round(board.groupByMs, 0)} ms)`, '≥ 50×'],
          ['leaderboard first read after start (loads 100k standings)', `${round(board.coldMs, 1)} ms`, 'once per board'],
          ["a user's due cards (1M cards), p95", `${round(due, 3)} ms`, '< 1 ms'],
        ],
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
