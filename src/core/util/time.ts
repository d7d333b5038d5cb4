/**
 * Local calendar dates in IANA time zones, for streaks, daily limits and leaderboard periods.
 * Intl formatters are costly to create, so one is kept per zone.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isTimeZone(tz: string): boolean {
  if (!tz || tz.length > 64) return false;
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** UTC offsets by zone and quarter hour: zone rules change offsets only on such boundaries. */
const offsets = new Map<string, number>();
const QUARTER_HOUR = 900_000;

function offsetOf(date: Date, timeZone: string): number {
  const key = `${timeZone}|${Math.floor(date.getTime() / QUARTER_HOUR)}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const parts: Record<string, number> = {};
    for (const p of formatter(timeZone).formatToParts(date)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
    const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
    offset = asUtc - Math.floor(date.getTime() / 1000) * 1000;
    if (offsets.size > 50_000) offsets.clear();
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
  return new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(date);
}
