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
  const sinceMidnight = ((p.hour * 60 + p.minute) * 60 + p.second) * 1000 + date.getUTCMilliseconds();
  return date.getTime() - sinceMidnight;
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
