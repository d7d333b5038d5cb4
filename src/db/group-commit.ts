import type Database from 'better-sqlite3';

interface Pending {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: writes queued in the same turn of the event loop run in one transaction, and their
 * promises settle only after the commit. A reply is sent after its write is durable, while
 * concurrent answers share the cost of a commit instead of paying one each.
 *
 * The group first runs as it is. Should one write throw, the whole group is rolled back and run
 * again with each write in its own savepoint, so the failing one rolls back alone; savepoints cost
 * more than the failures they would save, so only the rare failing group pays for them.
 *
 * The rule for work given to run(): it may run twice, and its first run may be undone. So it has
 * no effect outside the transaction (no post, no timer, no message) and returns what the caller
 * acts on after the commit; and whatever it caches from the rows it writes (a new user's id, a
 * session, a board, a season) is dropped by `onRollback`, since a rolled-back row's id is handed
 * out again to the next insert.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly begin;
  private readonly commit;
  private readonly rollback;
  private readonly savepoint;
  private readonly release;
  private readonly rollbackTo;
  private readonly changes;

  constructor(
    private readonly db: Database.Database,
    /** Called when a queued write that changed rows was rolled back (caches derived from writes must reset). */
    private readonly onRollback: () => void = () => {},
  ) {
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT grouped');
    this.release = db.prepare('RELEASE grouped');
    this.rollbackTo = db.prepare('ROLLBACK TO grouped');
    this.changes = db.prepare<[], number>('SELECT total_changes()').pluck();
  }

  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue.splice(0);
    if (batch.length === 0) return;
    let results: Result[];
    try {
      results = this.inTransaction(() => this.runAll(batch));
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    batch.forEach((p, i) => {
      const r = results[i]!;
      if (r.ok) p.resolve(r.value);
      else p.reject(r.error);
    });
  }

  /** Runs `body` in a transaction and commits it; on any failure nothing of it stays. */
  private inTransaction<T>(body: () => T): T {
    this.begin.run();
    try {
      const value = body();
      this.commit.run();
      return value;
    } catch (error) {
      if (this.db.inTransaction) this.rollback.run();
      this.onRollback();
      throw error;
    }
  }

  private runAll(batch: Pending[]): Result[] {
    const before = this.changes.get();
    try {
      return batch.map((p) => ({ ok: true, value: p.work() }));
    } catch {
      // Undo the whole group, then isolate the failure.
      this.rollback.run();
      if (this.changes.get() !== before) this.onRollback();
      this.begin.run();
      return batch.map((p) => this.runIsolated(p));
    }
  }

  private runIsolated(p: Pending): Result {
    this.savepoint.run();
    const before = this.changes.get();
    try {
      const value = p.work();
      this.release.run();
      return { ok: true, value };
    } catch (error) {
      this.rollbackTo.run();
      this.release.run();
      // A refused request (a UserError before any write) leaves derived caches valid.
      if (this.changes.get() !== before) this.onRollback();
      return { ok: false, error };
    }
  }
}

type Result = { ok: true; value: unknown } | { ok: false; error: unknown };
