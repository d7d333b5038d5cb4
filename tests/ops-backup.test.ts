import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { backupDatabase, backupFileName, BackupError, integrityCheck } from '../src/ops/backup.js';
import { backupSettings, scheduleBackups } from '../src/ops/backup-schedule.js';
import { actor, as, buttons, makeApp } from './helpers/app.js';
import { runCli } from './helpers/cli.js';
import { acknowledged, BotChild, burstEnv, writeBurstContent } from './helpers/ops.js';
import { tempDir } from './helpers/tmp.js';

function answersIn(file: string): number[] {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT position FROM session_answers ORDER BY position').all() as { position: number }[]).map((r) => r.position);
  } finally {
    db.close();
  }
}

describe('quizbot backup <file> while the bot writes (two child processes)', () => {
  it('passes integrity_check and holds every answer acknowledged before the backup started', async () => {
    const count = 200;
    const dir = tempDir();
    const env = burstEnv(dir, count);
    const bot = new BotChild(env);
    bot.write('/quiz\n');
    await bot.waitFor((out) => out.includes(`question 1 of ${count}`), 'the first question');

    // A writer that keeps answering, one question at a time, until told to stop.
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing && i < count - 1; i++) {
        bot.write('1\n1\n');
        await bot.waitFor((out) => acknowledged(out) > i, `answer ${i + 1}`);
      }
    })();
    await bot.waitFor((out) => acknowledged(out) >= 5, 'five answers');

    const before = acknowledged(bot.stdout);
    const file = join(dir, 'backups', 'manual.sqlite');
    const r = await runCli(['backup', file], { env: { DATABASE_PATH: env.DATABASE_PATH, CONTENT_DIR: env.CONTENT_DIR } });
    const after = acknowledged(bot.stdout);
    writing = false;
    await writer;
    expect(await bot.end()).toBe(0);

    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Backed up .*bot\.sqlite to .*manual\.sqlite \(\d+ KB\); integrity check ok\.\n$/);
    expect(after).toBeGreaterThan(before); // the bot kept writing while the backup ran
    expect(integrityCheck(file)).toBe('ok');
    expect(existsSync(`${file}-wal`)).toBe(false); // a standalone file
    const positions = answersIn(file);
    expect(positions.length).toBeGreaterThanOrEqual(before);
    expect(positions.length).toBeLessThanOrEqual(after);
    expect(positions).toEqual(positions.map((_, i) => i)); // a consistent prefix: 0, 1, 2, …
    expect(answersIn(env.DATABASE_PATH).length).toBe(acknowledged(bot.stdout));
  });

  it('fails clearly without a database or with a bad target', async () => {
    const dir = tempDir();
    const missing = await runCli(['backup', join(dir, 'b.sqlite')], { env: { DATABASE_PATH: join(dir, 'none.sqlite') } });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`No database at DATABASE_PATH=${join(dir, 'none.sqlite')}.\n`);
    const { app, dbPath } = makeApp();
    await expect(backupDatabase(app.services.db.$client, dbPath)).rejects.toThrow(new BackupError('The backup file cannot be the database itself.'));
    await expect(backupDatabase(app.services.db.$client, dir)).rejects.toThrow(/is a directory; name a file/);
    app.close();
  });
});

describe('online backup with writes interleaved in the same process', () => {
  it('copies a consistent database while answers keep arriving', async () => {
    const content = join(tempDir(), 'content');
    writeBurstContent(content, 20);
    const { app } = makeApp({ CONTENT_DIR: content, NEW_CARDS_PER_DAY: '20', QUIZ_MAX_CARDS: '20' });
    const alice = as(app, actor('alice'));
    let reply = await alice.command('quiz');
    let answered = 0;
    const answers = (async () => {
      for (let i = 0; i < 20; i++) {
        const feedback = await alice.action(buttons(reply).find((b) => b.actionId.startsWith('qa:'))!.actionId);
        expect(feedback.text).toMatch(/Your answer: /);
        answered++;
        const next = buttons(feedback).find((b) => b.actionId.startsWith('qn:'));
        if (!next) break;
        reply = await alice.action(next.actionId);
        await new Promise((r) => setImmediate(r));
      }
    })();
    const file = join(tempDir(), 'b.sqlite');
    const [result] = await Promise.all([backupDatabase(app.services.db.$client, file), answers]);
    expect(result.file).toBe(file);
    expect(result.bytes).toBeGreaterThan(0);
    expect(integrityCheck(file)).toBe('ok');
    const positions = answersIn(file);
    expect(positions).toEqual(positions.map((_, i) => i));
    expect(answered).toBe(20);
    app.close();
  });
});

describe('scheduled backups (BACKUP_DIR, BACKUP_CRON, BACKUP_KEEP)', () => {
  it('validates the settings with messages that name the variable', () => {
    expect(backupSettings({ BACKUP_KEEP: 14 })).toBeUndefined();
    expect(backupSettings({ BACKUP_DIR: '/b', BACKUP_CRON: '0 3 * * *', BACKUP_KEEP: 3 })).toEqual({ dir: '/b', cron: '0 3 * * *', keep: 3 });
    expect(() => backupSettings({ BACKUP_DIR: '/b', BACKUP_CRON: 'every night', BACKUP_KEEP: 3 })).toThrow(
      new ConfigError('Invalid BACKUP_CRON (got "every night"): use a cron expression such as "0 3 * * *" (minute hour day month weekday). See .env.example.'),
    );
    expect(() => backupSettings({ BACKUP_DIR: '/b', BACKUP_KEEP: 3 })).toThrow(/BACKUP_DIR is set but BACKUP_CRON is not/);
    expect(() => backupSettings({ BACKUP_CRON: '0 3 * * *', BACKUP_KEEP: 3 })).toThrow(/BACKUP_CRON is set but BACKUP_DIR is not/);
  });

  it('the bot refuses to start with an invalid BACKUP_CRON', async () => {
    const dir = tempDir();
    const r = await runCli(['chat'], { env: { DATABASE_PATH: join(dir, 'bot.sqlite'), BACKUP_DIR: join(dir, 'b'), BACKUP_CRON: '61 * * * *' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Invalid BACKUP_CRON \(got "61 \* \* \* \*"\)/);
  });

  it('names files by time, keeps the newest BACKUP_KEEP and never touches other files', async () => {
    const { app } = makeApp();
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'keep me');
    const schedule = scheduleBackups(app.services.db.$client, { dir, cron: '0 3 * * *', keep: 2 }, createLogger('silent'));
    try {
      for (const at of ['2026-11-20T03:00:00Z', '2026-11-21T03:00:00Z', '2026-11-22T03:00:00Z']) {
        const r = await schedule.runNow(new Date(at));
        expect(r?.file).toBe(join(dir, backupFileName(new Date(at))));
      }
    } finally {
      schedule.stop();
    }
    expect(readdirSync(dir).sort()).toEqual(['notes.txt', 'quizbot-20261121T030000Z.sqlite', 'quizbot-20261122T030000Z.sqlite']);
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.sqlite'))) expect(integrityCheck(join(dir, f))).toBe('ok');
    app.close();
  });

  it('runs on its cron expression', async () => {
    const { app } = makeApp();
    const dir = join(tempDir(), 'nested', 'backups');
    const schedule = scheduleBackups(app.services.db.$client, { dir, cron: '* * * * * *', keep: 5 }, createLogger('silent'));
    try {
      const deadline = Date.now() + 10_000;
      while (!(existsSync(dir) && readdirSync(dir).some((f) => /^quizbot-\d{8}T\d{6}Z\.sqlite$/.test(f))) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      schedule.stop();
    }
    const files = readdirSync(dir).filter((f) => f.endsWith('.sqlite'));
    expect(files.length).toBeGreaterThan(0);
    expect(integrityCheck(join(dir, files[0]!))).toBe('ok');
    app.close();
  });
});
