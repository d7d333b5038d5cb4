import type Database from 'better-sqlite3';

interface Pending {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: writes queued in the same turn of the event loop run in one transaction, each in
 * its own savepoint (one failing write rolls back alone), and their promises settle only after
 * the commit. A reply is sent after its write is durable, while concurrent answers share the
 * cost of a commit instead of paying one each.
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
    /** Called when any queued write was rolled back (caches derived from writes must reset). */
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
    const results: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.begin.run();
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    for (const p of batch) {
      this.savepoint.run();
      const before = this.changes.get();
      try {
        results.push({ ok: true, value: p.work() });
        this.release.run();
      } catch (error) {
        this.rollbackTo.run();
        this.release.run();
        // A refused request (a UserError before any write) leaves derived caches valid.
        if (this.changes.get() !== before) this.onRollback();
        results.push({ ok: false, error });
      }
    }
    try {
      this.commit.run();
    } catch (error) {
      if (this.db.inTransaction) this.rollback.run();
      this.onRollback();
      for (const p of batch) p.reject(error);
      return;
    }
    batch.forEach((p, i) => {
      const r = results[i]!;
      if (r.ok) p.resolve(r.value);
      else p.reject(r.error);
    });
  }
}
