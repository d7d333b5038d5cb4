import { existsSync } from 'node:fs';
import type Database from 'better-sqlite3';

export type PlatformState = 'connected' | 'connecting' | 'disconnected';

/** One gateway shard: its id, discord.js's status for it ('ready', 'connecting', 'resuming', …), heartbeat round trip, guilds. */
export interface ShardStatus {
  id: number;
  status: string;
  ping_ms: number | null;
  guilds: number;
}

export interface HealthSources {
  /** The bot's database connection. */
  db: Database.Database;
  /** Each configured platform's connection state. */
  platforms: () => Record<string, PlatformState>;
  /** Each sharded platform's shards (Discord over the gateway). */
  shards?: () => Record<string, ShardStatus[]>;
  /** True once shutdown began: load balancers and supervisors should stop sending work. */
  stopping?: () => boolean;
  /** When the bot started (epoch ms). */
  startedAt: number;
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'stopping';
  /** 'writable', or what is wrong. */
  database: string;
  platforms: Record<string, PlatformState>;
  /** Per platform that shards: every shard's state. */
  shards?: Record<string, ShardStatus[]>;
  uptime_s: number;
}

/** How long the probe waits for another writer before it calls the database locked. */
const PROBE_BUSY_MS = 250;

/**
 * Proves the database takes writes now: a real committed write (the header's user_version,
 * rewritten with its own value), with a short busy wait so a health check never stalls the bot.
 */
export function databaseWritable(db: Database.Database): string {
  if (!db.open) return 'closed';
  if (db.readonly) return 'read-only connection';
  if (!db.memory && !existsSync(db.name)) return 'database file is missing';
  // A transaction of the bot is open (never across an await in practice): it is writing now.
  if (db.inTransaction) return 'writable';
  const busy = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma(`busy_timeout = ${PROBE_BUSY_MS}`);
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    db.exec(`BEGIN IMMEDIATE; PRAGMA user_version = ${version}; COMMIT;`);
    return 'writable';
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    const e = err as { code?: string; message?: string };
    if (e.code === 'SQLITE_BUSY') return 'locked by another process';
    if (e.code?.startsWith('SQLITE_READONLY')) return 'not writable (read-only file or file system)';
    if (e.code === 'SQLITE_FULL') return 'disk full';
    return `not writable (${e.code ?? e.message ?? 'unknown error'})`;
  } finally {
    if (db.open) db.pragma(`busy_timeout = ${busy}`);
  }
}

/** The bot is healthy when its database takes writes and every configured platform is connected. */
export function checkHealth(sources: HealthSources): HealthReport {
  const database = databaseWritable(sources.db);
  const platforms = sources.platforms();
  const platformsUp = Object.values(platforms).every((s) => s === 'connected');
  const status = sources.stopping?.() ? 'stopping' : database === 'writable' && platformsUp ? 'ok' : 'degraded';
  const shards = sources.shards?.() ?? {};
  return { status, database, platforms, ...(Object.keys(shards).length ? { shards } : {}), uptime_s: Math.round((Date.now() - sources.startedAt) / 1000) };
}
