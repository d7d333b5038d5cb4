import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { correctAnswers } from '../src/core/content/schema.js';
import { parseEncryptionKey, SecretBox } from '../src/db/encryption.js';
import { BOT_SCOPES } from '../src/platforms/slack/workspaces.js';
import { startBot, type RunningBot } from './fakes/slack/bot.js';
import { installViaOAuth, oauthEnv } from './fakes/slack/oauth.js';
import { appUninstalled, blockActions, buttonsIn, eventCallback, fileShareInDm, slashCommand, textOf, tokensRevoked } from './fakes/slack/payloads.js';
import type { ResponseUrlReceiver } from './fakes/slack/response-url.js';
import { startSlackFakes, type SlackFakes } from './fakes/slack/setup.js';
import type { FakeSlackWebApi, RecordedCall } from './fakes/slack/web-api.js';
import { queryDb, questionsById, raceQuestion } from './helpers/bot-db.js';
import { runCli } from './helpers/cli.js';

/**
 * Installs by OAuth: the real bot (compiled, as a child process) in HTTP mode, installed in two
 * workspaces through its own /slack/install and /slack/oauth_redirect pages against the fake
 * Slack (authorize page, oauth.v2.access, auth.test), then driven with signed requests from both.
 * The fake knows which workspace each token belongs to, and records the token of every call.
 */

const contentDir = fileURLToPath(new URL('../content', import.meta.url));
const A = 'T0ALPHA';
const B = 'T0BRAVO';
const ORG = 'E0ORG';
const ORG_WORKSPACE = 'T0ORGWS';
/** Which workspace each channel, direct message and user of this test is in. */
const HOME: Record<string, string> = {
  CALPHA1: A,
  CALPHARACE: A,
  DALPHAADA: A,
  UADA: A,
  UAMY: A,
  CBRAVO1: B,
  CBRAVORACE: B,
  DBRAVOBEN: B,
  UBEN: B,
  UBOB: B,
  CORG1: ORG,
  UORGADMIN: ORG,
};

let dir: string;
let dbPath: string;
let fakes: SlackFakes;
let slack: FakeSlackWebApi;
let hooks: ResponseUrlReceiver;
let bot: RunningBot;
let env: Record<string, string>;
const key = randomBytes(32).toString('base64');

const questions = questionsById(contentDir);

const query = <T>(sql: string, ...args: unknown[]): T[] => queryDb<T>(dbPath, sql, ...args);

async function startOn(extra: Record<string, string> = {}): Promise<RunningBot> {
  return startBot({ ...env, ...extra });
}

/** `/quiz <text>` from a user of a workspace: the HTTP status and the acknowledgement's message. */
async function quiz(team: string, userId: string, text: string, channelId: string, extra: { enterpriseId?: string; orgInstall?: boolean } = {}) {
  const { url, hook } = hooks.newUrl();
  const res = await bot.send(slashCommand({ text, userId, channelId, responseUrl: url, teamId: team, ...extra }));
  return { status: res.status, hook, message: res.text ? res.json() : undefined };
}

function sendEvent(event: Record<string, unknown>, from: Parameters<typeof eventCallback>[2]) {
  return bot.send(eventCallback(event, undefined, from), { headers: { 'content-type': 'application/json' } });
}

/** The workspace a Web API call concerns, from the conversation it names. */
function concerns(call: RecordedCall): string | undefined {
  const p = call.params;
  for (const id of [p.channel, p.channel_id, p.users]) if (typeof id === 'string' && HOME[id]) return HOME[id];
  return undefined;
}

/** The next minute boundary at least 15 s away, as HH:MM in UTC. */
function nextMinute(): { time: string; at: number } {
  const at = Math.ceil((Date.now() + 15_000) / 60_000) * 60_000;
  return { time: new Date(at).toISOString().slice(11, 16), at };
}

beforeAll(async () => {
  fakes = await startSlackFakes('quizbot-slack-oauth-');
  ({ dir, slack, hooks } = fakes);
  dbPath = join(dir, 'bot.sqlite');
  // A rotates its tokens: the first lives an hour, so the bot must refresh it before using it.
  slack.addWorkspace({ teamId: A, name: 'Alpha', rotation: { firstExpiresIn: 3600, expiresIn: 12 * 3600 } });
  slack.addWorkspace({ teamId: B, name: 'Bravo' });
  slack.addWorkspace({ teamId: ORG, name: 'Org', enterpriseId: ORG, orgInstall: true });
  slack.addWorkspace({ teamId: ORG_WORKSPACE, name: 'Org workspace', enterpriseId: ORG });
  slack.users.set('UADA', { id: 'UADA', name: 'ada', teamId: A, isAdmin: true });
  slack.users.set('UAMY', { id: 'UAMY', name: 'amy', displayName: 'Amy of Alpha', teamId: A });
  slack.users.set('UBEN', { id: 'UBEN', name: 'ben', teamId: B, isAdmin: true });
  slack.users.set('UBOB', { id: 'UBOB', name: 'bob', displayName: 'Bob of Bravo', teamId: B });
  slack.users.set('UORGADMIN', { id: 'UORGADMIN', name: 'olga', teamId: ORG_WORKSPACE, isOwner: true });
  env = { ...oauthEnv(slack, key), CONTENT_DIR: contentDir, DATABASE_PATH: dbPath, RACE_ROUND_SECONDS: '3' };
  bot = await startOn();
});

afterAll(async () => {
  const code = await bot?.stop();
  await fakes?.stop();
  expect(code).toBe(0);
});

describe('Slack installs by OAuth (child process, fake Slack)', () => {
  it('refuses requests from a workspace that has not installed the app', async () => {
    const before = slack.calls.length;
    const { status } = await quiz(A, 'UAMY', 'help', 'CALPHA1');
    expect(status).toBe(401);
    expect(slack.calls.length).toBe(before);
    expect(bot.logs()).toContain('"installs":"oauth"');
  });

  it('installs two workspaces through /slack/install and /slack/oauth_redirect', async () => {
    const a = await installViaOAuth(bot.port, slack, A);
    expect(a.status).toBe(200);
    expect(a.page).toContain('Thank you!');
    // The "Add to Slack" link asks Slack for the app's scopes, with a state the cookie matches.
    expect(a.authorizeUrl.origin + a.authorizeUrl.pathname).toBe(`${slack.base}/oauth/v2/authorize`);
    expect(a.authorizeUrl.searchParams.get('client_id')).toBe(slack.clientId);
    expect(a.authorizeUrl.searchParams.get('scope')!.split(',').sort()).toEqual([...BOT_SCOPES].sort());
    expect(a.stateCookie).toContain(a.authorizeUrl.searchParams.get('state'));
    const b = await installViaOAuth(bot.port, slack, B);
    expect(b.status).toBe(200);

    const exchanges = slack.callsTo('oauth.v2.access');
    expect(exchanges).toHaveLength(2);
    expect(exchanges.every((c) => c.params.client_id === slack.clientId && c.params.code)).toBe(true);
    const rows = query<{ server: string; team: string; bot: string; by: string; expires: number | null }>(
      'SELECT server_id server, team_id team, bot_user_id bot, installed_by by, token_expires_at expires FROM slack_installations ORDER BY server_id',
    );
    expect(rows).toEqual([
      { server: A, team: A, bot: 'UBOTALPHA', by: 'UINSTALLERALPHA', expires: expect.any(Number) },
      { server: B, team: B, bot: 'UBOTBRAVO', by: 'UINSTALLERBRAVO', expires: null },
    ]);
  });

  it('refuses an install whose state does not match the installer\'s cookie', async () => {
    slack.addWorkspace({ teamId: 'T0CHARLIE' });
    const forged = await installViaOAuth(bot.port, slack, 'T0CHARLIE', { cookie: 'wrong' });
    expect(forged.status).not.toBe(200);
    const missing = await installViaOAuth(bot.port, slack, 'T0CHARLIE', { cookie: 'omit' });
    expect(missing.status).not.toBe(200);
    expect(query("SELECT server_id FROM slack_installations WHERE server_id = 'T0CHARLIE'")).toEqual([]);
    expect((await quiz('T0CHARLIE', 'UCARL', 'help', 'CCHARLIE1')).status).toBe(401);
  });

  it('refreshes an expiring token once, however many requests arrive together, and stores the new one', async () => {
    const [first] = slack.botTokensOf(A);
    const answers = await Promise.all(Array.from({ length: 6 }, () => quiz(A, 'UAMY', 'help', 'CALPHA1')));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(answers.every((a) => /^Commands: /.test(a.message.text))).toBe(true);
    const refreshes = slack.callsTo('oauth.v2.access').filter((c) => c.params.grant_type === 'refresh_token');
    expect(refreshes).toHaveLength(1);
    const tokens = slack.botTokensOf(A);
    expect(tokens).toHaveLength(2);
    const current = tokens[1]!;
    // The refreshed token is the one in use, and the one stored (sealed) in the database.
    const info = await slack.waitFor('users.info', (c) => c.params.user === 'UAMY');
    expect(info.token).toBe(current);
    expect(slack.calls.some((c) => c.token === first && c.method !== 'auth.test')).toBe(false);
    const [row] = query<{ sealed: string; expires: number }>('SELECT sealed, token_expires_at expires FROM slack_installations WHERE server_id = ?', A);
    const stored = JSON.parse(new SecretBox(parseEncryptionKey(key)!).open(row!.sealed, `slack-installation:${A}`));
    expect(stored.bot.token).toBe(current);
    expect(stored.bot.expiresAt).toBe(row!.expires);
    expect(row!.expires).toBeGreaterThan(Date.now() / 1000 + 11 * 3600);
  });

  it("gives each workspace its own admins: Bravo's users.info decides in Bravo", async () => {
    const adaInA = await quiz(A, 'UADA', 'admin stats', 'CALPHA1');
    expect(textOf(adaInA.message.blocks)).not.toContain('for admins only');
    // Ada is an admin of Alpha; Bravo's token does not even see her.
    const adaInB = await quiz(B, 'UADA', 'admin stats', 'CBRAVO1');
    expect(adaInB.status).toBe(200);
    expect(textOf(adaInB.message.blocks)).toContain('is for admins only.');
    const lookup = slack.callsTo('users.info').find((c) => c.params.user === 'UADA' && c.team === B);
    expect(lookup).toBeDefined();
    const bobInB = await quiz(B, 'UBOB', 'admin stats', 'CBRAVO1');
    expect(textOf(bobInB.message.blocks)).toContain('is for admins only.');
    const benInB = await quiz(B, 'UBEN', 'admin stats', 'CBRAVO1');
    expect(textOf(benInB.message.blocks)).not.toContain('for admins only');
  });

  it("runs races in both workspaces: each round posted and closed with its own workspace's token, points on its own board", async () => {
    for (const [team, starter, player, channel] of [
      [A, 'UAMY', 'UADA', 'CALPHARACE'],
      [B, 'UBOB', 'UBEN', 'CBRAVORACE'],
    ] as const) {
      const start = await quiz(team, starter, 'race 1', channel);
      expect(textOf(start.message.blocks)).toContain('Your race is on: 1 round');
      const posted = await slack.waitFor('chat.postMessage', (c) => c.params.channel === channel);
      expect(posted.team).toBe(team);
      const ts = [...slack.messages.values()].find((m) => m.channel === channel)!.ts;
      const buttons = buttonsIn(posted.params.blocks);
      const [, raceId] = buttons[0]!.action_id.split(':');
      const q = raceQuestion(dbPath, questions, raceId!, 0);
      const right = buttons.find((b) => correctAnswers(q).includes(b.text))!;
      const wrong = buttons.find((b) => !correctAnswers(q).includes(b.text))!;
      for (const [user, b] of [
        [player, wrong],
        [starter, right],
      ] as const) {
        const { url, hook } = hooks.newUrl();
        const res = await bot.send(blockActions({ userId: user, actionId: b.action_id, value: b.value!, channelId: channel, messageTs: ts, responseUrl: url, teamId: team }));
        expect(res.status).toBe(200);
        await hooks.waitFor(hook);
      }
      // Closing the round edits the bot's message, with the same workspace's token.
      const closed = await slack.waitFor('chat.update', (c) => c.params.channel === channel, 15_000);
      expect(closed.team).toBe(team);
    }
    const awards = query<{ server: string; user: string }>('SELECT a.server_key server, u.external_id user FROM awards a JOIN users u ON u.id = a.user_id ORDER BY server');
    expect(awards).toEqual([
      { server: `slack:${A}`, user: 'UAMY' },
      { server: `slack:${B}`, user: 'UBOB' },
    ]);
    const boardB = await quiz(B, 'UBOB', 'leaderboard all', 'CBRAVO1');
    expect(textOf(boardB.message.blocks)).toContain('Bob of Bravo');
    expect(textOf(boardB.message.blocks)).not.toContain('Amy of Alpha');
  });

  it("downloads a bank file shared in a direct message with the token of the sharer's workspace", async () => {
    const csv = (prefix: string) => `id,question,choice_a,choice_b,answer\n${prefix}-q1,What picks the experts?,The router,The tokenizer,A\n`;
    for (const [team, admin, dm, fileId] of [
      [A, 'UADA', 'DALPHAADA', 'F0ALPHA1'],
      [B, 'UBEN', 'DBRAVOBEN', 'F0BRAVO1'],
    ] as const) {
      slack.files.set(fileId, { name: `${team.toLowerCase()}.csv`, content: Buffer.from(csv(team.toLowerCase())), filetype: 'csv', teamId: team });
      const { id, name } = slack.fileObject(fileId, slack.files.get(fileId)!) as { id: string; name: string };
      // Only the file's id and name, as some events send it: files.info describes it first.
      expect((await sendEvent(fileShareInDm(admin, dm, { id, name }), { teamId: team, botUserId: `UBOT${team.slice(2)}` })).status).toBe(200);
      const preview = await slack.waitFor('chat.postMessage', (c) => c.params.channel === dm);
      expect(preview.params.blocks[0].text.text).toBe(`Import preview: ${team.toLowerCase()}.csv`);
      expect(preview.team).toBe(team);
      expect(slack.callsTo('files.info').find((c) => c.params.file === fileId)?.team).toBe(team);
    }
    // The fake serves a file only to its own workspace's token: both were downloaded.
    expect(slack.downloads).toEqual(['F0ALPHA1', 'F0BRAVO1']);
  });

  it('handles an Enterprise Grid org-wide install as one tenant for the whole organisation', async () => {
    const org = await installViaOAuth(bot.port, slack, ORG);
    expect(org.status).toBe(200);
    expect(query('SELECT server_id server, team_id team, enterprise_id enterprise, org_install org FROM slack_installations WHERE server_id = ?', ORG)).toEqual([
      { server: ORG, team: null, enterprise: ORG, org: 1 },
    ]);
    const stats = await quiz(ORG_WORKSPACE, 'UORGADMIN', 'admin stats', 'CORG1', { enterpriseId: ORG, orgInstall: true });
    expect(stats.status).toBe(200);
    expect(textOf(stats.message.blocks)).not.toContain('for admins only');
    expect(slack.callsTo('users.info').find((c) => c.params.user === 'UORGADMIN')?.team).toBe(ORG);
  });

  it('keeps tokens out of the database file and the logs', () => {
    const tokens = [A, B, ORG].flatMap((t) => slack.tokensOf(t));
    expect(tokens.length).toBeGreaterThanOrEqual(5);
    const bytes = Buffer.concat([dbPath, `${dbPath}-wal`].filter(existsSync).map((p) => readFileSync(p)));
    for (const token of tokens) {
      expect(bytes.includes(token), 'token in the database file').toBe(false);
      expect(bot.logs()).not.toContain(token);
    }
    for (const secret of [env.SLACK_CLIENT_SECRET!, env.SLACK_STATE_SECRET!, key]) expect(bot.logs()).not.toContain(secret);
    for (const row of query<{ sealed: string }>('SELECT sealed FROM slack_installations')) expect(row.sealed).toMatch(/^v1:[^:]+:[^:]+:[^:]+$/);
  });

  describe('uninstalling', () => {
    it("stops using a workspace's token at once: its commands are refused and its daily post is not sent", async () => {
      const { time, at } = nextMinute();
      for (const [team, admin, channel] of [
        [A, 'UADA', 'CALPHA1'],
        [B, 'UBEN', 'CBRAVO1'],
      ] as const) {
        const scheduled = await quiz(team, admin, `admin schedule time:${time} timezone:UTC`, channel);
        expect(textOf(scheduled.message.blocks)).toMatch(new RegExp(`Daily quiz scheduled: every day at \\*?${time}\\*? \\(UTC\\)`));
      }
      const bTokens = slack.tokensOf(B);
      expect((await sendEvent(appUninstalled(), { teamId: B, botUserId: 'UBOTBRAVO' })).status).toBe(200);
      slack.revokeWorkspace(B);
      const mark = slack.calls.length;
      await slack.until(() => (query('SELECT 1 FROM slack_installations WHERE server_id = ?', B).length === 0 ? true : undefined), "Bravo's installation to be removed");

      const refused = await quiz(B, 'UBOB', 'help', 'CBRAVO1');
      expect(refused.status).toBe(401);
      expect(hooks.posts.some((p) => p.hook === refused.hook)).toBe(false);

      // Alpha's daily post goes out at the minute; Bravo's does not (and nothing is tried with its token).
      const post = await slack.waitFor('chat.postMessage', (c) => c.params.channel === 'CALPHA1' && /Today's quiz is ready/.test(JSON.stringify(c.params.blocks)), at - Date.now() + 20_000);
      expect(post.team).toBe(A);
      await new Promise((r) => setTimeout(r, 1500));
      expect(slack.calls.slice(mark).filter((c) => c.params.channel === 'CBRAVO1' || bTokens.includes(c.token!))).toEqual([]);
      expect(bot.logs()).toContain('daily post could not be delivered');
      // Bravo's quiz data stays: its schedule, awards and members.
      expect(query('SELECT count(*) n FROM schedules WHERE server_id = ?', B)).toEqual([{ n: 1 }]);
      expect(query('SELECT count(*) n FROM awards WHERE server_key = ?', `slack:${B}`)).toEqual([{ n: 1 }]);
    }, 120_000);

    it('removes an installation whose bot token is revoked', async () => {
      expect((await sendEvent(tokensRevoked(['UBOTORG']), { teamId: ORG_WORKSPACE, enterpriseId: ORG, orgInstall: true, botUserId: 'UBOTORG' })).status).toBe(200);
      await slack.until(() => (query('SELECT 1 FROM slack_installations WHERE server_id = ?', ORG).length === 0 ? true : undefined), "the organisation's installation to be removed");
      slack.revokeWorkspace(ORG);
      expect((await quiz(ORG_WORKSPACE, 'UORGADMIN', 'help', 'CORG1', { enterpriseId: ORG, orgInstall: true })).status).toBe(401);
    });
  });

  describe('restarting', () => {
    it('keeps installations across a restart on the same database', async () => {
      expect(await bot.stop()).toBe(0);
      bot = await startOn();
      const mark = slack.calls.length;
      const alpha = await quiz(A, 'UAMY', 'leaderboard all', 'CALPHA1');
      expect(alpha.status).toBe(200);
      expect(textOf(alpha.message.blocks)).toContain('Amy of Alpha');
      expect((await quiz(B, 'UBOB', 'help', 'CBRAVO1')).status).toBe(401);
      expect(slack.calls.slice(mark).every((c) => c.team === A)).toBe(true);
    });

    it('carries on with the same quiz data when an uninstalled workspace installs the app again', async () => {
      expect((await installViaOAuth(bot.port, slack, B)).status).toBe(200);
      const board = await quiz(B, 'UBOB', 'leaderboard all', 'CBRAVO1');
      expect(board.status).toBe(200);
      expect(textOf(board.message.blocks)).toContain('Bob of Bravo');
      // The member's name was read with the token of the new installation (waitFor fails otherwise).
      await slack.waitFor('users.info', (c) => c.team === B && c.token === slack.botTokensOf(B).at(-1));
    });

    it('refuses to start with another encryption key than the one the installations were sealed with', async () => {
      expect(await bot.stop()).toBe(0);
      const other = await runCli(['start'], { env: { ...env, SLACK_SIGNING_SECRET: 'x'.repeat(20), INSTALLATION_ENCRYPTION_KEY: randomBytes(32).toString('hex') } });
      expect(other.code).not.toBe(0);
      expect(other.stderr).toContain('INSTALLATION_ENCRYPTION_KEY does not open the stored Slack installations of');
      expect(other.stderr).toContain(A);
      bot = await startOn();
    });
  });

  it('refuses to start in OAuth mode without the encryption key, or with a malformed one, and never echoes it', async () => {
    const base = { ...env, SLACK_SIGNING_SECRET: 'x'.repeat(20), DATABASE_PATH: join(dir, 'other.sqlite') };
    const missing = await runCli(['start'], { env: { ...base, INSTALLATION_ENCRYPTION_KEY: '' } });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('need INSTALLATION_ENCRYPTION_KEY');
    expect(missing.stderr).toContain('openssl rand -base64 32');
    const malformed = 'c2hvcnQta2V5LW9mLTE2Yg==';
    const bad = await runCli(['start'], { env: { ...base, INSTALLATION_ENCRYPTION_KEY: malformed } });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('Invalid INSTALLATION_ENCRYPTION_KEY: it must be 32 bytes');
    expect(bad.stderr).not.toContain(malformed);
    expect(existsSync(join(dir, 'other.sqlite'))).toBe(false);
  });

  it("uses every workspace's own token for every call it made, and never an invalid one", () => {
    const made = slack.calls.filter((c) => c.method !== 'oauth.v2.access');
    expect(made.filter((c) => c.team === undefined).map((c) => c.method)).toEqual([]);
    const wrong = made.filter((c) => concerns(c) !== undefined && concerns(c) !== c.team);
    expect(wrong.map((c) => `${c.method} ${JSON.stringify(c.params).slice(0, 80)} with ${c.team}'s token`)).toEqual([]);
    expect(made.filter((c) => concerns(c) !== undefined).length).toBeGreaterThanOrEqual(12);
    // users.info goes out with the token of the workspace the request came from: only Ada's
    // request from Bravo asked about a user of another workspace.
    const lookups = slack.callsTo('users.info').filter((c) => c.team !== HOME[c.params.user]);
    expect(lookups.map((c) => `${c.params.user}@${c.team}`)).toEqual([`UADA@${B}`]);
  });
});
