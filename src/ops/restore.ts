import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { BackupError, integrityCheck, removeDatabaseFiles } from './backup.js';
import { acquireLock, describeHolder, lockPath, LockError, type DatabaseLock } from './lock.js';

export interface RestoreResult {
  database: string;
  /** Where the database that was replaced now lies (undefined when there was none). */
  previous?: string;
}

/** The tables every quizbot database has: a file without them is some other database. */
const REQUIRED_TABLES = ['questions', 'cards', 'session_answers'];

function checkBackup(file: string): void {
  if (!existsSync(file)) throw new BackupError(`No backup file at ${file}.`);
  if (!statSync(file).isFile()) throw new BackupError(`${file} is not a file.`);
  const check = integrityCheck(file);
  if (check !== 'ok') throw new BackupError(`Refusing to restore ${file}: it failed the integrity check (${check}). The database was not changed.`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    const missing = REQUIRED_TABLES.filter((t) => !tables.has(t));
    if (missing.length) throw new BackupError(`Refusing to restore ${file}: it is not a quizbot database (no ${missing.join(', ')} table). The database was not changed.`);
  } finally {
    db.close();
  }
}

function stamp(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Replaces the database with a backup. Refuses while the bot (or another restore) holds the
 * database's lock, and checks the backup (integrity_check, quizbot tables) before touching
 * anything. The backup is copied with SQLite's backup API beside the database and renamed into
 * place; the replaced database (with its -wal) is kept as `<database>.before-restore-<time>`.
 */
export async function restoreDatabase(backupFile: string, databasePath: string, at = new Date()): Promise<RestoreResult> {
  const source = resolve(backupFile);
  const database = resolve(databasePath);
  if (source === database) throw new BackupError('The backup file is the database itself.');
  let lock: DatabaseLock;
  try {
    lock = acquireLock(database, 'a restore', { foreignHost: 'alive' });
  } catch (err) {
    if (err instanceof LockError && err.holder) {
      // Only an older version's lock file outlives its process; the OS drops the lock itself.
      const stale = err.legacy ? `; if it is not running, delete ${lockPath(database)}` : '';
      throw new LockError(
        `Refusing to restore: ${describeHolder(err.holder)} is using ${database}. Stop it first (e.g. systemctl stop quizbot, or docker compose stop quizbot)${stale}.`,
        err.holder,
        { legacy: err.legacy },
      );
    }
    throw err;
  }
  try {
    checkBackup(source);
    const incoming = `${database}.restoring`;
    removeDatabaseFiles(incoming);
    const from = new Database(source, { readonly: true, fileMustExist: true });
    try {
      await from.backup(incoming);
    } finally {
      from.close();
    }
    const check = integrityCheck(incoming);
    if (check !== 'ok') {
      removeDatabaseFiles(incoming);
      throw new BackupError(`The copy of ${source} failed the integrity check (${check}). The database was not changed.`);
    }
    let previous: string | undefined;
    if (existsSync(database)) {
      previous = `${database}.before-restore-${stamp(at)}`;
      renameSync(database, previous);
      // Its -wal goes with it (SQLite finds it by name); the -shm is rebuilt from the files.
      if (existsSync(`${database}-wal`)) renameSync(`${database}-wal`, `${previous}-wal`);
    }
    for (const sidecar of ['-wal', '-shm', '-journal']) rmSync(`${database}${sidecar}`, { force: true });
    renameSync(incoming, database);
    return { database, previous };
  } finally {
    lock.release();
  }
}
