import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';

export class BackupError extends Error {
  override name = 'BackupError';
}

export interface BackupResult {
  file: string;
  bytes: number;
}

/** What `PRAGMA integrity_check` says about a file: 'ok', or its first problems. */
export function integrityCheck(file: string): string {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    const problems = rows.map((r) => r.integrity_check);
    return problems.length === 1 && problems[0] === 'ok' ? 'ok' : problems.slice(0, 3).join('; ');
  } catch (err) {
    const e = err as { code?: string; message: string };
    if (e.code === 'SQLITE_NOTADB') return 'not a SQLite database';
    if (e.code === 'SQLITE_CORRUPT') return `corrupt (${e.message})`;
    return e.message;
  } finally {
    db?.close();
  }
}

/** Removes a file and the -wal/-shm files SQLite may keep beside it. */
export function removeDatabaseFiles(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) rmSync(f, { force: true });
}

/**
 * An online backup with SQLite's backup API: consistent even while the bot (this connection or
 * another process) keeps writing. The copy is written beside the target, made a standalone file
 * (rollback journal, no -wal), checked with integrity_check, and only then renamed into place,
 * so a failed or interrupted backup never leaves a half-written file under the target's name.
 */
export async function backupDatabase(db: Database.Database, file: string): Promise<BackupResult> {
  const target = resolve(file);
  if (!db.memory && target === resolve(db.name)) throw new BackupError('The backup file cannot be the database itself.');
  if (existsSync(target) && statSync(target).isDirectory()) throw new BackupError(`${target} is a directory; name a file.`);
  try {
    mkdirSync(dirname(target), { recursive: true });
  } catch (err) {
    throw new BackupError(`Cannot create the directory for ${target}: ${(err as Error).message}`);
  }
  const partial = `${target}.partial`;
  removeDatabaseFiles(partial);
  try {
    // Large steps: another process's write restarts the copy, so fewer steps finish sooner.
    await db.backup(partial, { progress: () => PAGES_PER_STEP });
    const copy = new Database(partial, { fileMustExist: true });
    try {
      copy.pragma('journal_mode = DELETE');
    } finally {
      copy.close();
    }
    const check = integrityCheck(partial);
    if (check !== 'ok') throw new BackupError(`The backup failed its integrity check: ${check}`);
    renameSync(partial, target);
  } catch (err) {
    removeDatabaseFiles(partial);
    if (err instanceof BackupError) throw err;
    throw new BackupError(`Backup to ${target} failed: ${(err as Error).message}`);
  }
  return { file: target, bytes: statSync(target).size };
}

/** Pages copied between yields to the event loop (about 4 MB with 4 KB pages). */
const PAGES_PER_STEP = 1000;

const BACKUP_NAME = /^quizbot-\d{8}T\d{6}Z\.sqlite$/;

/** quizbot-20261120T090000Z.sqlite: sorts by time, safe on every file system. */
export function backupFileName(at: Date): string {
  return `quizbot-${at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z')}.sqlite`;
}

/** Keeps the newest `keep` scheduled backups in `dir`; other files there are never touched. */
export function pruneBackups(dir: string, keep: number): string[] {
  const ours = readdirSync(dir).filter((n) => BACKUP_NAME.test(n)).sort();
  const removed = ours.slice(0, Math.max(0, ours.length - keep));
  for (const name of removed) rmSync(join(dir, name), { force: true });
  return removed;
}

/** One scheduled backup: a timestamped file in `dir`, then retention. */
export async function backupToDirectory(db: Database.Database, dir: string, keep: number, at = new Date()): Promise<BackupResult & { removed: string[] }> {
  const result = await backupDatabase(db, join(resolve(dir), backupFileName(at)));
  return { ...result, removed: pruneBackups(dir, keep) };
}
