import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../src/core/commands.js';
import type { FakeMessage } from '../fakes/discord/index.js';
import { snowflake, type Json } from '../fakes/discord/model.js';
import { SIGNING_SECRET } from '../fakes/slack/bot.js';
import { installViaOAuth } from '../fakes/slack/oauth.js';
import { appUninstalled, blockActions, eventCallback, slashCommand, TEAM } from '../fakes/slack/payloads.js';
import { signedRequest } from '../fakes/slack/signing.js';
import { StressBot } from './harness/bot.js';
import { scratchDir } from './harness/dirs.js';
import { pool } from './harness/load.js';
import { ACK_DEADLINE_MS, INJECTION, NoAnswer, Platforms, postSigned, SECOND_TEAM, slackChannelId, slackUserId, type PlatformName, type Seen } from './harness/platforms.js';
import { recordSection } from './harness/report.js';
import { closeTenantAgents, postSignedJson } from './harness/tenants.js';

/**
 * Hostile input, counted: forged and replayed Slack requests, requests from workspaces that never
 * installed the bot or uninstalled it, forged and replayed Discord requests to the interactions
 * endpoint, other people's buttons, admin commands from members, a flood of clicks, mentions and
 * markdown in every field a user types, and oversized values in every command option. Each must
 * be refused or neutralised. On Slack, users are spread over two workspaces that installed the
 * bot by OAuth, each with its own token. A second bot takes Discord over HTTP, and the attacks on
 * Discord are made on it too.
 */

const BURST = 20;
const PER_SECOND = 5;
/** Admin users, one per command sent: one admin sending them all would hit the click limit. */
const ADMINS = 120;
let nextAdmin = 0;
const admin = () => `admin${nextAdmin++ % ADMINS}`;

interface Tally {
  attack: string;
  sent: number;
  stopped: number;
  how: string;
}

/** Whether a reply as the platform received it could ping anyone or carry a live link from the input. */
function dangerous(platform: PlatformName, raw: string): string | undefined {
  if (platform === 'discord') {
    type Message = { content?: string; embeds?: { title?: string; description?: string; fields?: { name: string; value: string }[] }[]; allowed_mentions?: { parse?: string[] } };
    const messages = JSON.parse(raw) as Message[];
    if (!messages.length) return 'no message';
    for (const m of messages) {
      const bad = dangerousDiscordMessage(m);
      if (bad) return bad;
    }
    return undefined;
  }
  return dangerousSlack(raw);
}

function dangerousDiscordMessage(m: { content?: string; embeds?: { title?: string; description?: string; fields?: { name: string; value: string }[] }[]; allowed_mentions?: { parse?: string[] } }): string | undefined {
  {
    const parse = m.allowed_mentions?.parse;
    if (!m.allowed_mentions || (parse && parse.length)) return `allowed_mentions ${JSON.stringify(m.allowed_mentions)}`;
    const text = [m.content ?? '', ...(m.embeds ?? []).flatMap((e) => [e.title ?? '', e.description ?? '', ...(e.fields ?? []).flatMap((f) => [f.name, f.value])])].join('\n');
    if (/(^|[^\\\u200b])@(everyone|here)/.test(text)) return 'bare @everyone/@here';
    if (/(^|[^\\])<[@#]/.test(text)) return 'raw <@…> or <#…>';
    if (/(^|[^\\])\*\*bold/.test(text)) return 'live **bold**';
    if (/(^|[^\\])\[link\]\(/.test(text)) return 'live [link](…)';
    return undefined;
  }
}

function dangerousSlack(raw: string): string | undefined {
  // Slack parses mentions and links in mrkdwn text and in a message's top-level text; plain_text is literal.
  const body = JSON.parse(raw) as { text?: string; blocks?: unknown[] };
  const parsed: string[] = [body.text ?? ''];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (o.type === 'mrkdwn' && typeof o.text === 'string') parsed.push(o.text);
      Object.values(o).forEach(walk);
    }
  };
  walk(body.blocks ?? []);
  const text = parsed.join('\n');
  if (/<[!@#]/.test(text)) return 'raw <!…>, <@…> or <#…> in mrkdwn';
  if (/<https:\/\/evil/.test(text)) return 'live <link|…> in mrkdwn';
  return undefined;
}

/** Commands that take a file (tested with malformed files elsewhere), not typed options. */
const FILE_COMMANDS = new Set(['quiz-admin import']);

/** Valid values for the other required options, so only the option under test is hostile. */
function baseOptions(spec: (typeof CATALOGUE)[number], except: string): Record<string, string | number> {
  const samples: Record<string, string> = { id: 'moe-tradeoffs', time: '09:00', a: 'hello', b: 'hello', name: 'study', prompt: 'hello', question: 'hello' };
  const out: Record<string, string | number> = {};
  for (const o of spec.options) if (o.required && o.name !== except && o.type !== 'attachment') out[o.name] = o.type === 'integer' ? (o.min ?? 1) : (samples[o.name] ?? 'x');
  return out;
}

/** Where an attack goes: a platform of one of the two bots. */
interface Target {
  name: string;
  platform: PlatformName;
  platforms: () => Platforms;
  dbPath: () => string;
}

describe('abuse', () => {
  let platforms: Platforms;
  let bot: StressBot;
  let dbPath: string;
  /** The second bot: Discord over HTTP (signed POSTs to its PORT). */
  let httpPlatforms: Platforms;
  let httpBot: StressBot;
  let httpDbPath: string;
  const targets: Target[] = [
    { name: 'discord', platform: 'discord', platforms: () => platforms, dbPath: () => dbPath },
    { name: 'slack', platform: 'slack', platforms: () => platforms, dbPath: () => dbPath },
    { name: 'discord (HTTP)', platform: 'discord', platforms: () => httpPlatforms, dbPath: () => httpDbPath },
  ];
  const scratch = scratchDir('quizbot-stress-abuse-');
  const tallies: Tally[] = [];
  const ackMs: number[] = [];

  beforeAll(async () => {
    platforms = await Platforms.start(2, { slackOAuth: { teams: [TEAM.id, SECOND_TEAM], rotating: [SECOND_TEAM] } });
    platforms.slack.users.set(slackUserId('inj1'), { id: slackUserId('inj1'), name: 'inj1', displayName: INJECTION });
    dbPath = join(scratch.path, 'bot.sqlite');
    const limits = { RATE_LIMIT_BURST: String(BURST), RATE_LIMIT_PER_SECOND: String(PER_SECOND) };
    bot = new StressBot(platforms.env(dbPath, { ...limits, SLACK_ADMIN_USER_IDS: Array.from({ length: ADMINS }, (_, i) => slackUserId(`admin${i}`)).join(',') }));
    httpPlatforms = await Platforms.start(2, { discord: 'http' });
    httpDbPath = join(scratch.path, 'bot-http.sqlite');
    httpBot = new StressBot(httpPlatforms.env(httpDbPath, limits));
    await Promise.all([bot.start(), httpBot.start()]);
    await platforms.installSlack();
  });

  afterAll(async () => {
    await Promise.all([bot?.stop(), httpBot?.stop()]);
    closeTenantAgents();
    await platforms?.stop();
    await httpPlatforms?.stop();
    scratch.cleanup();
  });

  const countIn = (path: string, sql: string, ...args: unknown[]) => {
    const db = new Database(path, { readonly: true });
    try {
      return (db.prepare(sql).get(...args) as { n: number }).n;
    } finally {
      db.close();
    }
  };
  const count = (sql: string, ...args: unknown[]) => countIn(dbPath, sql, ...args);

  async function openQuiz(platform: PlatformName, name: string, on: Platforms = platforms): Promise<Seen> {
    const seen = await on.client(platform).command(name, 0, 'quiz start');
    if (!seen.buttons.some((b) => b.id.startsWith('qa:'))) throw new Error(`no question for ${name}: ${seen.text}`);
    ackMs.push(seen.ackMs);
    return seen;
  }

  it('refuses forged and stale Slack signatures, and a replayed request counts once', async () => {
    const quiz = await openQuiz('slack', 'victim');
    const button = quiz.buttons.find((b) => b.id.startsWith('qa:'))!;
    const team = platforms.slackTeamOf('victim');
    const body = (hook: string) => blockActions({ userId: slackUserId('victim'), actionId: button.id, value: button.value ?? button.id, channelId: slackChannelId(0, team), teamId: platforms.slackTeams[team]!, responseUrl: `${platforms.hooks.base}/hooks/${hook}` });
    const N = 100;
    const forged = await Promise.all(Array.from({ length: N }, (_, i) => postSigned(platforms.slackPort, body(`forged${i}`), signedRequest(body(`forged${i}`), 'not-the-signing-secret').headers)));
    const stale = await Promise.all(Array.from({ length: N }, (_, i) => postSigned(platforms.slackPort, body(`stale${i}`), signedRequest(body(`stale${i}`), SIGNING_SECRET, Math.floor(Date.now() / 1000) - 6 * 60).headers)));
    const tampered = await Promise.all(
      Array.from({ length: N }, (_, i) => {
        const headers = signedRequest(body(`tamper${i}`), SIGNING_SECRET).headers;
        return postSigned(platforms.slackPort, body(`tamper${i}`).replace('victim', 'attacker'), headers);
      }),
    );
    // The same signed request sent again and again within Slack's 5-minute window.
    const once = body('replayed');
    const headers = signedRequest(once, SIGNING_SECRET).headers;
    const replays = await Promise.all(Array.from({ length: N }, () => postSigned(platforms.slackPort, once, headers)));
    await new Promise((r) => setTimeout(r, 1000));
    const [, sessionId, position] = button.id.split(':');
    const stored = count('SELECT count(*) n FROM session_answers WHERE session_id = ? AND position = ?', sessionId, Number(position));
    const reviews = count("SELECT count(*) n FROM reviews r JOIN users u ON u.id = r.user_id WHERE u.external_id = ?", slackUserId('victim'));
    const hooksHit = platforms.hooks.posts.filter((p) => /^(forged|stale|tamper)/.test(p.hook)).length;

    tallies.push({ attack: 'Slack request signed with the wrong secret', sent: N, stopped: forged.filter((r) => r.status === 401).length, how: 'HTTP 401, nothing run' });
    tallies.push({ attack: 'Slack request with a timestamp 6 min old (replay)', sent: N, stopped: stale.filter((r) => r.status === 401).length, how: 'HTTP 401, nothing run' });
    tallies.push({ attack: 'Slack body altered after signing', sent: N, stopped: tampered.filter((r) => r.status === 401).length, how: 'HTTP 401, nothing run' });
    tallies.push({ attack: 'Valid Slack request replayed within the window', sent: N, stopped: stored === 1 && reviews === 1 ? N - 1 : 0, how: `answer stored ${stored}×, reviewed ${reviews}× (first counts)` });
    expect(forged.every((r) => r.status === 401)).toBe(true);
    expect(stale.every((r) => r.status === 401)).toBe(true);
    expect(tampered.every((r) => r.status === 401)).toBe(true);
    expect(hooksHit).toBe(0);
    expect(replays.every((r) => r.status === 200)).toBe(true);
    expect([stored, reviews]).toEqual([1, 1]);
  });

  it('refuses correctly signed requests from workspaces that never installed the bot, or uninstalled it', async () => {
    const N = 100;
    const hook = (name: string) => `${platforms.hooks.base}/hooks/${name}`;
    const fromWorkspace = (team: string, i: number) =>
      i % 2
        ? slashCommand({ text: 'admin stats', userId: `UATTACK${i}`, channelId: 'CATTACK', responseUrl: hook(`${team}-${i}`), teamId: team })
        : blockActions({ userId: `UATTACK${i}`, actionId: 'qs', value: 'qs', channelId: 'CATTACK', responseUrl: hook(`${team}-${i}`), teamId: team });
    let never = 0;
    await pool(Array.from({ length: N }, (_, i) => i), 10, async (i) => {
      const r = await postSigned(platforms.slackPort, fromWorkspace('T0NEVER', i));
      if (r.status === 401) never++;
    });

    // A third workspace installs the bot, uses it once, uninstalls it; Slack revokes its token.
    const GONE = 'T0GONE';
    platforms.slack.addWorkspace({ teamId: GONE });
    expect((await installViaOAuth(platforms.slackPort, platforms.slack, GONE)).status).toBe(200);
    expect((await postSigned(platforms.slackPort, slashCommand({ text: 'help', userId: 'UGONE', channelId: 'CGONE', responseUrl: hook('gone-ok'), teamId: GONE }))).status).toBe(200);
    const tokens = platforms.slack.tokensOf(GONE);
    expect((await postSignedJson(platforms.slackPort, eventCallback(appUninstalled(), undefined, { teamId: GONE, botUserId: 'UBOTGONE' }))).status).toBe(200);
    platforms.slack.revokeWorkspace(GONE);
    const mark = platforms.slack.calls.length;
    let goneRefused = 0;
    await pool(Array.from({ length: N }, (_, i) => i), 10, async (i) => {
      const r = await postSigned(platforms.slackPort, fromWorkspace(GONE, i));
      if (r.status === 401) goneRefused++;
    });
    await new Promise((r) => setTimeout(r, 500));
    const hooksHit = platforms.hooks.posts.filter((p) => /^(T0NEVER|T0GONE)-/.test(p.hook)).length;
    const goneCalls = platforms.slack.calls.slice(mark).filter((c) => tokens.includes(c.token!)).length;
    tallies.push({ attack: 'Slack request correctly signed, from a workspace that never installed the bot', sent: N, stopped: never, how: 'HTTP 401, nothing run' });
    tallies.push({ attack: 'Slack request correctly signed, from a workspace that uninstalled the bot', sent: N, stopped: goneRefused, how: `HTTP 401, nothing run; its token used ${goneCalls} times after` });
    expect([never, goneRefused, hooksHit, goneCalls]).toEqual([N, N, 0, 0]);
  });

  it('refuses forged, stale, altered and unsigned Discord requests over HTTP, and a replayed one counts once', async () => {
    const fake = httpPlatforms.discord;
    const quiz = await openQuiz('discord', 'dvictim', httpPlatforms);
    const button = quiz.buttons.find((b) => b.id.startsWith('qa:'))!;
    // The victim's press of their own answer, with a fresh id each time: no duplicate check is what stops a forgery.
    const press = (): Json => ({ ...fake.pressPayload(httpPlatforms.discordUser('dvictim'), quiz.message as FakeMessage, button.id), id: snowflake(), token: randomBytes(24).toString('base64url') });
    const stranger = generateKeyPairSync('ed25519').privateKey;
    const now = () => Math.floor(Date.now() / 1000);
    const N = 100;
    const attacks: [string, () => { body: string; headers: Record<string, string> }][] = [
      ['Discord request (HTTP) signed with another key', () => { const body = JSON.stringify(press()); return { body, headers: fake.signatureHeaders(body, { key: stranger }) }; }],
      ['Discord request (HTTP) with a timestamp 6 min old (replay)', () => { const body = JSON.stringify(press()); return { body, headers: fake.signatureHeaders(body, { timestamp: now() - 6 * 60 }) }; }],
      ['Discord body (HTTP) altered after signing (Administrator added)', () => {
        const p = press();
        return { body: JSON.stringify({ ...p, member: { ...p.member, permissions: String(1n << 3n) } }), headers: fake.signatureHeaders(JSON.stringify(p)) };
      }],
      ['Discord request (HTTP) without signature headers', () => ({ body: JSON.stringify(press()), headers: {} })],
    ];
    const mark = fake.state.requests.length;
    for (const [attack, make] of attacks) {
      const answers = await Promise.all(Array.from({ length: N }, () => { const { body, headers } = make(); return fake.postToEndpoint(body, headers); }));
      tallies.push({ attack, sent: N, stopped: answers.filter((a) => a.status === 401).length, how: 'HTTP 401, nothing run' });
    }
    const [, sessionId, position] = button.id.split(':');
    const stored = () => countIn(httpDbPath, 'SELECT count(*) n FROM session_answers WHERE session_id = ? AND position = ?', sessionId, Number(position));
    // Nothing ran: no answer stored, and the bot made no call to Discord.
    expect([stored(), fake.state.requests.length - mark]).toEqual([0, 0]);

    // One valid request sent again and again within the window: handled once, every copy answered alike.
    const body = JSON.stringify(press());
    const headers = fake.signatureHeaders(body);
    const replays = await Promise.all(Array.from({ length: N }, () => fake.postToEndpoint(body, headers)));
    const reviews = countIn(httpDbPath, 'SELECT count(*) n FROM reviews r JOIN users u ON u.id = r.user_id WHERE u.external_id = ?', httpPlatforms.externalId('discord', 'dvictim'));
    tallies.push({ attack: 'Valid Discord request (HTTP) replayed within the window', sent: N, stopped: stored() === 1 && reviews === 1 ? N - 1 : 0, how: `answer stored ${stored()}×, reviewed ${reviews}×, every copy answered with the first's response` });
    expect(replays.map((r) => r.status)).toEqual(Array(N).fill(200));
    expect(new Set(replays.map((r) => r.text)).size).toBe(1);
    expect([stored(), reviews]).toEqual([1, 1]);
  });

  it("refuses other users' buttons and members' admin commands", async () => {
    const owners = await Promise.all(targets.map(async (t) => ({ t, seen: await openQuiz(t.platform, `owner-${t.platform}`, t.platforms()) })));
    const N = 25;
    for (const { t, seen } of owners) {
      const button = seen.buttons.find((b) => b.id.startsWith('qa:'))!;
      const replies = await pool(Array.from({ length: N }, (_, i) => i), 5, async (i) => {
        const r = await t.platforms().client(t.platform).press(`intruder${i}`, 0, seen, button);
        ackMs.push(r.ackMs);
        if (/This quiz belongs to/.test(r.text)) stoppedButtons[t.name] = (stoppedButtons[t.name] ?? 0) + 1;
      }).then(() => undefined);
      void replies;
      const [, sessionId] = button.id.split(':');
      expect(countIn(t.dbPath(), 'SELECT count(*) n FROM session_answers WHERE session_id = ?', sessionId)).toBe(0);
      tallies.push({ attack: `${t.name}: another user presses someone's quiz answer`, sent: N, stopped: stoppedButtons[t.name] ?? 0, how: '"This quiz belongs to …", nothing stored' });
    }
    const adminKeys = CATALOGUE.filter((c) => c.admin).map((c) => c.key);
    for (const t of targets) {
      let stopped = 0;
      for (const key of adminKeys) {
        const r = await t.platforms().client(t.platform).command('member1', 0, key);
        ackMs.push(r.ackMs);
        if (/is for admins only/.test(r.text)) stopped++;
      }
      tallies.push({ attack: `${t.name}: admin commands from a member (${adminKeys.length} commands)`, sent: adminKeys.length, stopped, how: '"… is for admins only."' });
      expect(stopped).toBe(adminKeys.length);
    }
    expect(stoppedButtons).toEqual(Object.fromEntries(targets.map((t) => [t.name, N])));
  });
  const stoppedButtons: Record<string, number> = {};

  it('limits 1,000 rapid clicks from one user, and nobody else', async () => {
    const N = 1000;
    for (const t of targets) {
      const p = t.platform;
      const seen = await openQuiz(p, `flood-${p}`, t.platforms());
      const button = seen.buttons.find((b) => b.id.startsWith('qa:'))!;
      let limited = 0;
      let errors = 0;
      const samples: string[] = [];
      const started = performance.now();
      await pool(Array.from({ length: N }, (_, i) => i), 50, async () => {
        try {
          const r = await t.platforms().client(p).press(`flood-${p}`, 0, seen, button);
          ackMs.push(r.ackMs);
          if (/Slow down a little/.test(r.text)) limited++;
          if (/Something went wrong/.test(r.text) || r.status !== 200) {
            errors++;
            samples.push(`${r.status} ${r.text.slice(0, 100)}`);
          }
        } catch (err) {
          if (!(err instanceof NoAnswer)) throw err;
          errors++;
          samples.push(err.message.slice(0, 100));
        }
      });
      const seconds = (performance.now() - started) / 1000;
      const bystander = await openQuiz(p, `bystander-${p}`, t.platforms());
      const [, sessionId] = button.id.split(':');
      tallies.push({ attack: `${t.name}: 1,000 rapid clicks from one user (${seconds.toFixed(1)} s)`, sent: N, stopped: limited, how: `"Slow down a little: too many clicks." (burst ${BURST}, ${PER_SECOND}/s); ${N - limited} let through, answer stored once` });
      expect(errors, samples.slice(0, 3).join(' | ')).toBe(0);
      // At most the burst plus what refills while the flood lasts gets through.
      expect(N - limited).toBeLessThanOrEqual(BURST + Math.ceil(seconds * PER_SECOND) + 1);
      expect(countIn(t.dbPath(), 'SELECT count(*) n FROM session_answers WHERE session_id = ?', sessionId)).toBe(1);
      expect(bystander.text).not.toMatch(/Slow down/);
    }
  });

  it('neutralises mentions and markdown in every user-supplied field', async () => {
    const problems: string[] = [];
    for (const t of targets) {
      const p = t.platform;
      const client = t.platforms().client(p);
      let sent = 0;
      let stopped = 0;
      const check = (what: string, seen: Seen) => {
        sent++;
        ackMs.push(seen.ackMs);
        const bad = dangerous(p, seen.raw);
        if (bad) problems.push(`${t.name} ${what}: ${bad}`);
        else stopped++;
      };
      // Every string option of every command, as an admin so admin commands read their options too.
      for (const spec of CATALOGUE.filter((c) => !FILE_COMMANDS.has(c.key))) {
        for (const o of spec.options.filter((x) => x.type === 'string')) {
          const value = INJECTION.slice(0, o.maxLength ?? INJECTION.length);
          const key = spec.key === 'quiz' ? 'quiz start' : spec.key;
          try {
            check(`/${spec.key} ${o.name}`, await client.command(admin(), 0, key, { ...baseOptions(spec, o.name), [o.name]: value }, 10_000));
          } catch (err) {
            if (!(err instanceof NoAnswer)) throw err;
            problems.push(`${t.name} /${spec.key} ${o.name}: no answer (${err.message.slice(0, 60)})`);
          }
        }
      }
      // The display name, shown to someone who presses the hostile user's button.
      const owner = await openQuiz(p, 'inj1', t.platforms());
      check('display name', await client.press('curious1', 0, owner, owner.buttons.find((b) => b.id.startsWith('qa:'))!));
      tallies.push({ attack: `${t.name}: mentions, links and markdown in every string option and the display name`, sent, stopped, how: p === 'discord' ? 'markdown escaped, allowed_mentions parse: [] (pings nobody)' : 'no live <!…>, <@…>, <#…> or <link|…> in any mrkdwn text' });
    }
    expect(problems).toEqual([]);
  });

  it('refuses oversized values in every command option with a clear message', async () => {
    const problems: string[] = [];
    for (const t of targets) {
      const p = t.platform;
      let sent = 0;
      let stopped = 0;
      for (const spec of CATALOGUE.filter((c) => !FILE_COMMANDS.has(c.key))) {
        for (const o of spec.options.filter((x) => x.type === 'string' || x.type === 'integer')) {
          const value = o.type === 'string' ? 'x'.repeat((o.maxLength ?? 2000) * 4 + 1) : 10 ** 12;
          const key = spec.key === 'quiz' ? 'quiz start' : spec.key;
          sent++;
          let seen: Seen;
          try {
            seen = await t.platforms().client(p).command(admin(), 0, key, { ...baseOptions(spec, o.name), [o.name]: value }, 10_000);
          } catch (err) {
            if (!(err instanceof NoAnswer)) throw err;
            problems.push(`${t.name} /${spec.key} ${o.name}: no answer (${err.message.slice(0, 60)})`);
            continue;
          }
          ackMs.push(seen.ackMs);
          if (seen.status === 200 && new RegExp(`Option '${o.name}' must be (at most|one of)`).test(seen.text)) stopped++;
          else problems.push(`${t.name} /${spec.key} ${o.name}: ${seen.status} ${seen.text.slice(0, 300)}`);
        }
      }
      tallies.push({ attack: `${t.name}: oversized value in every string and integer option`, sent, stopped, how: `"Option '…' must be at most …" (or "must be one of …" for a fixed list)` });
    }
    expect(problems).toEqual([]);
  });

  it('records the tally', () => {
    const late = ackMs.filter((m) => m > ACK_DEADLINE_MS).length;
    const tokenProblems = platforms.slackTokenProblems();
    recordSection({
      id: 'abuse',
      title: 'Abuse',
      intro: 'Hostile traffic against one bot on both platforms, and against a second bot that takes Discord over HTTP ("discord (HTTP)"). "Stopped" counts attempts refused or neutralised as described.',
      columns: ['Attack', 'Sent', 'Stopped', 'How'],
      rows: tallies.map((t) => [t.attack, t.sent, t.stopped, t.how]),
      notes: [
        `Total: ${tallies.reduce((s, t) => s + t.sent, 0)} hostile interactions, ${tallies.reduce((s, t) => s + t.stopped, 0)} stopped; acknowledgements later than 3 s: ${late}.`,
        `Slack users were spread over two workspaces that installed the bot by OAuth; calls made with another workspace's token or an invalid one: ${tokenProblems.length}.`,
      ],
    });
    expect(late).toBe(0);
    expect(tokenProblems).toEqual([]);
    // The HTTP bot's every answer was one Discord takes (in time, JSON, a valid response).
    expect(httpPlatforms.discordRefusals()).toEqual([]);
    for (const t of tallies) if (!/replayed within/.test(t.attack) && !/rapid clicks/.test(t.attack)) expect(t.stopped, t.attack).toBe(t.sent);
  });
});
