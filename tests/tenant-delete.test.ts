import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Actor } from '../src/core/interaction.js';
import { acquireLock } from '../src/ops/lock.js';
import { as, buttons, makeApp } from './helpers/app.js';
import { queryDb } from './helpers/bot-db.js';
import { repoRoot, runCli } from './helpers/cli.js';
import { answerShown } from './helpers/learner.js';

/**
 * `quizbot tenant delete`: a workspace's quiz data stays after it uninstalls the app, and goes
 * only when an operator deletes it, after seeing what would go; other workspaces keep everything.
 */

const slackUser = (id: string, isAdmin = false): Actor => ({ platform: 'slack', userId: id, displayName: id.toLowerCase(), isAdmin });

const BANK = ['id: team-bank', 'title: Team bank', 'questions:', '  - id: q1', '    type: true_false', '    prompt: "Experts are chosen per token."', '    answer: true', '    explanation: Yes.', ''].join('\n');

/** Every row of the given tables. */
const rowsOf = (dbPath: string, tables: string[]): Record<string, unknown[]> => Object.fromEntries(tables.map((t) => [t, queryDb(dbPath, `SELECT * FROM ${t} ORDER BY 1, 2`)]));

const TABLES = ['users', 'members', 'awards', 'scores', 'reviews', 'cards', 'quiz_sessions', 'session_answers', 'schedules', 'banks', 'questions', 'imports', 'tenant_banks', 'streaks', 'slack_installations'];

async function workspaceWithData() {
  const { app, dbPath } = makeApp({ NEW_CARDS_PER_DAY: '3', QUIZ_MAX_CARDS: '3', RATE_LIMIT_BURST: '1000' });
  const learn = async (user: Actor, team: string) => {
    const session = as(app, user, `C${team}`, team);
    let reply = await session.command('quiz');
    for (let i = 0; i < 3 && buttons(reply).length; i++) {
      const feedback = await answerShown(session, reply, true);
      const next = buttons(feedback).find((b) => b.label.startsWith('Next'));
      if (!next) break;
      reply = await session.action(next.actionId);
    }
  };
  await learn(slackUser('UALICE'), 'T1');
  await learn(slackUser('USAM'), 'T1');
  await learn(slackUser('USAM'), 'T2');
  await learn(slackUser('UBOB'), 'T2');
  const admin1 = as(app, slackUser('UADMIN1', true), 'CT1', 'T1');
  const preview = await admin1.command('quiz-admin import', { file: { name: 'team.yaml', load: async () => Buffer.from(BANK) } });
  await admin1.action(buttons(preview).find((b) => b.label === 'Apply import')!.actionId);
  await admin1.command('quiz-admin schedule', { time: '09:00', timezone: 'UTC' });
  await as(app, slackUser('UADMIN2', true), 'CT2', 'T2').command('quiz-admin schedule', { time: '10:00', timezone: 'UTC' });
  app.close();
  const db = new Database(dbPath);
  db.prepare("INSERT INTO slack_installations (server_id, team_id, org_install, sealed, installed_at, updated_at) VALUES ('T1', 'T1', 0, 'v1:x:y:z', 1, 1)").run();
  db.close();
  return dbPath;
}

describe('quizbot tenant delete', () => {
  it('shows what would go, then deletes one workspace and leaves the other whole', async () => {
    const dbPath = await workspaceWithData();
    const env = { DATABASE_PATH: dbPath, CONTENT_DIR: `${repoRoot}content` };
    const before = rowsOf(dbPath, TABLES);
    const count = (sql: string) => queryDb<{ n: number }>(dbPath, sql)[0]!.n;
    expect(count("SELECT count(*) n FROM awards WHERE server_key = 'slack:T1'")).toBeGreaterThan(0);

    // The installation is listed (never a token), and removing it asks for --yes.
    const installs = await runCli(['slack', 'installs'], { env });
    expect(installs.stdout).toBe('T1: installed 1970-01-01T00:00:00.001Z by unknown\n');
    const unsure = await runCli(['slack', 'uninstall', 'T1'], { env });
    expect(unsure.stdout).toContain('Nothing was removed.');

    // A Discord server with the same id is another tenant: the Slack workspace's rows stay.
    const otherPlatform = await runCli(['tenant', 'delete', 'discord:T1', '--yes'], { env });
    expect(otherPlatform.stdout.trim()).toBe('Nothing is stored for discord:T1.');
    expect(rowsOf(dbPath, TABLES)).toEqual(before);

    const preview = await runCli(['tenant', 'delete', 'slack:T1'], { env });
    expect(preview.code).toBe(0);
    expect(preview.stdout).toMatch(/^slack:T1: \d+ rows would be deleted:/);
    for (const table of ['awards', 'schedules', 'banks', 'questions', 'members', 'users', 'slack_installations']) expect(preview.stdout).toContain(`  ${table}: `);
    expect(preview.stdout).toContain('Nothing was deleted.');
    expect(rowsOf(dbPath, TABLES)).toEqual(before);

    const done = await runCli(['tenant', 'delete', 'slack:T1', '--yes'], { env });
    expect(done.code).toBe(0);
    // The same rows the preview counted.
    const tableLines = (text: string) => text.split('\n').filter((l) => l.startsWith('  '));
    expect(done.stdout).toMatch(/^slack:T1: deleted \d+ rows:/);
    expect(tableLines(done.stdout)).toEqual(tableLines(preview.stdout));

    // Nothing of T1 is left; Alice (only in T1) is gone; Sam keeps what he did in T2; T2 is whole.
    for (const sql of [
      "SELECT count(*) n FROM awards WHERE server_key = 'slack:T1'",
      "SELECT count(*) n FROM scores WHERE scope LIKE 'slack:T1%'",
      "SELECT count(*) n FROM members WHERE tenant = 'slack:T1'",
      "SELECT count(*) n FROM schedules WHERE server_id = 'T1'",
      "SELECT count(*) n FROM banks WHERE tenant = 'slack:T1'",
      "SELECT count(*) n FROM questions WHERE tenant = 'slack:T1'",
      "SELECT count(*) n FROM quiz_sessions WHERE server_id = 'T1'",
      "SELECT count(*) n FROM users WHERE external_id IN ('UALICE', 'UADMIN1')",
      "SELECT count(*) n FROM slack_installations",
    ]) {
      expect(count(sql), sql).toBe(0);
    }
    const after = rowsOf(dbPath, TABLES);
    const t2 = (rows: Record<string, unknown[]>) => ({
      awards: rows.awards!.filter((r: any) => r.server_key === 'slack:T2'),
      scores: rows.scores!.filter((r: any) => String(r.scope).startsWith('slack:T2')),
      members: rows.members!.filter((r: any) => r.tenant === 'slack:T2'),
      schedules: rows.schedules!.filter((r: any) => r.server_id === 'T2'),
      sessions: rows.quiz_sessions!.filter((r: any) => r.server_id === 'T2'),
    });
    expect(t2(after)).toEqual(t2(before));
    expect(t2(after).awards.length).toBeGreaterThan(0);
    expect(after.users!.map((u: any) => u.external_id).sort()).toEqual(before.users!.map((u: any) => u.external_id).filter((id) => id !== 'UALICE' && id !== 'UADMIN1').sort());
    expect(after.users!.map((u: any) => u.external_id)).toEqual(expect.arrayContaining(['USAM', 'UBOB']));
    expect(queryDb(dbPath, 'PRAGMA foreign_key_check')).toEqual([]);

    const again = await runCli(['tenant', 'delete', 'slack:T1', '--yes'], { env });
    expect(again.stdout.trim()).toBe('Nothing is stored for slack:T1.');
  }, 60_000);

  it('refuses while the bot runs, and names a malformed tenant', async () => {
    const { app, dbPath } = makeApp();
    app.close();
    const env = { DATABASE_PATH: dbPath, CONTENT_DIR: `${repoRoot}content` };
    const lock = acquireLock(dbPath, 'bot', { foreignHost: 'stale' });
    try {
      const refused = await runCli(['tenant', 'delete', 'slack:T1', '--yes'], { env });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/lock|running|in use/i);
    } finally {
      lock.release();
    }
    const bad = await runCli(['tenant', 'delete', 'T1'], { env });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('the tenant must look like slack:<team id>');
  });
});
