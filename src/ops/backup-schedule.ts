import type Database from 'better-sqlite3';
import cron from 'node-cron';
import { ConfigError, type Config } from '../config.js';
import { telemetry } from '../core/telemetry.js';
import type { Logger } from '../logger.js';
import { backupToDirectory, type BackupResult } from './backup.js';

export interface BackupSchedule {
  /** Takes one backup now (also what each cron tick runs); skipped while one is running. */
  runNow(at?: Date): Promise<(BackupResult & { removed: string[] }) | undefined>;
  /** Takes the backup the schedule has at this minute, if any (a simulated clock moving over it). */
  runDue(at: Date): Promise<unknown>;
  stop(): void;
}

/** BACKUP_DIR and BACKUP_CRON go together; the expression must be valid cron. */
export function backupSettings(config: Pick<Config, 'BACKUP_DIR' | 'BACKUP_CRON' | 'BACKUP_KEEP'>): { dir: string; cron: string; keep: number } | undefined {
  const { BACKUP_DIR: dir, BACKUP_CRON: expression, BACKUP_KEEP: keep } = config;
  if (!dir && !expression) return undefined;
  if (!dir) throw new ConfigError('BACKUP_CRON is set but BACKUP_DIR is not: set the directory for scheduled backups. See .env.example.');
  if (!expression) throw new ConfigError('BACKUP_DIR is set but BACKUP_CRON is not: set when to back up, e.g. BACKUP_CRON="0 3 * * *" (daily at 03:00). See .env.example.');
  if (!cron.validate(expression)) {
    throw new ConfigError(`Invalid BACKUP_CRON (got "${expression}"): use a cron expression such as "0 3 * * *" (minute hour day month weekday). See .env.example.`);
  }
  return { dir, cron: expression, keep };
}

/**
 * Scheduled online backups into `dir`, keeping the newest `keep`. A failed backup is logged and
 * counted (quizbot_backups_total{outcome="failed"}); the bot keeps running.
 */
export function scheduleBackups(db: Database.Database, settings: { dir: string; cron: string; keep: number; timezone?: string }, logger: Logger): BackupSchedule {
  let running = false;
  const runNow = async (at = new Date()) => {
    if (running || !db.open) return undefined;
    running = true;
    try {
      const result = await backupToDirectory(db, settings.dir, settings.keep, at);
      telemetry.backup(true);
      logger.info({ file: result.file, bytes: result.bytes, removed: result.removed.length }, 'backup taken');
      return result;
    } catch (err) {
      telemetry.backup(false);
      logger.error({ err, dir: settings.dir }, 'scheduled backup failed');
      return undefined;
    } finally {
      running = false;
    }
  };
  const task = cron.schedule(settings.cron, () => runNow(), { name: 'backup', timezone: settings.timezone, noOverlap: true });
  logger.info({ dir: settings.dir, cron: settings.cron, keep: settings.keep }, 'scheduled backups on');
  return {
    runNow,
    runDue: async (at) => (task.match(at) ? runNow(at) : undefined),
    stop: () => void task.stop(),
  };
}
