import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { holderPath, lockPath, readLock } from '../src/ops/lock.js';
import { backupDatabase } from '../src/ops/backup.js';
import { restoreDatabase } from '../src/ops/restore.js';
import { actor, as, buttons, makeApp } from './helpers/app.js';
import { runCli } from './helpers/cli.js';
import { BotChild, writeBurstContent } from './helpers/ops.js';
import { tempDir } from './helpers/tmp.js';

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function answerCount(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) n FROM session_answers').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** A database with two answers, a backup of it, then two more answers in the database (in process). */
async function databaseAheadOfItsBackup(): Promise<{ env: Record<string, string>; db: string; backup: string; dir: string }> {
  const content = join(tempDir(), 'content');
  writeBurstContent(content, 10);
  const settings = { CONTENT_DIR: content, NEW_CARDS_PER_DAY: '10', QUIZ_MAX_CARDS: '10' };
  const { app, dbPath } = makeApp(settings, '2026-11-20T09:00:00Z');
  const you = as(app, actor('you'));
  let reply = await you.command('quiz');
  const answer = async () => {
    const feedback = await you.action(buttons(reply).find((b) => b.actionId.startsWith('qa:'))!.actionId);
    reply = await you.action(buttons(feedback).find((b) => b.actionId.startsWith('qn:'))!.actionId);
  };
  await answer();
  await answer();
  const dir = dirname(dbPath);
  const backup = join(dir, 'backup.sqlite');
  await backupDatabase(app.services.db.$client, backup);
  await answer();
  await answer();
  app.close();
  return { env: { ...settings, DATABASE_PATH: dbPath, QUIZBOT_CLOCK: '2026-11-20T09:05:00Z' }, db: dbPath, backup, dir };
}

/** A process that stays alive until killed. */
function liveProcess(): { pid: number; stop: () => void } {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  return { pid: child.pid!, stop: () => child.kill('SIGKILL') };
}

/** A lock file as older versions wrote it: a PID record, held only while that process lives. */
function writeLock(db: string, pid: number, host = hostname()): void {
  writeFileSync(lockPath(db), JSON.stringify({ pid, host, since: '2026-11-20T08:00:00.000Z', purpose: 'bot' }));
}

describe('quizbot restore <file>', () => {
  it('restores a good backup, keeping the replaced database beside it', async () => {
    const { env, db, backup, dir } = await databaseAheadOfItsBackup();
    expect(answerCount(db)).toBe(4);
    const r = await runCli(['restore', backup], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Restored .*bot\.sqlite from .*backup\.sqlite; integrity check ok\. The replaced database is kept at .*bot\.sqlite\.before-restore-\d{8}T\d{6}Z\.\n$/);
    expect(answerCount(db)).toBe(2);
    const kept = readdirSync(dir).find((f) => f.startsWith('bot.sqlite.before-restore-'))!;
    expect(answerCount(join(dir, kept))).toBe(4);
    expect(readLock(db)).toBeUndefined();
    expect(existsSync(holderPath(db))).toBe(false);
    // The bot starts on the restored database and carries on from there.
    const chat = await runCli(['chat'], { env, input: '/quiz\n' });
    expect(chat.code, chat.stderr).toBe(0);
    expect(chat.stdout).toMatch(/question 3 of 10\nPicking up where you left off\./);
  });

  it("honours an older version's lock file while its process lives, and takes it over once it is gone", async () => {
    const { env, db, backup } = await databaseAheadOfItsBackup();
    const before = sha(db);
    const live = liveProcess();
    try {
      writeLock(db, live.pid);
      const r = await runCli(['restore', backup], { env });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `Refusing to restore: the bot (pid ${live.pid}, since 2026-11-20T08:00:00.000Z) is using ${db}. ` +
          `Stop it first (e.g. systemctl stop quizbot, or docker compose stop quizbot); if it is not running, delete ${db}.lock.\n`,
      );
      expect(sha(db)).toBe(before);
      expect(existsSync(lockPath(db))).toBe(true); // not ours to remove
    } finally {
      live.stop();
    }
    // The same lock once its process is gone (a crash): stale, so the restore goes ahead.
    await new Promise((r) => setTimeout(r, 100));
    const restored = await restoreDatabase(backup, db);
    expect(restored.previous).toMatch(/bot\.sqlite\.before-restore-/);
    expect(answerCount(db)).toBe(2);
    expect(readLock(db)).toBeUndefined();
    expect(existsSync(holderPath(db))).toBe(false);
  });

  it("refuses an older version's lock file from another host (a container sharing the volume)", async () => {
    const { db, backup } = await databaseAheadOfItsBackup();
    writeLock(db, 1, 'some-other-container');
    await expect(restoreDatabase(backup, db)).rejects.toThrow(/^Refusing to restore: the bot \(pid 1 on host some-other-container, since .*\) is using/);
    expect(answerCount(db)).toBe(4);
  });

  it('refuses while the bot really runs, and a second bot refuses to start on the same database', async () => {
    const { env, db, backup } = await databaseAheadOfItsBackup();
    const bot = new BotChild(env);
    bot.write('/help\n');
    await bot.waitFor((out) => out.includes('/quiz'), 'the help');
    const restore = await runCli(['restore', backup], { env });
    expect(restore.code).toBe(1);
    expect(restore.stderr).toMatch(
      new RegExp(`^Refusing to restore: the bot \\(pid ${bot.pid}, since .*\\) is using .*bot\\.sqlite\\. Stop it first \\(e\\.g\\. systemctl stop quizbot, or docker compose stop quizbot\\)\\.\\n$`),
    );
    const second = await runCli(['chat'], { env, input: '/help\n' });
    expect(second.code).toBe(1);
    // The OS drops the lock when its process dies: no advice to delete anything.
    expect(second.stderr).toMatch(new RegExp(`^The database .*bot\\.sqlite is in use by the bot \\(pid ${bot.pid}, since .*\\)\\.\\n$`));
    expect(await bot.end()).toBe(0);
    expect(answerCount(db)).toBe(4);
  });

  it('checks the backup first: a corrupt file or a stranger leaves the database unchanged', async () => {
    const { env, db, backup, dir } = await databaseAheadOfItsBackup();
    const before = sha(db);

    // Garbage over the pages of a table inside an otherwise valid file.
    const corrupt = join(dir, 'corrupt.sqlite');
    copyFileSync(backup, corrupt);
    const fd = openSync(corrupt, 'r+');
    const size = readFileSync(corrupt).length;
    for (let offset = 8192; offset < size - 4096; offset += 16384) writeSync(fd, Buffer.alloc(1024, 0xa5), 0, 1024, offset);
    closeSync(fd);
    const bad = await runCli(['restore', corrupt], { env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(new RegExp(`^Refusing to restore ${corrupt.replace(/[.]/g, '\\.')}: it failed the integrity check \\(.+\\)\\. The database was not changed\\.\\n$`));

    const text = join(dir, 'notes.sqlite');
    writeFileSync(text, 'this is not a database at all, just some words to fill a page'.repeat(100));
    await expect(restoreDatabase(text, db)).rejects.toThrow(`Refusing to restore ${text}: it failed the integrity check (not a SQLite database). The database was not changed.`);

    const other = join(dir, 'other.sqlite');
    const o = new Database(other);
    o.exec('CREATE TABLE notes (text TEXT)');
    o.close();
    await expect(restoreDatabase(other, db)).rejects.toThrow(
      `Refusing to restore ${other}: it is not a quizbot database (no questions, cards, session_answers table). The database was not changed.`,
    );
    await expect(restoreDatabase(join(dir, 'nope.sqlite'), db)).rejects.toThrow(`No backup file at ${join(dir, 'nope.sqlite')}.`);
    await expect(restoreDatabase(db, db)).rejects.toThrow('The backup file is the database itself.');

    expect(sha(db)).toBe(before);
    expect(answerCount(db)).toBe(4);
    expect(readdirSync(dir).filter((f) => f.includes('before-restore') || f.includes('.restoring'))).toEqual([]);
    expect(readLock(db)).toBeUndefined();
    expect(existsSync(holderPath(db))).toBe(false);
  });
});
