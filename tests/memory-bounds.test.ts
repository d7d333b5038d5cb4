import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { plainText } from '../src/core/markup.js';
import { renderAnalysisChart } from '../src/core/quiz/analysis-chart.js';
import type { QuestionFigures } from '../src/core/quiz/question-analysis.js';
import { seededRandom } from '../src/core/util/seeded-random.js';
import { canonicalTimeZone, formatLocal, isTimeZone, localDay } from '../src/core/util/time.js';
import { actor, as, makeApp } from './helpers/app.js';

const apps: App[] = [];
afterEach(() => {
  while (apps.length) apps.pop()!.close();
});

/** A full collection when it can be had, so that what is measured is what stays reachable. */
function collect(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  gc?.();
  gc?.();
}

/** `count` distinct spellings of `name` in random letter case. */
function caseVariants(name: string, count: number, next: () => number): string[] {
  const seen = new Set<string>();
  while (seen.size < count) seen.add([...name].map((c) => (next() < 0.5 ? c.toLowerCase() : c.toUpperCase())).join(''));
  return [...seen];
}

const MB = 1024 * 1024;
const LONG_ZONE = 'America/Argentina/ComodRivadavia';
/** What this runtime's ICU calls the zone, whatever spelling it was given. */
const canonicalOf = (tz: string) => new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;

describe('time zone names', () => {
  it('have one canonical spelling, whatever the case or alias, and none when they are not zones', () => {
    expect(canonicalTimeZone('america/new_york')).toBe('America/New_York');
    expect(canonicalTimeZone('AMERICA/NEW_YORK')).toBe('America/New_York');
    expect(canonicalTimeZone('US/Eastern')).toBe(canonicalOf('US/Eastern'));
    expect(canonicalTimeZone('us/eastern')).toBe(canonicalOf('US/Eastern'));
    expect(canonicalTimeZone('europe/berlin')).toBe('Europe/Berlin');
    expect(canonicalTimeZone('Etc/UTC')).toBe(canonicalOf('UTC'));
    expect(canonicalTimeZone('utc')).toBe(canonicalOf('UTC'));
    expect(canonicalTimeZone('etc/gmt+5')).toBe('Etc/GMT+5');
    expect(canonicalTimeZone(LONG_ZONE.toLowerCase())).toBe(canonicalOf(LONG_ZONE));
    for (const bad of ['', 'Nowhere/City', ' Europe/Berlin', 'Europe/Berlin ', '+05:00', 'Asia/\u212Aolkata', 'Europe/' + 'x'.repeat(60)]) {
      expect(canonicalTimeZone(bad), bad).toBeUndefined();
      expect(isTimeZone(bad), bad).toBe(false);
    }
    // Any spelling reads the same local dates.
    const at = new Date('2026-03-08T06:30:00Z');
    expect(localDay(at, 'us/EASTERN')).toBe(localDay(at, 'America/New_York'));
    expect(formatLocal(at, 'AMERICA/new_york')).toBe(formatLocal(at, 'America/New_York'));
    expect(() => localDay(at, 'Nowhere/City')).toThrow(RangeError);
  });

  it('cost no memory per spelling: 20,000 case variants set through /settings, then used, stay within a small bound', async () => {
    const { app } = makeApp();
    apps.push(app);
    // Seeded: the same variants on every run.
    const next = seededRandom(42);
    const variants = caseVariants(LONG_ZONE, 20_000, next);
    const distinct = ['Europe/Berlin', 'asia/tokyo', 'US/Pacific', 'Etc/UTC', 'australia/lord_howe', 'America/Indiana/Knox'];
    const invalid = Array.from({ length: 200 }, (_, i) => `Nowhere/${i.toString(36)}${'x'.repeat(i % 50)}`);
    const users = Array.from({ length: 20 }, (_, i) => as(app, actor(`u${i}`)));
    const expected = canonicalOf(LONG_ZONE);

    // Warm up the path once so that what follows measures growth, not first use.
    await users[0]!.command('settings', { timezone: 'Europe/Paris' });
    collect();
    const before = process.memoryUsage();
    for (let i = 0; i < variants.length; i++) {
      const user = users[i % users.length]!;
      const reply = await user.command('settings', { timezone: variants[i]! });
      if (i % 1000 === 0) expect(plainText(reply.text)).toBe(`Your time zone is now ${expected}: streaks and "today" follow it.`);
      // The other functions of the zone are reached with the same spellings.
      const at = new Date(Date.UTC(2026, 0, 1) + i * 3_600_000);
      localDay(at, variants[i]!);
      formatLocal(at, variants[i]!);
      if (i % 100 === 0) {
        for (const tz of distinct) await user.command('settings', { timezone: tz });
        const bad = invalid[(i / 100) % invalid.length]!;
        expect(plainText((await user.command('settings', { timezone: bad })).text)).toMatch(/is not a time zone/);
      }
    }
    collect();
    const after = process.memoryUsage();

    // Every user, last set to a variant, holds the one canonical spelling.
    const stored = app.services.db.$client.prepare('SELECT DISTINCT timezone FROM users').all() as { timezone: string }[];
    expect(stored.map((r) => r.timezone)).toEqual([expected]);
    expect(plainText((await users[1]!.command('settings')).text)).toBe(
      `Your time zone: ${expected}. Change it with /settings timezone:Europe/Berlin.\nReviews a day: 50 (the default). Change it with /settings reviews:30 (1 to 500, or default).\nDesired retention: 90% (the default). Change it with /settings retention:0.85 (0.70 to 0.97, or default).`,
    );
    // A formatter per spelling costs tens of kilobytes outside the JS heap: 20,000 of them, over 500 MB.
    expect((after.rss - before.rss) / MB, 'RSS growth, MB').toBeLessThan(64);
    expect((after.heapUsed - before.heapUsed) / MB, 'heap growth, MB').toBeLessThan(32);
  });
});

describe('charts', () => {
  it('give their memory back: 150 flagged-question charts drawn one after another leave RSS within a small bound', async () => {
    // Canvas's synchronous toBuffer kept about 2.6 MB a chart for good: 150 charts, about 400 MB.
    const rows: QuestionFigures[] = Array.from({ length: 10 }, (_, i) => ({
      id: `q${i}`, shownId: `q${i}`, bankId: 'bank', type: 'single', prompt: `Question ${i} about routing?`,
      attempts: 40, right: 4 * i, facility: i / 10, discrimination: i % 3 ? 0.2 : -0.3, discriminationLearners: 40,
      choices: [{ choice: 'A', right: true, picked: 4 * i }, { choice: 'B', right: false, picked: 40 - 4 * i }],
      unknown: 0, otherAnswers: 0, fromRaces: 0, flags: ['dubious'], dubiousBecause: ['negative discrimination'],
    }));
    for (let i = 0; i < 10; i++) await renderAnalysisChart(rows, 'warm-up');
    collect();
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 150; i++) expect((await renderAnalysisChart(rows, `chart ${i}`)).subarray(1, 4).toString()).toBe('PNG');
    collect();
    expect((process.memoryUsage().rss - before) / MB, 'RSS growth, MB').toBeLessThan(120);
  });
});
