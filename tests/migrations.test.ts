import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/connection.js';
import { migrationsFolder } from '../src/paths.js';
import { tempDir } from './helpers/tmp.js';

/** A database as an earlier release left it: only the migrations up to `lastTag` applied. */
function databaseAt(lastTag: string): string {
  const dir = tempDir();
  const folder = join(dir, 'migrations');
  cpSync(migrationsFolder, folder, { recursive: true });
  const journalPath = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
  const keep = journal.entries.findIndex((e) => e.tag === lastTag) + 1;
  expect(keep).toBeGreaterThan(0);
  for (const e of journal.entries.slice(keep)) rmSync(join(folder, `${e.tag}.sql`));
  writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, keep) }));
  const file = join(dir, 'bot.sqlite');
  const sqlite = new Database(file);
  migrate(drizzle(sqlite), { migrationsFolder: folder });
  sqlite.close();
  return file;
}

describe('upgrading a database', () => {
  it('keeps every leaderboard total when scores move to user-first order', () => {
    const file = databaseAt('0001_meta');
    const old = new Database(file);
    const insert = old.prepare('INSERT INTO scores (scope, period, user_id, points, reached_at) VALUES (?, ?, ?, ?, ?)');
    const rows: unknown[][] = [];
    for (let user = 1; user <= 30; user++) {
      for (const scope of ['discord:g1', 'discord:g1#c1', 'slack:T1']) {
        for (const period of ['all', 's1', 'w2026-W47', 'm2026-11']) rows.push([scope, period, user, (user * 37) % 200, 1_000 + user]);
      }
    }
    old.transaction(() => rows.forEach((r) => insert.run(...r)))();
    const before = old.prepare('SELECT * FROM scores ORDER BY scope, period, user_id').all();
    old.close();

    const db = openDatabase(file).$client;
    expect(db.prepare('SELECT * FROM scores ORDER BY scope, period, user_id').all()).toEqual(before);
    const key = (db.prepare("SELECT name, pk FROM pragma_table_info('scores') WHERE pk > 0 ORDER BY pk").all() as { name: string }[]).map((c) => c.name);
    expect(key).toEqual(['user_id', 'scope', 'period']);
    const indexes = (db.prepare("SELECT name FROM pragma_index_list('scores') WHERE origin = 'c'").all() as { name: string }[]).map((i) => i.name);
    expect(indexes).toEqual(['scores_board']);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });
});
