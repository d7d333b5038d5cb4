import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { App } from '../src/app.js';
import { FALLBACK_AUTOCHECKPOINT_PAGES, startCheckpointer } from '../src/db/checkpointer.js';
import { makeApp } from './helpers/app.js';

let app: App | undefined;
afterEach(() => app?.close());

describe('the background checkpointer', () => {
  it('folds committed writes into the database file once the bot runs, so commits never have to', async () => {
    const made = makeApp();
    app = made.app;
    const db = app.services.db.$client;
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000); // SQLite's own, until the bot runs
    app.startBackground();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(FALLBACK_AUTOCHECKPOINT_PAGES);
    // The database file holds every page once the log is folded in: wait for that after start-up,
    // then write ~2 MB (500 pages, well under the main connection's own threshold, so only the
    // background thread can move them) and wait for it again.
    const fileSize = () => statSync(made.dbPath).size;
    const pagesSize = () => (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
    const foldedIn = () => expect(fileSize()).toBe(pagesSize());
    await vi.waitFor(foldedIn, { timeout: 5000, interval: 20 });
    const before = fileSize();
    const insert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    db.transaction(() => {
      for (let i = 0; i < 500; i++) insert.run(`filler-${i}`, 'x'.repeat(4000));
    })();
    await vi.waitFor(foldedIn, { timeout: 5000, interval: 20 });
    expect(fileSize()).toBeGreaterThanOrEqual(before + 2_000_000);
  });

  it('stops with the app, and every committed write is there when the database is reopened', () => {
    const made = makeApp();
    made.app.startBackground();
    made.app.services.db.$client.prepare("INSERT INTO meta (key, value) VALUES ('k', 'v')").run();
    made.app.close();
    const reopened = new Database(made.dbPath, { readonly: true });
    expect(reopened.prepare("SELECT value FROM meta WHERE key = 'k'").get()).toEqual({ value: 'v' });
    reopened.close();
  });

  it('reports what went wrong when it cannot checkpoint', async () => {
    const errors: { message: string }[] = [];
    const checkpointer = startCheckpointer('/nonexistent/quizbot.sqlite', (e) => errors.push(e));
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0), { timeout: 5000, interval: 20 });
    expect(errors[0]!.message).toMatch(/directory does not exist|unable to open/);
    checkpointer.stop();
  });
});
