import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoardIndex, BoardStandings, type Standing } from '../src/core/quiz/board-index.js';
import { readBoard } from '../src/core/quiz/leaderboard.js';
import { award } from '../src/core/quiz/scoring.js';
import { quizStore } from '../src/core/quiz/store.js';
import { makeApp } from './helpers/app.js';

/** The order the board must keep, by brute force. */
function sorted(rows: Iterable<Standing>): Standing[] {
  return [...rows].sort((a, b) => b.points - a.points || a.reachedAt - b.reachedAt || a.userId - b.userId);
}

describe('board standings', () => {
  it('keeps leaderboard order, ranks and neighbours through any sequence of totals', () => {
    const update = fc.record({ userId: fc.integer({ min: 1, max: 30 }), points: fc.integer({ min: 0, max: 60 }), reachedAt: fc.integer({ min: 0, max: 20 }) });
    fc.assert(
      fc.property(fc.array(update, { maxLength: 200 }), (updates) => {
        const board = new BoardStandings();
        const truth = new Map<number, Standing>();
        for (const u of updates) {
          board.set(u);
          truth.set(u.userId, u);
        }
        const expected = sorted(truth.values());
        // Built in one go from the same totals, the board is the same.
        const loaded = BoardStandings.of(truth.values());
        expect(loaded.slice(1, expected.length)).toEqual(expected);
        expect(expected.map((s) => loaded.rank(s.userId))).toEqual(expected.map((_, i) => i + 1));
        expect(board.size).toBe(expected.length);
        expect(board.slice(1, expected.length + 5)).toEqual(expected);
        expect(board.slice(4, 3)).toEqual(expected.slice(3, 6));
        expected.forEach((s, i) => {
          expect(board.rank(s.userId)).toBe(i + 1);
          const from = Math.max(0, i - 2);
          expect(board.around(s.userId, 2)).toEqual(expected.slice(from, i + 3).map((r, k) => ({ ...r, rank: from + k + 1 })));
        });
        expect(board.rank(999)).toBeUndefined();
        expect(board.around(999, 2)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('the boards kept in memory', () => {
  it('drop the least recently read boards past the limit, never the one being read, and load them again when asked', () => {
    const loads: string[] = [];
    const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ userId: i + 1, points: 10 * i, reachedAt: i }));
    const index = new BoardIndex((scope, period) => {
      loads.push(`${scope}/${period}`);
      return rows(scope === 'big' ? 9 : 3);
    }, 6);
    index.board('a', 'all');
    index.board('b', 'all');
    expect(index.loaded('a', 'all')).toBeDefined(); // 6 standings: at the limit
    index.board('a', 'all'); // read again: now the most recent
    index.board('c', 'all'); // 9 > 6: b goes first, as the least recently read
    expect(index.loaded('b', 'all')).toBeUndefined();
    expect(index.loaded('a', 'all')).toBeDefined();
    index.board('big', 'all'); // larger than the limit alone: kept, everything else goes
    expect(index.loaded('big', 'all')!.size).toBe(9);
    expect(index.loaded('a', 'all')).toBeUndefined();
    expect(index.loaded('c', 'all')).toBeUndefined();
    expect(loads).toEqual(['a/all', 'b/all', 'c/all', 'big/all']);
    index.board('a', 'all');
    expect(loads.at(-1)).toBe('a/all');
  });
});

describe('leaderboards from the standings in memory', () => {
  it('agree with ordering the scores table, as awards move a loaded board, after a reload, and after a rollback', async () => {
    const { app, clock } = makeApp();
    const store = quizStore(app.services);
    const db = app.services.db.$client;
    const users = Array.from({ length: 40 }, (_, i) => store.user({ platform: 'terminal', userId: `u${i}`, displayName: `u${i}`, isAdmin: false }).id);
    const fromTable = () =>
      db.prepare("SELECT user_id userId, points, reached_at reachedAt FROM scores WHERE scope = 'terminal:local' AND period = 'all' ORDER BY points DESC, reached_at, user_id").all() as Standing[];
    const check = () => {
      const table = fromTable();
      for (const [i, userId] of users.entries()) {
        const board = readBoard(store, 'terminal:local', 'all', userId);
        expect(board.top.map(({ userId, points, reachedAt }) => ({ userId, points, reachedAt }))).toEqual(table.slice(0, 10));
        const at = table.findIndex((r) => r.userId === userId);
        expect(board.me?.rank, `user ${i}`).toBe(at < 0 ? undefined : at + 1);
        if (at >= 10) expect(board.around.map((r) => r.userId)).toEqual(table.slice(at - 2, at + 3).map((r) => r.userId));
      }
    };
    let n = 0;
    for (let round = 0; round < 6; round++) {
      for (const [i, userId] of users.entries()) {
        if ((i * 7 + round) % 3 === 0) continue;
        clock.advance(1000);
        award(store, { key: `k${n++}`, userId, platform: 'terminal', serverId: 'local', channelId: 'c', points: i % 2 ? 10 : 5, reason: 'test', now: clock.now() });
      }
      check(); // loaded by the first read, then moved by each award
    }
    store.boards.clear();
    check();
    // A grouped write that fails after awarding rolls back, and the board follows the table.
    await expect(
      store.writes.run(() => {
        award(store, { key: 'rolled-back', userId: users[0]!, platform: 'terminal', serverId: 'local', channelId: 'c', points: 500, reason: 'test', now: clock.now() });
        throw new Error('storage gave up');
      }),
    ).rejects.toThrow('storage gave up');
    check();
    expect(readBoard(store, 'terminal:local', 'all', users[0]!).top[0]!.points).toBeLessThan(500);
    app.close();
  });
});
