import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/connection.js';
import { questions } from '../src/db/schema.js';
import { loadContent } from '../src/core/content/load.js';
import { syncContent } from '../src/core/content/sync.js';
import { demoBank, writeDemoContent } from './helpers/content.js';
import { tempDir } from './helpers/tmp.js';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';

describe('content sync', () => {
  it('is idempotent, updates only edited questions and retires removed ones', () => {
    const dir = tempDir();
    writeDemoContent(dir);
    const db = openDatabase(join(dir, 'db.sqlite'));
    const first = syncContent(db, loadContent(dir), 1000);
    expect(first.questions).toEqual({ added: 3, changed: 0, retired: 0, unchanged: 0 });
    expect(first.lessons).toEqual({ added: 1, changed: 0, retired: 0, unchanged: 0 });

    const again = syncContent(db, loadContent(dir), 2000);
    expect(again.questions).toEqual({ added: 0, changed: 0, retired: 0, unchanged: 3 });
    expect(again.lessons.unchanged).toBe(1);
    const stamp = (id: string) => db.select().from(questions).where(eq(questions.id, id)).get()!.updatedAt;
    expect(stamp('demo-router')).toBe(1000);

    writeDemoContent(dir, { 'banks/demo.yaml': demoBank.replace('Each token is routed to a few experts.', 'Each token goes to only a few experts.') });
    const edited = syncContent(db, loadContent(dir), 3000);
    expect(edited.questions).toEqual({ added: 0, changed: 1, retired: 0, unchanged: 2 });
    expect(stamp('demo-few')).toBe(3000);
    expect(stamp('demo-router')).toBe(1000);

    const withoutTerm = demoBank.slice(0, demoBank.indexOf('  - id: demo-term'));
    writeDemoContent(dir, { 'banks/demo.yaml': withoutTerm });
    const removed = syncContent(db, loadContent(dir), 4000);
    expect(removed.questions.retired).toBe(1);
    expect(db.select().from(questions).where(eq(questions.id, 'demo-term')).get()!.retiredAt).toBe(4000);

    writeDemoContent(dir);
    expect(syncContent(db, loadContent(dir), 5000).questions.changed).toBe(1);
    expect(db.select().from(questions).where(eq(questions.id, 'demo-term')).get()!.retiredAt).toBeNull();
    db.$client.close();
  });

  it('opens the database with WAL, foreign keys and a busy timeout', () => {
    const dir = tempDir();
    const db = openDatabase(join(dir, 'nested', 'dir', 'db.sqlite'));
    expect(db.$client.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.$client.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.$client.pragma('busy_timeout', { simple: true })).toBe(1000);
    db.$client.close();
  });
});

describe('start-up content check', () => {
  it('skips re-validating unchanged content and syncs again after an edit', async () => {
    const dir = tempDir();
    writeDemoContent(dir);
    const config = loadConfig({ CONTENT_DIR: dir, DATABASE_PATH: join(dir, 'db.sqlite') }, '/nonexistent/.env');
    const start = () => {
      const app = createApp(config, createLogger('silent'));
      const result = { report: app.contentReport, lessons: app.services.lessons.all().map((l) => l.id) };
      app.close();
      return result;
    };
    expect(start().report?.questions.added).toBe(3);
    expect(start()).toEqual({ report: undefined, lessons: ['demo'] });
    writeDemoContent(dir, { 'banks/demo.yaml': demoBank.replace('Each token is routed to a few experts.', 'Only a few experts see each token.') });
    expect(start().report?.questions).toEqual({ added: 0, changed: 1, retired: 0, unchanged: 2 });
    // A broken edit is still refused with its line, even though a valid sync happened before.
    writeDemoContent(dir, { 'banks/demo.yaml': demoBank.replace('answer: Picks experts for each token', 'answer: nope') });
    expect(() => start()).toThrow(/demo\.yaml:9:13: question 1: answer "nope" is not one of the choices/);
  });
});

describe('content and imported banks', () => {
  it('lets content use an imported question\'s id: each bank keeps its own question', () => {
    const dir = tempDir();
    writeDemoContent(dir);
    const db = openDatabase(join(dir, 'db.sqlite'));
    db.$client.prepare("INSERT INTO banks (id, title, origin, content_hash, updated_at) VALUES ('team', 'Team bank', 'import', 'h', 0)").run();
    db.$client
      .prepare("INSERT INTO questions (id, bank_id, position, type, body, content_hash, updated_at) VALUES ('demo-few', 'team', 0, 'true_false', '{}', 'h', 0)")
      .run();
    expect(syncContent(db, loadContent(dir), 1000).questions).toEqual({ added: 3, changed: 0, retired: 0, unchanged: 0 });
    const rows = () => db.$client.prepare('SELECT id, bank_id bankId, local_id localId, retired_at retiredAt FROM questions ORDER BY bank_id, position').all();
    const expected = [
      { id: 'demo-router', bankId: 'demo', localId: 'demo-router', retiredAt: null },
      // The imported bank had the id first: the content question gets one derived from its bank.
      { id: 'demo.demo-few', bankId: 'demo', localId: 'demo-few', retiredAt: null },
      { id: 'demo-term', bankId: 'demo', localId: 'demo-term', retiredAt: null },
      { id: 'demo-few', bankId: 'team', localId: null, retiredAt: null },
    ];
    expect(rows()).toEqual(expected);
    // Matched by the id in the bank from then on: nothing changes on the next sync.
    expect(syncContent(db, loadContent(dir), 2000).questions).toEqual({ added: 0, changed: 0, retired: 0, unchanged: 3 });
    expect(rows()).toEqual(expected);
    db.$client.close();
  });

  it('refuses content that would take over an imported bank, naming the file', () => {
    const dir = tempDir();
    writeDemoContent(dir);
    const db = openDatabase(join(dir, 'db.sqlite'));
    db.$client.prepare("INSERT INTO banks (id, title, origin, content_hash, updated_at) VALUES ('demo', 'Team bank', 'import', 'h', 0)").run();
    expect(() => syncContent(db, loadContent(dir), 1000)).toThrow(/demo\.yaml:1: bank id "demo" is already used by an imported bank/);
    expect(db.$client.prepare('SELECT count(*) n FROM questions').get()).toEqual({ n: 0 });
    db.$client.close();
  });

  it('keeps a content question\'s row when it moves to another content file', () => {
    const dir = tempDir();
    writeDemoContent(dir);
    const db = openDatabase(join(dir, 'db.sqlite'));
    syncContent(db, loadContent(dir), 1000);
    const withoutTerm = demoBank.slice(0, demoBank.indexOf('  - id: demo-term'));
    const term = demoBank.slice(demoBank.indexOf('  - id: demo-term'));
    writeDemoContent(dir, { 'banks/demo.yaml': withoutTerm, 'banks/more.yaml': `id: more\ntitle: More\nquestions:\n${term}` });
    const moved = syncContent(db, loadContent(dir), 2000);
    expect(moved.questions.added).toBe(0);
    expect(db.$client.prepare("SELECT bank_id bankId, local_id localId, retired_at retiredAt FROM questions WHERE id = 'demo-term'").get()).toEqual({
      bankId: 'more',
      localId: 'demo-term',
      retiredAt: null,
    });
    db.$client.close();
  });
});
