/**
 * Local calendar dates in IANA time zones, for streaks, daily limits and leaderboard periods.
 * Intl formatters are costly to create (tens of kilobytes each, outside the JS heap), so one is
 * kept per canonical zone, never per spelling, in bounded caches: a zone name can be spelled in
 * millions of case variants and aliases, and each must not cost a formatter of its own.
 */
import { LruMap } from './lru-map.js';

const PARTS: Intl.DateTimeFormatOptions = { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' };
const DISPLAY: Intl.DateTimeFormatOptions = { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };

/**
 * Canonical zones by lower-cased spelling. Zone names match ASCII case-insensitively, so every case
 * variant shares one key, and only valid names are kept: a few hundred zones and aliases at most.
 */
const canonicalNames = new LruMap<string, string>(2048);
/** A few hundred canonical zones exist; a server uses a handful. */
const partsFormatters = new LruMap<string, Intl.DateTimeFormat>(128);
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
    let f: Intl.DateTimeFormat;
    try {
      f = new Intl.DateTimeFormat('en-CA', { ...PARTS, timeZone: tz });
    } catch {
      return undefined;
    }
    canonical = f.resolvedOptions().timeZone;
    canonicalNames.set(key, canonical);
    if (!partsFormatters.has(canonical)) partsFormatters.set(canonical, f);
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

function cached(cache: LruMap<string, Intl.DateTimeFormat>, zone: string, options: Intl.DateTimeFormatOptions, locale: string): Intl.DateTimeFormat {
  let f = cache.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { ...options, timeZone: zone });
    cache.set(zone, f);
  }
  return f;
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** UTC offsets by canonical zone and quarter hour: zone rules change offsets only on such boundaries. */
const offsets = new LruMap<string, number>(50_000);
const QUARTER_HOUR = 900_000;

function offsetOf(date: Date, timeZone: string): number {
  const zone = zoneOf(timeZone);
  const key = `${zone}|${Math.floor(date.getTime() / QUARTER_HOUR)}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const parts: Record<string, number> = {};
    for (const p of cached(partsFormatters, zone, PARTS, 'en-CA').formatToParts(date)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
    const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
    offset = asUtc - Math.floor(date.getTime() / 1000) * 1000;
    offsets.set(key, offset);
  }
  return offset;
}

export function localParts(date: Date, timeZone: string): LocalParts {
  const local = new Date(date.getTime() + offsetOf(date, timeZone));
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
  };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The local date as YYYY-MM-DD. */
export function localDay(date: Date, timeZone: string): string {
  const p = localParts(date, timeZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** The calendar day before a YYYY-MM-DD date. */
export function previousDay(day: string): string {
  const d = new Date(day + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

/** The instant local midnight began on the local day of `date` (for "since today" queries). */
export function startOfLocalDay(date: Date, timeZone: string): number {
  const p = localParts(date, timeZone);
  return localInstant(p.year, p.month, p.day, 0, timeZone);
}

const DAY = 86_400_000;

/**
 * The first instant the zone's clocks show `hour`:00 on that date. The local time is tried under
 * the offsets a day either side (a zone changes offset at most once in two days); of those that
 * land on that hour, the earlier wins (the repeated hour of a fall back). An hour skipped by a
 * spring forward begins the day at the jump, where the old offset would have shown it.
 */
function localInstant(year: number, month: number, day: number, hour: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day, hour);
  let best: number | undefined;
  let skipped = -Infinity;
  for (const around of [wall - DAY, wall + DAY]) {
    const t = wall - offsetOf(new Date(around), timeZone);
    const p = localParts(new Date(t), timeZone);
    if (Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) === wall) best = best === undefined ? t : Math.min(best, t);
    else skipped = Math.max(skipped, t);
  }
  return best ?? skipped;
}

/** The first instant of a local calendar date (month and day may run over: 13 is next January). */
export function localDateStart(year: number, month: number, day: number, timeZone: string): number {
  return localInstant(year, month, day, 0, zoneOf(timeZone));
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

/**
 * The learner's day around `date`: from `startHour`:00 local time to `startHour`:00 the next local
 * day (Anki's rule: with a start hour of 4, study at 01:00 counts for the day before). Days around
 * daylight-saving changes are 23 or 25 hours long. Streaks, "today", daily allowances and due
 * cards all go by this one function.
 */
export function learnerDay(date: Date, timeZone: string, startHour: number): LearnerDay {
  const zone = zoneOf(timeZone);
  const cacheKey = `${zone}|${startHour}`;
  const t = date.getTime();
  const hit = learnerDays.get(cacheKey);
  if (hit && hit.start <= t && t < hit.end) return hit;
  const p = localParts(date, zone);
  // Before the start hour, the local date's day has not begun: it is still the day before.
  const begun = new Date(Date.UTC(p.year, p.month - 1, p.day - (p.hour < startHour ? 1 : 0)));
  const y = begun.getUTCFullYear();
  const m = begun.getUTCMonth() + 1;
  const d = begun.getUTCDate();
  const day: LearnerDay = {
    key: `${y}-${pad(m)}-${pad(d)}`,
    start: localInstant(y, m, d, startHour, zone),
    end: localInstant(y, m, d + 1, startHour, zone),
  };
  // A start hour inside a skipped hour can leave `date` just outside; it is the day all the same.
  if (day.start <= t && t < day.end) learnerDays.set(cacheKey, day);
  return day;
}

/** The day after a YYYY-MM-DD date. */
export function nextDay(day: string): string {
  return new Date(Date.parse(day + 'T00:00:00Z') + DAY).toISOString().slice(0, 10);
}

const DAY_NAME = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });

/**
 * The learner's day of `date` as "today", "tomorrow" or "Wed 25 Nov", seen from `now`: a review
 * is due for a day, not at a minute.
 */
export function formatDay(date: Date, now: Date, timeZone: string, startHour: number): string {
  const today = learnerDay(now, timeZone, startHour);
  if (date.getTime() < today.end) return 'today';
  const { key } = learnerDay(date, timeZone, startHour);
  if (key === nextDay(today.key)) return 'tomorrow';
  return DAY_NAME.format(new Date(key + 'T12:00:00Z')).replace(',', '');
}

/** ISO week key of the local date, e.g. 2026-W48. */
export function isoWeek(date: Date, timeZone: string): string {
  const p = localParts(date, timeZone);
  const d = new Date(Date.UTC(p.year, p.month - 1, p.day));
  const weekday = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((d.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${d.getUTCFullYear()}-W${pad(week)}`;
}

export function monthKey(date: Date, timeZone: string): string {
  const p = localParts(date, timeZone);
  return `${p.year}-${pad(p.month)}`;
}

/** "Tue 26 Nov, 09:00" in the user's zone. */
export function formatLocal(date: Date, timeZone: string): string {
  return cached(displayFormatters, zoneOf(timeZone), DISPLAY, 'en-GB').format(date);
}
