import { describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { parseCommandLine } from '../src/core/command-line.js';
import { plainText } from '../src/core/markup.js';
import { dailyScheduler } from '../src/core/quiz/schedule.js';
import { leaderboardReply } from '../src/core/quiz/leaderboard.js';
import { periodKeys } from '../src/core/quiz/scoring.js';
import { isoWeek, previousIsoWeek } from '../src/core/util/time.js';
import { actor, as, buttons, appsWithPosts } from './helpers/app.js';

const setup = appsWithPosts();

/** A typed command line (the terminal chat, Slack's `/quiz …`) through the real dispatcher. */
async function typed(app: App, who: ReturnType<typeof actor>, line: string, channel = 'general') {
  const parsed = parseCommandLine(line);
  if (!parsed.ok) return parsed.error;
  return plainText((await as(app, who, channel).command(parsed.spec.key, parsed.options)).text);
}

describe('typed boolean options', () => {
  it("takes the option's name alone as yes, and yes/no, true/false, on/off in any case", async () => {
    const { app } = setup();
    const admin = actor('admin', true);
    expect(await typed(app, admin, '/quiz-admin schedule 09:30 Europe/Berlin general weekly')).toBe(
      'Daily quiz scheduled: every day at 09:30 (Europe/Berlin) in #general and the weekly leaderboard on Mondays.',
    );
    expect(await typed(app, admin, '/quiz-admin schedule 09:30 Europe/Berlin general weekly:NO')).toBe('Daily quiz scheduled: every day at 09:30 (Europe/Berlin) in #general.');
    expect(await typed(app, admin, '/quiz-admin schedule 10:00 weekly On')).toMatch(/at 10:00 .* and the weekly leaderboard on Mondays\.$/);
    expect(await typed(app, admin, '/quiz-admin schedule 10:00 weekly off')).toMatch(/at 10:00 \([^)]+\) in #general\.$/);
    expect(await typed(app, admin, '/quiz-admin schedule 10:00 Europe/Berlin general TRUE')).toMatch(/and the weekly leaderboard on Mondays\.$/);
    expect(await typed(app, admin, '/quiz-admin schedule 10:00 weekly yes channel:general')).toMatch(/in #general and the weekly leaderboard/);
    expect(await typed(app, admin, '/quiz-admin schedule 10:00 weekly:maybe')).toMatch(/^Option 'weekly' must be yes or no \(or true\/false, on\/off\), not "maybe"\./);
    // Native booleans (Discord) are unchanged.
    expect(plainText((await as(app, admin).command('quiz-admin schedule', { time: '11:00', weekly: true })).text)).toMatch(/weekly leaderboard on Mondays/);
  });
});

describe('listing and removing schedules', () => {
  it("lists this server's schedules and removes one by its button, disarming its job", async () => {
    const { app } = setup();
    const admin = as(app, actor('admin', true));
    expect(plainText((await admin.command('quiz-admin schedules')).text)).toMatch(/^No daily quiz is scheduled in this server/);
    await admin.command('quiz-admin schedule', { time: '09:30', timezone: 'Europe/Berlin', weekly: true });
    await as(app, actor('admin', true), 'random').command('quiz-admin schedule', { time: '18:00', timezone: 'UTC', lesson: 'moe-tradeoffs' });
    await as(app, actor('other', true), 'x', 'another-server').command('quiz-admin schedule', { time: '07:00' });
    const scheduler = dailyScheduler(app.services);
    expect(scheduler.jobCount()).toBe(3);
    const list = await admin.command('quiz-admin schedules');
    expect(plainText(list.text).split('\n')).toEqual([
      '1. #general — 09:30 (Europe/Berlin), the daily quiz, weekly leaderboard on Mondays',
      '2. #random — 18:00 (UTC), lesson moe-tradeoffs',
    ]);
    const remove = buttons(list);
    expect(remove.map((b) => b.label)).toEqual(['Remove 1', 'Remove 2']);
    // Admins only, and only in this server.
    expect(plainText((await as(app, actor('pat')).action(remove[1]!.actionId)).text)).toBe('Removing a schedule is for admins only.');
    expect(plainText((await as(app, actor('other', true), 'x', 'another-server').action(remove[1]!.actionId)).text)).toBe('That schedule was already removed.');
    const removed = await admin.action(remove[1]!.actionId);
    expect(removed.replaceOriginal).toBe(true);
    expect(plainText(removed.text).split('\n')).toEqual(['Removed the daily quiz in #random.', '', '1. #general — 09:30 (Europe/Berlin), the daily quiz, weekly leaderboard on Mondays']);
    expect(scheduler.jobCount()).toBe(2);
    expect(plainText((await admin.action(remove[1]!.actionId)).text)).toBe('That schedule was already removed.');
    expect(scheduler.jobCount()).toBe(2);
  });
});

describe('ending a season', () => {
  function seed(app: App, users: [string, number][], period: string) {
    const db = app.services.db.$client;
    for (const [name, points] of users) {
      const id = (db.prepare("INSERT INTO users (platform, external_id, display_name) VALUES ('terminal', ?, ?) ON CONFLICT DO UPDATE SET display_name = excluded.display_name RETURNING id").get(name, name) as { id: number }).id;
      db.prepare("INSERT OR REPLACE INTO members (tenant, user_id, display_name) VALUES ('terminal:local', ?, ?)").run(id, name);
      db.prepare("INSERT INTO scores (scope, period, user_id, points, reached_at) VALUES ('terminal:local', ?, ?, ?, 1)").run(period, id, points);
    }
  }
  const season = (app: App) => app.services.db.$client.prepare("SELECT max(number) n FROM seasons WHERE server_key = 'terminal:local' AND ended_at IS NULL").get();

  it('asks for confirmation with a button: admins only, in this server, for ten minutes, and once', async () => {
    const { app, clock } = setup();
    const admin = as(app, actor('admin', true));
    seed(app, [['ann', 40]], 's1');
    const asked = await admin.command('quiz-admin end-season');
    expect(asked.title).toBe('End season 1?');
    expect(season(app)).toEqual({ n: 1 });
    const [confirm] = buttons(asked);
    expect(confirm!.label).toBe('End season 1');
    expect(plainText((await as(app, actor('ann')).action(confirm!.actionId)).text)).toBe('Ending a season is for admins only.');
    expect(plainText((await as(app, actor('boss', true), 'x', 'another-server').action(confirm!.actionId)).text)).toBe('That season has already ended.');
    expect(season(app)).toEqual({ n: 1 });
    const ended = await admin.action(confirm!.actionId);
    expect(ended.title).toBe('Season 1 is over');
    expect(plainText(ended.text)).toContain('1. ann — 40');
    expect(season(app)).toEqual({ n: 2 });
    // A second press ends nothing more.
    expect(plainText((await admin.action(confirm!.actionId)).text)).toBe('That season has already ended.');
    expect(season(app)).toEqual({ n: 2 });
    // A confirmation left for more than ten minutes has expired.
    const late = buttons(await admin.command('quiz-admin end-season'))[0]!;
    clock.advance(11 * 60_000);
    expect(plainText((await admin.action(late.actionId)).text)).toBe('This confirmation has expired. Run /quiz-admin end-season again.');
    expect(season(app)).toEqual({ n: 2 });
  });
});

describe('leaderboards after a season and in a fresh week', () => {
  function seed(app: App, users: [string, number][], period: string) {
    const db = app.services.db.$client;
    for (const [name, points] of users) {
      const id = (db.prepare("INSERT INTO users (platform, external_id, display_name) VALUES ('terminal', ?, ?) ON CONFLICT DO UPDATE SET display_name = excluded.display_name RETURNING id").get(name, name) as { id: number }).id;
      db.prepare("INSERT OR REPLACE INTO members (tenant, user_id, display_name) VALUES ('terminal:local', ?, ?)").run(id, name);
      db.prepare("INSERT INTO scores (scope, period, user_id, points, reached_at) VALUES ('terminal:local', ?, ?, ?, 1)").run(period, id, points);
    }
  }

  it("shows an ended season's final standings without telling the reader to answer to get on them", async () => {
    const { app } = setup();
    const admin = as(app, actor('admin', true));
    seed(app, [['ann', 40], ['ben', 25]], 's1');
    await admin.action(buttons(await admin.command('quiz-admin end-season'))[0]!.actionId);
    const board = await as(app, actor('cat')).command('leaderboard', { season: 1 });
    expect(board.title).toBe('Leaderboard — this server, season 1 (final)');
    expect(plainText(board.text)).toBe('🥇 ann — 40\n🥈 ben — 25\n\nYou did not score in season 1.');
    expect(plainText(board.text)).not.toMatch(/answer a due question/);
    await admin.action(buttons(await admin.command('quiz-admin end-season'))[0]!.actionId);
    expect(plainText((await as(app, actor('cat')).command('leaderboard', { season: 2 })).text)).toBe('Nobody scored in this server in season 2.');
    // The running season still invites the reader.
    seed(app, [['ann', 5]], 's3');
    expect(plainText((await as(app, actor('cat')).command('leaderboard', { period: 'season' })).text)).toMatch(/answer a due question to get on the board/);
  });

  it("says plainly that nobody has scored yet this week, with last week's winner", async () => {
    const { app, clock } = setup();
    const week = (d: Date) => periodKeys(d, app.services.config.DEFAULT_TIMEZONE, 1).week;
    const cat = as(app, actor('cat'));
    // (Boards are read from memory once loaded: the rows go in before the first read.)
    seed(app, [['ann', 40], ['ben', 55]], week(new Date(clock.now().getTime() - 7 * 86_400_000)));
    expect(plainText((await as(app, actor('cat'), 'x', 'another-server').command('leaderboard')).text)).toBe(
      'Nobody has scored yet this week in this server. Take /quiz or start a /quiz race to lead the board!',
    );
    const fresh = await cat.command('leaderboard');
    expect(fresh.title).toBe('Leaderboard — this server, this week');
    expect(plainText(fresh.text)).toBe("Nobody has scored yet this week in this server. Last week's winner: ben with 55 points. Take /quiz or start a /quiz race to lead the board!");
    // Last week's board, read as the Monday post reads it (now, and last week's ISO week), is "last week".
    const previous = previousIsoWeek(isoWeek(clock.now(), app.services.config.DEFAULT_TIMEZONE));
    const lastWeek = await leaderboardReply(app.services, actor('cat'), { serverId: 'local', channelId: 'general' }, 'week', 'server', undefined, clock.now(), previous);
    const emptyLastWeek = await leaderboardReply(app.services, actor('cat'), { serverId: 'third', channelId: 'x' }, 'week', 'server', undefined, clock.now(), previous);
    expect(plainText(emptyLastWeek.text)).toBe('No points in this server yet. Take /quiz or start a /quiz race!');
    expect(lastWeek.title).toBe('Leaderboard — this server, last week');
    expect(plainText(lastWeek.text)).toBe('🥇 ben — 55\n🥈 ann — 40\n\nYou have no points here last week — answer a due question to get on the board.');
  });
});

describe('group points follow membership', () => {
  it("counts only what members earned while in the group, within the period", async () => {
    const { app, clock } = setup();
    const db = app.services.db.$client;
    const userId = (name: string) => (db.prepare("SELECT id FROM users WHERE platform = 'terminal' AND external_id = ?").get(name) as { id: number }).id;
    let n = 0;
    const earn = (name: string, points: number, at = clock.now().getTime()) =>
      db.prepare("INSERT INTO awards (award_key, user_id, server_key, channel_id, points, reason, created_at) VALUES (?, ?, 'terminal:local', 'general', ?, 'test', ?)").run(`k${++n}`, userId(name), points, at);
    const [ann, ben] = ['ann', 'ben'].map((x) => as(app, actor(x)));
    await ann!.command('group create', { name: 'Routers' });
    await ben!.command('stats');
    // Ben scores 100 on his own, then joins: those points are not the group's.
    earn('ben', 100);
    clock.advance(60_000);
    await ben!.command('group join', { name: 'Routers' });
    clock.advance(60_000);
    earn('ann', 30);
    earn('ben', 10);
    // Elsewhere (another server) nothing counts here.
    db.prepare("INSERT INTO awards (award_key, user_id, server_key, channel_id, points, reason, created_at) VALUES ('x1', ?, 'terminal:other', 'c', 500, 'test', ?)").run(userId('ben'), clock.now().getTime());
    const board = async (period: string) => plainText((await ann!.command('leaderboard', { scope: 'groups', period })).text);
    expect(await board('all')).toBe('1. Routers — 20.0 points per active member (40 points, 2 of 2 active)');
    expect(await board('week')).toBe('1. Routers — 20.0 points per active member (40 points, 2 of 2 active)');
    expect(await board('season')).toBe('1. Routers — 20.0 points per active member (40 points, 2 of 2 active)');
    // Next week the week's board starts from nothing; all time keeps it.
    clock.advance(8 * 86_400_000);
    expect(await board('week')).toBe('1. Routers — 0.0 points per active member (0 points, 0 of 2 active)');
    earn('ann', 10);
    expect(await board('week')).toBe('1. Routers — 10.0 points per active member (10 points, 1 of 2 active)');
    expect(await board('all')).toBe('1. Routers — 25.0 points per active member (50 points, 2 of 2 active)');
    // A member who leaves takes their points along; one who comes back starts again.
    await ben!.command('group leave');
    await ben!.command('group join', { name: 'Routers' });
    expect(await board('all')).toBe('1. Routers — 40.0 points per active member (40 points, 1 of 2 active)');
  });
});
