import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { answerOnScreen as answer, ChatDriver, printedButtons } from './helpers/chat-driver.js';
import { tempDir } from './helpers/tmp.js';

/** Takes the whole quiz /quiz starts, all right or all wrong; returns how many were asked and what /quiz said first. */
async function takeQuiz(chat: ChatDriver, right: boolean): Promise<{ first: string; asked: number }> {
  const first = await chat.send('/quiz');
  let screen = first;
  let asked = 0;
  while (/question \d+ of \d+/.test(screen)) {
    const feedback = await answer(chat, screen, right);
    asked++;
    const next = printedButtons(feedback).get('Next ▶') ?? printedButtons(feedback).get('See my results');
    screen = await chat.send(String(next));
  }
  return { first, asked };
}

const env = (extra: Record<string, string> = {}) => ({
  CONTENT_DIR: join(process.cwd(), 'content'),
  DATABASE_PATH: join(tempDir(), 'bot.sqlite'),
  NEW_CARDS_PER_DAY: '5',
  ...extra,
});

describe('reviews follow the learner day (terminal chat over several days)', () => {
  it('offers misses from 09:00 at 08:00 the next day', async () => {
    const chat = new ChatDriver(env({ QUIZBOT_CLOCK: '2026-11-20T09:00:00Z' }));
    await chat.send('/as amy');
    expect((await takeQuiz(chat, false)).asked).toBe(5);
    expect(await chat.send('/stats')).toMatch(/Next review:? tomorrow/);
    await chat.send('/clock +23h');
    // Five misses due today, then five new questions.
    expect((await chat.send('/quiz'))).toMatch(/question 1 of 10/);
    expect(await chat.end()).toBe(0);
  });

  it('starts the day at DAY_STARTS_AT_HOUR: the misses come at 04:30, not at 03:30', async () => {
    const chat = new ChatDriver(env({ QUIZBOT_CLOCK: '2026-11-20T09:00:00Z' }));
    await chat.send('/as amy');
    await takeQuiz(chat, false);
    await chat.send('/clock +18h');
    await chat.send('/clock +30m');
    // 03:30 is still the day before: nothing due, no new questions left.
    expect(await chat.send('/quiz')).toMatch(/all caught up for today! Your next review is tomorrow\./);
    await chat.send('/clock +1h');
    expect(await chat.send('/quiz')).toMatch(/question 1 of 10/);
    expect(await chat.end()).toBe(0);
  });

  it('counts days in the learner zone (Asia/Tokyo)', async () => {
    // 00:00 UTC is 09:00 in Tokyo.
    const chat = new ChatDriver(env({ QUIZBOT_CLOCK: '2026-11-20T00:00:00Z' }));
    await chat.send('/as ken');
    await chat.send('/settings timezone:Asia/Tokyo');
    await takeQuiz(chat, false);
    await chat.send('/clock +18h');
    await chat.send('/clock +30m');
    expect(await chat.send('/quiz')).toMatch(/all caught up for today!/);
    await chat.send('/clock +1h');
    expect(await chat.send('/quiz')).toMatch(/question 1 of 10/);
    expect(await chat.end()).toBe(0);
  });

  it("caps a day's reviews; the rest come the next day", async () => {
    const e = env({ QUIZBOT_CLOCK: '2026-11-20T09:00:00Z', MAX_REVIEWS_PER_DAY: '3' });
    const chat = new ChatDriver(e);
    await chat.send('/as amy');
    await takeQuiz(chat, false);
    await chat.send('/as bob');
    expect(await chat.send('/settings reviews:2')).toMatch(/up to \*{0,2}2\*{0,2} reviews a day/);
    await takeQuiz(chat, false);

    await chat.send('/clock +1d');
    await chat.send('/as amy');
    const day2 = await takeQuiz(chat, true);
    // Three of the five misses, then five new questions.
    expect(day2.first).toMatch(/question 1 of 8/);
    expect(await chat.send('/quiz')).toMatch(/all caught up for today! Your next review is tomorrow\./);
    expect(await chat.send('/stats')).toMatch(/Next review:? tomorrow/);
    await chat.send('/as bob');
    expect((await takeQuiz(chat, true)).first).toMatch(/question 1 of 7/);

    await chat.send('/clock +1d');
    await chat.send('/as amy');
    await takeQuiz(chat, true);
    expect(await chat.end()).toBe(0);

    const db = new Database(e.DATABASE_PATH, { readonly: true });
    const perDay = db
      .prepare(
        `SELECT u.external_id user, r.local_day day, count(*) n FROM reviews r JOIN users u ON u.id = r.user_id
         WHERE r.was_due = 1 AND r.was_new = 0 GROUP BY u.external_id, r.local_day ORDER BY 1, 2`,
      )
      .all() as { user: string; day: string; n: number }[];
    // Never more than the cap; what else is due on day three depends on FSRS's intervals.
    const amy = perDay.filter((r) => r.user === 'amy');
    expect(amy.map((r) => r.day)).toEqual(['2026-11-21', '2026-11-22']);
    expect(amy[0]!.n).toBe(3);
    expect(amy[1]!.n).toBeGreaterThanOrEqual(2);
    expect(amy[1]!.n).toBeLessThanOrEqual(3);
    expect(perDay.filter((r) => r.user === 'bob').map((r) => [r.day, r.n])).toEqual([['2026-11-21', 2]]);
    // Amy's two held-back misses (the most overdue) came on the third day.
    const missed = db.prepare("SELECT r.question_id q FROM reviews r JOIN users u ON u.id = r.user_id WHERE u.external_id = 'amy' AND r.local_day = '2026-11-20'").all() as { q: string }[];
    const reviewed = new Set((db.prepare("SELECT r.question_id q FROM reviews r JOIN users u ON u.id = r.user_id WHERE u.external_id = 'amy' AND r.was_due = 1 AND r.was_new = 0").all() as { q: string }[]).map((r) => r.q));
    expect(missed.filter((m) => !reviewed.has(m.q))).toEqual([]);
    db.close();
  });
});
