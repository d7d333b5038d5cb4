import { describe, expect, it } from 'vitest';
import { isoWeek, learnerDay, localDateStart, localDay, localParts } from '../src/core/util/time.js';

describe('local time', () => {
  it('matches Intl in zones with DST and odd offsets, across a year', () => {
    for (const tz of ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu']) {
      const f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
      for (let t = Date.parse('2026-01-01'); t < Date.parse('2027-01-01'); t += 37 * 60_000 + 13_321) {
        const d = new Date(t);
        const want: Record<string, number> = {};
        for (const p of f.formatToParts(d)) if (p.type !== 'literal') want[p.type] = Number(p.value);
        expect(localParts(d, tz)).toEqual(want);
      }
    }
  });

  it('names days, weeks and midnights in the zone', () => {
    const late = new Date('2026-11-20T23:30:00Z');
    expect(localDay(late, 'UTC')).toBe('2026-11-20');
    expect(localDay(late, 'Europe/Berlin')).toBe('2026-11-21');
    expect(isoWeek(new Date('2026-01-01T12:00:00Z'), 'UTC')).toBe('2026-W01');
    expect(isoWeek(new Date('2027-01-01T12:00:00Z'), 'UTC')).toBe('2026-W53');
    expect(new Date(learnerDay(late, 'Europe/Berlin', 0).start).toISOString()).toBe('2026-11-20T23:00:00.000Z');
  });

  it('starts a local day at its midnight on daylight-saving days', () => {
    const start = (at: string, tz: string) => new Date(learnerDay(new Date(at), tz, 0).start).toISOString();
    // Berlin springs forward on 2026-03-29 (midnight is still CET, +01:00) and falls back on 2026-10-25 (midnight is CEST, +02:00).
    expect(start('2026-03-29T12:00:00Z', 'Europe/Berlin')).toBe('2026-03-28T23:00:00.000Z');
    expect(start('2026-10-25T12:00:00Z', 'Europe/Berlin')).toBe('2026-10-24T22:00:00.000Z');
    // New York falls back on 2026-11-01: midnight is still EDT, -04:00.
    expect(start('2026-11-01T12:00:00Z', 'America/New_York')).toBe('2026-11-01T04:00:00.000Z');
    expect(start('2026-11-01T23:30:00Z', 'America/New_York')).toBe('2026-11-01T04:00:00.000Z');
    // The same starts from the date alone.
    expect(new Date(localDateStart(2026, 3, 29, 'Europe/Berlin')).toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(new Date(localDateStart(2026, 10, 25, 'Europe/Berlin')).toISOString()).toBe('2026-10-24T22:00:00.000Z');
    expect(new Date(localDateStart(2026, 11, 1, 'America/New_York')).toISOString()).toBe('2026-11-01T04:00:00.000Z');
  });
});
