import { isoWeek, learnerDay, monthKey, previousDay, type LearnerDay } from '../util/time.js';
import { LruMap } from '../util/lru-map.js';
import type { QuizStore } from './store.js';
import { tenantOf, tenantPlatform, type Tenant } from '../tenant.js';

/** Points, in one place. */
export const POINTS = {
  /** A right first answer to a due (or new) card in a personal quiz. */
  dueCard: 10,
  /** The first right answer of a race round. */
  raceWinner: 15,
  /** Any later right answer in a race round. */
  raceCorrect: 5,
} as const;

export interface AwardInput {
  /** Natural key: the same key never scores twice (double clicks, retries, replays). */
  key: string;
  userId: number;
  platform: string;
  serverId: string;
  channelId: string;
  points: number;
  reason: string;
  now: Date;
}

/** Each store's servers and their board zones (a server's zone is looked up once, then kept). */
const boardZones = new WeakMap<QuizStore, LruMap<Tenant, string>>();

/**
 * The time zone a server's weeks and months run in, for the points written and the boards read:
 * that of its daily post (the one with the weekly leaderboard first), else DEFAULT_TIMEZONE. So
 * the Monday post's "last week" has ended where it is posted, and is not the board of this week.
 */
export function boardZone(store: QuizStore, tenant: Tenant): string {
  let known = boardZones.get(store);
  if (!known) boardZones.set(store, (known = new LruMap(4096)));
  let zone = known.get(tenant);
  if (zone === undefined) {
    const platform = tenantPlatform(tenant);
    zone =
      store
        .q<[string, string], { timezone: string }>('SELECT timezone FROM schedules WHERE platform = ? AND server_id = ? ORDER BY weekly_leaderboard DESC, id LIMIT 1')
        .get(platform, tenant.slice(platform.length + 1))?.timezone ?? store.services.config.DEFAULT_TIMEZONE;
    known.set(tenant, zone);
  }
  return zone;
}

/** Forgets a server's board zone when its schedules change. */
export function forgetBoardZone(store: QuizStore, tenant: Tenant): void {
  boardZones.get(store)?.delete(tenant);
}

/** The period keys an award counts towards, in the server's board zone (see boardZone). */
export function periodKeys(now: Date, timeZone: string, season: number): { week: string; month: string; season: string } {
  return { week: `w${isoWeek(now, timeZone)}`, month: `m${monthKey(now, timeZone)}`, season: `s${season}` };
}

/** Each award counts on the server's and the channel's board for each of these periods. */
const PERIODS = ['all', 'week', 'month', 'season'] as const;

/** Adds one award to the running total of each of its boards: one row per board, one statement. */
const ADD_TO_TOTALS = `INSERT INTO scores (scope, period, user_id, points, reached_at)
  VALUES ${Array.from({ length: 2 * PERIODS.length }, () => '(?, ?, ?, ?, ?)').join(', ')}
  ON CONFLICT (user_id, scope, period) DO UPDATE SET points = points + excluded.points, reached_at = excluded.reached_at`;

/**
 * Records an award once and adds it to the running totals of every leaderboard it counts in (and
 * to those boards' standings in memory). Returns false when the key was already awarded. Call
 * inside the caller's transaction.
 */
export function award(store: QuizStore, a: AwardInput): boolean {
  const server = tenantOf(a.platform, a);
  const now = a.now.getTime();
  const inserted = store.stmt.insertAward.run({ key: a.key, userId: a.userId, serverKey: server, channelId: a.channelId, points: a.points, reason: a.reason, now });
  if (inserted.changes === 0) return false;
  const keys = periodKeys(a.now, boardZone(store, server), store.currentSeason(server, now));
  const periods = PERIODS.map((p) => (p === 'all' ? 'all' : keys[p]));
  const boards = [server, `${server}#${a.channelId}`].flatMap((scope) => periods.map((period) => [scope, period] as const));
  store.q(ADD_TO_TOTALS).run(boards.flatMap(([scope, period]) => [scope, period, a.userId, a.points, now]));
  for (const [scope, period] of boards) {
    const board = store.boards.loaded(scope, period);
    if (board) board.set({ userId: a.userId, points: (board.get(a.userId)?.points ?? 0) + a.points, reachedAt: now });
  }
  return true;
}

/** The learner's day around `now` in their zone, beginning at DAY_STARTS_AT_HOUR (see learnerDay). */
export function learnerToday(store: QuizStore, now: Date, timeZone: string): LearnerDay {
  return learnerDay(now, timeZone, store.services.config.DAY_STARTS_AT_HOUR);
}

/** Counts today (the learner's day, in their zone) towards the streak; returns the current streak. */
export function touchStreak(store: QuizStore, userId: number, now: Date, timeZone: string): number {
  const today = learnerToday(store, now, timeZone).key;
  const row = store.stmt.streak.get(userId);
  if (row && row.lastDay === today) return row.current;
  const current = row && row.lastDay === previousDay(today) ? row.current + 1 : 1;
  store.stmt.upsertStreak.run({ userId, current, best: Math.max(current, row?.best ?? 0), lastDay: today });
  return current;
}

/** The streak as it stands today: a streak whose last day is before yesterday has lapsed. */
export function currentStreak(store: QuizStore, userId: number, now: Date, timeZone: string): { current: number; best: number } {
  const row = store.stmt.streak.get(userId);
  if (!row) return { current: 0, best: 0 };
  const today = learnerToday(store, now, timeZone).key;
  const alive = row.lastDay === today || row.lastDay === previousDay(today);
  return { current: alive ? row.current : 0, best: row.best };
}
