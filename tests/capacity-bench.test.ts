import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCapacity, newUser, nextStep, applySeen, runTrial, UserPool, STEP_KINDS, type Driver, type LoadUser, type Seen, type Step } from '../bench/capacity-load.js';
import { seedDatabase, MEMBERS_PER_SERVER } from '../bench/capacity-memory.js';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { Interaction } from '../src/core/interaction.js';
import { createLogger } from '../src/logger.js';
import { repoRoot } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

/**
 * The capacity benchmark's own parts: the visit each simulated user makes, the trial's verdict
 * against a simulated bot whose capacity is known, and the database of many learners that the
 * memory figures are measured on.
 */

/** A quiz message as the bot shows it: answer buttons, or Next after an answer, or nothing at the end. */
const question = [{ id: 'qa:s1:0:0' }, { id: 'qa:s1:0:x' }];
const afterAnswer = [{ id: 'qn:s1' }, { id: 'qrep:q1' }];

/** Plays one user's visit with a quiz of `questions` questions; returns the steps taken. */
function playVisit(user: LoadUser, questions: number): Step['kind'][] {
  const kinds: Step['kind'][] = [];
  let answered = 0;
  for (let step = nextStep(user); step; step = nextStep(user)) {
    kinds.push(step.kind);
    let buttons = user.buttons;
    if (step.kind === 'start' || step.kind === 'next') buttons = question;
    if (step.kind === 'answer') buttons = ++answered < questions ? afterAnswer : [];
    applySeen(user, step, { ackMs: 1, answerMs: 1, buttons });
    if (kinds.length > 50) throw new Error('the visit never ends');
  }
  return kinds;
}

/**
 * A bot that serves one step at a time, each taking `serviceMs` (capacity 1000 / serviceMs a
 * second), and answers every quiz step with a question until the user has answered five.
 */
class QueueBot implements Driver {
  private freeAt = 0;
  failEvery = 0;
  private served = 0;
  constructor(private readonly serviceMs: number) {}

  send(_user: LoadUser, step: Step): Promise<Seen> {
    const sent = performance.now();
    this.freeAt = Math.max(this.freeAt, sent) + this.serviceMs;
    const fail = this.failEvery > 0 && ++this.served % this.failEvery === 0;
    return new Promise((resolve) =>
      setTimeout(() => {
        const ms = performance.now() - sent;
        const buttons = step.kind === 'answer' ? afterAnswer : step.kind === 'leaderboard' || step.kind === 'stats' ? [] : question;
        resolve({ ackMs: ms, answerMs: ms, buttons, ...(fail ? { failure: 'Something went wrong on our side.' } : {}) });
      }, this.freeAt - sent),
    );
  }
}

describe('capacity benchmark: the visits', () => {
  it('takes the whole quiz, reads the leaderboard and the stats once each, then leaves', () => {
    for (let index = 0; index < 40; index++) {
      const kinds = playVisit(newUser(index, 7, 0), 5);
      expect(kinds[0]).toBe('start');
      expect(kinds.filter((k) => k === 'answer')).toHaveLength(5);
      expect(kinds.filter((k) => k === 'next')).toHaveLength(4);
      expect(kinds.filter((k) => k === 'leaderboard')).toHaveLength(1);
      expect(kinds.filter((k) => k === 'stats')).toHaveLength(1);
    }
  });

  it('spreads the leaderboard and stats reads over the visit, and users over the servers', () => {
    const users = Array.from({ length: 200 }, (_, i) => newUser(i, 7, 0));
    const positions = new Set(users.map((u) => playVisit(u, 5).indexOf('leaderboard')));
    expect(positions.size).toBeGreaterThanOrEqual(8);
    expect(new Set(users.map((u) => u.server))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6]));
  });

  it('brings a new user on every visit-length of steps and whenever no one is free, else the longest-waiting', () => {
    const pool = new UserPool(3);
    const first = pool.take(0);
    expect(first.step.kind).toBe('start');
    applySeen(first.user, first.step, { ackMs: 1, answerMs: 1, buttons: question });
    pool.release(first.user, 0);
    // Still thinking: a new arrival instead.
    expect(pool.take(10).user).not.toBe(first.user);
    // Done thinking: the same user answers.
    const again = pool.take(5000);
    expect(again.user).toBe(first.user);
    expect(again.step.kind).toBe('answer');
  });
});

describe('capacity benchmark: a trial against a bot of known capacity', () => {
  it('passes a rate well under the capacity', async () => {
    const trial = await runTrial(new QueueBot(5), new UserPool(10), 100, 1000);
    expect(trial).toMatchObject({ passed: true, lost: 0, aborted: false });
    expect(trial.sent).toBe(100);
    expect(Object.keys(trial.kinds)).toEqual(STEP_KINDS);
  });

  it('measures the steady mix after a lead-in, not a burst of newcomers starting their quiz', async () => {
    const share = (t: { kinds: Record<string, number>; sent: number }) => t.kinds.start! / t.sent;
    const cold = await runTrial(new QueueBot(2), new UserPool(10), 100, 1000);
    const led = await runTrial(new QueueBot(2), new UserPool(10), 100, 1000, 1500);
    expect(share(cold)).toBeGreaterThan(0.5);
    expect(share(led)).toBeLessThan(0.25);
    expect(led.sent).toBe(100);
    expect(led.kinds.answer! + led.kinds.next!).toBeGreaterThan(50);
  });

  it('fails a rate above the capacity even when every answer is still within the 3 s deadline', async () => {
    // 200/s capacity, 320/s offered for 1 s: the queue grows to about 0.6 s, far under 3 s.
    const trial = await runTrial(new QueueBot(5), new UserPool(10), 320, 1000);
    expect(trial.ackP99).toBeLessThan(3000);
    expect(trial.lost).toBe(0);
    expect(trial.pace).toBeLessThan(0.9);
    expect(trial.passed).toBe(false);
  });

  it('fails a trial in which one answer in fifty was an error message', async () => {
    const bot = new QueueBot(2);
    bot.failEvery = 50;
    const trial = await runTrial(bot, new UserPool(10), 100, 1000);
    expect(trial.lost).toBe(2);
    expect(trial.failures[0]).toContain('Something went wrong');
    expect(trial.passed).toBe(false);
  });

  it('finds the capacity between the highest rate that passed and the lowest that failed', async () => {
    const { best, trials } = await findCapacity(new QueueBot(5), new UserPool(10), { startRate: 50, windowMs: 800, precision: 0.15, maxTrials: 8, restMs: 0 });
    expect(best).toBeDefined();
    // 200/s is the most it can do; the search doubles 50 → 100 → 200 → 400, then bisects.
    expect(best!.rate).toBeGreaterThanOrEqual(100);
    expect(best!.rate).toBeLessThanOrEqual(200);
    expect(trials.some((t) => !t.passed && t.rate > best!.rate)).toBe(true);
  });
});

describe('capacity benchmark: the database of many learners', () => {
  it("gives each learner the bot's own state (cards, history, an open quiz, points) in servers of 100, and the bot serves it", async () => {
    const users = 250;
    const path = join(tempDir(), 'memory.sqlite');
    await seedDatabase(path, users);
    const config = loadConfig({ CONTENT_DIR: join(repoRoot, 'content'), DATABASE_PATH: path }, '/nonexistent/.env');
    const app = createApp(config, createLogger('silent'));
    try {
      const db = app.services.db.$client;
      const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
      // The template learner plus the copies.
      expect(count('SELECT count(*) n FROM users')).toBe(users + 1);
      expect(count("SELECT count(DISTINCT user_id) n FROM cards WHERE user_id IN (SELECT id FROM users WHERE external_id LIKE 'u%')")).toBe(users);
      expect(count('SELECT count(*) n FROM quiz_sessions WHERE finished_at IS NULL')).toBe(users + 1);
      expect(count('SELECT count(DISTINCT tenant) n FROM members')).toBe(Math.ceil(users / MEMBERS_PER_SERVER));
      // Every learner has points, and awards and running totals agree, learner by learner.
      expect(count('SELECT count(DISTINCT user_id) n FROM awards')).toBe(users + 1);
      expect(count("SELECT count(*) n FROM awards a JOIN scores s ON s.user_id = a.user_id AND s.period = 'all' AND s.scope = a.server_key WHERE s.points != a.points")).toBe(0);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');

      const handle = (i: number, command: string) =>
        app.dispatcher.handle({ kind: 'command', id: `t${command}${i}`, actor: { platform: 'discord', userId: `u${i}`, displayName: `Learner ${i}`, isAdmin: false }, place: { serverId: `g${String(i % 3).padStart(7, '0')}`, channelId: 'c0000000' }, command, options: {} } as Interaction);
      for (const i of [0, 101, 249]) {
        const quiz = await handle(i, 'quiz');
        expect(quiz.text).toContain('Picking up where you left off');
        expect(quiz.title).toContain('question 4 of 5');
      }
      const board = await handle(3, 'leaderboard');
      expect(board.text + JSON.stringify(board.fields ?? [])).toMatch(/Learner \d+/);
    } finally {
      app.close();
    }
  }, 60_000);
});
