/**
 * Every calendar computation of the bot, in IANA time zones: local days and learner days, ISO
 * weeks, months, the day before and after, weekdays and local times for schedules, and the spans
 * of leaderboard and stats periods. The arithmetic is Luxon's (its zone rules come from the
 * runtime's Intl); no other module adds days to dates or works out weeks by hand.
 *
 * Zone names come from users. Intl formatters and Luxon zones are costly to create, so one is kept
 * per canonical zone, never per spelling, in bounded caches: a zone name can be spelled in millions
 * of case variants and aliases, and each must not cost anything of its own. Only canonical names
 * ever reach Luxon.
 */
import { DateTime, IANAZone } from 'luxon';
import { LruMap } from './lru-map.js';

const DISPLAY: Intl.DateTimeFormatOptions = { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };

/**
 * Canonical zones by lower-cased spelling. Zone names match ASCII case-insensitively, so every case
 * variant shares one key, and only valid names are kept: a few hundred zones and aliases at most.
 */
const canonicalNames = new LruMap<string, string>(2048);
/** A few hundred canonical zones exist; a server uses a handful. */
const zones = new LruMap<string, IANAZone>(128);
const displayFormatters = new LruMap<string, Intl.DateTimeFormat>(128);
const ASCII = /^[\x21-\x7e]+$/;
/** The last valid name looked up and its zone: one entry, checked before the caches. */
let last: { name: string; zone: string | undefined } = { name: '', zone: undefined };

/**
 * The canonical spelling of a time zone (`america/new_york` and `US/Eastern` are both
 * `America/New_York`; `utc`, `Etc/UTC` and `GMT` are `UTC`), or undefined when it is not one.
 */
export function canonicalTimeZone(tz: string): string | undefined {
  // Most calls name the zone the last one did (the default zone, one user's zone).
  if (tz === last.name) return last.zone;
  // Zone names are printable ASCII without spaces; anything else would only cost a failed lookup.
  if (!tz || tz.length > 64 || !ASCII.test(tz)) return undefined;
  const key = tz.toLowerCase();
  let canonical = canonicalNames.get(key);
  if (canonical === undefined) {
    try {
      canonical = new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
    } catch {
      return undefined;
    }
    canonicalNames.set(key, canonical);
  }
  last = { name: tz, zone: canonical };
  return canonical;
}

export function isTimeZone(tz: string): boolean {
  return canonicalTimeZone(tz) !== undefined;
}

/** The canonical zone, or the RangeError Intl throws for an unknown one. */
function zoneOf(timeZone: string): string {
  const canonical = canonicalTimeZone(timeZone);
  if (canonical === undefined) throw new RangeError(`Invalid time zone specified: ${timeZone}`);
  return canonical;
}

/** Luxon's zone for a canonical name, one per zone. */
function luxonZone(canonical: string): IANAZone {
  let zone = zones.get(canonical);
  if (!zone) {
    zone = IANAZone.create(canonical);
    zones.set(canonical, zone);
  }
  return zone;
}

/** `date` on the zone's clocks. */
function local(date: Date | number, timeZone: string): DateTime {
  return DateTime.fromMillis(typeof date === 'number' ? date : date.getTime(), { zone: luxonZone(zoneOf(timeZone)) });
}

/** A calendar date, YYYY-MM-DD, as a zone-free DateTime (for stepping days, weeks and months). */
function calendarDate(day: string): DateTime {
  const d = DateTime.fromISO(day, { zone: 'utc' });
  if (!d.isValid) throw new RangeError(`Not a date: ${day}`);
  return d;
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function localParts(date: Date, timeZone: string): LocalParts {
  const d = local(date, timeZone);
  return { year: d.year, month: d.month, day: d.day, hour: d.hour, minute: d.minute, second: d.second };
}

/** The weekday of `date` in the zone, ISO-numbered: 1 is Monday, 7 is Sunday. */
export function localWeekday(date: Date, timeZone: string): number {
  return local(date, timeZone).weekday;
}

const HOUR_MS = 3_600_000;

/**
 * The first instant the zone's clocks show `hour`:00 or later on that date. Of a repeated hour (a
 * fall back) the earlier occurrence wins; where a spring forward skips `hour`:00 (03:00 at Chatham,
 * whose clocks go from 02:45 to 03:45), it is the jump.
 *
 * Worked from the zone's offsets rather than Luxon's wall-time constructor: Luxon guesses the offset
 * from the present day's, and for a date whose zone has since changed its rules (Scoresbysund moved
 * its standard time in 2024) the guess can land on the wrong side of a transition.
 */
function localInstant(date: DateTime, hour: number, zone: IANAZone): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day, hour);
  const shown = (t: number) => t + zone.offset(t) * 60_000;
  // Most days: one offset all around the hour, so the hour comes once, at that offset.
  const guess = wall - zone.offset(wall) * 60_000;
  const offset = zone.offset(guess);
  if (shown(guess) === wall && zone.offset(guess - 15 * HOUR_MS) === offset && zone.offset(guess + 15 * HOUR_MS) === offset) return guess;
  // Offsets lie within -12 h and +14 h: the instant sought is within 15 hours of the wall time read as UTC.
  const samples: { t: number; offset: number }[] = [];
  for (let t = wall - 15 * HOUR_MS; t <= wall + 15 * HOUR_MS; t += HOUR_MS) samples.push({ t, offset: zone.offset(t) });
  const exact = [...new Set(samples.map((s) => s.offset))].map((o) => wall - o * 60_000).filter((t) => shown(t) === wall);
  if (exact.length) return Math.min(...exact);
  // Skipped: the first transition whose clocks jump from before the hour to after it.
  for (let i = 1; i < samples.length; i++) {
    if (samples[i]!.offset === samples[i - 1]!.offset) continue;
    let [before, at] = [samples[i - 1]!.t, samples[i]!.t];
    while (at - before > 1000) {
      const mid = before + Math.floor((at - before) / 2000) * 1000;
      if (zone.offset(mid) === samples[i]!.offset) at = mid;
      else before = mid;
    }
    if (shown(at - 1000) < wall && shown(at) >= wall) return at;
  }
  throw new Error(`no instant shows ${date.toISODate()} ${hour}:00 in ${zone.name}`);
}

/**
 * The first instant of a local calendar date; month and day may run over (month 13 is next
 * January, day 0 the last of the month before), as in a date's arithmetic.
 */
export function localDateStart(year: number, month: number, day: number, timeZone: string): number {
  const date = DateTime.fromObject({ year, month: 1, day: 1 }, { zone: 'utc' }).plus({ months: month - 1, days: day - 1 });
  return localInstant(date, 0, luxonZone(zoneOf(timeZone)));
}

export interface LearnerDay {
  /** The day's date, YYYY-MM-DD: the calendar date on which it began. */
  key: string;
  /** Its first instant (epoch ms), and the first instant of the next day. */
  start: number;
  end: number;
}

/** The last day computed per zone and start hour: most calls fall in the same day. */
const learnerDays = new LruMap<string, LearnerDay>(256);

function computeDay(t: number, zone: string, startHour: number): LearnerDay {
  const z = luxonZone(zone);
  const now = DateTime.fromMillis(t, { zone: z });
  const dayOf = (date: DateTime): LearnerDay => ({ key: date.toISODate()!, start: localInstant(date, startHour, z), end: localInstant(date.plus({ days: 1 }), startHour, z) });
  // Before the start hour, the local date's day has not begun: it is still the day before.
  const begun = DateTime.fromObject({ year: now.year, month: now.month, day: now.day }, { zone: 'utc' }).minus({ days: now.hour < startHour ? 1 : 0 });
  const day = dayOf(begun);
  // Where clocks go back across the start hour by other than whole hours (Chatham: 03:45 to 02:45),
  // the clock can show the hour before the start after the day began: that instant is in the
  // day the first start hour began.
  if (t >= day.end) return dayOf(begun.plus({ days: 1 }));
  if (t < day.start) return dayOf(begun.minus({ days: 1 }));
  return day;
}

/**
 * The learner's day around `date`: from `startHour`:00 local time to `startHour`:00 the next local
 * day (Anki's rule: with a start hour of 4, study at 01:00 counts for the day before). Days around
 * daylight-saving changes are 23 or 25 hours long (23.5 or 24.5 where a zone shifts by half an
 * hour, as Lord Howe Island does). Streaks, "today", daily allowances and due cards all go by this
 * one function. It is on every answer's path: the last day of each zone and start hour is kept, so
 * most calls compare two numbers.
 */
export function learnerDay(date: Date, timeZone: string, startHour: number): LearnerDay {
  const zone = zoneOf(timeZone);
  const cacheKey = `${zone}|${startHour}`;
  const t = date.getTime();
  const hit = learnerDays.get(cacheKey);
  if (hit && hit.start <= t && t < hit.end) return hit;
  const day = computeDay(t, zone, startHour);
  learnerDays.set(cacheKey, day);
  return day;
}

/**
 * The learner's day after `day`, for looking ahead (the due forecast): computed without taking the
 * zone's cached day, which stays the one answers fall in.
 */
export function learnerDayAfter(day: LearnerDay, timeZone: string, startHour: number): LearnerDay {
  return computeDay(day.end, zoneOf(timeZone), startHour);
}

interface CalendarDay extends LearnerDay {
  /** ISO week (2026-W48) and month (2026-11) of the day. */
  week: string;
  month: string;
}

/** The last local calendar day per zone, with its week and month: awards name them on every answer. */
const calendarDays = new LruMap<string, CalendarDay>(256);

function calendarDay(date: Date, timeZone: string): CalendarDay {
  const zone = zoneOf(timeZone);
  const t = date.getTime();
  const hit = calendarDays.get(zone);
  if (hit && hit.start <= t && t < hit.end) return hit;
  const day = computeDay(t, zone, 0);
  const d = calendarDate(day.key);
  const found = { ...day, week: `${d.weekYear}-W${String(d.weekNumber).padStart(2, '0')}`, month: d.toFormat('yyyy-MM') };
  calendarDays.set(zone, found);
  return found;
}

/** The local date as YYYY-MM-DD. */
export function localDay(date: Date, timeZone: string): string {
  return calendarDay(date, timeZone).key;
}

/** ISO week key of the local date, e.g. 2026-W48 (weeks start on Monday; week 1 holds 4 January). */
export function isoWeek(date: Date, timeZone: string): string {
  return calendarDay(date, timeZone).week;
}

/** The local month as YYYY-MM. */
export function monthKey(date: Date, timeZone: string): string {
  return calendarDay(date, timeZone).month;
}

const WEEK_KEY = /^(\d{4})-W(\d{2})$/;

/** The Monday of an ISO week key, or undefined when the key names no week. */
function weekMonday(week: string): DateTime | undefined {
  const m = WEEK_KEY.exec(week);
  if (!m) return undefined;
  const d = DateTime.fromObject({ weekYear: Number(m[1]), weekNumber: Number(m[2]), weekday: 1 }, { zone: 'utc' });
  return d.isValid && d.weekYear === Number(m[1]) && d.weekNumber === Number(m[2]) ? d : undefined;
}

/** The ISO week before a week key: 2026-W01 → 2025-W52 (or W53 in a year that has one). */
export function previousIsoWeek(week: string): string {
  const monday = weekMonday(week);
  if (!monday) throw new RangeError(`Not an ISO week: ${week}`);
  const before = monday.minus({ weeks: 1 });
  return `${before.weekYear}-W${String(before.weekNumber).padStart(2, '0')}`;
}

/** The first instant of an ISO week in the zone and of the week after it; undefined for a malformed key. */
export function weekSpan(week: string, timeZone: string): { start: number; end: number } | undefined {
  const monday = weekMonday(week);
  if (!monday) return undefined;
  const zone = luxonZone(zoneOf(timeZone));
  return { start: localInstant(monday, 0, zone), end: localInstant(monday.plus({ weeks: 1 }), 0, zone) };
}

/** The first instant of a month (YYYY-MM) in the zone and of the month after it; undefined for a malformed key. */
export function monthSpan(month: string, timeZone: string): { start: number; end: number } | undefined {
  if (!/^\d{4}-\d{2}$/.test(month)) return undefined;
  const first = DateTime.fromISO(`${month}-01`, { zone: 'utc' });
  if (!first.isValid) return undefined;
  const zone = luxonZone(zoneOf(timeZone));
  return { start: localInstant(first, 0, zone), end: localInstant(first.plus({ months: 1 }), 0, zone) };
}

/** The calendar day before a YYYY-MM-DD date. */
export function previousDay(day: string): string {
  return calendarDate(day).minus({ days: 1 }).toISODate()!;
}

/** The day after a YYYY-MM-DD date. */
export function nextDay(day: string): string {
  return calendarDate(day).plus({ days: 1 }).toISODate()!;
}

/** The same local time `days` calendar days before `date` in the zone (for "the last 30 days"). */
export function daysBefore(date: Date, timeZone: string, days: number): number {
  return local(date, timeZone).minus({ days }).toMillis();
}

/**
 * The learner's day of `date` as "today", "tomorrow" or "Wed 25 Nov", seen from `now`: a review
 * is due for a day, not at a minute.
 */
export function formatDay(date: Date, now: Date, timeZone: string, startHour: number): string {
  const today = learnerDay(now, timeZone, startHour);
  if (date.getTime() < today.end) return 'today';
  const { key } = learnerDay(date, timeZone, startHour);
  if (key === nextDay(today.key)) return 'tomorrow';
  return calendarDate(key).setLocale('en-GB').toFormat('ccc d LLL');
}

/** "Tue 26 Nov, 09:00" in the user's zone. */
export function formatLocal(date: Date, timeZone: string): string {
  const zone = zoneOf(timeZone);
  let f = displayFormatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { ...DISPLAY, timeZone: zone });
    displayFormatters.set(zone, f);
  }
  return f.format(date);
}
