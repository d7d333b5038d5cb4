import Database from 'better-sqlite3';
import { createEmptyCard, fsrs, generatorParameters, Rating } from 'ts-fsrs';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { Post, Reply } from '../src/core/interaction.js';
import { plainText } from '../src/core/markup.js';
import { dailyScheduler } from '../src/core/quiz/schedule.js';
import { quizStore } from '../src/core/quiz/store.js';
import { matchesShortAnswer } from '../src/core/quiz/matching.js';
import { createLogger } from '../src/logger.js';
import { actor, as, buttons, makeApp } from './helpers/app.js';
import { questionShown, rightLabels } from './helpers/answers.js';

const apps: App[] = [];
function setup(env: Record<string, string> = {}, start?: string) {
  const made = makeApp(env, start);
  apps.push(made.app);
  const posts: Post[] = [];
  made.app.services.outbox.register('terminal', async (p) => {
    posts.push(p);
  });
  return { ...made, posts, sql: () => new Database(made.dbPath, { readonly: true }) };
}
afterEach(() => {
  while (apps.length) apps.pop()!.close();
});

type Session = ReturnType<typeof as>;

/** Answers the question shown in `reply`, rightly or wrongly, and returns the feedback. */
async function answer(user: Session, reply: Reply, right: boolean): Promise<Reply> {
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

function nextOf(reply: Reply): string {
  return buttons(reply).find((b) => b.label === 'Next ▶' || b.label === 'See my results')!.actionId;
}

/** Takes today's quiz to the end, answering with `right(i)`; returns the summary and prompts seen. */
async function takeQuiz(user: Session, right: (i: number) => boolean, options: Record<string, unknown> = {}) {
  let reply = await user.command('quiz', options);
  const prompts: string[] = [];
  for (let i = 0; reply.title?.includes('question'); i++) {
    prompts.push(questionShown(reply.text).id);
    const feedback = await answer(user, reply, right(i));
    expect(feedback.title).toMatch(right(i) ? /^✅/ : /^❌/);
    reply = await user.action(nextOf(feedback));
  }
  return { summary: reply, prompts };
}

describe('personal daily quiz', () => {
  it('asks the new questions of the day, scores right answers to due cards, and keeps the streak', async () => {
    const { app, sql } = setup({ NEW_CARDS_PER_DAY: '5' });
    const alice = as(app, actor('alice'));
    const { summary, prompts } = await takeQuiz(alice, () => true);
    expect(prompts).toHaveLength(5);
    expect(summary.title).toBe('Quiz complete');
    expect(plainText(summary.text)).toMatch(/You got 5 of 5 right and earned 50 points\.\n🔥 Streak: 1 day \(best 1\)\./);
    const db = sql();
    expect(db.prepare('SELECT count(*) n, sum(points) p FROM awards').get()).toEqual({ n: 5, p: 50 });
    expect(db.prepare("SELECT points FROM scores WHERE scope = 'terminal:local' AND period = 'all'").get()).toEqual({ points: 50 });
    db.close();
    // The daily limit of new questions is used up.
    expect(plainText((await alice.command('quiz')).text)).toMatch(/^You're all caught up for today!/);
  });

  it('brings cards back on the FSRS schedule: a miss tomorrow, a right answer later', async () => {
    const { app, clock, sql } = setup({ NEW_CARDS_PER_DAY: '4' });
    const bob = as(app, actor('bob'));
    const start = clock.now();
    const day1 = await takeQuiz(bob, (i) => i % 2 === 0);
    const db = sql();
    const scheduler = fsrs(generatorParameters({ enable_fuzz: false, enable_short_term: false }));
    for (const [i, id] of day1.prompts.entries()) {
      const expected = scheduler.next(createEmptyCard(start), start, i % 2 === 0 ? Rating.Good : Rating.Again).card.due.getTime();
      expect(db.prepare('SELECT due FROM cards c JOIN users u ON u.id = c.user_id WHERE u.external_id = ? AND question_id = ?').get('bob', id)).toEqual({ due: expected });
    }
    db.close();
    clock.advance(86_400_000);
    const day2 = await takeQuiz(bob, () => true);
    const missed = day1.prompts.filter((_, i) => i % 2 === 1);
    const known = day1.prompts.filter((_, i) => i % 2 === 0);
    expect(day2.prompts.slice(0, missed.length).sort()).toEqual([...missed].sort());
    expect(day2.prompts.some((p) => known.includes(p))).toBe(false);
    expect(plainText(day2.summary.text)).toMatch(/Streak: 2 days/);
  });

  it('counts a double click, a retried delivery and a replay once', async () => {
    const { app, sql } = setup();
    const alice = as(app, actor('alice'));
    const q = await alice.command('quiz');
    const question = questionShown(q.text);
    const right = buttons(q).find((b) => rightLabels(question).includes(b.label));
    const action = right?.actionId ?? buttons(q)[0]!.actionId;
    const first = await alice.action(action, {}, 'delivery-1');
    const retried = await alice.action(action, {}, 'delivery-1');
    const doubleClick = await alice.action(action, {}, 'delivery-2');
    expect(first.title).toMatch(/^(✅|❌)/);
    expect(retried.text).toBe('You already answered that question; your first answer counts.');
    expect(doubleClick.text).toBe(retried.text);
    const db = sql();
    expect(db.prepare('SELECT count(*) n FROM session_answers').get()).toEqual({ n: 1 });
    expect(db.prepare('SELECT count(*) n FROM reviews').get()).toEqual({ n: 1 });
    expect((db.prepare('SELECT count(*) n FROM awards').get() as { n: number }).n).toBeLessThanOrEqual(1);
    db.close();
  });

  it('answers as the database says after a grouped write fails: nothing of the failed answer stays, in memory either', async () => {
    const { app } = setup();
    const alice = as(app, actor('alice'));
    const q = await alice.command('quiz');
    const store = quizStore(app.services);
    const sessionId = buttons(q)[0]!.actionId.split(':')[1]!;
    // A write in the same group as an answer fails at commit time: the group rolls back.
    app.services.db.$client.exec('CREATE TABLE fail_at_commit (p INTEGER REFERENCES users(id) DEFERRABLE INITIALLY DEFERRED)');
    const sabotage = store.writes.run(() => app.services.db.$client.prepare('INSERT INTO fail_at_commit (p) VALUES (-1)').run());
    const lost = await alice.action(buttons(q)[0]!.actionId);
    await expect(sabotage).rejects.toThrow(/FOREIGN KEY/);
    expect(lost.text).toMatch(/cannot save right now|went wrong/);
    expect(store.session(sessionId)!.position).toBe(0);
    // The same press works once storage does, and counts once.
    const graded = await alice.action(buttons(q)[0]!.actionId);
    expect(graded.title).toMatch(/^(✅|❌)/);
    expect(store.session(sessionId)!.position).toBe(1);
  });

  it('trusts the tables over its cache: an answer recorded behind its back is not recorded again', async () => {
    const { app, sql } = setup();
    const alice = as(app, actor('alice'));
    const q = await alice.command('quiz');
    const sessionId = buttons(q)[0]!.actionId.split(':')[1]!;
    const db = app.services.db.$client;
    // Another writer moves the session on (the bot caches it at position 0).
    db.prepare("INSERT INTO session_answers (session_id, position, question_id, answer, correct, points, interaction_id, answered_at) SELECT id, 0, json_extract(question_ids, '$[0]'), 'x', 0, 0, 'elsewhere', 0 FROM quiz_sessions WHERE id = ?").run(sessionId);
    db.prepare('UPDATE quiz_sessions SET position = 1 WHERE id = ?').run(sessionId);
    const reply = await alice.action(buttons(q)[0]!.actionId);
    expect(reply.text).toBe('You already answered that question; your first answer counts.');
    const check = sql();
    expect(check.prepare('SELECT count(*) n FROM session_answers').get()).toEqual({ n: 1 });
    expect(check.prepare('SELECT count(*) n FROM reviews').get()).toEqual({ n: 0 });
    expect(check.prepare('SELECT count(*) n FROM cards').get()).toEqual({ n: 0 });
    check.close();
  });

  it('refuses a personal quiz button pressed by someone else', async () => {
    const { app } = setup();
    const q = await as(app, actor('alice')).command('quiz');
    const reply = await as(app, actor('mallory')).action(buttons(q)[0]!.actionId);
    expect(reply).toEqual({ text: 'This quiz belongs to alice. Start your own with /quiz.', visibility: 'ephemeral' });
  });

  it('resumes an unfinished quiz after a restart', async () => {
    const { app, dbPath, clock } = setup();
    const alice = as(app, actor('alice'));
    const q1 = await alice.command('quiz');
    await answer(alice, q1, true);
    app.close();
    apps.pop();
    const again = createApp(loadConfig({ CONTENT_DIR: 'content', DATABASE_PATH: dbPath }, '/nonexistent/.env'), createLogger('silent'), { clock });
    apps.push(again);
    const resumed = await as(again, actor('alice')).command('quiz');
    expect(resumed.title).toMatch(/question 2 of \d+$/);
    expect(plainText(resumed.text)).toMatch(/^Picking up where you left off\./);
  });

  it('lets /quiz review redo the misses of today, and lesson quizzes study one lesson', async () => {
    const { app } = setup({ NEW_CARDS_PER_DAY: '3' });
    const carol = as(app, actor('carol'));
    const day = await takeQuiz(carol, () => false);
    const review = await takeQuiz({ ...carol, command: (c, o) => carol.command(c === 'quiz' ? 'quiz review' : c, o) } as Session, () => true);
    expect(review.prompts.sort()).toEqual([...day.prompts].sort());
    const lesson = await carol.command('quiz', { lesson: 'moe-model-families' });
    expect(lesson.title).toMatch(/^Mixture-of-Experts Models: Mixtral, DeepSeek, Qwen MoE — question 1 of/);
    expect(plainText((await carol.command('quiz', { lesson: 'nope' })).text)).toMatch(/^There is no lesson "nope"/);
  });

  it('matches typed answers ignoring case, accents, punctuation and small typos', () => {
    expect(matchesShortAnswer('Sparse Activation!', ['sparse activation'])).toBe(true);
    expect(matchesShortAnswer('sparse activaton', ['sparse activation'])).toBe(true);
    expect(matchesShortAnswer('the routér', ['router'])).toBe(true);
    expect(matchesShortAnswer('rooter', ['router'])).toBe(true);
    expect(matchesShortAnswer('dense', ['sparse activation'])).toBe(false);
    expect(matchesShortAnswer('moe', ['mlp'])).toBe(false);
  });
});

describe('races', () => {
  it('gives the first right answer the most points, counts each first click once, and reveals after the time limit', async () => {
    const { app, clock, posts, sql } = setup({ RACE_ROUND_SECONDS: '20' });
    const alice = as(app, actor('alice'), 'study');
    const bob = as(app, actor('bob'), 'study');
    const started = await alice.command('quiz race', { rounds: 2 });
    expect(started).toMatchObject({ visibility: 'ephemeral', text: expect.stringContaining('Your race is on: 2 rounds of 20 s') });
    // The round is posted in the channel, under a key that lets closing the round edit it.
    expect(posts).toHaveLength(1);
    const round1 = posts[0]!.reply;
    expect(round1.visibility).toBe('public');
    expect(posts[0]!.updateKey).toMatch(/^race:[\w-]+:0$/);
    expect(plainText((await bob.command('quiz race')).text)).toMatch(/already running/);
    const q = questionShown(round1.text);
    const right = buttons(round1).find((b) => rightLabels(q).includes(b.label))!;
    // Alone in the race so far, bob's points wait for the close; alice makes two players.
    expect((await bob.action(right.actionId)).text).toBe(
      '✅ Right, and first! +15 points when the round closes, if someone else has joined the race by then: races score with two players or more.',
    );
    expect((await alice.action(right.actionId)).text).toBe('✅ Right! +5 points.');
    expect((await bob.action(buttons(round1)[0]!.actionId)).text).toBe('You already answered this round; your first click counts.');
    app.runDue();
    expect(posts).toHaveLength(1);
    clock.advance(21_000);
    app.runDue();
    await new Promise((r) => setTimeout(r, 20));
    expect(posts.map((p) => p.reply.title)).toEqual(['🏁 Race — round 1 of 2', '🏁 Race — round 1 of 2 — closed', 'Round 1 of 2 — answer', '🏁 Race — round 2 of 2']);
    // The closed round's message loses its buttons and shows the answer, edited in place only.
    expect(posts[1]).toMatchObject({ updateKey: posts[0]!.updateKey, updateOnly: true, reply: { components: [] } });
    expect(plainText(posts[1]!.reply.text)).toContain(`Right answer: ${rightLabels(q).join(', ')}`);
    expect(posts[3]!.updateKey).toMatch(/:1$/);
    expect(plainText(posts[2]!.reply.text)).toContain('🥇 bob (+15) · also right: alice (+5 each)');
    expect(plainText((await alice.action(right.actionId)).text)).toBe('This round is closed.');
    clock.advance(21_000);
    app.runDue();
    await new Promise((r) => setTimeout(r, 20));
    expect(posts.at(-1)!.reply.title).toBe('🏆 Race over — final standings');
    const db = sql();
    expect(db.prepare("SELECT u.external_id who, sum(a.points) p FROM awards a JOIN users u ON u.id = a.user_id WHERE reason = 'race' GROUP BY who ORDER BY who").all()).toEqual([
      { who: 'alice', p: 5 },
      { who: 'bob', p: 15 },
    ]);
    db.close();
  });

  it('refuses a race it cannot post in the channel, and leaves the channel free for the next one', async () => {
    const { app, posts } = setup();
    const alice = as(app, actor('alice'), 'study');
    let refuse = true;
    app.services.outbox.register('terminal', async (p) => {
      if (refuse) throw new Error('missing access');
      posts.push(p);
    });
    expect(plainText((await alice.command('quiz race', { rounds: 1 })).text)).toBe(
      'The race could not be posted in this channel. Invite the bot here, or start the race in a channel where it can post.',
    );
    refuse = false;
    expect((await alice.command('quiz race', { rounds: 1 })).visibility).toBe('ephemeral');
    expect(posts.map((p) => p.reply.title)).toEqual(['🏁 Race — round 1 of 1']);
  });
});

describe('leaderboards, seasons and groups', () => {
  function seed(app: App, rows: [string, number, number][], period = 'all') {
    const db = app.services.db.$client;
    for (const [name, points, reachedAt] of rows) {
      const id = (db.prepare("INSERT INTO users (platform, external_id, display_name) VALUES ('terminal', ?, ?) ON CONFLICT DO UPDATE SET display_name = excluded.display_name RETURNING id").get(name, name) as { id: number }).id;
      db.prepare("INSERT OR REPLACE INTO members (tenant, user_id, display_name) VALUES ('terminal:local', ?, ?)").run(id, name);
      db.prepare("INSERT INTO scores (scope, period, user_id, points, reached_at) VALUES ('terminal:local', ?, ?, ?, ?)").run(period, id, points, reachedAt);
    }
  }

  it('orders by points, breaks ties by who got there first, and shows the caller around their rank', async () => {
    const { app } = setup();
    seed(app, Array.from({ length: 30 }, (_, i) => [`u${i}`, 300 - i * 10, 1000 + i] as [string, number, number]));
    seed(app, [['tie-late', 290, 5000], ['tie-early', 290, 10]]);
    const board = await as(app, actor('u20')).command('leaderboard', { period: 'all' });
    const lines = plainText(board.text).split('\n');
    expect(lines.slice(0, 5)).toEqual(['🥇 u0 — 300', '🥈 tie-early — 290', '🥉 u1 — 290', '4. tie-late — 290', '5. u2 — 280']);
    expect(lines).toHaveLength(10 + 1 + 5);
    expect(lines.slice(11)).toEqual(['21. u18 — 120', '22. u19 — 110', '23. u20 — 100', '24. u21 — 90', '25. u22 — 80']);
    expect(board.text).toContain('**23. u20 — 100**');
    const other = await as(app, actor('u0'), 'x', 'another-server').command('leaderboard', { period: 'all' });
    expect(plainText(other.text)).toMatch(/^No points in this server yet/);
  });

  it('archives a season when an admin ends it', async () => {
    const { app } = setup();
    const admin = as(app, actor('admin', true));
    await admin.command('leaderboard');
    seed(app, [['ann', 40, 1]], 's1');
    expect((await as(app, actor('ann')).command('quiz-admin end-season')).text).toBe('/quiz-admin end-season is for admins only.');
    const asked = await admin.command('quiz-admin end-season');
    expect(asked.title).toBe('End season 1?');
    const ended = await admin.action(buttons(asked)[0]!.actionId);
    expect(ended.title).toBe('Season 1 is over');
    expect(plainText(ended.text)).toContain('1. ann — 40');
    expect(plainText((await admin.command('leaderboard', { season: 1 })).text)).toContain('ann — 40');
    expect((await admin.command('leaderboard', { period: 'season' })).title).toBe('Leaderboard — this server, season 2');
    expect(plainText((await admin.command('leaderboard', { season: 5 })).text)).toBe('Season 5 has not started yet.');
  });

  it('keeps one group per user and ranks groups by points per active member', async () => {
    const { app, clock } = setup();
    const [a, b, c] = ['ann', 'ben', 'cat'].map((n) => as(app, actor(n)));
    expect(plainText((await a!.command('group create', { name: 'Routers' })).text)).toMatch(/^Created the study group Routers/);
    expect(plainText((await b!.command('group create', { name: 'routers' })).text)).toMatch(/exists already/);
    await b!.command('group join', { name: 'ROUTERS' });
    await c!.command('group create', { name: 'Gates' });
    expect(plainText((await c!.command('group join', { name: 'Routers' })).text)).toMatch(/^You are in Gates\. Leave it first/);
    // Group boards count the awards earned while in the group.
    const db = app.services.db.$client;
    for (const [name, points] of [['ann', 30], ['ben', 10], ['cat', 25]] as const) {
      const id = (db.prepare("SELECT id FROM users WHERE platform = 'terminal' AND external_id = ?").get(name) as { id: number }).id;
      db.prepare("INSERT INTO awards (award_key, user_id, server_key, channel_id, points, reason, created_at) VALUES (?, ?, 'terminal:local', 'general', ?, 'test', ?)").run(`k-${name}`, id, points, clock.now().getTime());
    }
    const board = plainText((await a!.command('leaderboard', { scope: 'groups', period: 'all' })).text).split('\n');
    expect(board).toEqual(['1. Gates — 25.0 points per active member (25 points, 1 of 1 active)', '2. Routers — 20.0 points per active member (40 points, 2 of 2 active)']);
    await c!.command('group leave');
    expect(plainText((await a!.command('group list')).text)).toBe('• Routers — 2 members');
  });
});

describe('schedules, settings, stats and reports', () => {
  it('refuses bad times and zones, and posts the daily quiz once a day', async () => {
    const { app, posts, clock } = setup();
    const admin = as(app, actor('admin', true), 'general');
    expect(plainText((await admin.command('quiz-admin schedule', { time: '25:00' })).text)).toMatch(/"25:00" is not a time/);
    expect(plainText((await admin.command('quiz-admin schedule', { time: '09:00', timezone: 'Mars/Base' })).text)).toMatch(/"Mars\/Base" is not a time zone/);
    expect(plainText((await as(app, actor('pat')).command('quiz-admin schedule', { time: '09:00' })).text)).toBe('/quiz-admin schedule is for admins only.');
    const ok = await admin.command('quiz-admin schedule', { time: '9:05', timezone: 'Europe/Berlin', weekly: true });
    expect(plainText(ok.text)).toBe('Daily quiz scheduled: every day at 09:05 (Europe/Berlin) in #general and the weekly leaderboard on Mondays.');
    const scheduler = dailyScheduler(app.services);
    expect(scheduler.jobCount()).toBe(1);
    const id = (app.services.db.$client.prepare('SELECT id FROM schedules').get() as { id: number }).id;
    clock.set(new Date('2026-11-23T08:05:00Z')); // a Monday, 09:05 in Berlin
    expect(await scheduler.fire(id, clock.now())).toBe(true);
    expect(await scheduler.fire(id, clock.now())).toBe(false);
    expect(posts.map((p) => p.reply.title)).toEqual(["📚 Today's quiz is ready", "Last week's leaderboard"]);
    const start = await as(app, actor('pat')).action(buttons(posts[0]!.reply)[0]!.actionId);
    expect(start.title).toMatch(/^Today's quiz — question 1 of/);
    expect(plainText((await admin.command('quiz-admin schedule', { time: 'off' })).text)).toBe('The daily quiz in #general is off.');
    expect(scheduler.jobCount()).toBe(0);
  });

  it('counts streak days in the user\'s own time zone', async () => {
    const { app, clock } = setup({ NEW_CARDS_PER_DAY: '1' }, '2026-11-20T22:30:00Z');
    const dana = as(app, actor('dana'));
    expect(plainText((await dana.command('settings', { timezone: 'Nowhere/City' })).text)).toMatch(/is not a time zone/);
    expect(plainText((await dana.command('settings', { timezone: 'europe/berlin' })).text)).toBe('Your time zone is now Europe/Berlin: streaks and "today" follow it.');
    await takeQuiz(dana, () => true); // 23:30 in Berlin on the 20th
    // 04:30 in Berlin on the 21st: a new day there (days start at 04:00), still the 20th's day in UTC.
    clock.advance(5 * 60 * 60_000);
    const second = await takeQuiz(dana, () => true);
    expect(plainText(second.summary.text)).toMatch(/Streak: 2 days/);
    const stats = await dana.command('stats');
    expect(stats.fields!.map((f) => f.name)).toEqual(['Cards', 'Retention (30 days)', 'Streak', 'Points here', 'Next review']);
    expect(plainText(stats.fields![3]!.value)).toBe('20');
  });

  it('puts reported questions in the admin queue', async () => {
    const { app } = setup();
    const eve = as(app, actor('eve'));
    const q = await eve.command('quiz');
    const feedback = await answer(eve, q, false);
    const report = buttons(feedback).find((b) => b.label === 'Report question')!;
    expect((await eve.action(report.actionId, { text: 'Two answers look right to me' })).text).toBe('Thanks! An admin will look at this question.');
    const admin = as(app, actor('root', true));
    const queue = await admin.command('quiz-admin reports');
    expect(plainText(queue.text)).toContain('eve: "Two answers look right to me"');
    expect((await eve.action(buttons(queue)[0]!.actionId)).text).toBe('Resolving reports is for admins only.');
    const resolved = await admin.action(buttons(queue)[0]!.actionId);
    expect(resolved.text).toBe('No open reports.');
    const stats = await admin.command('quiz-admin stats');
    expect(plainText(stats.text)).toMatch(/0% right of 1 /);
  });
});
