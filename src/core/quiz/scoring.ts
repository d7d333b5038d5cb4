import { isoWeek, localDay, monthKey, previousDay } from '../util/time.js';
import type { AwardRecord, StreakState } from '../../db/answer-log.js';
import type { QuizStore } from './store.js';

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

/** The period keys an award counts towards, in the server's time zone. */
export function periodKeys(now: Date, timeZone: string, season: number): { week: string; month: string; season: string } {
  return { week: `w${isoWeek(now, timeZone)}`, month: `m${monthKey(now, timeZone)}`, season: `s${season}` };
}

/** Each award counts on the server's and the channel's board for each of these periods. */
const PERIODS = ['all', 'week', 'month', 'season'] as const;

/** The award as recorded: the boards it counts on are the server's and the channel's, for each period. */
export function awardRecord(store: QuizStore, a: AwardInput): AwardRecord {
  const serverKey = `${a.platform}:${a.serverId}`;
  const now = a.now.getTime();
  const keys = periodKeys(a.now, store.services.config.DEFAULT_TIMEZONE, store.currentSeason(serverKey, now));
  const periods = PERIODS.map((p) => (p === 'all' ? 'all' : keys[p]));
  const boards = [serverKey, `${serverKey}#${a.channelId}`].flatMap((scope) => periods.map((period) => [scope, period] as const));
  return { key: a.key, userId: a.userId, serverKey, channelId: a.channelId, points: a.points, reason: a.reason, createdAt: now, boards };
}

/** Moves the boards in memory by an award (those not loaded read it from the tables later). */
export function moveBoards(store: QuizStore, a: AwardRecord): void {
  for (const [scope, period] of a.boards) {
    const board = store.boards.loaded(scope, period);
    if (!board) continue;
    const before = board.get(a.userId);
    board.set({ userId: a.userId, points: (before?.points ?? 0) + a.points, reachedAt: Math.max(before?.reachedAt ?? 0, a.createdAt) });
  }
}

/**
 * Records an award once, straight into the tables, and adds it to every board it counts on.
 * Returns false when the key was already awarded. Call inside the caller's transaction.
 */
export function award(store: QuizStore, a: AwardInput): boolean {
  const record = awardRecord(store, a);
  if (!store.pending.applier.award(record)) return false;
  moveBoards(store, record);
  return true;
}

/** The streak after an answer today (in the user's zone); null when today already counted. */
export function nextStreak(row: StreakState | undefined, userId: number, now: Date, timeZone: string): StreakState | null {
  const today = localDay(now, timeZone);
  if (row && row.lastDay === today) return null;
  const current = row && row.lastDay === previousDay(today) ? row.current + 1 : 1;
  return { userId, current, best: Math.max(current, row?.best ?? 0), lastDay: today };
}

/** The streak as it stands today: a streak whose last day is before yesterday has lapsed. */
export function currentStreak(store: QuizStore, userId: number, now: Date, timeZone: string): { current: number; best: number } {
  const row = store.streak(userId);
  if (!row) return { current: 0, best: 0 };
  const today = localDay(now, timeZone);
  const alive = row.lastDay === today || row.lastDay === previousDay(today);
  return { current: alive ? row.current : 0, best: row.best };
}
