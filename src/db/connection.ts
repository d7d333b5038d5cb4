import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { migrationsFolder } from '../paths.js';
import * as schema from './schema.js';

/** How long a write waits for another connection's lock before failing with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 1000;

/** How much of the database file is read through a memory map (address space, not memory). */
const MMAP_BYTES = 1 << 30;

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

export class DatabaseOpenError extends Error {
  override name = 'DatabaseOpenError';
}

/** Why a database file (or the lock file beside it) cannot be opened, in words for the operator. */
export function describeOpenError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS' || e.code === 'SQLITE_CANTOPEN' || e.code?.startsWith('SQLITE_READONLY')) {
    return 'permission denied or not writable';
  }
  if (e.code === 'ENOTDIR' || e.code === 'EEXIST') return 'a part of the path is a file, not a directory';
  if (e.code === 'ENOENT') return 'the directory cannot be created there';
  if (e.code === 'SQLITE_NOTADB') return 'the file is not a SQLite database';
  return e.message;
}

/**
 * Creates missing directories one level at a time (Node's recursive mkdir can spin forever on
 * pseudo file systems such as /proc).
 */
export function makeDirectories(dir: string): void {
  if (existsSync(dir)) {
    if (statSync(dir).isDirectory()) return;
    throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR' });
  }
  const parent = dirname(dir);
  if (parent !== dir) makeDirectories(parent);
  mkdirSync(dir);
}

/**
 * Opens (creating when missing) the database with the pragmas the bot relies on, and applies
 * pending migrations. `:memory:` is accepted for tests.
 */
export function openDatabase(path: string, options: { migrate?: boolean } = {}): Db {
  const inMemory = path === ':memory:';
  const file = inMemory ? path : resolve(path);
  let sqlite: Database.Database;
  try {
    if (!inMemory) makeDirectories(dirname(file));
    sqlite = new Database(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    // Statement and savepoint journals in memory: every multi-row write and grouped answer opens
    // one, and a temporary file for each costs more than the write itself.
    sqlite.pragma('temp_store = MEMORY');
    // After a burst the log file is cut back to 64 MB once it starts over, not kept at its peak.
    sqlite.pragma('journal_size_limit = 67108864');
    // Pages are read through a memory map, not one read call each: an answer's index lookups
    // land on pages spread over the whole file, and each read call costs about as much as the
    // lookup itself (measured: about 15% of an answer's time at 1,000,000 cards).
    sqlite.pragma(`mmap_size = ${MMAP_BYTES}`);
    // A lock wait blocks the whole process, so it must end well inside the platforms' 3-second
    // acknowledgement deadline: a user then gets a clear error instead of silence.
    sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Probe writability now, so a read-only location fails at start-up, not at the first answer.
    sqlite.exec('BEGIN IMMEDIATE; COMMIT;');
  } catch (err) {
    throw new DatabaseOpenError(`Cannot open the database at DATABASE_PATH=${path}: ${describeOpenError(err)}.`);
  }
  const db = drizzle(sqlite, { schema }) as Db;
  if (options.migrate !== false) {
    try {
      migrate(db, { migrationsFolder });
    } catch (err) {
      sqlite.close();
      throw new DatabaseOpenError(`Cannot migrate the database at ${path}: ${(err as Error).message}`);
    }
  }
  return db;
}
