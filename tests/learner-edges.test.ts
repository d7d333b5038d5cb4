import { describe, expect, it } from 'vitest';

import { parseLesson } from '../src/core/content/load.js';
import type { Reply } from '../src/core/interaction.js';
import { plainText } from '../src/core/markup.js';
import { actor, as, buttons, appsWithPosts } from './helpers/app.js';
import { questionShown, rightLabels } from './helpers/answers.js';

/** A learner's edge cases, through the real dispatcher: the same on Discord, Slack and the terminal chat. */

const makeSetup = appsWithPosts();
const setup = (env: Record<string, string> = {}, start?: string) => makeSetup({ RATE_LIMIT_BURST: '1000', ...env }, start);

const admin = actor('admin', true);

type Session = ReturnType<typeof as>;

/** Answers the question shown (content questions only), rightly or wrongly. */
async function answer(user: Session, reply: Reply, right: boolean): Promise<Reply> {
  const q = questionShown(reply.text);
  const comps = (reply.components ?? []).flat();
  if (q.type === 'short' || q.type === 'numeric') {
    const input = comps.find((c) => c.kind === 'button' && c.input);
    return user.action((input as { actionId: string }).actionId, { text: right ? (q.type === 'numeric' ? String(q.answer ?? q.min) : q.answer) : q.type === 'numeric' ? '-999999' : 'no idea at all' });
  }
  if (q.type === 'multiple') {
    const select = comps.find((c) => c.kind === 'select') as Extract<(typeof comps)[number], { kind: 'select' }>;
    const good = select.options.filter((o) => rightLabels(q).includes(o.label)).map((o) => o.value);
    const values = right ? good : select.options.filter((o) => !good.includes(o.value)).slice(0, 1).map((o) => o.value);
    return user.action(select.actionId, { values });
  }
  const labels = buttons(reply).filter((b) => b.label !== "I don't know");
  return user.action(labels.find((b) => rightLabels(q).includes(b.label) === right)!.actionId);
}

const nextOf = (reply: Reply) => buttons(reply).find((b) => b.label === 'Next ▶' || b.label === 'See my results')!.actionId;

/** Takes a quiz to its end, answering every question rightly or wrongly; returns the titles shown. */
async function takeQuiz(user: Session, options: Record<string, unknown>, right: boolean): Promise<string[]> {
  let reply = await user.command('quiz', options);
  const titles: string[] = [];
  while (reply.title?.includes('question')) {
    titles.push(reply.title);
    reply = await user.action(nextOf(await answer(user, reply, right)));
  }
  return titles;
}

describe('a practice round', () => {
  it('is labelled practice, scores no points and leaves the schedule and the daily review cap alone, even for a card due today', async () => {
    const { app, clock, sql } = setup({ QUIZ_MAX_CARDS: '50', NEW_CARDS_PER_DAY: '50' });
    const alice = as(app, actor('alice'));
    expect(plainText((await alice.command('settings', { reviews: '1' })).text)).toMatch(/1/);
    const lesson = { lesson: 'moe-tradeoffs' };
    // Day 1: every question of the lesson, missed: all due tomorrow.
    const first = await takeQuiz(alice, lesson, false);
    expect(first[0]).toBe(`Mixture of Experts: Tradeoffs — question 1 of ${first.length}`);
    clock.advance(24 * 3600_000);
    // Day 2: the cap of one review a day asks one; the next lesson quiz is practice, with cards due today.
    expect(await takeQuiz(alice, lesson, true)).toEqual(['Mixture of Experts: Tradeoffs — question 1 of 1']);
    const db = sql();
    const points = () => (db.prepare('SELECT coalesce(sum(points), 0) p FROM awards').get() as { p: number }).p;
    const cards = () => db.prepare('SELECT question_id, due, reps FROM cards ORDER BY question_id').all();
    const before = { points: points(), cards: cards() };
    const practice = await takeQuiz(alice, lesson, true);
    expect(practice[0]).toBe(`Practice — Mixture of Experts: Tradeoffs — question 1 of ${practice.length} (no points)`);
    expect(practice.length).toBe(first.length);
    expect(points()).toBe(before.points);
    expect(cards()).toEqual(before.cards);
    expect(db.prepare('SELECT count(*) n FROM reviews WHERE was_due = 1 AND was_new = 0').get()).toEqual({ n: 1 });
    db.close();
  });
});

describe("I don't know", () => {
  it('is answered neutrally, with the right answer, and still rated Again', async () => {
    const { app, sql } = setup();
    const alice = as(app, actor('alice'));
    const reply = await alice.command('quiz');
    const q = questionShown(reply.text);
    const unknown = buttons(reply).find((b) => b.label === "I don't know")!;
    const feedback = await alice.action(unknown.actionId);
    expect(feedback.title).toBe("Here's the answer — it'll come back soon.");
    expect(plainText(feedback.text)).toContain('Right answer: ');
    expect(plainText(feedback.text)).not.toMatch(/Not quite/);
    const db = sql();
    expect(db.prepare('SELECT rating, correct FROM reviews WHERE question_id = ?').get(q.id)).toEqual({ rating: 1, correct: 0 });
    db.close();
  });
});

describe('feedback on an imported question without an explanation', () => {
  it('does not repeat the right answer as the explanation', async () => {
    const { app } = setup();
    const csv = Buffer.from('id,question,choice_a,choice_b,answer\nteam-1,Which team runs the router canary?,Platform,Research,A\n');
    const preview = await as(app, admin).command('quiz-admin import', { file: { name: 'team.csv', load: async () => csv }, bank: 'team' });
    const apply = buttons(preview).find((b) => b.label === 'Apply import');
    expect(apply, plainText(preview.text)).toBeDefined();
    await as(app, admin).action(apply!.actionId);
    const alice = as(app, actor('alice'));
    const reply = await alice.command('quiz', { bank: 'team' });
    expect(plainText(reply.text)).toContain('Which team runs the router canary?');
    const platform = buttons(reply).find((b) => b.label === 'Platform')!;
    const feedback = plainText((await alice.action(platform.actionId)).text);
    expect(feedback).toContain('Right answer: Platform');
    expect(feedback).not.toContain('Correct answer');
  });
});

describe('race standings', () => {
  it('orders equal points by who reached the score first, not by the first click (a wrong one included)', async () => {
    const { app, clock, posts } = setup({ RACE_ROUND_SECONDS: '20' });
    const alice = as(app, actor('alice'), 'study');
    const bob = as(app, actor('bob'), 'study');
    await alice.command('quiz race', { rounds: 2 });
    const close = async () => {
      clock.advance(21_000);
      app.runDue();
      await new Promise((r) => setTimeout(r, 20));
    };
    // Round 1: alice clicks a wrong answer first, bob the right one (15 points).
    const round1 = posts.at(-1)!.reply;
    const q1 = questionShown(round1.text);
    await alice.action(buttons(round1).find((b) => !rightLabels(q1).includes(b.label))!.actionId);
    clock.advance(1000);
    await bob.action(buttons(round1).find((b) => rightLabels(q1).includes(b.label))!.actionId);
    await close();
    // Round 2: the other way round: alice levels at 15, later than bob got there.
    const round2 = posts.at(-1)!.reply;
    expect(round2.title).toBe('🏁 Race — round 2 of 2');
    const q2 = questionShown(round2.text);
    await bob.action(buttons(round2).find((b) => !rightLabels(q2).includes(b.label))!.actionId);
    clock.advance(1000);
    await alice.action(buttons(round2).find((b) => rightLabels(q2).includes(b.label))!.actionId);
    await close();
    const final = posts.at(-1)!.reply;
    expect(final.title).toBe('🏆 Race over — final standings');
    expect(plainText(final.text).split('Standings\n')[1]).toBe('1. bob — 15\n2. alice — 15');
  });
});

describe('a long question report', () => {
  it('the form takes what is kept; typed text past it is refused with the limit, not cut silently', async () => {
    const { app, sql } = setup();
    const eve = as(app, actor('eve'));
    const quiz = await eve.command('quiz');
    const feedback = await eve.action(buttons(quiz).find((b) => b.label === "I don't know")!.actionId);
    const report = (feedback.components ?? []).flat().find((c) => c.kind === 'button' && c.label === 'Report question');
    expect(report).toMatchObject({ input: { maxLength: 500 } });
    const reportId = buttons(feedback).find((b) => b.label === 'Report question')!.actionId;
    expect(plainText((await eve.action(reportId, { text: 'a'.repeat(501) })).text)).toBe('That is too long: at most 500 characters.');
    expect((await eve.action(reportId, { text: 'b'.repeat(500) })).text).toBe('Thanks! An admin will look at this question.');
    const db = sql();
    expect(db.prepare('SELECT comment FROM question_reports').all()).toEqual([{ comment: 'b'.repeat(500) }]);
    db.close();
  });
});

describe('time zone abbreviations', () => {
  it('/settings refuses EST, IST, CET and the like with the zones people usually mean, and keeps UTC, GMT and IANA names', async () => {
    const { app } = setup();
    const alice = as(app, actor('alice'));
    expect(plainText((await alice.command('settings', { timezone: 'EST' })).text)).toBe(
      '"EST" is an abbreviation, not a time zone: it can name several zones, or an offset without daylight saving. EST usually means America/New_York, America/Toronto. Use an IANA name such as Europe/Berlin or America/New_York.',
    );
    expect(plainText((await alice.command('settings', { timezone: 'ist' })).text)).toMatch(/^"ist" is an abbreviation.* IST usually means Asia\/Kolkata, Europe\/Dublin, Asia\/Jerusalem\./);
    expect(plainText((await alice.command('settings', { timezone: 'CET' })).text)).toMatch(/CET usually means Europe\/Berlin/);
    expect(plainText((await alice.command('settings', { timezone: 'XYZ' })).text)).toMatch(/^"XYZ" is an abbreviation, not a time zone.* Use an IANA name/);
    expect(plainText((await alice.command('settings')).text)).toMatch(/^Your time zone: UTC \(the default\)/);
    for (const [typed, zone] of [['UTC', 'UTC'], ['gmt', 'UTC'], ['America/New_York', 'America/New_York'], ['Japan', 'Asia/Tokyo']]) {
      expect(plainText((await alice.command('settings', { timezone: typed })).text)).toBe(`Your time zone is now ${zone}: streaks and "today" follow it.`);
    }
  });

  it('the schedule command uses the same check', async () => {
    const { app } = setup();
    const reply = await as(app, admin).command('quiz-admin schedule', { time: '09:00', timezone: 'PST' });
    expect(plainText(reply.text)).toMatch(/^"PST" is an abbreviation, not a time zone.* PST usually means America\/Los_Angeles, America\/Vancouver\./);
    expect(plainText((await as(app, admin).command('quiz-admin schedule', { time: '09:00', timezone: 'Europe/Berlin' })).text)).toMatch(/every day at 09:00 \(Europe\/Berlin\)/);
  });
});

describe('lesson reading times', () => {
  it('come from the text, words ÷ 200 rounded up, not from the front matter', async () => {
    const { app } = setup();
    const list = plainText((await as(app, actor('alice')).command('lessons')).text);
    // moe-tradeoffs: about 230 words (its front matter said 15 min); the others 450 and 590.
    expect(list).toContain('(moe-tradeoffs, 2 min, ');
    expect(list).toContain('(moe-behave-differently, 3 min, ');
    expect(list).toContain('(moe-model-families, 3 min, ');
    const lesson = parseLesson('---\nid: demo\ntitle: Demo\nsummary: A demo.\n---\n\n## One\n\n' + 'word '.repeat(401) + '\n', 'demo.md').lesson!;
    expect(lesson.minutes).toBe(3);
  });
});
