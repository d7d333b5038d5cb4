import { existsSync, readFileSync, renameSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
// The lock is taken before the database is opened, in a directory that may not exist yet.
import { describeOpenError, makeDirectories } from '../db/connection.js';

/**
 * The running bot (or a restore) holds `<database>.lock` so that a second bot or a restore never
 * touches the database under it. The lock is SQLite's own lock on that file, an empty SQLite
 * database: a RESERVED lock taken with BEGIN IMMEDIATE and kept, never committed, for as long as
 * the holder runs. It is an fcntl lock, so the OS drops it when the process dies: a crash or a
 * kill -9 never leaves a stale lock, and two starters can never both take it.
 *
 * Who holds it is written to `<database>.lock-holder` by the holder, after it took the lock, and
 * only describes it for messages: the SQLite lock alone decides.
 */

export class LockError extends Error {
  override name = 'LockError';
  /** The lock is an older version's lock file (a PID record, not an OS lock): deleting it frees it. */
  readonly legacy: boolean;
  /** Why the lock file cannot be created or opened there (the database's location is the problem). */
  readonly cannotOpen?: string;

  constructor(
    message: string,
    /** The live process that holds the lock, when that is the problem. */
    readonly holder?: LockHolder,
    details: { legacy?: boolean; cannotOpen?: string } = {},
  ) {
    super(message);
    this.legacy = details.legacy ?? false;
    this.cannotOpen = details.cannotOpen;
  }
}

export interface LockHolder {
  /** 0 when the holder did not describe itself (see describeHolder). */
  pid: number;
  host: string;
  since: string;
  /** What holds it: the bot, or a restore in progress. */
  purpose: string;
}

export interface DatabaseLock {
  path: string;
  release(): void;
}

export function lockPath(databasePath: string): string {
  return `${resolve(databasePath)}.lock`;
}

/** The holder's description of itself, beside the lock. */
export function holderPath(databasePath: string): string {
  return `${lockPath(databasePath)}-holder`;
}

/** How long a starter that finds the lock taken by an undescribed holder keeps trying. */
const DESCRIBE_WAIT_MS = 500;
const POLL_MS = 10;

/**
 * Open lock connections. A connection that is garbage-collected closes, and its lock goes with
 * it: these references keep every held lock alive until it is released.
 */
const held = new Set<Database.Database>();

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string') {
      return { pid: parsed.pid, host: parsed.host, since: String(parsed.since ?? ''), purpose: String(parsed.purpose ?? 'bot') };
    }
  } catch {
    // Unreadable (a crash mid-write): it describes nothing.
  }
  return undefined;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Whether the holder is another live process. On another host (a container that shared the
 * volume) liveness cannot be checked: `foreignHost` decides what to assume.
 */
export function holderAlive(holder: LockHolder, foreignHost: 'alive' | 'stale'): boolean {
  if (holder.host !== hostname()) return foreignHost === 'alive';
  if (holder.pid === process.pid) return false; // our own, or left by an earlier run with the same PID (PID 1 in a container)
  return pidAlive(holder.pid);
}

export function describeHolder(holder: LockHolder): string {
  if (!holder.pid) return holder.purpose;
  const where = holder.host === hostname() ? `pid ${holder.pid}` : `pid ${holder.pid} on host ${holder.host}`;
  return `${holder.purpose === 'bot' ? 'the bot' : holder.purpose} (${where}, since ${holder.since})`;
}

/** Who holds the lock when the holder wrote no description (yet, or it could not). */
const UNDESCRIBED: LockHolder = { pid: 0, host: '', since: '', purpose: 'another process' };

/**
 * The holder's description, when it names a process that may be alive. A crashed holder's
 * description stays behind until the next holder replaces it.
 */
function describedHolder(databasePath: string): LockHolder | undefined {
  const holder = parseHolder(readText(holderPath(databasePath)) ?? '');
  return holder && (holder.host !== hostname() || pidAlive(holder.pid)) ? holder : undefined;
}

function cannotOpen(path: string, err: unknown): LockError {
  const reason = describeOpenError(err);
  return new LockError(`Cannot open the lock file ${path}: ${reason}.`, undefined, { cannotOpen: reason });
}

type Attempt = { outcome: 'taken'; db: Database.Database } | { outcome: 'busy' } | { outcome: 'not-sqlite' };

/** One try at the SQLite lock, without waiting: SQLITE_BUSY means another live process holds it. */
function tryLock(path: string, create: boolean): Attempt | undefined {
  let db: Database.Database;
  try {
    if (!create && !existsSync(path)) return undefined;
    db = new Database(path, { fileMustExist: !create });
  } catch (err) {
    if (!create) return undefined;
    throw cannotOpen(path, err);
  }
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('journal_mode = DELETE');
    db.exec('BEGIN IMMEDIATE');
    return { outcome: 'taken', db };
  } catch (err) {
    db.close();
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_BUSY') return { outcome: 'busy' };
    if (code === 'SQLITE_NOTADB') return { outcome: 'not-sqlite' };
    throw cannotOpen(path, err);
  }
}

/**
 * Empties an older version's lock file (JSON text) in place. It is never deleted or replaced: two
 * starters that both found it would otherwise lock two different files. Emptying an empty SQLite
 * lock file, should another starter have got there first, changes nothing, and a lock is held on
 * the file, not on its content.
 */
function emptyLegacyLock(path: string, text: string): void {
  if (readText(path) !== text) return;
  try {
    truncateSync(path, 0);
  } catch (err) {
    throw cannotOpen(path, err);
  }
}

/** Writes the holder's description where others read it: whole, by rename, so never half-written. */
function describeSelf(databasePath: string, mine: LockHolder): void {
  const file = holderPath(databasePath);
  try {
    writeFileSync(`${file}.tmp`, JSON.stringify(mine) + '\n');
    renameSync(`${file}.tmp`, file);
  } catch {
    // The lock holds without it; others then name "another process".
  }
}

/**
 * Takes the lock. When another live process holds it, throws a LockError naming it (its own
 * description). A lock file of an older version is honoured while its process lives (on another
 * host, `foreignHost` decides), and taken over once it is gone.
 */
export function acquireLock(databasePath: string, purpose: string, options: { foreignHost: 'alive' | 'stale' }): DatabaseLock {
  const database = resolve(databasePath);
  const path = lockPath(database);
  try {
    makeDirectories(dirname(path));
  } catch (err) {
    throw cannotOpen(path, err);
  }
  const deadline = Date.now() + DESCRIBE_WAIT_MS;
  for (;;) {
    const attempt = tryLock(path, true)!;
    if (attempt.outcome === 'taken') return hold(database, attempt.db, purpose);
    if (attempt.outcome === 'not-sqlite') {
      // Read with fs only now: closing any descriptor of a file drops every fcntl lock the process
      // holds on it, and no SQLite lock can be held on a file that is not a database.
      const text = readText(path) ?? '';
      const legacy = parseHolder(text);
      if (legacy && holderAlive(legacy, options.foreignHost)) {
        throw new LockError(`The database ${database} is in use by ${describeHolder(legacy)}. If that process is not running, delete ${path}.`, legacy, { legacy: true });
      }
      emptyLegacyLock(path, text);
    } else {
      const holder = describedHolder(database);
      if (holder) throw new LockError(`The database ${database} is in use by ${describeHolder(holder)}.`, holder);
    }
    // Taken by a holder that has not described itself yet (or cannot), or for an instant by
    // readLock: try again, for a while.
    if (Date.now() >= deadline) throw new LockError(`The database ${database} is in use by ${describeHolder(UNDESCRIBED)}.`, UNDESCRIBED);
    sleep(POLL_MS);
  }
}

function hold(database: string, db: Database.Database, purpose: string): DatabaseLock {
  held.add(db);
  const mine: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), purpose };
  describeSelf(database, mine);
  return {
    path: lockPath(database),
    release: () => {
      if (!db.open) return;
      // Still holding the lock, so no other process writes the description meanwhile.
      const described = parseHolder(readText(holderPath(database)) ?? '');
      if (described && described.pid === mine.pid && described.host === mine.host && described.since === mine.since) {
        try {
          unlinkSync(holderPath(database));
        } catch {
          // Already gone.
        }
      }
      // Closing rolls the open transaction back and drops the lock. The lock file stays: deleting
      // it would let a starter that already opened it lock a file no one else sees.
      db.close();
      held.delete(db);
    },
  };
}

/**
 * The process that holds the lock now, as it described itself, or undefined when none does. It
 * asks SQLite, which takes the lock for an instant when it is free; a starter that meets that
 * instant tries again.
 */
export function readLock(databasePath: string): LockHolder | undefined {
  const database = resolve(databasePath);
  const path = lockPath(database);
  const deadline = Date.now() + DESCRIBE_WAIT_MS;
  for (;;) {
    let attempt: Attempt | undefined;
    try {
      attempt = tryLock(path, false);
    } catch {
      return undefined;
    }
    if (!attempt) return undefined;
    if (attempt.outcome === 'taken') {
      attempt.db.close();
      return undefined;
    }
    if (attempt.outcome === 'not-sqlite') {
      const legacy = parseHolder(readText(path) ?? '');
      return legacy && holderAlive(legacy, 'alive') ? legacy : undefined;
    }
    const holder = describedHolder(database);
    if (holder) return holder;
    if (Date.now() >= deadline) return UNDESCRIBED;
    sleep(POLL_MS);
  }
}
