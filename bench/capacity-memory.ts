import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { loadContent } from '../src/core/content/load.js';
import { correctAnswers } from '../src/core/content/schema.js';
import type { Actor, Interaction, Reply } from '../src/core/interaction.js';
import { plainText } from '../src/core/markup.js';
import { leaderboardView } from '../src/core/quiz/leaderboard.js';
import { createLogger } from '../src/logger.js';
import { packageRoot } from '../src/paths.js';
import type { PlatformHandle } from '../src/platforms/platform.js';
import { envWithoutPlatforms } from '../tests/fakes/child-env.js';
import { FakeDiscord } from '../tests/fakes/discord/index.js';
import { FAILURE_TEXT } from './capacity-load.js';
import { collect, mb, runJsonChild } from './harness.js';

/**
 * The bot's memory with many users' state: a database seeded with `users` learners (their
 * progress, FSRS cards, review history, an open quiz, awards, leaderboard totals and streak, in
 * servers of 100 members), then a fresh process that opens it as the bot does (the app, and the
 * Discord client connected to the fake gateway), serves a request for each learner through the
 * dispatcher (each resumes their quiz; every server's weekly board is read; one learner in a
 * thousand also reads /leaderboard and /stats, drawn as cards), so every cache is as warm as
 * those users make it, and reports its resident memory after a forced collection.
 *
 * One learner's rows are made by the bot itself (a quiz started and three questions answered
 * through the dispatcher); the others are copies of those rows made in SQL, each with its own
 * cards, reviews, points and server.
 */

const contentDir = join(packageRoot, 'content');
const DAY = 86_400_000;
/** Members per server. */
export const MEMBERS_PER_SERVER = 100;
/** Cards (and past reviews) per learner: a few weeks of daily quizzes. */
const CARDS_PER_USER = 20;
/** Requests in flight at once while warming up. */
const CONCURRENCY = 50;
/** One learner in this many also reads /leaderboard and /stats, each drawn as a card. */
const CARD_EVERY = 1000;
const TEMPLATE_SERVER = 'g0000000';

export interface MemoryResult {
  users: number;
  rssMb: number;
  /** The process's own memory (heap, code, caches) and the database pages it mapped. */
  anonMb: number;
  fileMb: number;
  heapMb: number;
  rssBeforeMb: number;
  /** The database file as seeded, before the bot opened it. */
  dbMb: number;
  requests: number;
  seconds: number;
}

/** Copies the template learner's rows to `users` learners in SQL. */
function seed(app: App, users: number): void {
  const db = app.services.db.$client;
  const servers = Math.max(1, Math.ceil(users / MEMBERS_PER_SERVER));
  const template = db.prepare("SELECT id, created_at FROM users WHERE external_id = 'template'").get() as { id: number; created_at: number };
  const now = Date.now();
  db.exec('BEGIN');
  db.prepare(
    `WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ? - 1)
     INSERT INTO users (platform, external_id, display_name, created_at) SELECT 'discord', 'u' || i, 'Learner ' || i, ? FROM s`,
  ).run(users, template.created_at);
  db.exec('CREATE TEMP TABLE learners (id INTEGER PRIMARY KEY, server TEXT NOT NULL)');
  db.prepare("INSERT INTO temp.learners SELECT id, printf('g%07d', (id - ? - 1) % ?) FROM users WHERE id > ?").run(template.id, servers, template.id);
  db.exec('CREATE TEMP TABLE qs (r INTEGER PRIMARY KEY, id TEXT NOT NULL)');
  db.exec('INSERT INTO temp.qs SELECT row_number() OVER (ORDER BY id) - 1, id FROM questions');
  const questions = (db.prepare('SELECT count(*) n FROM temp.qs').get() as { n: number }).n;
  db.exec('CREATE TEMP TABLE ks (k INTEGER PRIMARY KEY)');
  db.prepare('WITH RECURSIVE s(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM s WHERE k < ? - 1) INSERT INTO temp.ks SELECT k FROM s').run(CARDS_PER_USER);
  const replace = (column: string) => `replace(${column}, '${TEMPLATE_SERVER}', l.server)`;

  db.prepare(`INSERT INTO members (tenant, user_id, display_name) SELECT ${replace('m.tenant')}, l.id, u.display_name FROM temp.learners l JOIN users u ON u.id = l.id JOIN members m ON m.user_id = ?`).run(template.id);
  // Cards: the template's first card's memory state, on questions spread over the content, some due today.
  db.prepare(
    `INSERT INTO cards (user_id, question_id, due, stability, difficulty, elapsed_days, scheduled_days, learning_steps, reps, lapses, state, last_review)
     SELECT l.id, q.id, ? + ((l.id * 7 + k.k * 13) % 20 - 5) * ?, c.stability, c.difficulty, c.elapsed_days, c.scheduled_days, c.learning_steps, 1 + k.k % 4, 0, c.state, ? - (1 + k.k) * ?
     FROM temp.learners l JOIN temp.ks k JOIN temp.qs q ON q.r = (l.id * 3 + k.k) % ?
     JOIN (SELECT * FROM cards WHERE user_id = ? LIMIT 1) c`,
  ).run(now, DAY, now, DAY, questions, template.id);
  db.prepare(
    `INSERT INTO reviews (user_id, question_id, rating, correct, was_due, was_new, answered_at, local_day)
     SELECT l.id, q.id, CASE WHEN (l.id + k.k) % 5 = 0 THEN 1 ELSE 3 END, (l.id + k.k) % 5 != 0, 1, k.k < 5, ? - (1 + k.k) * ?, date((? - (1 + k.k) * ?) / 1000, 'unixepoch')
     FROM temp.learners l JOIN temp.ks k JOIN temp.qs q ON q.r = (l.id * 3 + k.k) % ?`,
  ).run(now, DAY, now, DAY, questions);
  // The open quiz, where the template left it, and its answers so far.
  db.prepare(
    `INSERT INTO quiz_sessions (id, user_id, server_id, channel_id, mode, lesson_id, question_ids, position, choice_order, choice_version, correct, points, missed, started_at, finished_at, local_day)
     SELECT printf('s%07x', l.id), l.id, l.server, s.channel_id, s.mode, s.lesson_id, s.question_ids, s.position, s.choice_order, s.choice_version, s.correct, s.points, s.missed, s.started_at, NULL, s.local_day
     FROM temp.learners l JOIN quiz_sessions s ON s.user_id = ?`,
  ).run(template.id);
  db.prepare(
    `INSERT INTO session_answers (session_id, position, question_id, answer, correct, points, interaction_id, answered_at)
     SELECT printf('s%07x', l.id), a.position, a.question_id, a.answer, a.correct, a.points, 'seed:' || l.id || ':' || a.position, a.answered_at
     FROM temp.learners l JOIN quiz_sessions s ON s.user_id = ? JOIN session_answers a ON a.session_id = s.id`,
  ).run(template.id);
  // Points: one award each, of a size that varies by learner, and the running totals that match it.
  const points = '10 * (1 + (l.id * 7919) % 50)';
  db.prepare(
    `INSERT INTO awards (award_key, user_id, server_key, channel_id, points, reason, created_at)
     SELECT a.award_key || ':' || l.id, l.id, ${replace('a.server_key')}, a.channel_id, ${points}, a.reason, a.created_at - l.id
     FROM temp.learners l JOIN awards a ON a.user_id = ?`,
  ).run(template.id);
  db.prepare(
    `INSERT INTO scores (scope, period, user_id, points, reached_at)
     SELECT ${replace('s.scope')}, s.period, l.id, ${points}, s.reached_at - l.id FROM temp.learners l JOIN scores s ON s.user_id = ?`,
  ).run(template.id);
  db.prepare('INSERT INTO streaks (user_id, current, best, last_day) SELECT l.id, s.current, s.best, s.last_day FROM temp.learners l JOIN streaks s ON s.user_id = ?').run(template.id);
  db.prepare(
    `INSERT OR IGNORE INTO seasons (server_key, number, started_at, ended_at, ended_by)
     SELECT DISTINCT replace(s.server_key, '${TEMPLATE_SERVER}', l.server), s.number, s.started_at, NULL, NULL FROM temp.learners l JOIN seasons s ON s.server_key = 'discord:${TEMPLATE_SERVER}'`,
  ).run();
  db.exec('COMMIT');
  db.exec('DROP TABLE temp.learners; DROP TABLE temp.qs; DROP TABLE temp.ks');
}

/**
 * A button of the shown question that is right (or wrong): the template learner answers one right
 * and the others wrong, so it has exactly one award to copy, whatever order the choices came in.
 */
function answerButton(reply: Reply, right: boolean): string {
  const shown = plainText(reply.text);
  const question = loadContent(contentDir).banks.flatMap((b) => b.bank.questions).find((q) => shown.includes(q.prompt));
  const answers = question ? correctAnswers(question) : [];
  const b = (reply.components ?? []).flat().find((c) => c.kind === 'button' && c.actionId.startsWith('qa:') && answers.includes(plainText(c.label)) === right);
  return b && b.kind === 'button' ? b.actionId : button(reply, 'qa:');
}

function button(reply: Reply, prefix: string): string {
  const b = (reply.components ?? []).flat().find((c) => c.kind === 'button' && c.actionId.startsWith(prefix));
  if (!b || b.kind !== 'button') throw new Error(`no ${prefix} button in: ${reply.text.slice(0, 200)}`);
  return b.actionId;
}

/** A database with `users` learners' state, made in this process (the measuring one is fresh). */
export async function seedDatabase(path: string, users: number): Promise<void> {
  const config = loadConfig({ CONTENT_DIR: contentDir, DATABASE_PATH: path }, '/nonexistent/.env');
  const app = createApp(config, createLogger('silent'));
  try {
    const actor: Actor = { platform: 'discord', userId: 'template', displayName: 'Template', isAdmin: false };
    let n = 0;
    const handle = (rest: Record<string, unknown>) => app.dispatcher.handle({ id: `seed${++n}`, actor, place: { serverId: TEMPLATE_SERVER, channelId: 'c0000000' }, ...rest } as Interaction);
    // The template learner: a quiz started, three questions answered (one right), the fourth shown.
    let reply = await handle({ kind: 'command', command: 'quiz', options: {} });
    for (let k = 0; k < 3; k++) {
      reply = await handle({ kind: 'action', actionId: answerButton(reply, k === 0) });
      reply = await handle({ kind: 'action', actionId: button(reply, 'qn:') });
    }
    seed(app, users);
    app.services.db.$client.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    app.close();
  }
}

function statusMb(field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The fresh process: opens the database as the bot does, serves one request per learner, measures. */
async function child(path: string, users: number): Promise<void> {
  const config = loadConfig({ ...process.env, CONTENT_DIR: contentDir, DATABASE_PATH: path, LOG_LEVEL: 'warn' } as Record<string, string>, '/nonexistent/.env');
  const logger = createLogger('warn');
  const app = createApp(config, logger);
  let discord: PlatformHandle | undefined;
  try {
    app.startBackground();
    const { startDiscord } = await import('../src/platforms/discord/index.js');
    discord = await startDiscord(app, logger);
    collect();
    const rssBeforeMb = mb(process.memoryUsage().rss);
    const started = performance.now();
    let requests = 0;
    const servers = Math.ceil(users / MEMBERS_PER_SERVER);
    const actorOf = (i: number): Actor => ({ platform: 'discord', userId: `u${i}`, displayName: `Learner ${i}`, isAdmin: false });
    const placeOf = (i: number) => ({ serverId: `g${String(i % servers).padStart(7, '0')}`, channelId: 'c0000000' });
    const request = (i: number, command: string) => app.dispatcher.handle({ kind: 'command', id: `warm-${command}-${i}`, actor: actorOf(i), place: placeOf(i), command, options: {} } as Interaction);
    // Every learner resumes their quiz: their user row, name, session and due cards are read.
    for (let from = 0; from < users; from += CONCURRENCY) {
      const wave: Promise<Reply>[] = [];
      for (let i = from; i < Math.min(users, from + CONCURRENCY); i++) wave.push(request(i, 'quiz'));
      (await Promise.all(wave)).forEach((reply, k) => {
        // Resumed where the seeded quiz stopped: the seeded state is what the bot serves.
        if (!reply.text.includes('Picking up where you left off')) throw new Error(`learner ${from + k} was not served their quiz: ${reply.text.slice(0, 200)}`);
        requests++;
      });
    }
    // Every server's weekly board, as /leaderboard reads it (its standings stay in memory), without
    // drawing a card for each: one learner in CARD_EVERY reads /leaderboard and /stats in full.
    const now = app.services.clock.now();
    for (let s = 0; s < servers; s++) {
      const view = leaderboardView(app.services, actorOf(s), placeOf(s), 'week', 'server', undefined, now);
      if (!view) throw new Error(`no board for server ${s}`);
    }
    for (let i = 0; i < users; i += CARD_EVERY) {
      for (const command of ['leaderboard', 'stats']) {
        const reply = await request(i, command);
        if (!reply.image || FAILURE_TEXT.test(reply.text)) throw new Error(`/${command} for learner ${i} drew no card: ${reply.text.slice(0, 200)}`);
        requests++;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    collect();
    const result: MemoryResult = {
      users,
      rssMb: mb(process.memoryUsage().rss),
      anonMb: statusMb('RssAnon'),
      fileMb: statusMb('RssFile'),
      heapMb: mb(process.memoryUsage().heapUsed),
      rssBeforeMb,
      dbMb: 0,
      requests,
      seconds,
    };
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    await discord?.stop();
    app.close();
  }
}

/** Seeds a database for `users` learners, then measures a fresh bot process on it. */
export async function measureMemory(dir: string, users: number): Promise<MemoryResult> {
  const path = join(dir, `memory-${users}.sqlite`);
  await seedDatabase(path, users);
  const dbMb = mb(statSync(path).size);
  const fake = await FakeDiscord.start();
  try {
    const result = await runJsonChild<MemoryResult>(fileURLToPath(import.meta.url), ['--child', path, String(users)], 'memory', { ...envWithoutPlatforms(), ...fake.env() });
    return { ...result, dbMb };
  } finally {
    await fake.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--child') {
  child(process.argv[3]!, Number(process.argv[4])).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
