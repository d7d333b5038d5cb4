import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { plainText } from '../src/core/markup.js';
import { quizStore } from '../src/core/quiz/store.js';
import { ManualClock } from '../src/core/services.js';
import { telemetry } from '../src/core/telemetry.js';
import { answerLogFile, type AnswerEffects } from '../src/db/answer-log.js';
import { createLogger } from '../src/logger.js';
import { actor, as, buttons, makeApp } from './helpers/app.js';
import { answer } from './helpers/answers.js';
import { repoRoot } from './helpers/cli.js';

const apps: App[] = [];
afterEach(() => {
  while (apps.length) apps.pop()!.close();
});

function reopen(dbPath: string, clock: ManualClock): App {
  const config = loadConfig({ CONTENT_DIR: `${repoRoot}/content`, DATABASE_PATH: dbPath }, '/nonexistent/.env');
  const app = createApp(config, createLogger('silent'), { clock });
  apps.push(app);
  return app;
}

const count = (db: Database.Database, sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;

describe('answer log', () => {
  it('applies answers on the background thread; reads that need the tables whole wait for it', async () => {
    const { app, dbPath } = makeApp();
    apps.push(app);
    app.startBackground();
    const alice = as(app, actor('alice'));
    let reply = await alice.command('quiz');
    const total = Number(/of (\d+)$/.exec(reply.title!)![1]);
    for (let i = 0; i < total; i++) {
      const feedback = await answer(alice, reply, i % 2 === 0);
      reply = await alice.action(buttons(feedback).find((b) => b.label === 'Next ▶' || b.label === 'See my results')!.actionId);
    }
    expect(reply.title).toBe('Quiz complete');
    const points = Number(/earned (\d+) points/.exec(plainText(reply.text))![1]);
    expect(points).toBeGreaterThan(0);
    // The summary waited for the log: the streak it shows is in the tables.
    expect(plainText(reply.text)).toContain('Streak: 1 day');
    const stats = await alice.command('stats');
    expect(stats.fields!.find((f) => f.name === 'Points here')!.value).toBe(String(points));
    const board = await alice.command('leaderboard', { period: 'all' });
    expect(plainText(board.text)).toContain(`alice — ${points}`);
    const db = new Database(dbPath, { readonly: true });
    expect(count(db, 'SELECT count(*) n FROM session_answers')).toBe(total);
    expect(count(db, 'SELECT count(*) n FROM reviews')).toBe(total);
    expect(count(db, 'SELECT count(*) n FROM cards')).toBe(total);
    expect(count(db, "SELECT coalesce(sum(points), 0) n FROM scores WHERE period = 'all' AND scope = 'terminal:local'")).toBe(points);
    expect(count(db, 'SELECT count(*) n FROM quiz_sessions WHERE finished_at IS NOT NULL AND position = ?', total)).toBe(1);
    db.close();
    // Stopping applies what is left and empties the log.
    app.close();
    apps.pop();
    const log = new Database(answerLogFile(dbPath), { readonly: true });
    expect(count(log, 'SELECT count(*) n FROM entries')).toBe(0);
    log.close();
  });

  it('applies at start what a stopped bot logged, once, skipping an answer already recorded and reporting one that no longer applies', async () => {
    const { app, dbPath, clock } = makeApp();
    apps.push(app);
    const q = await as(app, actor('alice')).command('quiz');
    const sessionId = buttons(q)[0]!.actionId.split(':')[1]!;
    const store = quizStore(app.services);
    const session = store.session(sessionId)!;
    const userId = session.userId;
    const applied = store.pending.applier.applied();
    app.close();
    apps.pop();

    // What the bot had logged when it stopped: the first answer, a replay of it, and an answer by
    // a user who no longer exists.
    const effects = (position: number, who: number): AnswerEffects => ({
      answer: { sessionId, position, questionId: session.questionIds[position]!, answer: 'x', correct: 0, points: 0, interactionId: `i${position}`, answeredAt: 1 },
      review: { userId: who, questionId: session.questionIds[position]!, rating: 1, correct: 0, wasDue: 1, wasNew: 1, answeredAt: 1, localDay: '2026-11-20' },
      card: null,
      award: null,
      streak: { userId: who, current: 1, best: 1, lastDay: '2026-11-20' },
      session: { id: sessionId, from: position, order: [0, 1], correct: 0, points: 0, missed: [session.questionIds[position]!], finishedAt: null },
    });
    const log = new Database(answerLogFile(dbPath));
    const append = log.prepare('INSERT INTO entries (seq, body) VALUES (?, ?)');
    append.run(applied + 1, JSON.stringify(effects(0, userId)));
    append.run(applied + 2, JSON.stringify(effects(0, userId)));
    append.run(applied + 3, JSON.stringify(effects(1, 999_999)));
    log.close();

    const failuresBefore = telemetry.answerLogFailures;
    const again = reopen(dbPath, clock);
    expect(telemetry.answerLogFailures - failuresBefore).toBe(1);
    const db = new Database(dbPath, { readonly: true });
    expect(count(db, 'SELECT count(*) n FROM session_answers WHERE session_id = ?', sessionId)).toBe(1);
    expect(count(db, 'SELECT count(*) n FROM reviews')).toBe(1);
    expect(count(db, 'SELECT position n FROM quiz_sessions WHERE id = ?', sessionId)).toBe(1);
    expect(count(db, "SELECT CAST(value AS INTEGER) n FROM meta WHERE key = 'answer_log_applied'")).toBe(applied + 3);
    db.close();
    const resumed = await as(again, actor('alice')).command('quiz');
    expect(resumed.title).toMatch(/question 2 of \d+$/);
    // Opening again applies nothing twice.
    again.close();
    apps.pop();
    reopen(dbPath, clock);
    const check = new Database(dbPath, { readonly: true });
    expect(count(check, 'SELECT count(*) n FROM reviews')).toBe(1);
    check.close();
  });
});
