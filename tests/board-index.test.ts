import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { BoardIndex, BoardStandings, type Standing } from '../src/core/quiz/board-index.js';
import { readBoard } from '../src/core/quiz/leaderboard.js';
import { award } from '../src/core/quiz/scoring.js';
import { quizStore } from '../src/core/quiz/store.js';
import type { Tenant } from '../src/core/tenant.js';
import { makeApp } from './helpers/app.js';

/** The order the board must keep, by brute force. */
function sorted(rows: Iterable<Standing>): Standing[] {
  return [...rows].sort((a, b) => b.points - a.points || a.reachedAt - b.reachedAt || a.userId - b.userId);
}

/** The heap in use after a full collection, when one can be had. */
function heapUsed(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

/** Ranks, every slice asked for, neighbours and footprint, all as a sorted array has them. */
function expectAgrees(board: BoardStandings, truth: Map<number, Standing>, probes: number[]): void {
  const expected = sorted(truth.values());
  expect(board.size).toBe(expected.length);
  expect(board.footprint).toBe(new BoardStandings().footprint + expected.length + new Set(expected.map((s) => s.points)).size);
  expect(board.slice(1, expected.length + 5)).toEqual(expected);
  expect(expected.map((s) => board.rank(s.userId))).toEqual(expected.map((_, i) => i + 1));
  for (const probe of probes) {
    const from = 1 + (probe % (expected.length + 2));
    expect(board.slice(from, 7)).toEqual(expected.slice(from - 1, from + 6));
    if (!expected.length) continue;
    const i = probe % expected.length;
    const first = Math.max(0, i - 3);
    expect(board.around(expected[i]!.userId, 3)).toEqual(expected.slice(first, i + 4).map((r, k) => ({ ...r, rank: first + k + 1 })));
  }
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

describe('board standings with many distinct totals', () => {
  it('agree with a sorted array through any sets, spreads and ties, whatever the point values', () => {
    const USERS = 1500;
    const points = fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 1e9 }));
    const op = fc.oneof(
      // One user's new total.
      fc.record({ kind: fc.constant('set' as const), userId: fc.integer({ min: 1, max: USERS }), points, reachedAt: fc.integer({ min: 0, max: 20 }) }),
      // A run of users on as many new totals: the blocks fill and split.
      fc.record({ kind: fc.constant('spread' as const), from: fc.integer({ min: 1, max: USERS }), count: fc.integer({ min: 1, max: USERS }), points, step: fc.integer({ min: 1, max: 1000 }) }),
      // A run of users on one total: levels empty, and blocks shrink and merge.
      fc.record({ kind: fc.constant('tie' as const), from: fc.integer({ min: 1, max: USERS }), count: fc.integer({ min: 1, max: USERS }), points }),
      // The same standings loaded in one go, to go on from there.
      fc.constant({ kind: 'reload' as const }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 12 }), fc.array(fc.nat(), { minLength: 1, maxLength: 20 }), (ops, probes) => {
        let board = new BoardStandings();
        const truth = new Map<number, Standing>();
        const set = (s: Standing) => {
          board.set(s);
          truth.set(s.userId, s);
        };
        ops.forEach((o, t) => {
          if (o.kind === 'set') set({ userId: o.userId, points: o.points, reachedAt: o.reachedAt });
          else if (o.kind === 'reload') board = BoardStandings.of(truth.values());
          else {
            const last = Math.min(USERS, o.from + o.count - 1);
            for (let u = o.from; u <= last; u++) set({ userId: u, points: o.kind === 'tie' ? o.points : o.points + (u - o.from) * o.step, reachedAt: t });
          }
        });
        expectAgrees(board, truth, probes);
        expect(board.rank(USERS + 1)).toBeUndefined();
        expect(board.around(USERS + 1, 2)).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it('keep 2,000 boards of 3 users in a few megabytes, with one user at 150,000 points and another at a billion', () => {
    const index = new BoardIndex((scope) => [
      { userId: 1, points: 150_000, reachedAt: 1 },
      { userId: 2, points: Number(scope) % 100, reachedAt: 2 },
    ]);
    const MB = 1024 * 1024;
    const before = heapUsed();
    for (let i = 0; i < 2000; i++) index.board(String(i), 'all');
    // Sized by point values, these boards took over 2 GB.
    expect((heapUsed() - before) / MB, 'heap growth once loaded, MB').toBeLessThan(50);
    // As an award moves a loaded board.
    for (let i = 0; i < 2000; i++) index.loaded(String(i), 'all')!.set({ userId: 3, points: 1e9, reachedAt: 3 });
    expect((heapUsed() - before) / MB, 'heap growth after awards, MB').toBeLessThan(50);
    for (let i = 0; i < 2000; i++) {
      const board = index.loaded(String(i), 'all')!;
      expect(board.slice(1, 3).map((s) => s.userId)).toEqual([3, 1, 2]);
      expect(board.rank(1)).toBe(2);
    }
  });
});

describe('the boards kept in memory', () => {
  it('drop the least recently read boards past the limit, never the one being read, and load them again when asked', () => {
    const loads: string[] = [];
    const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ userId: i + 1, points: 10 * i, reachedAt: i }));
    const small = BoardStandings.of(rows(3)).footprint;
    const index = new BoardIndex((scope, period) => {
      loads.push(`${scope}/${period}`);
      return rows(scope === 'big' ? 9 : 3);
    }, 2 * small);
    index.board('a', 'all');
    index.board('b', 'all');
    expect(index.loaded('a', 'all')).toBeDefined(); // two small boards: at the limit
    index.board('a', 'all'); // read again: now the most recent
    index.board('c', 'all'); // three are over: b goes first, as the least recently read
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

  it('count empty boards, distinct totals and the awards that grow a loaded board', () => {
    const empty = new BoardStandings().footprint;
    expect(empty).toBeGreaterThan(0);
    const index = new BoardIndex(() => [], 100 * empty);
    for (let i = 0; i < 10_000; i++) index.board(`s${i}`, 'all');
    const kept = () => Array.from({ length: 10_000 }, (_, i) => index.loaded(`s${i}`, 'all')).filter(Boolean).length;
    expect(kept()).toBe(100);
    // Awards grow the most recent board past the limit alone: at the next read, all others go.
    const board = index.loaded('s9999', 'all')!;
    for (let u = 1; u <= 100 * empty; u++) board.set({ userId: u, points: u, reachedAt: u });
    index.board('s9999', 'all');
    expect(kept()).toBe(1);
    // Dropped and cleared boards no longer count: small boards fit again.
    index.clear();
    for (let i = 0; i < 50; i++) index.board(`s${i}`, 'all');
    expect(kept()).toBe(50);
    board.set({ userId: 1, points: 1e9, reachedAt: 1 });
    index.board('s0', 'all');
    expect(kept()).toBe(50);
  });
});

describe('leaderboards from the standings in memory', () => {
  it('agree with ordering the scores table, as awards move a loaded board, after a reload, and after a rollback', async () => {
    const { app, clock } = makeApp();
    const store = quizStore(app.services);
    const db = app.services.db.$client;
    const users = Array.from({ length: 40 }, (_, i) => store.user({ platform: 'terminal', userId: `u${i}`, displayName: `u${i}`, isAdmin: false }, 'terminal:local' as Tenant).id);
    const fromTable = () =>
      db.prepare("SELECT user_id userId, points, reached_at reachedAt FROM scores WHERE scope = 'terminal:local' AND period = 'all' ORDER BY points DESC, reached_at, user_id").all() as Standing[];
    const check = () => {
      const table = fromTable();
      for (const [i, userId] of users.entries()) {
        const board = readBoard(store, 'terminal:local' as Tenant, 'terminal:local', 'all', userId);
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
    expect(readBoard(store, 'terminal:local' as Tenant, 'terminal:local', 'all', users[0]!).top[0]!.points).toBeLessThan(500);
    app.close();
  });
});
