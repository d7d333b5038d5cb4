import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/cli.js';
import { BotProcess } from './fakes/discord/bot-process.js';
import { CallbackType, FakeDiscord, buttonsOf, isEphemeral, plainTextOf, textOf, type FakeMessage, type FakeUser, type SentInteraction } from './fakes/discord/index.js';
import { snowflake, type Json } from './fakes/discord/model.js';
import { freePort } from './fakes/loopback.js';
import { oneQuestionBankYaml, queryDb } from './helpers/bot-db.js';

/**
 * The bot with Discord over HTTP: no gateway, Discord POSTs each interaction to
 * /discord/interactions on PORT, signed with the application's Ed25519 key, and the HTTP response
 * is the interaction's first response. The bot runs as a child process against the fake Discord,
 * which signs its deliveries with a key pair of its own making.
 */

const CONTENT_DIR = join(repoRoot, 'content');

describe('the bot on Discord over HTTP (a child process, signed requests from the fake Discord)', () => {
  let fake: FakeDiscord;
  let bot: BotProcess;
  let dir: string;
  let dbPath: string;
  let port: number;
  let endpoint: string;
  let alice: FakeUser;
  let admin: FakeUser;

  beforeAll(async () => {
    fake = await FakeDiscord.start();
    alice = fake.user('alice', { nick: 'Alice A.' });
    admin = fake.user('root', { admin: true });
    dir = mkdtempSync(join(tmpdir(), 'quizbot-discord-http-'));
    dbPath = join(dir, 'bot.sqlite');
    port = await freePort();
    endpoint = `http://127.0.0.1:${port}/discord/interactions`;
    // /healthz and /metrics on the same port: one server serves all three.
    bot = new BotProcess(
      fake.env({
        DISCORD_PUBLIC_KEY: fake.publicKey,
        DISCORD_GUILD_ID: fake.guildId,
        PORT: String(port),
        HTTP_PORT: String(port),
        DATABASE_PATH: dbPath,
        CONTENT_DIR,
        RACE_ROUND_SECONDS: '600',
        RATE_LIMIT_BURST: '1000',
      }),
    );
    await bot.waitForLog('bot started');
    fake.sendInteractionsTo(endpoint);
  });

  afterAll(async () => {
    await bot?.stop();
    await fake?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (sent: SentInteraction) => (await fake.outcome(sent)).message!;
  const count = (sql: string, ...args: unknown[]) => queryDb<{ n: number }>(dbPath, sql, ...args)[0]!.n;
  /** Requests the bot made that only the gateway mode makes: none may appear. */
  const gatewayOnly = () => fake.state.requests.filter((r) => /\/callback$|\/gateway(\/bot)?$/.test(r.path));

  it('serves the endpoint on PORT beside /healthz, registers the commands, and opens no gateway connection', async () => {
    expect(fake.gateway.connections).toBe(0);
    expect(gatewayOnly()).toEqual([]);
    expect(fake.state.guildCommands.get(fake.guildId)?.map((c) => c.name)).toContain('quiz');
    expect(bot.logs().find((l) => l.msg === 'discord connected')).toMatchObject({ mode: 'http', port, path: '/discord/interactions' });
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', platforms: { discord: 'connected' } });
    // Only POST is served there.
    expect((await fetch(endpoint)).status).toBe(405);
  });

  it('answers a PING with a PONG', async () => {
    const body = JSON.stringify({ id: snowflake(), application_id: fake.applicationId, type: 1, token: 'ping', version: 1 });
    const res = await fake.postToEndpoint(body, fake.signatureHeaders(body));
    expect(res).toEqual({ status: 200, text: '{"type":1}', contentType: 'application/json' });
  });

  it('refuses forged, stale, altered and unsigned requests with 401, and runs none of them', async () => {
    const eve = fake.user('eve');
    // A real command's payload, never delivered: each attempt carries a fresh id, so no duplicate check is what stops it.
    const payload = (): Json => ({ ...fake.slashPayload(eve, 'quiz', {}, { subcommand: 'start' }), id: snowflake(), token: randomBytes(24).toString('base64url') });
    const now = Math.floor(Date.now() / 1000);
    const stranger = generateKeyPairSync('ed25519').privateKey;
    const attempts: [string, () => { body: string; headers: Record<string, string> }][] = [
      ['signed with another key', () => { const body = JSON.stringify(payload()); return { body, headers: fake.signatureHeaders(body, { key: stranger }) }; }],
      ['signed 6 minutes ago', () => { const body = JSON.stringify(payload()); return { body, headers: fake.signatureHeaders(body, { timestamp: now - 6 * 60 }) }; }],
      ['signed 6 minutes ahead', () => { const body = JSON.stringify(payload()); return { body, headers: fake.signatureHeaders(body, { timestamp: now + 6 * 60 }) }; }],
      ['altered after signing', () => {
        const p = payload();
        const headers = fake.signatureHeaders(JSON.stringify(p));
        return { body: JSON.stringify({ ...p, member: { ...p.member, permissions: String(1n << 3n) } }), headers };
      }],
      ['a signature of another timestamp', () => { const body = JSON.stringify(payload()); const h = fake.signatureHeaders(body); return { body, headers: { ...h, 'x-signature-timestamp': String(now - 1) } }; }],
      ['no signature headers', () => ({ body: JSON.stringify(payload()), headers: {} })],
      ['no timestamp', () => { const body = JSON.stringify(payload()); const { 'x-signature-ed25519': sig } = fake.signatureHeaders(body); return { body, headers: { 'x-signature-ed25519': sig! } }; }],
      ['no signature', () => { const body = JSON.stringify(payload()); const { 'x-signature-timestamp': ts } = fake.signatureHeaders(body); return { body, headers: { 'x-signature-timestamp': ts! } }; }],
      ['a signature that is not hex', () => { const body = JSON.stringify(payload()); return { body, headers: { ...fake.signatureHeaders(body), 'x-signature-ed25519': 'z'.repeat(128) } }; }],
    ];
    const requestsBefore = fake.state.requests.length;
    for (const [what, make] of attempts) {
      const { body, headers } = make();
      const res = await fake.postToEndpoint(body, headers);
      expect([what, res.status, res.text]).toEqual([what, 401, 'invalid request signature\n']);
    }
    // A PING is no exception.
    expect((await fake.postToEndpoint('{"type":1}', fake.signatureHeaders('{"type":1}', { key: stranger }))).status).toBe(401);
    // Nothing ran: no user, no quiz, no call to Discord.
    expect(count('SELECT count(*) n FROM users WHERE external_id = ?', eve.id)).toBe(0);
    expect(fake.state.requests.slice(requestsBefore)).toEqual([]);
    // The same payload, signed properly, is run.
    const real = await run(fake.deliver(payload()));
    expect(real.embeds[0]!.title).toMatch(/^Today's quiz — question 1 of \d+$/);
    expect(count('SELECT count(*) n FROM users WHERE external_id = ?', eve.id)).toBe(1);
  });

  it('answers slash commands in the HTTP response: /help, /stats and /quiz start', async () => {
    const sent = fake.slash(alice, 'help');
    const help = await fake.outcome(sent);
    expect(help.callback.type).toBe(CallbackType.CHANNEL_MESSAGE_WITH_SOURCE);
    expect(isEphemeral(help.message)).toBe(true);
    expect(help.message!.embeds[0]).toMatchObject({ title: 'Commands' });
    expect(help.message!.allowed_mentions).toEqual({ parse: [] });
    const stats = await run(fake.slash(alice, 'stats'));
    expect(isEphemeral(stats)).toBe(true);
    expect(plainTextOf(textOf(stats))).toContain('Alice A.');
    const quiz = await run(fake.slash(alice, 'quiz', {}, { subcommand: 'start' }));
    expect(quiz.embeds[0]!.title).toMatch(/^Today's quiz — question 1 of \d+$/);
    expect(gatewayOnly()).toEqual([]);
  });

  it('completes lesson ids while the user types (autocomplete)', async () => {
    const callback = await fake.callback(fake.slash(alice, 'lesson', { id: 'trade' }, { focused: 'id' }));
    expect(callback).toMatchObject({ type: CallbackType.AUTOCOMPLETE_RESULT, data: { choices: [{ name: 'Mixture of Experts: Tradeoffs (moe-tradeoffs)', value: 'moe-tradeoffs' }] } });
  });

  it('pages a lesson with a button, updating the message in the response', async () => {
    const first = await run(fake.slash(alice, 'lesson', { id: 'moe-tradeoffs' }));
    const paged = await fake.outcome(fake.press(alice, first, /^Next: /));
    expect(paged.callback.type).toBe(CallbackType.UPDATE_MESSAGE);
    expect(paged.message!.id).toBe(first.id);
    expect(paged.message!.embeds[0]!.title).toMatch(/— 2\/\d+$/);
  });

  it('defers a slow command (/ask) in the response and edits the answer in through REST, ephemeral answers as a follow-up', async () => {
    const sent = fake.slash(alice, 'ask', { question: 'What does the router do?' });
    const outcome = await fake.outcome(sent);
    expect(outcome.callback).toMatchObject({ type: CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE, data: { flags: 0 } });
    expect(sent.originalEdits).toBe(1);
    expect(fake.state.requests.some((r) => r.method === 'PATCH' && r.path === `/api/v10/webhooks/${fake.applicationId}/${sent.token}/messages/%40original`)).toBe(true);
    expect(outcome.message!.embeds[0]!.title).toBe('Q: What does the router do?');

    const quiet = fake.slash(alice, 'ask', { question: 'What does the router do?', private: true });
    const answered = await fake.outcome(quiet, { followUps: 1 });
    expect(fake.state.messages.get(quiet.originalId!)!.deleted).toBe(true);
    expect(isEphemeral(answered.message)).toBe(true);
  });

  /** Answers the question on screen with its first choice (a button, a select, or the typed form). */
  async function answer(user: FakeUser, question: FakeMessage): Promise<{ sent: SentInteraction; message: FakeMessage }> {
    const menu = question.components.flatMap((r) => r.components).find((c: { type: number }) => c.type === 3);
    if (menu) {
      const sent = fake.select(user, question, ['0']);
      return { sent, message: await run(sent) };
    }
    if (buttonsOf(question).some((b) => b.label === 'Type your answer')) {
      const opened = fake.press(user, question, 'Type your answer');
      expect((await fake.callback(opened)).type).toBe(CallbackType.MODAL);
      const sent = fake.submitModal(user, opened, 'router');
      return { sent, message: await run(sent) };
    }
    const sent = fake.press(user, question, buttonsOf(question).find((b) => b.label !== "I don't know")!.custom_id);
    return { sent, message: await run(sent) };
  }

  it('opens a modal from a button and takes its answer', async () => {
    const bob = fake.user('bob');
    const question = await run(fake.slash(bob, 'quiz', { lesson: 'moe-model-families' }, { subcommand: 'start' }));
    const { message: feedback } = await answer(bob, question);
    const opened = fake.press(bob, feedback, 'Report question');
    const modal = await fake.callback(opened);
    expect(modal).toMatchObject({ type: CallbackType.MODAL, data: { title: 'Report this question', components: [{ type: 18, component: { type: 4, max_length: 500 } }] } });
    const submitted = await fake.outcome(fake.submitModal(bob, opened, 'The key <@1> looks **wrong**'));
    expect(isEphemeral(submitted.message)).toBe(true);
    expect(textOf(submitted.message)).not.toMatch(/(^|[^\\])<@1>/);
    expect(count("SELECT count(*) n FROM question_reports WHERE comment LIKE '%looks **wrong**%'")).toBe(1);
  });

  it('handles a retried delivery once and answers it as the first', async () => {
    const question = await run(fake.slash(admin, 'quiz', { lesson: 'moe-behave-differently' }, { subcommand: 'start' }));
    const choice = buttonsOf(question).find((b) => b.label !== "I don't know")!;
    const sent = fake.press(admin, question, choice.custom_id);
    const first = await fake.outcome(sent);
    await fake.redeliver(sent);
    await fake.redeliver(sent);
    expect(sent.callbacks).toHaveLength(1);
    expect(sent.repeatResponses?.map((r) => [r.status, JSON.parse(r.body)])).toEqual([
      [200, { type: first.callback.type, data: first.callback.data }],
      [200, { type: first.callback.type, data: first.callback.data }],
    ]);
    const [, sessionId, position] = choice.custom_id.split(':');
    expect(count('SELECT count(*) n FROM session_answers WHERE session_id = ? AND position = ?', sessionId, Number(position))).toBe(1);
    expect(count("SELECT count(*) n FROM reviews r JOIN users u ON u.id = r.user_id WHERE u.external_id = ?", admin.id)).toBe(1);
  });

  it('imports a question bank from an attached file, fetched from its URL', async () => {
    const bank = oneQuestionBankYaml('discord-http-upload', 'Uploaded over HTTP', 'http-upload-sparse');
    const file = fake.upload('bank.yaml', bank, 'application/yaml');
    const preview = await fake.outcome(fake.slash(admin, 'quiz-admin', {}, { subcommand: 'import', attachments: { file } }));
    expect(preview.callback).toMatchObject({ type: CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE, data: { flags: 64 } });
    expect(fake.state.requests.filter((r) => r.path.startsWith('/attachments/'))).toHaveLength(1);
    expect(preview.message!.embeds[0]!.title).toBe('Import preview: bank.yaml');
    const applied = await fake.outcome(fake.press(admin, preview.message!, 'Apply import'));
    expect(applied.message!.embeds[0]!.title).toBe('Import applied');
    expect(count("SELECT count(*) n FROM questions WHERE bank_id = 'discord-http-upload'")).toBe(1);
  });

  it('posts race rounds in the channel through REST, and takes answers to them', async () => {
    const started = await run(fake.slash(alice, 'quiz', { rounds: 1 }, { subcommand: 'race' }));
    expect(isEphemeral(started)).toBe(true);
    const race = await fake.waitFor(() => fake.channelPosts(fake.channel()).find((m) => m.embeds[0]?.title === '🏁 Race — round 1 of 1'), 'the race round');
    expect(fake.state.requests.some((r) => r.method === 'POST' && r.path === `/api/v10/channels/${fake.channel().id}/messages` && r.authorized)).toBe(true);
    const click = await run(fake.press(admin, race, buttonsOf(race)[0]!.custom_id));
    expect(isEphemeral(click)).toBe(true);
    expect(click.content).toMatch(/Answer locked in|Right|Not quite/);
  });

  it('made no request Discord would refuse, never used the gateway, logged no token, and stops cleanly', async () => {
    expect(fake.state.requests.filter((r) => r.status >= 400).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([]);
    expect(gatewayOnly()).toEqual([]);
    expect(fake.gateway.connections).toBe(0);
    expect(await bot.stop()).toBe(0);
    expect(bot.stderr).not.toContain(fake.token);
    expect(bot.logs().filter((l) => l.level >= 50)).toEqual([]);
  });
});

describe('Discord over HTTP: start-up checks', () => {
  let fake: FakeDiscord;
  let dir: string;
  beforeAll(async () => {
    fake = await FakeDiscord.start();
    dir = mkdtempSync(join(tmpdir(), 'quizbot-discord-http-'));
  });
  afterAll(async () => {
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.concurrent.each([
    ['a public key that is not the application’s', () => ({ DISCORD_PUBLIC_KEY: 'ab'.repeat(32) }), 'DISCORD_PUBLIC_KEY is not this application’s public key.'],
    ['a token Discord refuses', () => ({ DISCORD_PUBLIC_KEY: fake.publicKey, DISCORD_TOKEN: 'wrong-token' }), 'Discord refused DISCORD_TOKEN (401).'],
    ['a public key that is no key', () => ({ DISCORD_PUBLIC_KEY: 'not-a-key' }), "Invalid DISCORD_PUBLIC_KEY (got \"***\"): must be the application's Public Key: 64 hex digits."],
  ])('refuses to start with %s', async (_what, env, message) => {
    const bot = new BotProcess(fake.env({ ...env(), PORT: String(await freePort()), DATABASE_PATH: join(dir, `${randomBytes(4).toString('hex')}.sqlite`), CONTENT_DIR }));
    expect(await bot.exited()).toBe(1);
    expect(bot.stderr).toContain(message);
    expect(bot.stderr).not.toContain('wrong-token');
    expect(fake.gateway.connections).toBe(0);
  });
});
