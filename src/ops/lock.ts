import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';

/**
 * The running bot holds `<database>.lock` (its PID and host) so that a restore never replaces the
 * database under it. A lock whose process is gone (a crash, a kill -9) is stale and ignored.
 */

export class LockError extends Error {
  override name = 'LockError';
  constructor(
    message: string,
    /** The live process that holds the lock, when that is the problem. */
    readonly holder?: LockHolder,
  ) {
    super(message);
  }
}

export interface LockHolder {
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

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readLock(databasePath: string): LockHolder | undefined {
  let text: string;
  try {
    text = readFileSync(lockPath(databasePath), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string') {
      return { pid: parsed.pid, host: parsed.host, since: String(parsed.since ?? ''), purpose: String(parsed.purpose ?? 'bot') };
    }
  } catch {
    // An unreadable lock (a crash mid-write) holds nothing.
  }
  return undefined;
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
  const where = holder.host === hostname() ? `pid ${holder.pid}` : `pid ${holder.pid} on host ${holder.host}`;
  return `${holder.purpose === 'bot' ? 'the bot' : holder.purpose} (${where}, since ${holder.since})`;
}

/**
 * Takes the lock, replacing a stale one. When another live process holds it, throws a LockError
 * naming it. The lock file is created exclusively, so two starters never both win.
 */
export function acquireLock(databasePath: string, purpose: string, options: { foreignHost: 'alive' | 'stale' }): DatabaseLock {
  const path = lockPath(databasePath);
  const mine: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), purpose };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(mine) + '\n', { flag: 'wx' });
      return { path, release: () => releaseLock(databasePath, mine) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new LockError(`Cannot create the lock file ${path}: ${(err as Error).message}`);
      }
    }
    const holder = readLock(databasePath);
    if (holder && holderAlive(holder, options.foreignHost)) {
      throw new LockError(`The database ${resolve(databasePath)} is in use by ${describeHolder(holder)}. If that process is not running, delete ${path}.`, holder);
    }
    try {
      unlinkSync(path); // stale: its process is gone
    } catch {
      // Another starter removed it first; try again.
    }
  }
  throw new LockError(`Cannot take the lock ${path}: another process keeps taking it.`);
}

/** Removes the lock if it is still ours. */
function releaseLock(databasePath: string, mine: LockHolder): void {
  const holder = readLock(databasePath);
  if (holder && holder.pid === mine.pid && holder.host === mine.host && holder.since === mine.since) {
    try {
      unlinkSync(lockPath(databasePath));
    } catch {
      // Already gone.
    }
  }
}
