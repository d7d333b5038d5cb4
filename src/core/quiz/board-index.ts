/** One user's total on a leaderboard. */
export interface Standing {
  userId: number;
  points: number;
  /** When the total last grew: ties go to whoever got there first. */
  reachedAt: number;
}

/** A standing as a board keeps it: its own copy, never below zero points. */
const standingOf = (s: Standing): Standing => ({ userId: s.userId, points: Math.max(0, s.points), reachedAt: s.reachedAt });

/** Leaderboard order: most points first, then who got there first, then the user id. */
function sameLevelOrder(a: Standing, b: Standing): number {
  return a.reachedAt - b.reachedAt || a.userId - b.userId;
}

/** Where `s` goes in `list` (sorted by sameLevelOrder): the first index not before it. */
function lowerBound(list: Standing[], s: Standing): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sameLevelOrder(list[mid]!, s) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** How many users have at most a given number of points, in O(log n): a Fenwick tree over point values. */
class PointCounts {
  private tree = new Array<number>(65).fill(0);

  add(points: number, delta: number): void {
    if (points + 1 >= this.tree.length) this.grow(points);
    for (let i = points + 1; i < this.tree.length; i += i & -i) this.tree[i]! += delta;
  }

  private grow(points: number): void {
    const counts: number[] = [];
    for (let p = 0; p < this.tree.length - 1; p++) counts.push(this.upTo(p) - (p > 0 ? this.upTo(p - 1) : 0));
    this.tree = new Array<number>(Math.max(points + 2, this.tree.length * 2)).fill(0);
    counts.forEach((n, p) => n && this.add(p, n));
  }

  upTo(points: number): number {
    let sum = 0;
    for (let i = Math.min(points + 1, this.tree.length - 1); i > 0; i -= i & -i) sum += this.tree[i]!;
    return sum;
  }

  above(points: number): number {
    return this.upTo(this.tree.length - 2) - this.upTo(points);
  }
}

/**
 * One leaderboard's standings in memory, kept in leaderboard order as awards arrive: users grouped
 * by points (one list per distinct total, in reached-at order) and a Fenwick tree counting users
 * above a total. A rank is O(log n) plus a binary search; the top and a user's neighbours are a
 * few steps from the right list. Totals never go down, so a user who scores moves from one list
 * to a higher one, usually to its end.
 */
export class BoardStandings {
  private byUser = new Map<number, Standing>();
  private levels = new Map<number, Standing[]>();
  /** The distinct totals, most first. */
  private totals: number[] = [];
  private counts = new PointCounts();

  /** A board holding `rows` (at most one per user), built in one sort instead of one insert each. */
  static of(rows: Iterable<Standing>): BoardStandings {
    const board = new BoardStandings();
    const all = [...rows].map(standingOf);
    all.sort((a, b) => b.points - a.points || sameLevelOrder(a, b));
    for (const s of all) {
      let level = board.levels.get(s.points);
      if (!level) {
        level = [];
        board.levels.set(s.points, level);
        board.totals.push(s.points);
      }
      level.push(s);
      board.byUser.set(s.userId, s);
      board.counts.add(s.points, 1);
    }
    return board;
  }

  get size(): number {
    return this.byUser.size;
  }

  get(userId: number): Standing | undefined {
    return this.byUser.get(userId);
  }

  /** Sets a user's total (adding the user when new). */
  set(s: Standing): void {
    const old = this.byUser.get(s.userId);
    if (old) this.remove(old);
    const standing = standingOf(s);
    this.byUser.set(s.userId, standing);
    let level = this.levels.get(standing.points);
    if (!level) {
      level = [];
      this.levels.set(standing.points, level);
      this.totals.splice(this.totalIndex(standing.points), 0, standing.points);
    }
    const at = lowerBound(level, standing);
    if (at === level.length) level.push(standing);
    else level.splice(at, 0, standing);
    this.counts.add(standing.points, 1);
  }

  private remove(s: Standing): void {
    const level = this.levels.get(s.points)!;
    level.splice(lowerBound(level, s), 1);
    if (level.length === 0) {
      this.levels.delete(s.points);
      this.totals.splice(this.totalIndex(s.points), 1);
    }
    this.counts.add(s.points, -1);
  }

  /** Index of `points` in the descending list of totals (or where it would go). */
  private totalIndex(points: number): number {
    let lo = 0;
    let hi = this.totals.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.totals[mid]! > points) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Where a standing on the board is: its level, its index there, and its 1-based rank. */
  private place(s: Standing): { level: Standing[]; at: number; rank: number } {
    const level = this.levels.get(s.points)!;
    const at = lowerBound(level, s);
    return { level, at, rank: this.counts.above(s.points) + at + 1 };
  }

  /** 1-based rank, or undefined when the user is not on the board. */
  rank(userId: number): number | undefined {
    const s = this.byUser.get(userId);
    return s && this.place(s).rank;
  }

  /** Standings from 1-based rank `from`, at most `count` of them, in order. */
  slice(from: number, count: number): Standing[] {
    const out: Standing[] = [];
    let skip = Math.max(0, from - 1);
    for (const points of this.totals) {
      const level = this.levels.get(points)!;
      if (skip >= level.length) {
        skip -= level.length;
        continue;
      }
      for (let i = skip; i < level.length && out.length < count; i++) out.push(level[i]!);
      skip = 0;
      if (out.length >= count) break;
    }
    return out;
  }

  /** The user with up to `side` neighbours on each side, with their ranks. */
  around(userId: number, side: number): (Standing & { rank: number })[] {
    const me = this.byUser.get(userId);
    if (!me) return [];
    const ti = this.totalIndex(me.points);
    const { level: mine, at, rank } = this.place(me);
    const above: Standing[] = [];
    for (let t = ti, i = at - 1; t >= 0 && above.length < side; t--) {
      const level = t === ti ? mine : this.levels.get(this.totals[t]!)!;
      if (t !== ti) i = level.length - 1;
      for (; i >= 0 && above.length < side; i--) above.push(level[i]!);
    }
    const below: Standing[] = [];
    for (let t = ti, i = at + 1; t < this.totals.length && below.length < side; t++) {
      const level = t === ti ? mine : this.levels.get(this.totals[t]!)!;
      if (t !== ti) i = 0;
      for (; i < level.length && below.length < side; i++) below.push(level[i]!);
    }
    return [
      ...above.reverse().map((s, i) => ({ ...s, rank: rank - above.length + i })),
      { ...me, rank },
      ...below.map((s, i) => ({ ...s, rank: rank + 1 + i })),
    ];
  }
}

/**
 * The standings of the boards read lately, loaded from the scores table on first use and moved
 * by each award. The table stays the source of truth: a board is dropped whenever a write it saw
 * may have been rolled back, and loaded again on the next read. The least recently read boards
 * are dropped once the boards in memory hold more than `maxStandings` standings together (about
 * 100 bytes each), so memory stays bounded however many servers, channels and periods there are.
 */
export class BoardIndex {
  private boards = new Map<string, BoardStandings>();

  constructor(
    private readonly load: (scope: string, period: string) => Iterable<Standing>,
    private readonly maxStandings = 1_000_000,
  ) {}

  private static key(scope: string, period: string): string {
    return `${scope}\u0000${period}`;
  }

  /** The board, loaded when not in memory; it becomes the most recently read. */
  board(scope: string, period: string): BoardStandings {
    const key = BoardIndex.key(scope, period);
    let board = this.boards.get(key);
    if (board) this.boards.delete(key);
    else board = BoardStandings.of(this.load(scope, period));
    this.boards.set(key, board);
    this.trim(board);
    return board;
  }

  /** Drops the least recently read boards while over the limit, never the one being read. */
  private trim(keep: BoardStandings): void {
    let total = 0;
    for (const b of this.boards.values()) total += b.size;
    for (const [key, b] of this.boards) {
      if (total <= this.maxStandings) break;
      if (b === keep) continue;
      this.boards.delete(key);
      total -= b.size;
    }
  }

  /** A board in memory, if it is: awards move only those. */
  loaded(scope: string, period: string): BoardStandings | undefined {
    return this.boards.get(BoardIndex.key(scope, period));
  }

  clear(): void {
    this.boards.clear();
  }
}
