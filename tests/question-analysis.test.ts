import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { plainText } from '../src/core/markup.js';
import { analysisChartLayout, CHART_WIDTH, FACILITY_COLOR, GOOD_DISC_COLOR, NEGATIVE_DISC_COLOR, OFF_RANGE_COLOR } from '../src/core/quiz/analysis-chart.js';
import { analyseQuestions, sortQuestions, type QuestionFigures } from '../src/core/quiz/question-analysis.js';
import { quizStore } from '../src/core/quiz/store.js';
import type { Tenant } from '../src/core/tenant.js';
import { actor, as, appsWithPosts, buttons } from './helpers/app.js';
import { answerShown } from './helpers/learner.js';
import { repoRoot, runCli } from './helpers/cli.js';
import { PNG_SIGNATURE, pixels } from './helpers/png.js';

const setup = appsWithPosts();
const HOME = 'terminal:local' as Tenant;
const OTHER = 'discord:other' as Tenant;
const DAY = 86_400_000;
const T0 = Date.parse('2026-11-01T10:00:00Z');

// ---------------------------------------------------------------------------------------------
// Test data: written straight into the tables the quiz and races write, so that every kind of
// answer the analysis must count or leave out is there, with known right and wrong patterns.
// ---------------------------------------------------------------------------------------------

interface Q {
  id: string;
  type: string;
  choices: string[];
  answer: string[];
}

function choiceQuestions(db: Database.Database, type: string, n: number): Q[] {
  const rows = db.prepare('SELECT id, body FROM questions WHERE tenant IS NULL AND retired_at IS NULL AND type = ? ORDER BY id LIMIT ?').all(type, n) as { id: string; body: string }[];
  return rows.map(({ id, body }) => {
    const b = JSON.parse(body);
    const choices: string[] = type === 'true_false' ? ['True', 'False'] : b.choices;
    const answer: string[] = type === 'true_false' ? [b.answer ? 'True' : 'False'] : typeof b.answer === 'string' ? [b.answer] : b.answer;
    return { id, type, choices, answer };
  });
}

class Seeder {
  private session = 0;
  private race = 0;
  constructor(private readonly db: Database.Database) {}

  user(name: string, platform = 'terminal', tenant: string = HOME): number {
    const id = (this.db.prepare('INSERT INTO users (platform, external_id, display_name) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET display_name = excluded.display_name RETURNING id').get(platform, name, name) as { id: number }).id;
    this.db.prepare('INSERT OR IGNORE INTO members (tenant, user_id, display_name) VALUES (?, ?, ?)').run(tenant, id, name);
    return id;
  }

  /** One answer in a personal quiz session of its own, with the review row answering writes. */
  quiz(userId: number, q: Q, given: string, at: number, opts: { mode?: string; server?: string; wasDue?: 0 | 1 } = {}): void {
    const id = `s${++this.session}`;
    const correct = q.type === 'multiple' ? given.split('; ').sort().join('; ') === [...q.answer].sort().join('; ') : q.answer.includes(given);
    this.db
      .prepare(
        `INSERT INTO quiz_sessions (id, user_id, server_id, channel_id, mode, lesson_id, question_ids, position, choice_order, correct, points, missed, started_at, finished_at, local_day)
         VALUES (?, ?, ?, 'general', ?, NULL, ?, 1, '[]', ?, 0, '[]', ?, ?, '2026-11-01')`,
      )
      .run(id, userId, opts.server ?? 'local', opts.mode ?? 'daily', JSON.stringify([q.id]), correct ? 1 : 0, at, at);
    this.db.prepare('INSERT INTO session_answers (session_id, position, question_id, answer, correct, points, interaction_id, answered_at) VALUES (?, 0, ?, ?, ?, 0, ?, ?)').run(id, q.id, given, correct ? 1 : 0, `i-${id}`, at);
    this.db
      .prepare("INSERT INTO reviews (user_id, question_id, rating, correct, was_due, was_new, answered_at, local_day) VALUES (?, ?, ?, ?, ?, 0, ?, '2026-11-01')")
      .run(userId, q.id, correct ? 3 : 1, correct ? 1 : 0, opts.wasDue ?? 1, at);
  }

  /** A race over `qs`, clicks given as [user, round, choice text]; the displayed order is reversed. */
  raceWith(qs: Q[], clicks: [number, number, string][], at: number, opts: { platform?: string; server?: string } = {}): void {
    const id = `r${++this.race}`;
    const orders = qs.map((q) => q.choices.map((_, i) => i).reverse());
    this.db
      .prepare(
        `INSERT INTO races (id, platform, server_id, channel_id, lesson_id, question_ids, orders, round, round_ends_at, status, started_by, started_at)
         VALUES (?, ?, ?, 'general', NULL, ?, ?, ?, ?, 'finished', ?, ?)`,
      )
      .run(id, opts.platform ?? 'terminal', opts.server ?? 'local', JSON.stringify(qs.map((q) => q.id)), JSON.stringify(orders), qs.length - 1, at, clicks[0]?.[0] ?? 1, at);
    clicks.forEach(([userId, round, choice], i) => {
      const q = qs[round]!;
      const display = orders[round]!.indexOf(q.choices.indexOf(choice));
      this.db.prepare('INSERT INTO race_answers (race_id, round, user_id, choice, correct, answered_at, points) VALUES (?, ?, ?, ?, ?, ?, 0)').run(id, round, userId, display, q.answer.includes(choice) ? 1 : 0, at + i);
    });
  }
}

const wrongOf = (q: Q, k = 0) => q.choices.filter((c) => !q.answer.includes(c))[k % q.choices.filter((c) => !q.answer.includes(c)).length]!;
const rightOf = (q: Q) => q.answer.join('; ');

/**
 * Twelve learners of known ability over twelve questions of every choice type, plus everything
 * that must not count: earlier practice, review and not-due answers, later repeats, a solo race,
 * another tenant's answers and its own question.
 */
function seed(app: App) {
  const db = app.services.db.$client;
  const s = new Seeder(db);
  const singles = choiceQuestions(db, 'single', 9);
  const [tf] = choiceQuestions(db, 'true_false', 1);
  const [multi] = choiceQuestions(db, 'multiple', 1);
  const qs = [...singles, tf!, multi!];
  const [easy, hard, inverse, decoy, ...mid] = qs;
  const learners = Array.from({ length: 12 }, (_, i) => s.user(`learner${i}`));
  // Ability grows with i: learner i is right on the k-th "mid" question when i >= 2 + k.
  learners.forEach((u, i) => {
    let at = T0 + i * 1000;
    const answer = (q: Q, right: boolean, k = 0) => s.quiz(u, q, right ? rightOf(q) : wrongOf(q, k), (at += 60_000));
    // Before the first scored answer: a practice round, a review round and a not-due answer, all wrong.
    s.quiz(u, easy!, wrongOf(easy!), (at += 60_000), { mode: 'lesson-practice', wasDue: 0 });
    s.quiz(u, easy!, wrongOf(easy!), (at += 60_000), { mode: 'review', wasDue: 1 });
    s.quiz(u, easy!, wrongOf(easy!), (at += 60_000), { mode: 'bank', wasDue: 0 });
    answer(easy!, true);
    answer(hard!, i >= 10, i);
    answer(inverse!, i < 5, i);
    // Most pick the same wrong choice; the strongest learners get it right.
    s.quiz(u, decoy!, i >= 9 ? rightOf(decoy!) : i < 7 ? wrongOf(decoy!, 0) : wrongOf(decoy!, 1), (at += 60_000));
    mid.forEach((q, k) => (i === 7 && k === 0 ? s.quiz(u, q, "I don't know", (at += 60_000)) : answer(q, i >= 2 + k, k)));
    // Later reviews of the same cards (due again, all right): not first answers.
    for (const q of qs) s.quiz(u, q, rightOf(q), at + 30 * DAY);
  });
  // Races: the clicks of learners 0, 1, 8 and 9 on the hard question came before their quiz
  // answers (right for 8 and 9), so they are the ones analysed; a solo race counts for nothing.
  s.raceWith([hard!, easy!], [[learners[8]!, 0, rightOf(hard!)], [learners[9]!, 0, rightOf(hard!)], [learners[0]!, 0, wrongOf(hard!)], [learners[1]!, 0, wrongOf(hard!, 1)], [learners[0]!, 1, rightOf(easy!)]], T0 - DAY);
  s.raceWith([decoy!], [[learners[11]!, 0, wrongOf(decoy!)]], T0 - 2 * DAY);
  // Another tenant: its own learners answer the global questions all right, and its own question.
  const otherBank = 'other-team';
  db.prepare("INSERT INTO banks (id, title, origin, content_hash, updated_at, tenant) VALUES (?, 'Other team', 'import', 'x', 1, ?)").run(otherBank, OTHER);
  const privateBody = { id: 'other-q', type: 'single', prompt: 'Which team owns this question?', choices: ['Other', 'Home'], answer: 'Other', explanation: 'Its own.', tags: [] };
  db.prepare("INSERT INTO questions (id, bank_id, position, type, body, content_hash, updated_at, tenant, local_id) VALUES ('other-q', ?, 0, 'single', ?, 'y', 1, ?, 'other-q')").run(otherBank, JSON.stringify(privateBody), OTHER);
  const privateQ: Q = { id: 'other-q', type: 'single', choices: ['Other', 'Home'], answer: ['Other'] };
  const others = Array.from({ length: 6 }, (_, i) => s.user(`o${i}`, 'discord', OTHER));
  others.forEach((u, i) => {
    s.quiz(u, hard!, rightOf(hard!), T0 + i, { server: 'other' });
    s.quiz(u, privateQ, i < 5 ? 'Home' : 'Other', T0 + 100 + i, { server: 'other' });
  });
  s.raceWith([inverse!], [[others[0]!, 0, rightOf(inverse!)], [others[1]!, 0, rightOf(inverse!)]], T0, { platform: 'discord', server: 'other' });
  return { qs, easy: easy!, hard: hard!, inverse: inverse!, decoy: decoy!, mid, multi: multi!, tf: tf!, learners, privateQ };
}

// ---------------------------------------------------------------------------------------------
// The reference: written here from the raw rows, separately from the code under test.
// ---------------------------------------------------------------------------------------------

interface Ref {
  id: string;
  attempts: number;
  right: number;
  facility: number;
  pbis: number | null;
  picks: Map<string, number>;
}

function reference(db: Database.Database, tenant: Tenant): Map<string, Ref> {
  // Each learner's first answer per question among the counted ones (window function, one query).
  const firsts = db
    .prepare(
      `WITH counted AS (
         SELECT s.user_id uid, a.question_id qid, a.correct c, a.answer ans, NULL idx, a.answered_at t, 0 src
         FROM session_answers a
         JOIN quiz_sessions s ON s.id = a.session_id
         JOIN users u ON u.id = s.user_id
         JOIN reviews r ON r.user_id = s.user_id AND r.question_id = a.question_id AND r.answered_at = a.answered_at
         WHERE s.mode NOT IN ('review', 'lesson-practice', 'bank-practice') AND r.was_due = 1 AND u.platform || ':' || s.server_id = @tenant
         UNION ALL
         SELECT ra.user_id, json_extract(rc.question_ids, '$[' || ra.round || ']'), ra.correct, NULL,
                json_extract(rc.orders, '$[' || ra.round || '][' || ra.choice || ']'), ra.answered_at, 1
         FROM race_answers ra JOIN races rc ON rc.id = ra.race_id
         WHERE rc.platform || ':' || rc.server_id = @tenant
           AND ra.race_id IN (SELECT race_id FROM race_answers GROUP BY race_id HAVING count(DISTINCT user_id) > 1)
       ),
       ranked AS (
         SELECT counted.*, row_number() OVER (PARTITION BY uid, qid ORDER BY t, src) n FROM counted
         WHERE qid IN (SELECT id FROM questions WHERE retired_at IS NULL AND (tenant IS NULL OR tenant = @tenant))
       )
       SELECT ranked.uid, ranked.qid, ranked.c, q.type, coalesce(ranked.ans, json_extract(q.body, '$.choices[' || ranked.idx || ']'),
              CASE WHEN q.type = 'true_false' THEN json_extract('["True","False"]', '$[' || ranked.idx || ']') END) ans
       FROM ranked JOIN questions q ON q.id = ranked.qid WHERE n = 1`,
    )
    .all({ tenant }) as { uid: number; qid: string; c: number; type: string; ans: string }[];
  const byUser = new Map<number, { right: number; n: number }>();
  for (const f of firsts) {
    const t = byUser.get(f.uid) ?? { right: 0, n: 0 };
    t.n++;
    t.right += f.c;
    byUser.set(f.uid, t);
  }
  const out = new Map<string, Ref>();
  for (const qid of new Set(firsts.map((f) => f.qid))) {
    const rows = firsts.filter((f) => f.qid === qid);
    const right = rows.filter((r) => r.c).length;
    // Point-biserial, textbook form: (M1 − M0) / s · √(p·q), over learners with another question.
    const withRest = rows.filter((r) => byUser.get(r.uid)!.n > 1).map((r) => ({ c: r.c, rest: (byUser.get(r.uid)!.right - r.c) / (byUser.get(r.uid)!.n - 1) }));
    const ones = withRest.filter((r) => r.c === 1).map((r) => r.rest);
    const zeros = withRest.filter((r) => r.c === 0).map((r) => r.rest);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const all = withRest.map((r) => r.rest);
    const sd = Math.sqrt(mean(all.map((x) => (x - mean(all)) ** 2)));
    const p = ones.length / withRest.length;
    const pbis = ones.length && zeros.length && sd > 1e-9 ? ((mean(ones) - mean(zeros)) / sd) * Math.sqrt(p * (1 - p)) : null;
    const picks = new Map<string, number>();
    // Several answers are recorded joined with '; ' (a choice may itself hold '; ': only those are split).
    for (const r of rows) for (const part of r.type === 'multiple' ? r.ans.split('; ') : [r.ans]) picks.set(part, (picks.get(part) ?? 0) + 1);
    out.set(qid, { id: qid, attempts: rows.length, right, facility: right / rows.length, pbis, picks });
  }
  return out;
}

function expectAgrees(figures: QuestionFigures[], ref: Map<string, Ref>) {
  expect(new Set(figures.map((f) => f.id))).toEqual(new Set(ref.keys()));
  for (const f of figures) {
    const r = ref.get(f.id)!;
    expect({ id: f.id, attempts: f.attempts, right: f.right }).toEqual({ id: r.id, attempts: r.attempts, right: r.right });
    expect(f.facility).toBeCloseTo(r.facility, 10);
    if (r.pbis === null) expect(f.discrimination, f.id).toBeNull();
    else expect(f.discrimination, f.id).toBeCloseTo(r.pbis, 10);
    for (const c of f.choices ?? []) expect(c.picked, `${f.id}: ${c.choice}`).toBe(r.picks.get(c.choice) ?? 0);
    expect(f.unknown).toBe(r.picks.get("I don't know") ?? 0);
  }
}

describe('question analysis figures', () => {
  it('agree with the point-biserial and counts computed independently from the raw rows, in each tenant', () => {
    const { app } = setup();
    const seeded = seed(app);
    const db = app.services.db.$client;
    const store = quizStore(app.services);
    const home = analyseQuestions(store, HOME);
    expectAgrees(home.questions, reference(db, HOME));
    expect(home.learners).toBe(12);
    const other = analyseQuestions(store, OTHER);
    expectAgrees(other.questions, reference(db, OTHER));
    expect(other.learners).toBe(6);

    const byId = new Map(home.questions.map((f) => [f.id, f]));
    // Practice, review and not-due answers came first and were wrong; the first scored one was right.
    expect(byId.get(seeded.easy.id)).toMatchObject({ attempts: 12, right: 12, facility: 1, flags: ['too easy'], fromRaces: 1 });
    // Race clicks before the quiz answers are the first scored answers of learners 0, 1, 8 and 9.
    expect(byId.get(seeded.hard.id)).toMatchObject({ attempts: 12, right: 4, fromRaces: 4, flags: ['too hard'] });
    const inverse = byId.get(seeded.inverse.id)!;
    expect(inverse.discrimination!).toBeLessThan(0);
    expect(inverse.flags).toContain('dubious');
    expect(inverse.dubiousBecause).toContain('negative discrimination');
    // The solo race click of learner 11 is left out: 3 right, 7 the decoy, 2 another wrong choice.
    const decoy = byId.get(seeded.decoy.id)!;
    expect(decoy.choices!.find((c) => c.choice === wrongOf(seeded.decoy, 0))!.picked).toBe(7);
    expect(decoy.right).toBe(3);
    expect(decoy.flags).toEqual(['dubious', 'too hard']);
    expect(decoy.dubiousBecause).toEqual([`wrong choice "${wrongOf(seeded.decoy, 0)}" picked more than the right one`]);
    // A good question: positive discrimination, no flag.
    const good = byId.get(seeded.mid[1]!.id)!;
    expect(good.discrimination!).toBeGreaterThan(0.3);
    expect(good.flags).toEqual([]);
    expect(byId.get(seeded.mid[0]!.id)!.unknown).toBe(1);
    // Another tenant's question and answers stay there.
    expect(byId.has(seeded.privateQ.id)).toBe(false);
    const otherById = new Map(other.questions.map((f) => [f.id, f]));
    expect(otherById.get(seeded.hard.id)).toMatchObject({ attempts: 6, right: 6, flags: ['too easy'] });
    expect(otherById.get(seeded.privateQ.id)).toMatchObject({ attempts: 6, right: 1, flags: ['dubious', 'too hard'] });
    expect(otherById.get(seeded.inverse.id)).toMatchObject({ attempts: 2, fromRaces: 2, flags: [] });
  });

  it('counts answers given through the real quiz: the first scored answer, never the review round of misses', async () => {
    const { app, clock } = setup();
    const ann = as(app, actor('ann'));
    let reply = await ann.command('quiz');
    const first = new Map<string, boolean>();
    let n = 0;
    while (reply.title?.includes('question')) {
      const right = n++ % 2 === 0;
      const feedback = await answerShown(ann, reply, right);
      clock.advance(10_000);
      reply = await ann.action(buttons(feedback).find((b) => b.label === 'Next ▶' || b.label === 'See my results')!.actionId);
    }
    const db = app.services.db.$client;
    for (const r of db.prepare('SELECT question_id q, correct FROM session_answers').all() as { q: string; correct: number }[]) first.set(r.q, r.correct === 1);
    expect([...first.values()]).toContain(false);
    // Redo the misses, all right: no change to the figures.
    let review = await ann.command('quiz review');
    expect(review.title).toMatch(/question 1 of/);
    while (review.title?.includes('question')) {
      const feedback = await answerShown(ann, review, true);
      review = await ann.action(buttons(feedback).find((b) => b.label === 'Next ▶' || b.label === 'See my results')!.actionId);
    }
    expect((db.prepare("SELECT count(*) n FROM session_answers a JOIN quiz_sessions s ON s.id = a.session_id WHERE s.mode = 'review'").get() as { n: number }).n).toBeGreaterThan(0);
    const figures = analyseQuestions(quizStore(app.services), HOME).questions;
    expect(new Map(figures.map((f) => [f.id, f.right === 1]))).toEqual(first);
    expect(figures.every((f) => f.attempts === 1)).toBe(true);
    expectAgrees(figures, reference(db, HOME));
    // One learner, one answer each: nothing to flag yet, and the reply says so.
    const flagged = await as(app, actor('admin', true)).command('quiz-admin stats', { flagged: true });
    expect(flagged.image).toBeUndefined();
    expect(plainText(flagged.text)).toMatch(/^No question is flagged\.\n\n\d+ questions answered by 1 learner; 0 flagged\. Flags need 5 learners/);
  });
});

/** Inserts one right answer by a learner for each of `count` questions, the i-th answered by count − i learners. */
function seedMany(app: App, count: number) {
  const db = app.services.db.$client;
  const s = new Seeder(db);
  const qs = choiceQuestions(db, 'single', count);
  expect(qs).toHaveLength(count);
  const users = Array.from({ length: 8 }, (_, i) => s.user(`m${i}`));
  qs.forEach((q, k) => users.slice(0, 1 + (k % 8)).forEach((u, i) => s.quiz(u, q, (k + i) % 3 === 0 ? wrongOf(q) : rightOf(q), T0 + k * 1000 + i)));
  return qs;
}

const lines = (text: string) => plainText(text).split('\n');
const idsShown = (text: string) => lines(text).flatMap((l) => /^(\S+) \d+% right of \d+/.exec(l)?.[1] ?? []);

describe('/quiz-admin stats', () => {
  it('pages 47 answered questions ten at a time and every page says which part it is and how to see the rest', async () => {
    const { app } = setup();
    seedMany(app, 47);
    const admin = as(app, actor('admin', true));
    const seen: string[] = [];
    for (let page = 1; page <= 5; page++) {
      const reply = await admin.command('quiz-admin stats', page === 1 ? {} : { page });
      expect(reply.title).toBe(`Question stats — page ${page} of 5`);
      const shown = idsShown(reply.text);
      expect(shown).toHaveLength(page < 5 ? 10 : 7);
      seen.push(...shown);
      const text = plainText(reply.text);
      const from = (page - 1) * 10 + 1;
      expect(text).toContain(`Showing questions ${from}–${from + shown.length - 1} of 47, most answered first.`);
      if (page < 5) expect(text).toContain(`Next ${page < 4 ? 10 : 7}: /quiz-admin stats page:${page + 1}.`);
      else expect(text).toContain('This is the last page. Back to the first: /quiz-admin stats.');
      // Within Discord's embed and Slack's section limits.
      expect(reply.text.length).toBeLessThan(4000);
    }
    expect(new Set(seen).size).toBe(47);
    expect(plainText((await admin.command('quiz-admin stats', { page: 6 })).text)).toBe('There are 5 pages of question stats.');
    // Slack names its own command.
    const slack = await as(app, actor('admin', true, 'slack'), 'general', 'T1').command('quiz-admin stats');
    expect(slack.text).toMatch(/^No scored answers yet/);
  });

  it('sorts by flag, facility, discrimination or id, and shows the flagged ones alone with a chart', async () => {
    const { app } = setup();
    const seeded = seed(app);
    const admin = as(app, actor('admin', true));
    const figures = analyseQuestions(quizStore(app.services), HOME).questions;
    const shownId = new Map(figures.map((f) => [f.id, f]));
    const byFlag = idsShown((await admin.command('quiz-admin stats', { sort: 'flag' })).text);
    // Dubious first (the inverse and the decoy question), then too hard, then too easy, then the rest.
    const rank = (id: string) => ['dubious', 'too hard', 'too easy'].indexOf(shownId.get(id)!.flags[0] ?? 'none');
    const ranks = byFlag.map((id) => (rank(id) < 0 ? 3 : rank(id)));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(byFlag.filter((id) => rank(id) === 0)).toEqual(expect.arrayContaining([seeded.inverse.id, seeded.decoy.id]));
    const byFacility = idsShown((await admin.command('quiz-admin stats', { sort: 'facility' })).text).map((id) => shownId.get(id)!.facility);
    expect(byFacility).toEqual([...byFacility].sort((a, b) => a - b));
    const byDisc = idsShown((await admin.command('quiz-admin stats', { sort: 'discrimination' })).text).map((id) => shownId.get(id)!.discrimination ?? 2);
    expect(byDisc).toEqual([...byDisc].sort((a, b) => a - b));
    expect(idsShown((await admin.command('quiz-admin stats', { sort: 'question' })).text)).toEqual(figures.map((f) => f.id).sort().slice(0, 10));
    expect(plainText((await admin.command('quiz-admin stats', { sort: 'loud' })).text)).toMatch(/^Option 'sort' must be one of: attempts, flag, facility, discrimination, question/);

    // The flagged view: only flagged questions, the chart of the same rows, and the way back.
    const flagged = await admin.command('quiz-admin stats', { flagged: 'yes', sort: 'flag' });
    const flaggedIds = idsShown(flagged.text);
    expect(flaggedIds.sort()).toEqual(figures.filter((f) => f.flags.length).map((f) => f.id).sort());
    expect(flagged.title).toBe('Flagged questions');
    expect(plainText(flagged.text)).toContain(`Showing flagged questions 1–${flaggedIds.length} of ${flaggedIds.length}, flagged first`);
    expect(plainText(flagged.text)).toContain('All questions: /quiz-admin stats sort:flag.');
    const png = flagged.image!.png;
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    const img = await pixels(png);
    expect([img.width, img.height]).toEqual([CHART_WIDTH, analysisChartLayout(figures.filter((f) => f.flags.length)).height]);
    expect(flagged.image!.alt).toContain(seeded.decoy.id);
    // Each row's bars where the layout puts them, in the colour of what they say.
    const rows = sortQuestions(figures.filter((f) => f.flags.length), 'flag');
    expect(rows.map((f) => f.id)).toEqual(idsShown(flagged.text));
    const layout = analysisChartLayout(rows);
    const middle = (b: { x: number; y: number; w: number; h: number }) => img.at(b.x + Math.floor(b.w / 2), b.y + 2);
    const row = (id: string) => rows.findIndex((f) => f.id === id);
    expect(middle(layout.discriminationBar(row(seeded.inverse.id))!)).toEqual([...NEGATIVE_DISC_COLOR]);
    expect(middle(layout.discriminationBar(row(seeded.decoy.id))!)).toEqual([...GOOD_DISC_COLOR]);
    expect(middle(layout.facilityBar(row(seeded.decoy.id)))).toEqual([...OFF_RANGE_COLOR]);
    expect(middle(layout.facilityBar(row(seeded.inverse.id)))).toEqual([...FACILITY_COLOR]);
    expect(layout.discriminationBar(row(seeded.easy.id))).toBeUndefined();
    // The unfiltered list points at the flagged view; it carries no chart.
    const all = await admin.command('quiz-admin stats');
    expect(all.image).toBeUndefined();
    expect(plainText(all.text)).toContain('Flagged only, with a chart: /quiz-admin stats sort:flag flagged:yes.');
    // A dubious question says why.
    expect(lines(all.text).find((l) => l.startsWith(seeded.inverse.id))).toContain('⚠️ dubious: discrimination below 0');
    expect(plainText(flagged.text)).toContain(`${seeded.decoy.id} 25% right of 12 · discrimination`);
    expect(lines(flagged.text).find((l) => l.startsWith(seeded.decoy.id))).toMatch(/⚠️ dubious: a wrong choice beats the right one, too hard$/);
    // A wrong-pick line names the decoy and its count.
    expect(lines(all.text).join('\n')).toContain(`"${wrongOf(seeded.decoy, 0).slice(0, 31)}`);
    if (process.env.WRITE_DOCS_IMAGES) writeFileSync(join(repoRoot, 'docs/images/question-analysis-example.png'), png);
  });

  it('shows an admin only the questions and answers of their own tenant, and is for admins only', async () => {
    const { app } = setup();
    const seeded = seed(app);
    const home = await as(app, actor('admin', true)).command('quiz-admin stats', { sort: 'question' });
    expect(plainText(home.text)).toContain('answered by 12 learners');
    expect(idsShown(home.text)).not.toContain(seeded.privateQ.id);
    const other = await as(app, actor('boss', true, 'discord'), 'general', 'other').command('quiz-admin stats', { sort: 'question' });
    expect(plainText(other.text)).toContain('3 questions answered by 6 learners');
    expect(idsShown(other.text).sort()).toEqual([seeded.hard.id, seeded.inverse.id, seeded.privateQ.id].sort());
    const lone = await as(app, actor('boss', true, 'discord'), 'general', 'elsewhere').command('quiz-admin stats');
    expect(lone.text).toMatch(/^No scored answers yet/);
    expect(plainText((await as(app, actor('learner0')).command('quiz-admin stats')).text)).toBe('/quiz-admin stats is for admins only.');
  });
});

describe('/quiz-admin stats in the terminal chat (child process)', () => {
  it('types the options, shows the flagged page and writes its chart, and refuses a learner', async () => {
    const { app, dbPath } = setup();
    const seeded = seed(app);
    app.close();
    const dir = join(dbPath, '..');
    const env = { CONTENT_DIR: join(repoRoot, 'content'), DATABASE_PATH: dbPath };
    const r = await runCli(['chat'], { input: '/quiz-admin stats sort:flag flagged\n/quiz-admin stats page:2\n/quiz-admin stats flagged:maybe\n/as learner0\n/quiz-admin stats\n', env, cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Flagged questions');
    expect(r.stdout).toMatch(new RegExp(`${seeded.decoy.id} 25% right of 12 · discrimination \\+\\d\\.\\d\\d · ⚠️ dubious: a wrong choice beats the right one, too hard`));
    expect(readFileSync(join(dir, 'data', 'images', 'flagged-questions.png')).subarray(1, 4).toString()).toBe('PNG');
    expect(r.stdout).toContain('Question stats — page 2 of 2');
    expect(r.stdout).toContain('Showing questions 11–11 of 11, most answered first. This is the last page. Back to the first: /quiz-admin stats.');
    expect(r.stdout).toContain("Option 'flagged' must be yes or no");
    expect(r.stdout).toContain('/quiz-admin stats is for admins only.');
  });
});

describe('quizbot stats questions', () => {
  it('prints the same figures as JSON and CSV, for one tenant or all, and refuses a bad tenant', async () => {
    const { app, dbPath } = setup();
    seed(app);
    const ref = reference(app.services.db.$client, HOME);
    app.close();
    const dir = join(dbPath, '..');
    const env = { CONTENT_DIR: join(repoRoot, 'content'), DATABASE_PATH: dbPath };
    const json = await runCli(['stats', 'questions', '--json', '--tenant', HOME], { env, cwd: dir });
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const out = JSON.parse(json.stdout);
    expect(out).toMatchObject({ tenant: HOME, learners: 12, sort: 'attempts', flaggedOnly: false });
    expect(out.items).toHaveLength(ref.size);
    for (const item of out.items) {
      const r = ref.get(item.id)!;
      expect({ attempts: item.attempts, right: item.right }).toEqual({ attempts: r.attempts, right: r.right });
      expect(item.facility).toBeCloseTo(r.facility, 3);
      if (r.pbis === null) expect(item.discrimination).toBeNull();
      else expect(item.discrimination).toBeCloseTo(r.pbis, 3);
    }
    const csv = await runCli(['stats', 'questions', '--csv', '--tenant', HOME, '--flagged', '--sort', 'flag', '--chart', 'flagged.png'], { env, cwd: dir });
    expect(csv.code).toBe(0);
    const rows = parse(csv.stdout, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual(['id', 'bank', 'type', 'prompt', 'attempts', 'right', 'facility', 'discrimination', 'discriminationLearners', 'fromRaces', 'unknown', 'flags', 'wrongPicks']);
    expect(rows.map((r) => r.id).sort()).toEqual(out.items.filter((i: { flags: string[] }) => i.flags.length).map((i: { id: string }) => i.id).sort());
    expect(rows[0]!.flags!).toMatch(/^dubious/);
    for (const row of rows) expect(Number(row.right)).toBe(ref.get(row.id!)!.right);
    expect(readFileSync(join(dir, 'flagged.png')).subarray(1, 4).toString()).toBe('PNG');
    expect(csv.stderr).toMatch(/^Chart of \d+ flagged questions written to flagged\.png\.\n$/);
    // Every tenant: the other tenant's learners and question are in.
    const every = JSON.parse((await runCli(['stats', 'questions', '--json'], { env, cwd: dir })).stdout);
    expect(every.learners).toBe(18);
    expect(every.items.map((i: { id: string }) => i.id)).toContain('other-q');
    const bad = await runCli(['stats', 'questions', '--tenant', 'nowhere'], { env, cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--tenant must look like discord:<server id>/);
    const text = await runCli(['stats', 'questions', '--tenant', OTHER], { env, cwd: dir });
    expect(text.stdout).toMatch(/^other-q {2}17% right of 6 {2}discrimination/m);
  });
});

