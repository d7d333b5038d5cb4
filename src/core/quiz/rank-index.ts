/**
 * How many users of a board have more points than a given score, in O(log n): a Fenwick tree
 * over point values, one per (scope, period) board, built from the scores table on first use and
 * kept current by the awards. The table stays the source of truth; an index is dropped whenever
 * a write it saw may have been rolled back, and rebuilt on the next read.
 */
class PointCounts {
  private tree: number[];

  constructor(size: number) {
    this.tree = new Array<number>(size + 1).fill(0);
  }

  private grow(points: number): void {
    if (points + 1 < this.tree.length) return;
    const counts: number[] = [];
    for (let p = 0; p < this.tree.length - 1; p++) counts.push(this.countAt(p));
    this.tree = new Array<number>(Math.max(points + 2, this.tree.length * 2)).fill(0);
    counts.forEach((n, p) => n && this.add(p, n));
  }

  add(points: number, delta: number): void {
    this.grow(points);
    for (let i = points + 1; i < this.tree.length; i += i & -i) this.tree[i]! += delta;
  }

  /** Users with at most `points` points. */
  private upTo(points: number): number {
    let sum = 0;
    for (let i = Math.min(points + 1, this.tree.length - 1); i > 0; i -= i & -i) sum += this.tree[i]!;
    return sum;
  }

  private countAt(points: number): number {
    return this.upTo(points) - (points > 0 ? this.upTo(points - 1) : 0);
  }

  above(points: number): number {
    return this.upTo(this.tree.length - 2) - this.upTo(points);
  }
}

export class RankIndex {
  private boards = new Map<string, PointCounts>();

  constructor(private load: (scope: string, period: string) => { points: number; n: number }[]) {}

  /** Users on the board with more points than `points`. */
  countAbove(scope: string, period: string, points: number): number {
    const key = `${scope}\u0000${period}`;
    let board = this.boards.get(key);
    if (!board) {
      const rows = this.load(scope, period);
      board = new PointCounts(Math.max(64, ...rows.map((r) => r.points + 1)));
      for (const r of rows) if (r.points >= 0) board.add(r.points, r.n);
      this.boards.set(key, board);
    }
    return board.above(points);
  }

  /** A user's total on a board moved from `before` (undefined: not on it yet) to `after`. */
  moved(scope: string, period: string, before: number | undefined, after: number): void {
    const board = this.boards.get(`${scope}\u0000${period}`);
    if (!board) return;
    if (before !== undefined && before >= 0) board.add(before, -1);
    if (after >= 0) board.add(after, 1);
  }

  clear(): void {
    this.boards.clear();
  }
}
