import type Database from 'better-sqlite3';
import { tenantPlatform, tenantServer, type Tenant } from './tenant.js';

/**
 * Everything one tenant (a Slack workspace, a Discord server) left in the database: its boards,
 * seasons, groups, races, schedules, sessions, reports, imported banks and their questions, its
 * choices of banks, its fitted parameters, a Slack workspace's installation, and the learners who
 * were nowhere else (their cards, reviews and streaks). What counts and what is deleted is one
 * list, so a preview and a deletion never differ: the preview runs the same statements and rolls
 * them back.
 */

/** Rows removed per table (tables with none are left out). */
export type TenantRows = Record<string, number>;

const STEPS: { table: string; sql: string }[] = [
  { table: 'race_answers', sql: 'DELETE FROM race_answers WHERE race_id IN (SELECT id FROM races WHERE platform = @platform AND server_id = @server)' },
  { table: 'races', sql: 'DELETE FROM races WHERE platform = @platform AND server_id = @server' },
  {
    table: 'session_answers',
    sql: `DELETE FROM session_answers WHERE session_id IN (
            SELECT s.id FROM quiz_sessions s JOIN users u ON u.id = s.user_id WHERE u.platform = @platform AND s.server_id = @server
            UNION SELECT s.id FROM quiz_sessions s WHERE s.user_id IN (SELECT id FROM temp.tenant_users))`,
  },
  {
    table: 'quiz_sessions',
    sql: `DELETE FROM quiz_sessions WHERE (server_id = @server AND user_id IN (SELECT id FROM users WHERE platform = @platform))
            OR user_id IN (SELECT id FROM temp.tenant_users)`,
  },
  { table: 'awards', sql: 'DELETE FROM awards WHERE server_key = @tenant' },
  // Server totals (`<tenant>`) and channel totals (`<tenant>#<channel>`).
  { table: 'scores', sql: "DELETE FROM scores WHERE scope = @tenant OR substr(scope, 1, length(@tenant) + 1) = @tenant || '#'" },
  { table: 'seasons', sql: 'DELETE FROM seasons WHERE server_key = @tenant' },
  { table: 'group_members', sql: 'DELETE FROM group_members WHERE server_key = @tenant' },
  { table: 'study_groups', sql: 'DELETE FROM study_groups WHERE server_key = @tenant' },
  { table: 'schedules', sql: 'DELETE FROM schedules WHERE platform = @platform AND server_id = @server' },
  { table: 'question_reports', sql: 'DELETE FROM question_reports WHERE server_key = @tenant OR question_id IN (SELECT id FROM questions WHERE tenant = @tenant)' },
  { table: 'members', sql: 'DELETE FROM members WHERE tenant = @tenant' },
  { table: 'tenant_banks', sql: 'DELETE FROM tenant_banks WHERE tenant = @tenant OR bank_id IN (SELECT id FROM banks WHERE tenant = @tenant)' },
  { table: 'import_drafts', sql: 'DELETE FROM import_drafts WHERE tenant = @tenant' },
  { table: 'imports', sql: 'DELETE FROM imports WHERE tenant = @tenant' },
  { table: 'srs_fits', sql: "DELETE FROM srs_fits WHERE (scope = 'tenant' AND key = @tenant) OR (scope = 'user' AND key IN (SELECT CAST(id AS TEXT) FROM temp.tenant_users))" },
  { table: 'cards', sql: 'DELETE FROM cards WHERE question_id IN (SELECT id FROM questions WHERE tenant = @tenant) OR user_id IN (SELECT id FROM temp.tenant_users)' },
  { table: 'reviews', sql: 'DELETE FROM reviews WHERE question_id IN (SELECT id FROM questions WHERE tenant = @tenant) OR user_id IN (SELECT id FROM temp.tenant_users)' },
  { table: 'streaks', sql: 'DELETE FROM streaks WHERE user_id IN (SELECT id FROM temp.tenant_users)' },
  { table: 'questions', sql: 'DELETE FROM questions WHERE tenant = @tenant' },
  { table: 'banks', sql: 'DELETE FROM banks WHERE tenant = @tenant' },
  { table: 'users', sql: 'DELETE FROM users WHERE id IN (SELECT id FROM temp.tenant_users)' },
  // A Slack workspace's OAuth installation (its tokens).
  { table: 'slack_installations', sql: "DELETE FROM slack_installations WHERE @platform = 'slack' AND server_id = @server" },
];

/**
 * The learners of this tenant who are in no other (no other server's name, points or sessions):
 * their progress goes with it. Others keep theirs.
 */
const TENANT_USERS = `
  CREATE TEMP TABLE tenant_users AS
  SELECT u.id FROM users u
  WHERE u.platform = @platform
    AND EXISTS (SELECT 1 FROM members m WHERE m.user_id = u.id AND m.tenant = @tenant)
    AND NOT EXISTS (SELECT 1 FROM members m WHERE m.user_id = u.id AND m.tenant != @tenant)
    AND NOT EXISTS (SELECT 1 FROM awards a WHERE a.user_id = u.id AND a.server_key != @tenant)
    AND NOT EXISTS (SELECT 1 FROM quiz_sessions s WHERE s.user_id = u.id AND s.server_id != @server)`;

class Preview extends Error {}

function run(db: Database.Database, tenant: Tenant): TenantRows {
  const params = { tenant, platform: tenantPlatform(tenant), server: tenantServer(tenant) };
  const rows: TenantRows = {};
  db.prepare(TENANT_USERS).run(params);
  try {
    for (const step of STEPS) {
      const changes = db.prepare(step.sql).run(params).changes;
      if (changes) rows[step.table] = changes;
    }
  } finally {
    db.prepare('DROP TABLE temp.tenant_users').run();
  }
  return rows;
}

/** Deletes a tenant's data in one transaction; with `preview`, counts the same rows and changes nothing. */
export function deleteTenantData(db: Database.Database, tenant: Tenant, options: { preview?: boolean } = {}): TenantRows {
  let counted: TenantRows = {};
  try {
    db.transaction(() => {
      counted = run(db, tenant);
      if (options.preview) throw new Preview();
    })();
  } catch (err) {
    if (!(err instanceof Preview)) throw err;
  }
  return counted;
}
