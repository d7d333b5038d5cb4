import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { answerOnScreen as answer, ChatDriver, printedButtons } from './helpers/chat-driver.js';
import { tempDir } from './helpers/tmp.js';

/** Takes the whole quiz on screen; returns the summary. */
async function takeQuiz(chat: ChatDriver, right: boolean): Promise<{ summary: string; answered: number }> {
  let screen = await chat.send('/quiz');
  let answered = 0;
  while (/question \d+ of \d+/.test(screen)) {
    const feedback = await answer(chat, screen, right);
    expect(feedback).toMatch(right ? /✅ Right!/ : /❌ Not quite/);
    answered++;
    const next = printedButtons(feedback).get('Next ▶') ?? printedButtons(feedback).get('See my results');
    screen = await chat.send(String(next));
  }
  return { summary: screen, answered };
}

describe('quizzes in the terminal chat (child process, real SQLite file)', () => {
  it('runs two users over several days: schedule, points, streaks, leaderboard and a restart mid-quiz', async () => {
    const dir = tempDir();
    const env = { CONTENT_DIR: join(process.cwd(), 'content'), DATABASE_PATH: join(dir, 'bot.sqlite'), QUIZBOT_CLOCK: '2026-11-20T08:00:00Z', NEW_CARDS_PER_DAY: '3' };
    let chat = new ChatDriver(env);

    // Day 1: alice gets everything right, bob everything wrong.
    await chat.send('/as alice');
    const a1 = await takeQuiz(chat, true);
    expect(a1.answered).toBe(3);
    expect(a1.summary).toMatch(/You got 3 of 3 right and earned 30 points\./);
    await chat.send('/as bob');
    const b1 = await takeQuiz(chat, false);
    expect(b1.summary).toMatch(/You got 0 of 3 right\.\n🔥 Streak: 1 day \(best 1\)\./);

    // Day 2: bob's misses come back with the new questions; alice has only new ones. Bob stops halfway.
    await chat.send('/clock +1d');
    const bobDay2 = await chat.send('/quiz');
    expect(bobDay2).toMatch(/question 1 of 6/);
    await answer(chat, bobDay2, true);
    expect(await chat.end()).toBe(0);

    // Restart: bob resumes where he was.
    chat = new ChatDriver({ ...env, QUIZBOT_CLOCK: '2026-11-21T08:05:00Z' });
    await chat.send('/as bob');
    const resumed = await chat.send('/quiz');
    expect(resumed).toMatch(/question 2 of 6\nPicking up where you left off\./);
    const feedback = await answer(chat, resumed, true);
    expect(feedback).toMatch(/✅ Right! \+10 points/);
    const finish = await takeQuiz(chat, true);
    expect(finish.summary).toMatch(/You got 6 of 6 right and earned 60 points\.\n🔥 Streak: 2 days \(best 2\)\./);
    await chat.send('/clock +10m');
    await chat.send('/as alice');
    const a2 = await takeQuiz(chat, true);
    expect(a2.answered).toBe(3);
    expect(a2.summary).toMatch(/Streak: 2 days/);

    // Leaderboard: both have 60; bob reached it first (he finished day 2 before alice).
    const board = await chat.send('/leaderboard period:all');
    expect(board).toMatch(/🥇 bob — 60\n🥈 alice — 60/);
    const stats = await chat.send('/stats');
    expect(stats).toMatch(/Streak: 2 days \(best 2\)/);
    expect(await chat.end()).toBe(0);

    const db = new Database(env.DATABASE_PATH, { readonly: true });
    expect(db.prepare('SELECT count(*) n FROM awards').get()).toEqual({ n: 12 });
    expect(db.prepare('SELECT count(*) n, count(DISTINCT session_id || position) d FROM session_answers').get()).toEqual({ n: 15, d: 15 });
    expect(db.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
    db.close();
  });
});
