import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { FALLBACK_AUTOCHECKPOINT_PAGES, startCheckpointer } from '../src/db/checkpointer.js';
import { makeApp } from './helpers/app.js';

let app: App | undefined;
afterEach(() => app?.close());

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return condition();
}

describe('the background checkpointer', () => {
  it('folds committed writes into the database file while the bot runs, so commits never have to', async () => {
    const made = makeApp();
    app = made.app;
    const db = app.services.db.$client;
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(FALLBACK_AUTOCHECKPOINT_PAGES);
    // Wait for the start-up sync to be folded in, then write ~2 MB: 500 pages, well under the
    // main connection's own threshold, so only the background thread can move them.
    const size = () => statSync(made.dbPath).size;
    let settled = size();
    await until(() => {
      const now = size();
      const same = now === settled;
      settled = now;
      return same;
    }, 2000);
    const insert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    db.transaction(() => {
      for (let i = 0; i < 500; i++) insert.run(`filler-${i}`, 'x'.repeat(4000));
    })();
    expect(await until(() => size() >= settled + 2_000_000, 5000)).toBe(true);
  });

  it('stops with the app, and every committed write is there when the database is reopened', () => {
    const made = makeApp();
    made.app.services.db.$client.prepare("INSERT INTO meta (key, value) VALUES ('k', 'v')").run();
    made.app.close();
    const reopened = new Database(made.dbPath, { readonly: true });
    expect(reopened.prepare("SELECT value FROM meta WHERE key = 'k'").get()).toEqual({ value: 'v' });
    reopened.close();
  });

  it('reports what went wrong when it cannot checkpoint', async () => {
    const errors: { message: string }[] = [];
    const checkpointer = startCheckpointer('/nonexistent/quizbot.sqlite', (e) => errors.push(e));
    expect(await until(() => errors.length > 0, 5000)).toBe(true);
    expect(errors[0]!.message).toMatch(/directory does not exist|unable to open/);
    checkpointer.stop();
  });
});
