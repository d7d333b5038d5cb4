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

/** Distinct totals per block: a rank sums one count per block and scans at most one block. */
const BLOCK_FILL = 256;
const BLOCK_MAX = 512;
/** A block this small is merged into a neighbour when they fit in one. */
const BLOCK_MIN = 64;

/** A run of consecutive distinct totals, most first, with the users at each. */
interface Block {
  totals: number[];
  /** The users at each total, in sameLevelOrder. */
  levels: Standing[][];
  /** How many users the levels hold together. */
  users: number;
}

const blockOf = (totals: number[], levels: Standing[][]): Block => ({ totals, levels, users: levels.reduce((n, l) => n + l.length, 0) });

/**
 * What a board costs in memory, in units of about 100 bytes: one per standing, one per distinct
 * total, and this many for the board itself (its maps and arrays, its key in the index).
 */
const BOARD_UNITS = 4;

/** The running sum of the footprints of the boards an index holds, kept by the boards as they change. */
interface Meter {
  units: number;
}
const meter = Symbol('meter');

/**
 * One leaderboard's standings in memory, kept in leaderboard order as awards arrive: users grouped
 * by points (one level per distinct total, in reached-at order), the distinct totals in blocks of
 * a few hundred that count their users. Memory follows the standings and distinct totals, whatever
 * the point values. A rank is the counts of the blocks above plus a scan inside one block and a
 * binary search in one level; the top and a user's neighbours are a few steps from there. Totals
 * never go down, so a user who scores moves from one level to a higher one, usually to its end.
 */
export class BoardStandings {
  private byUser = new Map<number, Standing>();
  private blocks: Block[] = [];
  private distinct = 0;
  /** Set while an index holds the board. */
  [meter]: Meter | undefined;

  /** A board holding `rows` (at most one per user), built in one sort instead of one insert each. */
  static of(rows: Iterable<Standing>): BoardStandings {
    const board = new BoardStandings();
    const all = [...rows].map(standingOf);
    all.sort((a, b) => b.points - a.points || sameLevelOrder(a, b));
    let totals: number[] = [];
    let levels: Standing[][] = [];
    for (let i = 0; i < all.length; i++) {
      const s = all[i]!;
      board.byUser.set(s.userId, s);
      if (i > 0 && all[i - 1]!.points === s.points) {
        levels[levels.length - 1]!.push(s);
        continue;
      }
      if (totals.length === BLOCK_FILL) {
        board.blocks.push(blockOf(totals, levels));
        totals = [];
        levels = [];
      }
      totals.push(s.points);
      // Most totals are one user's: an array of one, where an empty array grown by a push holds 17 slots.
      levels.push([s]);
      board.distinct++;
    }
    if (totals.length) board.blocks.push(blockOf(totals, levels));
    // Arrays grown by pushes keep up to half again in spare slots: a board that is only read keeps none.
    board.blocks = board.blocks.map((b) => ({ ...b, totals: b.totals.slice(), levels: b.levels.slice() }));
    return board;
  }

  get size(): number {
    return this.byUser.size;
  }

  /** Memory held, in units of about 100 bytes: what an index bounds. */
  get footprint(): number {
    return BOARD_UNITS + this.byUser.size + this.distinct;
  }

  get(userId: number): Standing | undefined {
    return this.byUser.get(userId);
  }

  /** Sets a user's total (adding the user when new). */
  set(s: Standing): void {
    const old = this.byUser.get(s.userId);
    const before = this.byUser.size + this.distinct;
    if (old) this.remove(old);
    const standing = standingOf(s);
    this.byUser.set(s.userId, standing);
    this.insert(standing);
    const m = this[meter];
    if (m) m.units += this.byUser.size + this.distinct - before;
  }

  private insert(s: Standing): void {
    if (this.blocks.length === 0) this.blocks.push({ totals: [], levels: [], users: 0 });
    let { b, i } = this.find(s.points);
    if (b === this.blocks.length) i = this.blocks[--b]!.totals.length;
    const block = this.blocks[b]!;
    block.users++;
    if (block.totals[i] === s.points) {
      const level = block.levels[i]!;
      const at = lowerBound(level, s);
      if (at === level.length) level.push(s);
      else level.splice(at, 0, s);
      return;
    }
    block.totals.splice(i, 0, s.points);
    block.levels.splice(i, 0, [s]);
    this.distinct++;
    if (block.totals.length > BLOCK_MAX) {
      const half = block.totals.length >>> 1;
      this.blocks.splice(b, 1, blockOf(block.totals.slice(0, half), block.levels.slice(0, half)), blockOf(block.totals.slice(half), block.levels.slice(half)));
    }
  }

  private remove(s: Standing): void {
    const { b, i } = this.find(s.points);
    const block = this.blocks[b]!;
    const level = block.levels[i]!;
    level.splice(lowerBound(level, s), 1);
    block.users--;
    if (level.length) return;
    block.totals.splice(i, 1);
    block.levels.splice(i, 1);
    this.distinct--;
    if (block.totals.length >= BLOCK_MIN) return;
    if (block.totals.length === 0) {
      this.blocks.splice(b, 1);
      return;
    }
    // Into the smaller neighbour: then no two small blocks stay side by side, and the blocks stay few.
    const prev = this.blocks[b - 1];
    const next = this.blocks[b + 1];
    const n = next && (!prev || next.totals.length < prev.totals.length) ? b + 1 : b - 1;
    const neighbour = this.blocks[n];
    if (!neighbour || neighbour.totals.length + block.totals.length > BLOCK_MAX) return;
    const [first, second] = n > b ? [block, neighbour] : [neighbour, block];
    this.blocks.splice(Math.min(b, n), 2, { totals: first.totals.concat(second.totals), levels: first.levels.concat(second.levels), users: first.users + second.users });
  }

  /**
   * Where `points` is (or would go) in the distinct totals: block `b`, index `i` there. Past the
   * lowest total, `b` is the number of blocks.
   */
  private find(points: number): { b: number; i: number } {
    const blocks = this.blocks;
    let lo = 0;
    let hi = blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const totals = blocks[mid]!.totals;
      if (totals[totals.length - 1]! > points) lo = mid + 1;
      else hi = mid;
    }
    if (lo === blocks.length) return { b: lo, i: 0 };
    const totals = blocks[lo]!.totals;
    let i = 0;
    let j = totals.length;
    while (i < j) {
      const mid = (i + j) >>> 1;
      if (totals[mid]! > points) i = mid + 1;
      else j = mid;
    }
    return { b: lo, i };
  }

  /** Where a standing on the board is: its block and level, its index there, and its 1-based rank. */
  private place(s: Standing): { b: number; i: number; at: number; rank: number } {
    const { b, i } = this.find(s.points);
    let above = 0;
    for (let k = 0; k < b; k++) above += this.blocks[k]!.users;
    const levels = this.blocks[b]!.levels;
    for (let k = 0; k < i; k++) above += levels[k]!.length;
    const at = lowerBound(levels[i]!, s);
    return { b, i, at, rank: above + at + 1 };
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
    let b = 0;
    for (; b < this.blocks.length && skip >= this.blocks[b]!.users; b++) skip -= this.blocks[b]!.users;
    for (; b < this.blocks.length && out.length < count; b++) {
      for (const level of this.blocks[b]!.levels) {
        if (skip >= level.length) {
          skip -= level.length;
          continue;
        }
        for (let k = skip; k < level.length && out.length < count; k++) out.push(level[k]!);
        skip = 0;
        if (out.length >= count) break;
      }
    }
    return out;
  }

  /** The user with up to `side` neighbours on each side, with their ranks. */
  around(userId: number, side: number): (Standing & { rank: number })[] {
    const me = this.byUser.get(userId);
    if (!me) return [];
    const { b, i, at, rank } = this.place(me);
    const blocks = this.blocks;
    const above: Standing[] = [];
    for (let bb = b, ii = i, k = at - 1; above.length < side; ) {
      const level = blocks[bb]!.levels[ii]!;
      for (; k >= 0 && above.length < side; k--) above.push(level[k]!);
      if (ii > 0) ii--;
      else if (bb > 0) ii = blocks[--bb]!.levels.length - 1;
      else break;
      k = blocks[bb]!.levels[ii]!.length - 1;
    }
    const below: Standing[] = [];
    for (let bb = b, ii = i, k = at + 1; below.length < side; ) {
      const level = blocks[bb]!.levels[ii]!;
      for (; k < level.length && below.length < side; k++) below.push(level[k]!);
      if (ii + 1 < blocks[bb]!.levels.length) ii++;
      else if (bb + 1 < blocks.length) {
        bb++;
        ii = 0;
      } else break;
      k = 0;
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
 * are dropped once the boards in memory have a footprint over `maxUnits` together (units of about
 * 100 bytes: standings, distinct totals, and a few per board), so memory stays bounded however
 * many servers, channels and periods there are, and however small their boards.
 */
export class BoardIndex {
  private boards = new Map<string, BoardStandings>();
  /** The footprint of the boards held, moved by the boards themselves as awards change them. */
  private readonly meter: Meter = { units: 0 };

  constructor(
    private readonly load: (scope: string, period: string) => Iterable<Standing>,
    private readonly maxUnits = 1_000_000,
  ) {}

  private static key(scope: string, period: string): string {
    return `${scope}\u0000${period}`;
  }

  /** The board, loaded when not in memory; it becomes the most recently read. */
  board(scope: string, period: string): BoardStandings {
    const key = BoardIndex.key(scope, period);
    let board = this.boards.get(key);
    if (board) this.boards.delete(key);
    else {
      board = BoardStandings.of(this.load(scope, period));
      board[meter] = this.meter;
      this.meter.units += board.footprint;
    }
    this.boards.set(key, board);
    this.trim(board);
    return board;
  }

  /** Drops the least recently read boards while over the limit, never the one being read. */
  private trim(keep: BoardStandings): void {
    for (const [key, b] of this.boards) {
      if (this.meter.units <= this.maxUnits) break;
      if (b === keep) continue;
      this.drop(key, b);
    }
  }

  private drop(key: string, board: BoardStandings): void {
    this.boards.delete(key);
    board[meter] = undefined;
    this.meter.units -= board.footprint;
  }

  /** A board in memory, if it is: awards move only those. */
  loaded(scope: string, period: string): BoardStandings | undefined {
    return this.boards.get(BoardIndex.key(scope, period));
  }

  clear(): void {
    for (const [key, b] of this.boards) this.drop(key, b);
  }
}
