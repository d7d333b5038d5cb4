import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { plainText } from '../src/core/markup.js';
import { drawableText } from '../src/core/quiz/card-draw.js';
import { altText, truncate } from '../src/core/util/text.js';
import { BAR_COLOR, leaderboardCardLayout, MY_BAR_COLOR, MY_ROW_COLOR } from '../src/core/quiz/leaderboard-card.js';
import { leaderboardView, type BoardView } from '../src/core/quiz/leaderboard.js';
import { dailyScheduler } from '../src/core/quiz/schedule.js';
import type { ManualClock } from '../src/core/services.js';
import { actor, appsWithPosts, as } from './helpers/app.js';
import { repoRoot } from './helpers/cli.js';
import { studyToday } from './helpers/learner.js';
import { pixels, PNG_SIGNATURE } from './helpers/png.js';

const setup = appsWithPosts();
const place = { serverId: 'local', channelId: 'general' };

/** Twelve learners, among them long, right-to-left and emoji names; the reader scores least. */
const NAMES = [
  'Ada Lovelace',
  'محمد عبد الله',
  'שרה כהן',
  '🦊 Fox',
  'Bartholomew Maximilian Fitzgerald-Worthington the Third',
  'Zoë',
  '🦊🚀✨',
  'Grace Hopper',
  'Алексей',
  'Linus',
  'Margaret',
  'reader',
];

/** Three days of the daily quiz: learner i's first 15 − i answers are right, the rest wrong. */
async function playThreeDays(app: App, clock: ManualClock): Promise<void> {
  const answered = NAMES.map(() => ({ n: 0 }));
  for (let day = 0; day < 3; day++) {
    for (const [i, name] of NAMES.entries()) await studyToday(app, clock, name, (n) => n < 15 - i, answered[i]);
    clock.advance(86_400_000);
  }
}

/** Every row's bar is where the layout puts it, in its colour; the reader's row is highlighted; no name runs into a bar. */
async function expectRowsDrawn(png: Buffer, view: BoardView): Promise<void> {
  const img = await pixels(png);
  const g = leaderboardCardLayout(view);
  expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
  expect([img.width, img.height]).toEqual([g.width, g.height]);
  g.rows.forEach((r, i) => {
    const bar = g.bar(i);
    const row = g.row(i);
    expect(img.at(bar.x + bar.w / 2, bar.y + bar.h / 2), `bar of ${r.name}`).toEqual([...(r.mine ? MY_BAR_COLOR : BAR_COLOR)]);
    expect(img.at(row.x + 3, row.y + row.h / 2), `row of ${r.name}`).toEqual(r.mine ? [...MY_ROW_COLOR] : [255, 255, 255]);
    for (let x = bar.x - 14; x < bar.x - 2; x++) for (let y = row.y + 4; y < row.y + row.h - 4; y++) expect(img.at(x, y), `before the bar of ${r.name}`).toEqual(r.mine ? [...MY_ROW_COLOR] : [255, 255, 255]);
  });
}

describe('the leaderboard card', () => {
  it('shows the top 10 and the reader ranked 12th, as SQL ranks the awards, with the same text as before', async () => {
    const { app, clock, sql } = setup();
    await playThreeDays(app, clock);
    const reply = await as(app, actor('reader')).command('leaderboard', { period: 'all' });
    const view = leaderboardView(app.services, actor('reader'), place, 'all', 'server', undefined, clock.now());

    // The ranking, worked out from the awards themselves: points, then who reached them first.
    const db = sql();
    const ranked = db
      .prepare(
        `SELECT m.display_name name, sum(a.points) points, max(a.created_at) reached FROM awards a JOIN members m ON m.user_id = a.user_id AND m.tenant = a.server_key
         WHERE a.server_key = 'terminal:local' GROUP BY a.user_id ORDER BY points DESC, reached`,
      )
      .all() as { name: string; points: number }[];
    db.close();
    expect(ranked).toHaveLength(12);
    expect(view.top.map((r) => [r.rank, r.name, r.score])).toEqual(ranked.slice(0, 10).map((r, i) => [i + 1, r.name, r.points]));
    expect(view.me).toMatchObject({ rank: 12, name: 'reader', score: ranked[11]!.points, mine: true });
    expect(ranked[11]!.name).toBe('reader');

    // Text as before: medals, the reader's neighbourhood after an ellipsis, the reader in bold.
    const lines = plainText(reply.text).split('\n');
    expect(lines.slice(0, 3)).toEqual([`🥇 ${ranked[0]!.name} — ${ranked[0]!.points}`, `🥈 ${ranked[1]!.name} — ${ranked[1]!.points}`, `🥉 ${ranked[2]!.name} — ${ranked[2]!.points}`]);
    expect(lines[10]).toBe('…');
    expect(lines.at(-1)).toBe(`12. reader — ${ranked[11]!.points}`);
    expect(reply.text).toContain(`**12. reader — ${ranked[11]!.points}**`);

    expect(reply.image!.filename).toBe('leaderboard.png');
    expect(reply.image!.alt).toBe(
      `Leaderboard card, this server, all time: ${ranked
        .slice(0, 10)
        .map((r, i) => `${i + 1}. ${r.name} ${r.points}`)
        .join(', ')}; you are number 12 with ${ranked[11]!.points}.`,
    );
    await expectRowsDrawn(reply.image!.png, view);
    expect(leaderboardCardLayout(view).rows.map((r) => r.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12]);
    // Bars scale with the points: the leader's is the longest, each one no longer than the one above.
    const g = leaderboardCardLayout(view);
    const widths = g.rows.map((_, i) => g.bar(i).w);
    expect(widths).toEqual([...widths].sort((a, b) => b - a));
    expect(widths[0]).toBeGreaterThan(2 * widths.at(-1)!);
    if (process.env.WRITE_DOCS_IMAGES) writeFileSync(join(repoRoot, 'docs/images/leaderboard-card-example.png'), reply.image!.png);

    // A reader in the top 10 is highlighted there, with no extra row.
    const leader = await as(app, actor(ranked[0]!.name)).command('leaderboard', { period: 'all' });
    const leaderView = leaderboardView(app.services, actor(ranked[0]!.name), place, 'all', 'server', undefined, clock.now());
    expect(leaderboardCardLayout(leaderView).rows).toHaveLength(10);
    expect(leader.image!.alt).toMatch(/; you are number 1 with \d+\.$/);
    await expectRowsDrawn(leader.image!.png, leaderView);
  });

  it('names the period, draws an empty board kindly, and shows study groups', async () => {
    const { app, clock } = setup();
    const empty = await as(app, actor('ann'), 'general', 'elsewhere').command('leaderboard');
    expect(empty.image!.alt).toBe('Leaderboard card, this server, this week: Nobody has scored yet this week in this server. Take /quiz or start a /quiz race to lead the board!');
    const emptyView = leaderboardView(app.services, actor('ann'), { serverId: 'elsewhere', channelId: 'general' }, 'week', 'server', undefined, clock.now());
    const img = await pixels(empty.image!.png);
    expect([img.width, img.height]).toEqual([800, leaderboardCardLayout(emptyView).height]);
    expect(leaderboardCardLayout(emptyView).rows).toEqual([]);

    // Groups count what their members earn after joining: they come first.
    await as(app, actor('ann')).command('group create', { name: 'مجموعة الموجهات' });
    await as(app, actor('ben')).command('group create', { name: 'Sparse experts with a long group name' });
    await studyToday(app, clock, 'ann', () => true);
    await studyToday(app, clock, 'ben', (n) => n < 2);
    for (const [period, label] of [['week', 'this week'], ['month', 'this month'], ['all', 'all time'], ['season', 'season 1']] as const) {
      const r = await as(app, actor('ann')).command('leaderboard', { period });
      expect(r.image!.alt, period).toMatch(new RegExp(`^Leaderboard card, this server, ${label}: 1\\. ann 50, 2\\. ben 20; you are number 1 with 50\\.$`));
    }
    const channel = await as(app, actor('ben')).command('leaderboard', { scope: 'channel' });
    expect(channel.image!.alt).toBe('Leaderboard card, this channel, this week: 1. ann 50, 2. ben 20; you are number 2 with 20.');
    // Someone with no points is told so on the card, as in the text.
    const cat = await as(app, actor('cat')).command('leaderboard');
    expect(cat.image!.alt).toBe('Leaderboard card, this server, this week: 1. ann 50, 2. ben 20; You have no points here this week — answer a due question to get on the board.');

    const groups = await as(app, actor('ben')).command('leaderboard', { scope: 'groups', period: 'all' });
    expect(plainText(groups.text)).toBe('1. مجموعة الموجهات — 50.0 points per active member (50 points, 1 of 1 active)\n2. Sparse experts with a long group name — 20.0 points per active member (20 points, 1 of 1 active)');
    expect(groups.image!.filename).toBe('study-groups.png');
    expect(groups.image!.alt).toBe('Study groups card, all time: 1. مجموعة الموجهات 50.0 / member, 2. Sparse experts with a long group name 20.0 / member; you are in Sparse experts with a long group name, number 2 with 20.0 / member.');
    await expectRowsDrawn(groups.image!.png, leaderboardView(app.services, actor('ben'), place, 'all', 'groups', undefined, clock.now()));
  });

  it('keeps the reader’s rank in an alt text cut to 1,000 characters, and never draws control characters or direction overrides', async () => {
    const { app, clock } = setup();
    const long = (i: number) => `Learner ${String(i).padStart(2, '0')} ${'with a very long display name '.repeat(3)}`.trim();
    for (let i = 0; i < 12; i++) await studyToday(app, clock, long(i), (n) => n < 5 - Math.floor(i / 3));
    const reply = await as(app, actor(long(11))).command('leaderboard');
    const alt = reply.image!.alt;
    expect(alt.length).toBeLessThanOrEqual(1000);
    expect(alt).toMatch(/…; you are number 12 with \d+\.$/);
    expect(alt.startsWith('Leaderboard card, this server, this week: 1. Learner 00 with a very long display name')).toBe(true);
    expect(drawableText('Ann\u202e nimda\u202c\u0007 \u200fB')).toBe('Ann nimda B');
    expect(altText('a\u0007b', 10)).toBe('a b');
    expect(altText('👩🏽‍💻👩🏽‍💻👩🏽‍💻', 10)).toBe('👩🏽‍💻…');
    // Every cut text (alt text, titles, lists) keeps whole characters: no half of a surrogate pair.
    expect(truncate('Fox 🦊🦊', 6)).toBe('Fox…');
  });

  it('comes with the Monday post of last week’s board, read by nobody in particular', async () => {
    const { app, clock, posts } = setup({}, '2026-11-20T09:00:00Z');
    // Groups count what their members earn after joining: they come first.
    await as(app, actor('ann')).command('group create', { name: 'مجموعة الموجهات' });
    await as(app, actor('ben')).command('group create', { name: 'Sparse experts with a long group name' });
    await studyToday(app, clock, 'ann', () => true);
    await as(app, actor('root', true)).command('quiz-admin schedule', { time: '08:00', weekly: 'yes' });
    clock.set(new Date('2026-11-23T08:30:00Z'));
    const id = (app.services.db.$client.prepare('SELECT id FROM schedules').get() as { id: number }).id;
    expect(await dailyScheduler(app.services).fire(id, clock.now())).toBe(true);
    const post = posts.find((p) => p.reply.title === "Last week's leaderboard")!;
    expect(plainText(post.reply.text)).toBe('🥇 ann — 50');
    expect(post.reply.image!.alt).toBe('Leaderboard card, this server, last week: 1. ann 50.');
    expect(post.reply.image!.png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    // Read by nobody: the post adds no user and no member for the scheduler.
    const db = app.services.db.$client;
    expect(db.prepare("SELECT count(*) n FROM users WHERE external_id = '__scheduler__'").get()).toEqual({ n: 0 });
    expect(db.prepare("SELECT count(*) n FROM members m JOIN users u ON u.id = m.user_id WHERE u.external_id = '__scheduler__'").get()).toEqual({ n: 0 });
  });
});
