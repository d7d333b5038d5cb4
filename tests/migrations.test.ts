import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/connection.js';
import { migrationsFolder } from '../src/paths.js';
import { loadContent } from '../src/core/content/load.js';
import { syncContent } from '../src/core/content/sync.js';
import { canonicalJson, sha256 } from '../src/core/util/hash.js';
import { writeDemoContent } from './helpers/content.js';
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

  it('keeps every question id and card when ids become scoped to their bank, and fills prompt keys on the next sync', () => {
    const file = databaseAt('0004_tenants');
    const dir = tempDir();
    writeDemoContent(dir);
    const content = loadContent(dir);
    const old = new Database(file);
    // The content and an imported bank as the previous release stored them.
    old.prepare("INSERT INTO banks (id, title, origin, content_hash, updated_at) VALUES ('demo', 'Demo bank', 'content', 'h', 0), ('team', 'Team', 'import', 'h', 0)").run();
    const insert = old.prepare('INSERT INTO questions (id, bank_id, position, type, body, lesson_id, section_title, content_hash, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)');
    content.banks[0]!.bank.questions.forEach((q, i) => {
      const body = canonicalJson(q);
      insert.run(q.id, 'demo', i, q.type, body, q.source?.lesson ?? null, q.source?.section ?? null, sha256(body));
    });
    const team = { id: 'q1', type: 'short', prompt: 'What picks the EXPERTS?', answer: 'router', explanation: 'The router.', tags: [] };
    insert.run('q1', 'team', 0, 'short', canonicalJson(team), null, null, sha256(canonicalJson(team)));
    old.prepare("INSERT INTO users (platform, external_id, display_name) VALUES ('terminal', 'alice', 'alice')").run();
    const card = old.prepare('INSERT INTO cards (user_id, question_id, due, stability, difficulty, elapsed_days, scheduled_days, learning_steps, reps, lapses, state) VALUES (1, ?, 5, 1, 1, 0, 1, 0, 1, 0, 2)');
    for (const id of ['demo-router', 'q1']) card.run(id);
    old.prepare("INSERT INTO meta (key, value) VALUES ('content_fingerprint', 'abc')").run();
    const cardsBefore = old.prepare('SELECT * FROM cards ORDER BY question_id').all();
    old.close();

    const db = openDatabase(file);
    const sqlite = db.$client;
    const questions = () => sqlite.prepare('SELECT id, bank_id bankId, local_id localId, prompt_key promptKey FROM questions ORDER BY bank_id, position').all();
    expect(questions()).toEqual([
      { id: 'demo-router', bankId: 'demo', localId: 'demo-router', promptKey: null },
      { id: 'demo-few', bankId: 'demo', localId: 'demo-few', promptKey: null },
      { id: 'demo-term', bankId: 'demo', localId: 'demo-term', promptKey: null },
      { id: 'q1', bankId: 'team', localId: 'q1', promptKey: null },
    ]);
    // The next start syncs the content again, which fills every prompt key.
    expect(sqlite.prepare("SELECT count(*) n FROM meta WHERE key = 'content_fingerprint'").get()).toEqual({ n: 0 });
    expect(syncContent(db, content, 1000).questions).toEqual({ added: 0, changed: 0, retired: 0, unchanged: 3 });
    expect(questions()).toEqual([
      { id: 'demo-router', bankId: 'demo', localId: 'demo-router', promptKey: 'what does the router do' },
      { id: 'demo-few', bankId: 'demo', localId: 'demo-few', promptKey: 'each token goes to every expert' },
      { id: 'demo-term', bankId: 'demo', localId: 'demo-term', promptKey: 'which component picks the experts' },
      { id: 'q1', bankId: 'team', localId: 'q1', promptKey: 'what picks the experts' },
    ]);
    expect(sqlite.prepare('SELECT * FROM cards ORDER BY question_id').all()).toEqual(cardsBefore);
    expect(sqlite.prepare("SELECT name FROM pragma_index_list('questions') WHERE name = 'questions_bank_local'").get()).toEqual({ name: 'questions_bank_local' });
    expect(db.$client.pragma('integrity_check', { simple: true })).toBe('ok');
    sqlite.close();
  });
});
