import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import type { Reply } from '../src/core/interaction.js';
import { plainText } from '../src/core/markup.js';
import type { ManualClock } from '../src/core/services.js';
import { CARD_TRACK, drawableText } from '../src/core/quiz/card-draw.js';
import { BELOW_TARGET_COLOR, calendarColor, FORECAST_COLOR, MASTERED_COLOR, ON_TARGET_COLOR, renderStatsCard, SEEN_COLOR, STATS_CARD_HEIGHT, statsCardLayout, TODAY_COLOR } from '../src/core/quiz/stats-card.js';
import { CALENDAR_WEEKS, FORECAST_DAYS, lessonsForCard, MASTERED_STABILITY_DAYS, statsFigures, type StatsFigures } from '../src/core/quiz/stats-figures.js';
import { actor, appsWithPosts, as } from './helpers/app.js';
import { repoRoot } from './helpers/cli.js';
import { answerOnScreen, ChatDriver, printedButtons } from './helpers/chat-driver.js';
import { studyToday } from './helpers/learner.js';
import { pixels, PNG_SIGNATURE } from './helpers/png.js';
import { tempDir } from './helpers/tmp.js';

const setup = appsWithPosts();
const ZONE = 'America/New_York';
const DAY_STARTS = 4;
const place = { serverId: 'local', channelId: 'general' };

const centre = (r: { x: number; y: number; w: number; h: number }) => [r.x + Math.floor(r.w / 2), r.y + Math.floor(r.h / 2)] as const;

/**
 * When a learner studies on day n (counted from midnight in New York on the first day): at 20:00,
 * or on every sixth day at 01:30 the night after, which is still day n's learner day.
 */
const studyTime = (first: DateTime, n: number) => first.plus({ days: n }).plus({ minutes: n % 6 === 5 ? 25 * 60 + 30 : 20 * 60 });

/** Studies at that time: every question of the day's quizzes, wrong on every fifth answer. */
async function studyDay(app: App, clock: ManualClock, name: string, first: DateTime, n: number, answered: { n: number }): Promise<void> {
  clock.set(studyTime(first, n).toJSDate());
  await studyToday(app, clock, name, (i) => i % 5 !== 4, answered);
}

/** A learner day of New York, worked out here without the bot's time module: it begins at 04:00. */
function learnerDayOf(t: number): string {
  const local = DateTime.fromMillis(t, { zone: ZONE });
  return (local.hour < DAY_STARTS ? local.minus({ days: 1 }) : local).toISODate()!;
}

describe('/stats figures', () => {
  it('agree with SQL over a learner’s real answers: due forecast, true retention, calendar, streak and mastery', async () => {
    const { app, clock, sql } = setup({}, '2026-09-01T12:00:00Z');
    const ann = as(app, actor('ann'));
    await ann.command('settings', { timezone: ZONE, retention: '0.85' });
    // Seven weeks with two gaps, then an unbroken run of 9 days up to today.
    const first = DateTime.fromISO('2026-09-01', { zone: ZONE });
    const studied: number[] = [];
    const answered = { n: 0 };
    for (let n = 0; n < 49; n++) {
      if (n === 11 || n === 12 || n === 39) continue;
      studied.push(n);
      await studyDay(app, clock, 'ann', first, n, answered);
    }
    const now = first.plus({ days: 48, hours: 22 }).toJSDate();
    clock.set(now);
    const f = statsFigures(app.services, actor('ann'), place, now);
    const db = sql();

    // Today and the forecast's days: New York learner days.
    const today = f.forecast[0]!.day;
    expect(today).toBe(learnerDayOf(now.getTime()));
    expect(f.forecast.map((d) => d.day)).toEqual(Array.from({ length: FORECAST_DAYS }, (_, i) => DateTime.fromISO(today).plus({ days: i }).toISODate()));
    const dayStart = (day: string) => DateTime.fromISO(day, { zone: ZONE }).set({ hour: DAY_STARTS }).toMillis();
    const dueRows = db.prepare('SELECT c.due FROM cards c JOIN questions q ON q.id = c.question_id JOIN users u ON u.id = c.user_id WHERE u.external_id = ? AND q.retired_at IS NULL').all('ann') as { due: number }[];
    const expectedDue = f.forecast.map((d, i) => dueRows.filter((r) => (i === 0 || r.due >= dayStart(d.day)) && r.due < dayStart(DateTime.fromISO(d.day).plus({ days: 1 }).toISODate()!)).length);
    expect(f.forecast.map((d) => d.due)).toEqual(expectedDue);
    expect(f.dueInForecast).toBe(expectedDue.reduce((n, d) => n + d, 0));
    expect(f.busiestDay).toBe(expectedDue.indexOf(Math.max(...expectedDue)));
    expect(f.cards.total).toBe(dueRows.length);
    expect(expectedDue.reduce((a, b) => a + b, 0)).toBeGreaterThan(10);

    // True retention: answers to due cards (not new ones) in the last 30 days.
    const since = DateTime.fromJSDate(now, { zone: ZONE }).minus({ days: 30 }).toMillis();
    const ret = db
      .prepare('SELECT count(*) n, sum(correct) hits FROM reviews r JOIN users u ON u.id = r.user_id WHERE u.external_id = ? AND r.was_due = 1 AND r.was_new = 0 AND r.answered_at >= ?')
      .get('ann', since) as { n: number; hits: number };
    expect(ret.n).toBeGreaterThan(20);
    expect(f.retention).toEqual({ reviews: ret.n, right: ret.hits, rate: ret.hits / ret.n, desired: 0.85 });

    // Calendar: from a Monday 25 weeks back to today, each day's answers as the reviews hold them.
    expect(f.calendar.at(-1)!.day).toBe(today);
    expect(DateTime.fromISO(f.calendar[0]!.day).weekday).toBe(1);
    expect(f.calendar.length).toBe((CALENDAR_WEEKS - 1) * 7 + DateTime.fromISO(today).weekday);
    const perDay = new Map<string, number>();
    for (const r of db.prepare('SELECT answered_at t FROM reviews').all() as { t: number }[]) perDay.set(learnerDayOf(r.t), (perDay.get(learnerDayOf(r.t)) ?? 0) + 1);
    for (const d of f.calendar) expect(d.answers, d.day).toBe(perDay.get(d.day) ?? 0);
    const studiedDays = studied.map((n) => learnerDayOf(studyTime(first, n).toMillis()));
    expect(f.calendar.filter((d) => d.answers > 0).map((d) => d.day)).toEqual([...new Set(studiedDays)].sort());
    expect(f.activeDays).toBe(new Set(studiedDays).size);

    // Streak: the days in a row up to today; the best run is the longest one.
    const runs: number[] = [];
    let run = 0;
    for (let n = 0; n < 49; n++) {
      if (studied.includes(n)) run++;
      else (runs.push(run), (run = 0));
    }
    runs.push(run);
    expect(f.streak).toEqual({ current: run, best: Math.max(...runs) });
    expect(run).toBe(9);

    // Mastery: per lesson, questions (one per prompt) met, and mastered (stability of 21 days or more).
    const mastery = db
      .prepare(
        `SELECT lesson, count(*) questions, sum(seen) seen, sum(mastered) mastered FROM (
           SELECT q.lesson_id lesson, max(c.user_id IS NOT NULL) seen, max(coalesce(c.stability, 0) >= ?) mastered
           FROM questions q LEFT JOIN cards c ON c.question_id = q.id AND c.user_id = (SELECT id FROM users WHERE external_id = 'ann')
           WHERE q.retired_at IS NULL AND q.tenant IS NULL GROUP BY q.lesson_id, coalesce(q.prompt_key, q.id))
         GROUP BY lesson HAVING sum(seen) > 0`,
      )
      .all(MASTERED_STABILITY_DAYS) as { lesson: string; questions: number; seen: number; mastered: number }[];
    expect(Object.fromEntries(f.mastery.map((l) => [l.lessonId, [l.questions, l.seen, l.mastered]]))).toEqual(Object.fromEntries(mastery.map((l) => [l.lesson, [l.questions, l.seen, l.mastered]])));
    expect(mastery.reduce((n, l) => n + l.mastered, 0)).toBeGreaterThan(0);
    db.close();

    // The reply: the card drawn from these figures, its text version as alt text, the text as before.
    const reply = await ann.command('stats');
    expect(reply.image!.png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    // The same whole percentage as the card's, in the alt text and in the Retention field.
    const retained = `${Math.round((100 * ret.hits) / ret.n)}%`;
    expect(reply.image!.alt).toContain(`true retention ${retained} of ${ret.n} due reviews in 30 days, goal 85%`);
    expect(plainText(reply.fields!.find((field) => field.name === 'Retention (30 days)')!.value)).toBe(`${retained} of ${ret.n} reviews (goal 85%)`);
    expect(reply.image!.alt).toContain(`streak 9 days (best ${Math.max(...runs)})`);
    expect(reply.fields!.map((field) => field.name)).toEqual(['Cards', 'Retention (30 days)', 'Streak', 'Points here', 'Next review']);
    expect(plainText(reply.text)).toMatch(/^Accuracy by lesson\n• /);
    await expectDrawn(reply, f);
  });
});

/** The card's marks are where the layout of these figures puts them, in the colours they mean. */
async function expectDrawn(reply: Reply, f: StatsFigures): Promise<void> {
  const img = await pixels(reply.image!.png);
  const g = statsCardLayout(f);
  expect([img.width, img.height]).toEqual([800, STATS_CARD_HEIGHT]);
  f.forecast.forEach((d, i) => {
    const bar = g.forecastBar(i);
    if (d.due === 0) expect(bar).toBeUndefined();
    else expect(img.at(...centre(bar!)), `forecast ${d.day}`).toEqual([...(i === 0 ? TODAY_COLOR : FORECAST_COLOR)]);
  });
  f.calendar.forEach((d, i) => expect(img.at(...centre(g.calendarCell(i))), `calendar ${d.day}`).toEqual([...calendarColor(d.answers)]));
  const fill = g.retentionFill();
  if (f.retention.rate === null) expect(fill).toBeUndefined();
  else expect(img.at(fill!.x + 8, fill!.y + fill!.h / 2)).toEqual([...(f.retention.rate >= f.retention.desired - 0.02 ? ON_TARGET_COLOR : BELOW_TARGET_COLOR)]);
  lessonsForCard(f.mastery).forEach((l, i) => {
    const bars = g.masteryBars(i);
    if (bars.mastered) expect(img.at(bars.mastered.x + 2, bars.mastered.y + bars.mastered.h / 2), l.title).toEqual([...MASTERED_COLOR]);
    if (bars.seen) expect(img.at(bars.seen.x + bars.seen.w - 2, bars.seen.y + bars.seen.h / 2), l.title).toEqual([...SEEN_COLOR]);
    if (l.seen < l.questions) expect(img.at(bars.track.x + bars.track.w - 3, bars.track.y + bars.track.h / 2)).toEqual([...CARD_TRACK]);
  });
}

describe('the stats card', () => {
  it('greets a new learner with an empty but friendly card', async () => {
    const { app, clock } = setup();
    const reply = await as(app, actor('newcomer')).command('stats');
    const f = statsFigures(app.services, actor('newcomer'), place, clock.now());
    expect(f.forecast.every((d) => d.due === 0) && f.calendar.every((d) => d.answers === 0) && f.mastery.length === 0 && f.retention.rate === null).toBe(true);
    expect(reply.image!.png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect(reply.image!.alt).toBe(
      'Stats card of newcomer: nothing due yet; 0 of the last ' + f.calendar.length + ' days with answers, streak 0 days (best 0); no due reviews in 30 days yet (goal 90%); no lessons started.',
    );
    expect(plainText(reply.text)).toBe('No answers yet. Start with /quiz.');
    await expectDrawn(reply, f);
    // No bar anywhere in the forecast: its whole area is white.
    const img = await pixels(reply.image!.png);
    for (let x = 30; x < 380; x += 6) expect(img.at(x, 260), `x ${x}`).toEqual([255, 255, 255]);
  });

  it('draws a year of answers, and names that are long, right to left or emoji', { timeout: 120_000 }, async () => {
    const { app, clock } = setup({}, '2025-11-21T18:00:00Z');
    const name = 'Ada Lovelace';
    const answered = { n: 0 };
    // A year: most days, a missed day now and then, wrong on every sixth answer.
    for (let day = 0; day < 365; day++) {
      if (day % 11 === 3 || day % 17 === 8) continue;
      clock.set(new Date(Date.parse('2025-11-21T18:00:00Z') + day * 86_400_000));
      await studyToday(app, clock, name, (i) => i % 6 !== 5, answered);
    }
    const now = clock.now();
    const reply = await as(app, actor(name)).command('stats');
    const f = statsFigures(app.services, actor(name), place, now);
    expect(f.activeDays).toBeGreaterThan(140);
    expect(new Set(f.calendar.map((d) => calendarColor(d.answers).join())).size).toBeGreaterThanOrEqual(4);
    expect(f.mastery.length).toBe(5);
    expect(f.mastery.every((l) => l.mastered > 0)).toBe(true);
    await expectDrawn(reply, f);
    if (process.env.WRITE_DOCS_IMAGES) writeFileSync(join(repoRoot, 'docs/images/stats-card-example.png'), reply.image!.png);

    // The same figures under other names: all drawn, none past the header's room (the streak's).
    const header = async (png: Buffer) => {
      const img = await pixels(png);
      const ink = (x0: number, x1: number) => {
        let n = 0;
        for (let x = x0; x < x1; x++) for (let y = 14; y < 60; y++) if (img.at(x, y).some((c) => c < 200)) n++;
        return n;
      };
      return { name: ink(24, 494), gap: ink(500, 600) };
    };
    const named = (who: string) => renderStatsCard({ ...f, name: who }, { quizCommand: '/quiz' });
    for (const who of ['Bartholomew Maximilian Fitzgerald-Worthington the Third of Somewhere', 'محمد عبد الله بن عبد الرحمن الطويل جدا جدا', 'שלום עליכם', '🦊 Fox 👩🏽‍💻', 'Zoë', '\u202eevil\u202c']) {
      const png = await named(who);
      expect(png.subarray(0, 8), who).toEqual(PNG_SIGNATURE);
      const h = await header(png);
      expect(h.name, who).toBeGreaterThan(100);
      expect(h.gap, who).toBe(0);
      await expectDrawn({ ...reply, image: { ...reply.image!, png } }, f);
    }
    // Without an emoji font, emoji are left out rather than drawn as empty boxes.
    if (drawableText('🦊') === '') {
      expect(Buffer.compare(await named('🦊 Fox 👩🏽‍💻'), await named('Fox'))).toBe(0);
      // A name of emoji alone: the card says whose stats in words.
      expect(Buffer.compare(await named('🦊🦊'), await named(''))).toBe(0);
    }
  });
});

describe('/stats and /leaderboard in the terminal chat (child process)', () => {
  it('print the text and the text version of each card, and save the card where they say', async () => {
    const dir = tempDir();
    const env = { CONTENT_DIR: join(repoRoot, 'content'), DATABASE_PATH: join(dir, 'bot.sqlite'), QUIZBOT_CLOCK: '2026-11-20T08:00:00Z', NEW_CARDS_PER_DAY: '3' };
    const chat = new ChatDriver(env, { cwd: dir });
    await chat.send('/as ana');
    let screen = await chat.send('/quiz');
    while (/question \d+ of \d+/.test(screen)) {
      const feedback = await answerOnScreen(chat, screen, true);
      const next = printedButtons(feedback).get('Next ▶') ?? printedButtons(feedback).get('See my results');
      screen = await chat.send(String(next));
    }
    const stats = await chat.send('/stats');
    expect(stats).toContain('Accuracy by lesson');
    expect(stats).toMatch(/Streak: 1 day \(best 1\)/);
    const statsImage = /\[image: (Stats card of ana: [^\n]*) → (\/[^\n]+\.png)\]/.exec(stats);
    expect(statsImage, stats).not.toBeNull();
    expect(statsImage![1]).toMatch(/^Stats card of ana: 0 cards due today, 3 in the next 30 days \(most on Mon 23 Nov: 3\); 1 of the last \d+ days with answers, streak 1 day \(best 1\); .*; mastered .* 0 of \d+/);
    expect(readFileSync(statsImage![2]!).subarray(0, 8)).toEqual(PNG_SIGNATURE);
    const board = await chat.send('/leaderboard period:all');
    expect(board).toContain('🥇 ana — 30');
    const boardImage = /\[image: Leaderboard card, this server, all time: 1\. ana 30; you are number 1 with 30\. → (\/[^\n]+\.png)\]/.exec(board);
    expect(boardImage, board).not.toBeNull();
    expect(readFileSync(boardImage![1]!).subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect(await chat.end()).toBe(0);
  });
});
