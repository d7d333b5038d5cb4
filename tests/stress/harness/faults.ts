import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';

/**
 * Ways to break the bot's storage from outside, as an operator's machine would:
 * - a full disk: the database lives on a small tmpfs, and a filler file takes the rest;
 * - a read-only database: `chattr +i` on the files (root ignores file modes, not the immutable
 *   flag, which refuses writes even through descriptors the bot already holds);
 * - a locked database: another connection holds BEGIN EXCLUSIVE.
 * Before a write fault the write-ahead log is checkpointed and truncated from outside, so the
 * bot's next write must grow a file, and really hits the fault.
 */

/** Mounts a tmpfs of `size` (e.g. '16m') on `dir`; false when mounting is not allowed here. */
export function mountTmpfs(dir: string, size: string): boolean {
  mkdirSync(dir, { recursive: true });
  return spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]).status === 0;
}

export function unmount(dir: string): void {
  spawnSync('umount', ['-l', dir]);
}

/** Empties the write-ahead log into the database file and truncates it. */
export function truncateWal(dbPath: string): void {
  const db = new Database(dbPath);
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

/** Writes a filler file until the file system is full; returns the bytes written. */
export function fillDisk(path: string): number {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    // Whatever is left smaller than a chunk goes too.
    try {
      for (;;) written += writeSync(fd, Buffer.alloc(512, 1));
    } catch {
      /* full */
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

export function freeDisk(path: string): void {
  rmSync(path, { force: true });
}

/** Sets or clears the immutable flag on the database and its side files. */
export function setImmutable(dbPath: string, on: boolean): void {
  for (const f of [dbPath, `${dbPath}-wal`]) execFileSync('chattr', [on ? '+i' : '-i', f]);
}

/** Holds BEGIN EXCLUSIVE on another connection until release() is called. */
export function lockDatabase(dbPath: string): { release(): void } {
  const db = new Database(dbPath);
  db.pragma('busy_timeout = 5000');
  db.exec('BEGIN EXCLUSIVE');
  return {
    release() {
      db.exec('COMMIT');
      db.close();
    },
  };
}
