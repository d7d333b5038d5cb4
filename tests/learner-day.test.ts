import { describe, expect, it } from 'vitest';
import { formatDay, learnerDay, localParts } from '../src/core/util/time.js';

const iso = (ms: number) => new Date(ms).toISOString();
const wall = (t: number, tz: string) => {
  const p = localParts(new Date(t), tz);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
};
const hours = (d: { start: number; end: number }) => (d.end - d.start) / 3_600_000;

describe('the learner day', () => {
  it('runs from the start hour to the same hour the next local day', () => {
    const d = learnerDay(new Date('2026-11-20T09:00:00Z'), 'UTC', 4);
    expect(d).toEqual({ key: '2026-11-20', start: Date.parse('2026-11-20T04:00:00Z'), end: Date.parse('2026-11-21T04:00:00Z') });
    // Before the start hour it is still the day before.
    expect(learnerDay(new Date('2026-11-21T03:30:00Z'), 'UTC', 4).key).toBe('2026-11-20');
    expect(learnerDay(new Date('2026-11-21T04:30:00Z'), 'UTC', 4).key).toBe('2026-11-21');
    // 09:00 in Tokyo is midnight UTC: the day is Tokyo's.
    const tokyo = learnerDay(new Date('2026-11-20T19:30:00Z'), 'Asia/Tokyo', 4);
    expect(tokyo.key).toBe('2026-11-21');
    expect(iso(tokyo.start)).toBe('2026-11-20T19:00:00.000Z');
    expect(learnerDay(new Date('2026-11-20T18:30:00Z'), 'Asia/Tokyo', 4).key).toBe('2026-11-20');
  });

  it('is 23 or 25 hours long on daylight-saving days, starting at the local hour on both sides', () => {
    // Berlin springs forward at 02:00 on 2026-03-29 and falls back at 03:00 on 2026-10-25.
    const spring = learnerDay(new Date('2026-03-29T12:00:00Z'), 'Europe/Berlin', 0);
    expect([iso(spring.start), iso(spring.end), hours(spring)]).toEqual(['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z', 23]);
    const before = learnerDay(new Date('2026-03-28T12:00:00Z'), 'Europe/Berlin', 4);
    expect([iso(before.start), iso(before.end), hours(before)]).toEqual(['2026-03-28T03:00:00.000Z', '2026-03-29T02:00:00.000Z', 23]);
    const after = learnerDay(new Date('2026-03-29T12:00:00Z'), 'Europe/Berlin', 4);
    expect([iso(after.start), hours(after)]).toEqual(['2026-03-29T02:00:00.000Z', 24]);
    // A start hour the clocks skip begins the day at the jump.
    expect(iso(learnerDay(new Date('2026-03-29T12:00:00Z'), 'Europe/Berlin', 2).start)).toBe('2026-03-29T01:00:00.000Z');

    const autumn = learnerDay(new Date('2026-10-25T12:00:00Z'), 'Europe/Berlin', 0);
    expect([iso(autumn.start), iso(autumn.end), hours(autumn)]).toEqual(['2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z', 25]);
    const autumn4 = learnerDay(new Date('2026-10-24T12:00:00Z'), 'Europe/Berlin', 4);
    expect([iso(autumn4.start), iso(autumn4.end), hours(autumn4)]).toEqual(['2026-10-24T02:00:00.000Z', '2026-10-25T03:00:00.000Z', 25]);
    // The repeated hour: the day begins at its first occurrence.
    expect(iso(learnerDay(new Date('2026-10-25T12:00:00Z'), 'Europe/Berlin', 2).start)).toBe('2026-10-25T00:00:00.000Z');

    // New York falls back at 02:00 on 2026-11-01.
    const ny = learnerDay(new Date('2026-11-01T12:00:00Z'), 'America/New_York', 0);
    expect([iso(ny.start), iso(ny.end), hours(ny)]).toEqual(['2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z', 25]);
    const ny4 = learnerDay(new Date('2026-10-31T12:00:00Z'), 'America/New_York', 4);
    expect([iso(ny4.start), iso(ny4.end), hours(ny4)]).toEqual(['2026-10-31T08:00:00.000Z', '2026-11-01T09:00:00.000Z', 25]);
  });

  it('always contains the instant it was asked about, and starts at the start hour local time', () => {
    for (const tz of ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Asia/Tokyo']) {
      for (const hour of [0, 1, 2, 3, 4, 23]) {
        for (let t = Date.parse('2026-01-01'); t < Date.parse('2027-01-01'); t += 5 * 3_600_000 + 7 * 60_000) {
          const d = learnerDay(new Date(t), tz, hour);
          expect(d.start <= t && t < d.end).toBe(true);
          const p = localParts(new Date(d.start), tz);
          // At the start hour, or where the clocks jumped over it.
          const jumped = wall(d.start, tz) - wall(d.start - 60_000, tz) !== 60_000;
          expect((p.hour === hour && p.minute === 0) || jumped).toBe(true);
        }
      }
    }
  });

  it('holds an instant the clocks show before the start hour again after the day began', () => {
    // Chatham goes back from 03:45 to 02:45 on 2020-04-05: 03:00 came once (13:15 UTC), then 02:45
    // showed again. With days starting at 03:00, 02:45 the second time is in the 5th's day.
    const t = Date.parse('2020-04-04T14:00:00Z');
    const day = learnerDay(new Date(t), 'Pacific/Chatham', 3);
    expect([day.key, iso(day.start), hours(day)]).toEqual(['2020-04-05', '2020-04-04T13:15:00.000Z', 25]);
    expect(learnerDay(new Date(t + 10 * 60_000), 'Pacific/Chatham', 3).key).toBe('2020-04-05');
    expect(learnerDay(new Date(Date.parse('2020-04-04T13:14:00Z')), 'Pacific/Chatham', 3).key).toBe('2020-04-04');
  });

  it('begins at the jump where the clocks skip the start hour by other than whole hours', () => {
    // Chatham goes from 02:45 to 03:45 on 2020-09-27 (14:00 UTC): with days starting at 03:00,
    // the 27th's day begins at the jump, and is 23 hours 15 minutes long.
    const day = learnerDay(new Date('2020-09-26T14:00:00Z'), 'Pacific/Chatham', 3);
    expect([day.key, iso(day.start), hours(day)]).toEqual(['2020-09-27', '2020-09-26T14:00:00.000Z', 23.25]);
    expect(learnerDay(new Date('2020-09-26T13:59:00Z'), 'Pacific/Chatham', 3).key).toBe('2020-09-26');
  });

  it('names the day of a review from now', () => {
    const now = new Date('2026-11-20T09:00:00Z');
    expect(formatDay(new Date('2026-11-19T09:00:00Z'), now, 'UTC', 4)).toBe('today');
    expect(formatDay(new Date('2026-11-21T03:59:00Z'), now, 'UTC', 4)).toBe('today');
    expect(formatDay(new Date('2026-11-21T04:00:00Z'), now, 'UTC', 4)).toBe('tomorrow');
    expect(formatDay(new Date('2026-11-22T02:00:00Z'), now, 'UTC', 4)).toBe('tomorrow');
    expect(formatDay(new Date('2026-11-25T09:00:00Z'), now, 'UTC', 4)).toBe('Wed 25 Nov');
  });
});
