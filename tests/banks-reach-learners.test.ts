import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { Post, Reply } from '../src/core/interaction.js';
import { plainText } from '../src/core/markup.js';
import { dailyScheduler } from '../src/core/quiz/schedule.js';
import { quizStore } from '../src/core/quiz/store.js';
import { ManualClock } from '../src/core/services.js';
import { tenantOf } from '../src/core/tenant.js';
import { createLogger } from '../src/logger.js';
import { actor, as, buttons, makeApp } from './helpers/app.js';
import { repoRoot, runCli } from './helpers/cli.js';
import { writeDemoContent } from './helpers/content.js';
import { tempDir } from './helpers/tmp.js';

/** An imported bank reaches learners: its lesson, its own quiz, the daily quiz, races and schedules. */

const apps: App[] = [];
afterEach(() => {
  while (apps.length) apps.pop()!.close();
});

function open(dbPath: string, clock: ManualClock): { app: App; posts: Post[] } {
  // A lesson quiz holds a whole lesson (30 and more questions), imported ones included, and a day's
  // new questions come one from each bank in turn: one for each of the five content banks, then the team's.
  const config = loadConfig(
    { CONTENT_DIR: join(repoRoot, 'content'), DATABASE_PATH: dbPath, RATE_LIMIT_BURST: '1000', QUIZ_MAX_CARDS: '60', NEW_CARDS_PER_DAY: '6' },
    '/nonexistent/.env',
  );
  const app = createApp(config, createLogger('silent'), { clock });
  apps.push(app);
  const posts: Post[] = [];
  app.services.outbox.register('terminal', async (p) => {
    posts.push(p);
  });
  return { app, posts };
}

const TEAM = Buffer.from(
  'id,question,choice_a,choice_b,answer,explanation\n' +
    'team-1,Which team runs the router canary?,Platform,Research,A,Platform runs it.\n' +
    'team-2,Where do we log expert load?,Grafana,Nowhere,A,In Grafana.\n',
);
const TEAM_IDS = ['team-1', 'team-2'];

const admin = actor('admin', true);
const TENANT = tenantOf('terminal', { serverId: 'local' });

async function importTeam(app: App, lesson: string): Promise<Reply> {
  const session = as(app, admin);
  const preview = await session.command('quiz-admin import', { file: { name: 'team.csv', load: async () => TEAM }, bank: 'team', lesson });
  const apply = buttons(preview).find((b) => b.label === 'Apply import');
  expect(apply, plainText(preview.text)).toBeDefined();
  await session.action(apply!.actionId);
  return preview;
}

/** The question ids of a user's open quiz. */
function queueOf(app: App, name: string): string[] {
  const row = app.services.db.$client
    .prepare("SELECT s.question_ids ids FROM quiz_sessions s JOIN users u ON u.id = s.user_id WHERE u.external_id = ? AND s.finished_at IS NULL")
    .get(name) as { ids: string } | undefined;
  return row ? JSON.parse(row.ids) : [];
}

async function quizAs(app: App, name: string, options: Record<string, unknown> = {}): Promise<{ reply: Reply; queue: string[] }> {
  const reply = await as(app, actor(name)).command('quiz', options);
  return { reply, queue: queueOf(app, name) };
}

describe('banks a server learns from', () => {
  it('an imported bank with a lesson is asked by that lesson, its own quiz, the daily quiz, races and schedules; state survives a restart', async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'bot.sqlite');
    const clock = new ManualClock(new Date('2026-11-20T09:00:00Z'));
    let { app, posts } = open(dbPath, clock);

    const preview = await importTeam(app, 'moe-tradeoffs');
    expect(plainText(preview.text)).toContain("It will be on for this server's daily quiz");

    // The lesson asks them, the bank quiz asks only them, a new learner's first daily quiz has one.
    expect((await quizAs(app, 'lea', { lesson: 'moe-tradeoffs' })).queue).toEqual(expect.arrayContaining(TEAM_IDS));
    const bankQuiz = await quizAs(app, 'bo', { bank: 'team' });
    expect(bankQuiz.queue).toEqual(TEAM_IDS);
    expect(bankQuiz.reply.title).toContain('Team');
    expect((await quizAs(app, 'cy')).queue.filter((id) => TEAM_IDS.includes(id))).toHaveLength(1);

    // Another lesson moves them: the questions count as changed.
    const moved = await as(app, admin).command('quiz-admin import', { file: { name: 'team.csv', load: async () => TEAM }, bank: 'team', lesson: 'moe-behave-differently' });
    expect(plainText(moved.text)).toContain('0 added, 2 changed, 0 removed, 0 unchanged');
    await as(app, admin).action(buttons(moved).find((b) => b.label === 'Apply import')!.actionId);
    expect((await quizAs(app, 'dee', { lesson: 'moe-behave-differently' })).queue).toEqual(expect.arrayContaining(TEAM_IDS));
    expect((await quizAs(app, 'eve', { lesson: 'moe-tradeoffs' })).queue.filter((id) => TEAM_IDS.includes(id))).toEqual([]);

    // Off: out of the daily quiz and races; the list says so.
    const off = await as(app, admin).command('quiz-admin banks', { bank: 'team', state: 'off' });
    expect(plainText(off.text)).toContain('team is off');
    const list = plainText((await as(app, admin).command('quiz-admin banks')).text);
    expect(list).toMatch(/off +team Team: 2 questions \(imported here\)/);
    expect(list).toMatch(/on +moe-tradeoffs .*\(content\)/);
    expect((await quizAs(app, 'fay')).queue.filter((id) => TEAM_IDS.includes(id))).toEqual([]);
    // Cards a learner already has from it wait too: nothing of a bank that is off comes in the daily quiz.
    const db = app.services.db.$client;
    const hal = (db.prepare("INSERT INTO users (platform, external_id, display_name) VALUES ('terminal', 'hal', 'hal') RETURNING id").get() as { id: number }).id;
    const dueCard = db.prepare(
      `INSERT INTO cards (user_id, question_id, due, stability, difficulty, elapsed_days, scheduled_days, learning_steps, reps, lapses, state, last_review)
       VALUES (?, ?, 0, 1, 5, 1, 1, 0, 1, 0, 2, 0)`,
    );
    for (const q of TEAM_IDS) dueCard.run(hal, q);
    expect((await quizAs(app, 'hal')).queue.filter((id) => TEAM_IDS.includes(id))).toEqual([]);
    expect((await quizAs(app, 'hal', { bank: 'team' })).queue).toEqual(TEAM_IDS);
    const raced = () => quizStore(app.services).stmt.raceQuestions.all(TENANT, TENANT, 1000).map((r) => r.id);
    expect(raced().filter((id) => TEAM_IDS.includes(id))).toEqual([]);
    // The bank's own quiz still asks it.
    expect((await quizAs(app, 'gus', { bank: 'team' })).queue).toEqual(TEAM_IDS);

    // A member may not change it.
    expect(plainText((await as(app, actor('gus')).command('quiz-admin banks', { bank: 'team', state: 'on' })).text)).toContain('admins');

    // A schedule with the bank posts a Start that starts the bank's quiz.
    const scheduled = await as(app, admin).command('quiz-admin schedule', { time: '09:30', bank: 'team' });
    expect(plainText(scheduled.text)).toContain('Daily quiz of bank team scheduled');
    const id = (app.services.db.$client.prepare('SELECT id, bank_id bankId FROM schedules').get() as { id: number; bankId: string });
    expect(id.bankId).toBe('team');
    expect(await dailyScheduler(app.services).fire(id.id, clock.now())).toBe(true);
    const start = buttons(posts.at(-1)!.reply).find((b) => b.label === 'Start')!;
    expect(start.actionId).toBe('qs:b:team');
    const started = await as(app, actor('hal')).action(start.actionId);
    expect(started.title).toContain('Team — question 1 of 2');
    expect(queueOf(app, 'hal')).toEqual(TEAM_IDS);
    // An old post's Start still starts the daily quiz.
    expect((await as(app, actor('ivy')).action('qs')).title).toContain("Today's quiz");

    // A restart on the same file keeps the bank off and the schedule's bank.
    app.close();
    apps.splice(apps.indexOf(app), 1);
    clock.set(new Date('2026-11-21T09:00:00Z'));
    ({ app, posts } = open(dbPath, clock));
    expect(plainText((await as(app, admin).command('quiz-admin banks', { bank: 'team' })).text)).toMatch(/off +team/);
    expect((await quizAs(app, 'jo')).queue.filter((x) => TEAM_IDS.includes(x))).toEqual([]);
    expect(await dailyScheduler(app.services).fire(id.id, clock.now())).toBe(true);
    expect(buttons(posts.at(-1)!.reply).find((b) => b.label === 'Start')!.actionId).toBe('qs:b:team');

    // Back on: in the daily quiz and races again.
    await as(app, admin).command('quiz-admin banks', { bank: 'team', state: 'on' });
    expect((await quizAs(app, 'kim')).queue.filter((x) => TEAM_IDS.includes(x))).toHaveLength(1);
    const back = quizStore(app.services).stmt.raceQuestions.all(TENANT, TENANT, 1000).map((r) => r.id);
    expect(back.filter((x) => TEAM_IDS.includes(x))).toHaveLength(TEAM_IDS.length);
  });

  it('another server cannot quiz, list or turn on a server’s own bank', async () => {
    const { app } = makeApp({ RATE_LIMIT_BURST: '1000' });
    apps.push(app);
    await importTeam(app, 'moe-tradeoffs');
    const other = as(app, actor('olga', true), 'general', 'other');
    expect(plainText((await other.command('quiz', { bank: 'team' })).text)).toContain('There is no bank "team" in this server.');
    expect(plainText((await other.command('quiz-admin banks', { bank: 'team', state: 'off' })).text)).toContain('There is no bank "team" in this server.');
    expect(plainText((await other.command('quiz-admin banks')).text)).not.toContain('team');
    expect(plainText((await other.action('qs:b:team')).text)).toContain('no longer available');
  });
});

describe('banks in the terminal chat (child process)', () => {
  it('imports a bank into a lesson, lists it on, and quizzes it', async () => {
    const dir = tempDir();
    writeDemoContent(join(dir, 'content'));
    const env = { CONTENT_DIR: join(dir, 'content'), DATABASE_PATH: join(dir, 'data', 'bot.sqlite') };
    const csv = join(dir, 'team.csv');
    writeFileSync(csv, TEAM);
    const input = [
      `/quiz-admin import file:${csv} bank:team lesson:demo`,
      '1',
      '/quiz-admin banks',
      // A new learner's first daily quiz, and the lesson's quiz, already ask the imported bank.
      '/as newbie',
      '/quiz',
      '/as lessoner',
      '/quiz lesson:demo',
      '/as you',
      '/quiz-admin banks team off',
      // Off: a later learner's daily quiz and a race leave it out; its own quiz still asks it.
      '/as later',
      '/quiz',
      '/where race-room',
      '/quiz race 10',
      '/as you',
      '/quiz bank:team',
      '',
    ].join('\n');
    const r = await runCli(['chat'], { input, env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("It will be on for this server's daily quiz");
    expect(r.stdout).toMatch(/on +team Team: 2 questions \(imported here\)/);
    expect(r.stdout).toContain('Bank team is off');
    expect(r.stdout).toContain('Team — question 1 of 2');
    const db = new Database(env.DATABASE_PATH, { readonly: true });
    expect(db.prepare("SELECT DISTINCT lesson_id lesson FROM questions WHERE bank_id = 'team'").all()).toEqual([{ lesson: 'demo' }]);
    expect(db.prepare('SELECT tenant, bank_id bankId, enabled FROM tenant_banks').all()).toEqual([{ tenant: 'terminal:local', bankId: 'team', enabled: 0 }]);
    const queue = (name: string) =>
      (db.prepare('SELECT s.question_ids ids FROM quiz_sessions s JOIN users u ON u.id = s.user_id WHERE u.external_id = ? ORDER BY s.started_at').all(name) as { ids: string }[]).flatMap((r) => JSON.parse(r.ids) as string[]);
    expect(queue('newbie').filter((id) => TEAM_IDS.includes(id)).length).toBeGreaterThan(0);
    expect(queue('lessoner')).toEqual(expect.arrayContaining(TEAM_IDS));
    expect(queue('later').filter((id) => TEAM_IDS.includes(id))).toEqual([]);
    const raced = (db.prepare('SELECT question_ids ids FROM races').all() as { ids: string }[]).flatMap((r) => JSON.parse(r.ids) as string[]);
    expect(raced.length).toBeGreaterThan(0);
    expect(raced.filter((id) => TEAM_IDS.includes(id))).toEqual([]);
    db.close();
  });
});
