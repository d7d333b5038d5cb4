import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Config } from '../config.js';
import { backupDatabase, BackupError } from './backup.js';
import { restoreDatabase } from './restore.js';

function size(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/** `quizbot backup <file>`: opens the database beside the running bot (WAL allows it) and backs it up. */
export async function backupCommand(config: Config, file: string): Promise<string> {
  const path = config.DATABASE_PATH;
  if (path === ':memory:') throw new BackupError('DATABASE_PATH is :memory:; there is nothing to back up.');
  if (!existsSync(path)) throw new BackupError(`No database at DATABASE_PATH=${path}.`);
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
  } catch (err) {
    throw new BackupError(`Cannot open the database at DATABASE_PATH=${path}: ${(err as Error).message}.`);
  }
  try {
    const result = await backupDatabase(db, file);
    return `Backed up ${resolve(path)} to ${result.file} (${size(result.bytes)}); integrity check ok.`;
  } finally {
    db.close();
  }
}

/** `quizbot restore <file>`: refuses while the bot runs; checks the backup before replacing. */
export async function restoreCommand(config: Config, file: string): Promise<string> {
  if (config.DATABASE_PATH === ':memory:') throw new BackupError('DATABASE_PATH is :memory:; there is nothing to restore into.');
  const result = await restoreDatabase(file, config.DATABASE_PATH);
  const kept = result.previous ? ` The replaced database is kept at ${result.previous}.` : '';
  return `Restored ${result.database} from ${resolve(file)}; integrity check ok.${kept}`;
}
