import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCommit } from '../src/db/group-commit.js';

let db: Database.Database;
let rollbacks: number;
let group: GroupCommit;

beforeEach(() => {
  db = new Database(':memory:');
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)');
  rollbacks = 0;
  group = new GroupCommit(db, () => rollbacks++);
});
afterEach(() => db.close());

const insert = (k: string, v: number) => () => db.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run(k, v).changes;
const rows = () => db.prepare('SELECT k, v FROM t ORDER BY k').all();

describe('group commit', () => {
  it('runs the writes queued in one turn in one transaction and settles them after the commit', async () => {
    let visibleInside: unknown[] = [];
    const pending = [group.run(insert('a', 1)), group.run(insert('b', 2)), group.run(() => (visibleInside = rows()).length)];
    // Nothing runs before the turn ends, and nothing settles before the commit.
    expect(rows()).toEqual([]);
    expect(await Promise.all(pending)).toEqual([1, 1, 2]);
    expect(visibleInside).toEqual([{ k: 'a', v: 1 }, { k: 'b', v: 2 }]);
    expect(db.inTransaction).toBe(false);
    expect(rows()).toEqual([{ k: 'a', v: 1 }, { k: 'b', v: 2 }]);
    expect(rollbacks).toBe(0);
  });

  it('rolls back only the write that failed; the others in its group still commit', async () => {
    const settled = await Promise.allSettled([
      group.run(insert('a', 1)),
      group.run(() => {
        insert('b', 2)();
        throw new Error('boom after a write');
      }),
      group.run(insert('c', 3)),
      group.run(insert('a', 9)), // primary key conflict: fails inside SQLite
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
    expect((settled[1] as PromiseRejectedResult).reason.message).toBe('boom after a write');
    expect(rows()).toEqual([{ k: 'a', v: 1 }, { k: 'c', v: 3 }]);
    expect(rollbacks).toBeGreaterThan(0);
  });

  it('leaves derived caches alone when a write is refused before it changed anything', async () => {
    const settled = await Promise.allSettled([
      group.run(() => {
        throw new Error('refused');
      }),
    ]);
    expect(settled[0]!.status).toBe('rejected');
    expect(rollbacks).toBe(0);
    expect(await group.run(insert('a', 1))).toBe(1);
  });

  it('rejects the whole group and keeps nothing when the commit itself fails', async () => {
    db.exec('CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)');
    db.pragma('foreign_keys = ON');
    const settled = await Promise.allSettled([group.run(insert('a', 1)), group.run(() => db.prepare('INSERT INTO child (p) VALUES (42)').run().changes)]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect(rows()).toEqual([]);
    expect(db.inTransaction).toBe(false);
    expect(rollbacks).toBe(1);
  });
});
