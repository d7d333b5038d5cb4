import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadContent } from '../src/core/content/load.js';
import { normalizeText } from '../src/core/util/text.js';
import { appsWithPosts } from './helpers/app.js';
import { repoRoot } from './helpers/cli.js';
import { studyToday } from './helpers/learner.js';

/**
 * How long the curriculum lasts a learner: on the default settings (5 new questions a day), someone
 * who takes the daily quiz every day keeps meeting new questions for at least 30 days. Runs the real
 * core on a real SQLite file, a simulated day at a time.
 */

const MIN_DAYS = 30;
const DAY = 24 * 3_600_000;
const START = '2026-11-20T09:00:00Z';

const setup = appsWithPosts();

/** The questions a learner can meet: one per distinct prompt (a quiz asks each prompt once). */
const distinctPrompts = new Set(loadContent(join(repoRoot, 'content')).banks.flatMap((b) => b.bank.questions.map((q) => normalizeText(q.prompt)))).size;

describe('the curriculum over days', () => {
  it(`gives a daily learner new questions for at least ${MIN_DAYS} days in a row`, async () => {
    const { app, clock, sql } = setup({}, START);
    const newPerDay = app.services.config.NEW_CARDS_PER_DAY;
    expect(newPerDay).toBe(5);
    // One answer in seven is wrong, as a real learner's would be: the misses come back as reviews.
    const right = (n: number) => n % 7 !== 6;
    const answered = { n: 0 };
    const daysWithNew: string[] = [];
    const db = sql();
    const newOn = db.prepare("SELECT count(*) n FROM reviews r JOIN users u ON u.id = r.user_id WHERE u.external_id = 'lea' AND r.was_new = 1 AND r.local_day = ?");
    for (let day = 0; day < 100; day++) {
      clock.set(new Date(Date.parse(START) + day * DAY));
      const key = clock.now().toISOString().slice(0, 10);
      const asked = await studyToday(app, clock, 'lea', right, answered);
      const fresh = (newOn.get(key) as { n: number }).n;
      expect(fresh, `new questions on ${key}`).toBeLessThanOrEqual(newPerDay);
      if (fresh === 0) break;
      expect(asked.length, `${key}: questions asked`).toBeGreaterThanOrEqual(fresh);
      daysWithNew.push(key);
    }
    // The days with new questions run without a gap from the first day, and every question was met once.
    const expected = daysWithNew.map((_, i) => new Date(Date.parse(START) + i * DAY).toISOString().slice(0, 10));
    expect(daysWithNew).toEqual(expected);
    const met = db.prepare("SELECT count(*) n, count(DISTINCT r.question_id) q FROM reviews r JOIN users u ON u.id = r.user_id WHERE u.external_id = 'lea' AND r.was_new = 1").get() as { n: number; q: number };
    db.close();
    expect(met).toEqual({ n: distinctPrompts, q: distinctPrompts });
    expect(daysWithNew.length).toBe(Math.ceil(distinctPrompts / newPerDay));
    expect(daysWithNew.length).toBeGreaterThanOrEqual(MIN_DAYS);
  });
});
