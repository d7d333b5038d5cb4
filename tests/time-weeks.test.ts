import { describe, expect, it } from 'vitest';
import { plainText } from '../src/core/markup.js';
import { dailyScheduler } from '../src/core/quiz/schedule.js';
import { award } from '../src/core/quiz/scoring.js';
import { quizStore } from '../src/core/quiz/store.js';
import { tenantOf } from '../src/core/tenant.js';
import type { App } from '../src/app.js';
import { actor, appsWithPosts, as } from './helpers/app.js';

const setup = appsWithPosts();

/** Points through the real write path: the award and its running totals. */
function earn(app: App, name: string, points: number, at: string) {
  const store = quizStore(app.services);
  const place = { serverId: 'local', channelId: 'general' };
  const user = store.user(actor(name), tenantOf('terminal', place));
  award(store, { key: `${name}-${at}`, userId: user.id, platform: 'terminal', ...place, points, reason: 'test', now: new Date(at) });
}

describe("last week's leaderboard", () => {
  it('is the ISO week before the current one in the schedule’s zone, and the board command agrees', async () => {
    // The server runs in UTC; its daily post is in Auckland, 13 hours ahead in December.
    const { app, posts, clock } = setup({ DEFAULT_TIMEZONE: 'UTC' }, '2026-12-02T10:00:00Z');
    const admin = as(app, actor('admin', true));
    await admin.command('quiz-admin schedule', { time: '09:00', timezone: 'Pacific/Auckland', weekly: true });
    earn(app, 'ann', 40, '2026-12-02T10:00:00Z'); // Wednesday 2 December in Auckland (2026-W49)
    earn(app, 'ben', 15, '2026-12-06T19:30:00Z'); // Monday 7 December, 08:30 in Auckland (2026-W50); still Sunday in UTC
    // 09:00 on Monday 7 December in Auckland.
    clock.set(new Date('2026-12-06T20:00:00Z'));
    const id = (app.services.db.$client.prepare('SELECT id FROM schedules').get() as { id: number }).id;
    expect(await dailyScheduler(app.services).fire(id, clock.now())).toBe(true);
    const lastWeek = posts.find((p) => p.reply.title === "Last week's leaderboard")!;
    expect(plainText(lastWeek.reply.text).split('\n')[0]).toBe('🥇 ann — 40');
    expect(plainText(lastWeek.reply.text)).not.toContain('ben');
    // The board of this week, at the same instant, is another week: Monday's points only.
    const now = await as(app, actor('cat')).command('leaderboard');
    expect(plainText(now.text).split('\n')[0]).toBe('🥇 ben — 15');
    expect(plainText(now.text)).not.toContain('ann');
  });

  it('names last week’s winner the day after a daylight-saving change', async () => {
    // 00:30 on Monday 30 March 2026 in Berlin, the day after clocks went forward: 7 × 24 hours
    // earlier is still the Sunday of the week before last.
    const { app } = setup({ DEFAULT_TIMEZONE: 'Europe/Berlin' }, '2026-03-29T22:30:00Z');
    earn(app, 'ann', 20, '2026-03-22T12:00:00Z'); // 2026-W12
    earn(app, 'ben', 35, '2026-03-25T12:00:00Z'); // 2026-W13, last week
    const reply = await as(app, actor('cat')).command('leaderboard');
    expect(plainText(reply.text)).toBe("Nobody has scored yet this week in this server. Last week's winner: ben with 35 points. Take /quiz or start a /quiz race to lead the board!");
  });
});
