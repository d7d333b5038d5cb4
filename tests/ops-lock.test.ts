import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { acquireLock, holderPath, lockPath, readLock } from '../src/ops/lock.js';
import { runCli, repoRoot } from './helpers/cli.js';
import { BotChild } from './helpers/ops.js';
import { tempDir } from './helpers/tmp.js';

/**
 * The committed content of a database, read through a read-only connection: every table's schema
 * and rows (in a stable order). The running bot's checkpointer may move pages between the -wal and
 * the main file, so the bytes of the files are not compared.
 */
function committedContent(file: string): string {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const hash = createHash('sha256');
    hash.update(`user_version ${db.pragma('user_version', { simple: true })}\n`);
    const tables = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string; sql: string }[];
    for (const t of tables) {
      const rows = (db.prepare(`SELECT * FROM "${t.name}"`).all() as unknown[]).map((r) => JSON.stringify(r)).sort();
      hash.update(`${t.sql}\n${rows.join('\n')}\n`);
    }
    return hash.digest('hex');
  } finally {
    db.close();
  }
}

function liveQuestions(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const columns = (db.prepare('PRAGMA table_info(questions)').all() as { name: string }[]).map((c) => c.name);
    const live = columns.includes('retired_at') ? ' WHERE retired_at IS NULL' : '';
    return (db.prepare(`SELECT count(*) n FROM questions${live}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('the database lock', () => {
  it('second start leaves the database byte-identical', async () => {
    const dir = tempDir();
    const content = join(dir, 'content');
    const fewer = join(dir, 'fewer');
    cpSync(join(repoRoot, 'content'), content, { recursive: true });
    cpSync(join(repoRoot, 'content'), fewer, { recursive: true });
    rmSync(join(fewer, 'banks', 'moe-tradeoffs.yaml'));
    const env = { DATABASE_PATH: join(dir, 'bot.sqlite'), CONTENT_DIR: content, QUIZBOT_CLOCK: '2026-11-20T09:00:00Z' };

    const bot = new BotChild(env, ['start']);
    try {
      bot.write('/help\n');
      await bot.waitFor((out) => out.includes('/quiz'), 'the help');
      const before = committedContent(env.DATABASE_PATH);
      const questions = liveQuestions(env.DATABASE_PATH);

      const second = await runCli(['start'], { env: { ...env, CONTENT_DIR: fewer }, input: '/help\n' });
      expect(second.code).not.toBe(0);
      expect(liveQuestions(env.DATABASE_PATH)).toBe(questions);
      expect(committedContent(env.DATABASE_PATH)).toBe(before);
      expect(second.stderr).toMatch(new RegExp(`^The database .*bot\\.sqlite is in use by the bot \\(pid ${bot.pid}, since .*\\)\\.\\n$`));
      expect(second.stdout).toBe('');
    } finally {
      expect(await bot.end()).toBe(0);
    }
  });

  it.each([
    ['a holder killed while holding it', 'killed'],
    ["an older version's lock file naming a dead process", 'legacy'],
  ] as const)('two concurrent starters: exactly one holds the lock at a time, after a stale lock left by %s', async (_, stale) => {
    const dir = tempDir();
    const db = join(dir, 'bot.sqlite');
    const log = join(dir, 'holders.log');
    const worker = writeWorker(dir);

    if (stale === 'killed') {
      const first = await runWorker(worker, [db, '', '0']);
      expect(first.signal, first.stderr).toBe('SIGKILL');
      expect(readLock(db)).toBeUndefined();
    } else {
      const gone = await runWorker(worker, []);
      writeFileSync(lockPath(db), JSON.stringify({ pid: gone.pid, host: hostname(), since: '2026-11-20T08:00:00.000Z', purpose: 'bot' }));
    }

    const starters = await Promise.all(Array.from({ length: 8 }, () => runWorker(worker, [db, log, '40'])));
    // Every starter got the lock in the end: no crashed holder blocked the next one.
    for (const s of starters) expect(s.signal, s.stderr).toBe('SIGKILL');
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    // Appends land in order: with one holder at a time, every begin is followed by its own end.
    expect(lines).toHaveLength(2 * starters.length);
    for (let i = 0; i < lines.length; i += 2) {
      const pid = lines[i]!.split(' ')[1];
      expect(lines.slice(i, i + 2), lines.join('\n')).toEqual([`begin ${pid}`, `end ${pid}`]);
    }
    expect(new Set(lines.map((l) => l.split(' ')[1])).size).toBe(starters.length);
    expect(readLock(db)).toBeUndefined();
  });

  it('describes its holder to others, keeps holding after a refused second try in the same process, and leaves no description behind', async () => {
    const dir = tempDir();
    const db = join(dir, 'data', 'bot.sqlite'); // the directory is created
    const worker = writeWorker(dir);
    const lock = acquireLock(db, 'a restore', { foreignHost: 'alive' });
    try {
      expect(readLock(db)).toEqual({ pid: process.pid, host: hostname(), since: expect.any(String), purpose: 'a restore' });
      // SQLite keeps a process's connections to one file from both taking it, and closing the
      // refused one does not drop the lock the other holds.
      expect(() => acquireLock(db, 'bot', { foreignHost: 'stale' })).toThrow(
        new RegExp(`^The database .*bot\\.sqlite is in use by a restore \\(pid ${process.pid}, since .*\\)\\.$`),
      );
      const other = await runWorker(worker, [db, '', '0', 'once']);
      expect(other.code).toBe(3);
      expect(other.stderr).toMatch(new RegExp(`is in use by a restore \\(pid ${process.pid}, since `));
    } finally {
      lock.release();
    }
    lock.release(); // twice is harmless
    expect(readLock(db)).toBeUndefined();
    expect(existsSync(holderPath(db))).toBe(false);
    // The lock file stays, empty: deleting it could let two processes lock two different files.
    expect(readFileSync(lockPath(db)).length).toBe(0);
    const next = await runWorker(worker, [db, '', '0']);
    expect(next.signal, next.stderr).toBe('SIGKILL');
  });
});

/**
 * A starter: takes the lock (retrying while someone else holds it, unless `once`), marks begin
 * and end around a short hold, then dies by SIGKILL while still holding it.
 */
function writeWorker(dir: string): string {
  const worker = join(dir, 'worker.mjs');
  const lockModule = pathToFileURL(join(repoRoot, 'dist', 'src', 'ops', 'lock.js')).href;
  writeFileSync(
    worker,
    `import { appendFileSync } from 'node:fs';
import { acquireLock } from ${JSON.stringify(lockModule)};
const [db, log, holdMs, once] = process.argv.slice(2);
if (!db) process.exit(0);
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const deadline = Date.now() + 20000;
for (;;) {
  try {
    acquireLock(db, 'bot', { foreignHost: 'stale' });
  } catch (err) {
    if (err.name !== 'LockError' || once || Date.now() > deadline) { console.error(err.message); process.exit(3); }
    sleep(1);
    continue;
  }
  if (log) appendFileSync(log, 'begin ' + process.pid + '\\n');
  sleep(Number(holdMs));
  if (log) appendFileSync(log, 'end ' + process.pid + '\\n');
  process.kill(process.pid, 'SIGKILL');
}
`,
  );
  return worker;
}

function runWorker(worker: string, args: string[]): Promise<{ pid: number; code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(process.execPath, [worker, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ pid: child.pid!, code, signal, stderr })));
}
