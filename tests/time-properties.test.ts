import fc from 'fast-check';
import { DateTime, IANAZone } from 'luxon';
import { afterAll, describe, expect, it } from 'vitest';
import { touchStreak } from '../src/core/quiz/scoring.js';
import { quizStore } from '../src/core/quiz/store.js';
import { tenantOf } from '../src/core/tenant.js';
import { isoWeek, learnerDay, learnerDayAfter, localDay, monthKey } from '../src/core/util/time.js';
import { actor, makeApp } from './helpers/app.js';

const ZONES = Intl.supportedValuesOf('timeZone');
const HOUR = 3_600_000;
const YEARS = { min: 2020, max: 2035 };

/** UTC offset in minutes, from the library's rules. */
const offset = (zone: string, t: number) => IANAZone.create(zone).offset(t);

/**
 * Where a zone's offset changes in a year: sampled fortnightly, then narrowed to the minute. Kept per
 * zone and year, as samples come back to them.
 */
const transitionsSeen = new Map<string, number[]>();
function transitions(zone: string, year: number): number[] {
  const key = `${zone}|${year}`;
  let found = transitionsSeen.get(key);
  if (!found) {
    found = [];
    const end = Date.UTC(year + 1, 0, 1);
    for (let t = Date.UTC(year, 0, 1), o = offset(zone, t); t < end; t += 14 * 24 * HOUR) {
      const next = Math.min(t + 14 * 24 * HOUR, end);
      const o2 = offset(zone, next);
      if (o2 !== o) {
        let [lo, hi] = [t, next];
        while (hi - lo > 60_000) {
          const mid = Math.floor((lo + hi) / 2 / 60_000) * 60_000;
          if (offset(zone, mid) === o) lo = mid;
          else hi = mid;
        }
        found.push(hi);
      }
      o = o2;
    }
    transitionsSeen.set(key, found);
  }
  return found;
}

/**
 * Day lengths other than 23, 24 and 25 hours, where a zone's rules shift by other than an hour
 * between 2020 and 2035: Lord Howe Island moves its clocks by 30 minutes, Troll station by two
 * hours, Casey station by three, and Vostok went back two hours once (December 2023).
 */
const OTHER_LENGTHS: Record<string, number[]> = {
  'Australia/Lord_Howe': [23.5, 24.5],
  'Antarctica/Troll': [22, 26],
  'Antarctica/Casey': [21, 27],
  'Antarctica/Vostok': [26],
};

/** An instant in 2020–2035 in the zone: anywhere in a year, or within hours of one of its offset changes. */
const instantIn = (zone: string) =>
  fc
    .record({ year: fc.integer(YEARS), along: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), nearChange: fc.boolean(), hours: fc.double({ min: -30, max: 30, noNaN: true }), pick: fc.nat() })
    .map(({ year, along, nearChange, hours, pick }) => {
      const changes = transitions(zone, year);
      if (nearChange && changes.length) return Math.round(changes[pick % changes.length]! + hours * HOUR);
      const start = Date.UTC(year, 0, 1);
      return Math.floor(start + along * (Date.UTC(year + 1, 0, 1) - start));
    });

function checkDay(zone: string, t: number, startHour: number): void {
  const day = learnerDay(new Date(t), zone, startHour);
  const at = `${zone} ${new Date(t).toISOString()} from ${startHour}:00`;
  // The day holds the instant.
  expect(day.start <= t && t < day.end, at).toBe(true);
  // Its key is the library's local date, a day earlier before the start hour.
  const clock = DateTime.fromMillis(t, { zone });
  const date = DateTime.fromObject({ year: clock.year, month: clock.month, day: clock.day }, { zone: 'utc' });
  const shifted = clock.hour < startHour ? date.minus({ days: 1 }) : date;
  if (day.key !== shifted.toISODate()) {
    // Only where the clocks went back across the start hour after the day began (Chatham, from
    // 03:45 to 02:45): the hour before the start shows again, and belongs to the day that began.
    expect(day.key, at).toBe(shifted.plus({ days: 1 }).toISODate());
    expect(offset(zone, t), at).toBeLessThan(offset(zone, day.start));
  }
  // It begins at the start hour on the zone's clocks, or at the jump where the clocks skip that
  // hour. Where it begins at a jump, the start hour "would have been" with the offset before it.
  const dates = [day.key, DateTime.fromISO(day.key, { zone: 'utc' }).plus({ days: 1 }).toISODate()!];
  const edges = [day.start, day.end].map((edge, i) => {
    const shown = DateTime.fromMillis(edge, { zone });
    if (shown.hour === startHour && shown.minute === 0 && shown.second === 0) return { offset: offset(zone, edge), jump: 0 };
    expect(offset(zone, edge - 1), `${at}: edge ${new Date(edge).toISOString()} is neither the start hour nor a jump`).not.toBe(offset(zone, edge));
    expect(DateTime.fromMillis(edge - 1000, { zone }).hour, `${at}: the jump at ${new Date(edge).toISOString()} is not over the start hour`).toBeLessThan(startHour || 24);
    const wouldHaveBeen = DateTime.fromISO(dates[i]!, { zone: 'utc' }).plus({ hours: startHour }).toMillis() - offset(zone, edge - 1) * 60_000;
    return { offset: offset(zone, edge - 1), jump: wouldHaveBeen - edge };
  });
  // 24 hours, less what the clocks gained (more what they lost) during the day, and more what a
  // jump at its start gave it early (less at its end).
  const hours = (day.end - day.start) / HOUR;
  expect(hours, at).toBeCloseTo(24 - (edges[1]!.offset - edges[0]!.offset) / 60 + (edges[0]!.jump - edges[1]!.jump) / HOUR, 9);
  if (!edges[0]!.jump && !edges[1]!.jump) expect([23, 24, 25, ...(OTHER_LENGTHS[zone] ?? [])], at).toContain(hours);
  // The next day begins where this one ends.
  expect(learnerDay(new Date(day.end), zone, startHour).start, at).toBe(day.end);
  // The forecast's way to the next day agrees.
  expect(learnerDayAfter(day, zone, startHour), at).toEqual(learnerDay(new Date(day.end), zone, startHour));
  // Weeks and months are the library's ISO week and month of the local date.
  expect(localDay(new Date(t), zone), at).toBe(clock.toISODate());
  expect(isoWeek(new Date(t), zone), at).toBe(`${clock.weekYear}-W${String(clock.weekNumber).padStart(2, '0')}`);
  expect(monthKey(new Date(t), zone), at).toBe(clock.toFormat('yyyy-MM'));
}

describe('calendar days in every time zone, 2020–2035', () => {
  it('hold their instant, begin at the start hour, last 23 to 25 hours and name the library’s date, week and month', () => {
    for (const zone of ZONES) {
      fc.assert(
        fc.property(instantIn(zone), fc.integer({ min: 0, max: 23 }), (t, startHour) => checkDay(zone, t, startHour)),
        { numRuns: 4 },
      );
    }
  });

  it('hold around offset changes in randomly drawn zones', () => {
    const zoneWithChanges = fc.constantFrom(...ZONES).filter((zone) => transitions(zone, 2026).length > 0 || transitions(zone, 2030).length > 0);
    fc.assert(
      fc.property(zoneWithChanges.chain((zone) => fc.tuple(fc.constant(zone), instantIn(zone), fc.integer({ min: 0, max: 23 }))), ([zone, t, startHour]) => checkDay(zone, t, startHour)),
      { numRuns: 300 },
    );
  });
});

describe('streaks across daylight-saving changes', () => {
  const { app } = makeApp({ DAY_STARTS_AT_HOUR: '4' });
  afterAll(() => app.close());
  const store = quizStore(app.services);
  const startHour = app.services.config.DAY_STARTS_AT_HOUR;
  let learners = 0;

  it('count every day once for a learner who answers once a day at any local time', () => {
    const zoneWithChanges = fc.constantFrom(...ZONES).filter((zone) => transitions(zone, 2026).length > 0);
    const run = zoneWithChanges.chain((zone) =>
      fc.record({
        zone: fc.constant(zone),
        change: fc.constantFrom(...transitions(zone, 2026)),
        days: fc.integer({ min: 2, max: 12 }),
        before: fc.nat({ max: 11 }),
        // Hours into each learner day (its local clock), and minutes.
        times: fc.array(fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })), { minLength: 12, maxLength: 12 }),
      }),
    );
    fc.assert(
      fc.property(run, ({ zone, change, days, before, times }) => {
        // The learner's first day is some days before the change, so the run crosses it.
        const changeDay = DateTime.fromMillis(change, { zone });
        const first = DateTime.fromObject({ year: changeDay.year, month: changeDay.month, day: changeDay.day }, { zone: 'utc' }).minus({ days: Math.min(before, days - 1) });
        const answers: number[] = [];
        for (let i = 0; i < days; i++) {
          const [into, minute] = times[i]!;
          const hour = startHour + into;
          const date = first.plus({ days: i + (hour >= 24 ? 1 : 0) });
          const wall = { year: date.year, month: date.month, day: date.day, hour: hour % 24, minute };
          const at = DateTime.fromObject(wall, { zone });
          // A time the clocks skip is never on them: nobody answers then.
          fc.pre(at.hour === wall.hour && at.minute === minute);
          answers.push(at.toMillis());
        }
        const user = store.user(actor(`learner-${++learners}`), tenantOf('terminal', { serverId: 'local' }));
        let streak = 0;
        for (const t of answers) streak = touchStreak(store, user.id, new Date(t), zone);
        expect(streak, `${zone} ${answers.map((t) => new Date(t).toISOString()).join(' ')}`).toBe(days);
      }),
      { numRuns: 150 },
    );
  });
});
