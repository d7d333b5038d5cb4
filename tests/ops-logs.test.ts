import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDispatcher } from '../src/core/index.js';
import { createLogger, secretValues } from '../src/logger.js';
import { testActionSpecs } from './helpers/actions.js';
import { actor, as } from './helpers/app.js';
import { repoRoot, runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

/** The secrets a bot with a single Slack workspace and Discord is started with. */
const BOT_SECRETS = {
  DISCORD_TOKEN: 'MTA-discord-token-value-0001',
  SLACK_BOT_TOKEN: 'xoxb-1111-2222-slackbotsecret',
  SLACK_APP_TOKEN: 'xapp-1-A111-slackappsecret',
  SLACK_SIGNING_SECRET: 'signing-secret-abcdef0123',
  LLM_API_KEY: 'sk-llm-key-0987654321',
  MOE_API_TOKEN: 'moe-token-5555555555',
};
const SECRETS = {
  ...BOT_SECRETS,
  // Slack installs by OAuth (not started together with a single workspace's token).
  SLACK_CLIENT_SECRET: 'client-secret-7777777777',
  SLACK_STATE_SECRET: 'state-secret-8888888888',
  INSTALLATION_ENCRYPTION_KEY: 'aW5zdGFsbGF0aW9uLWtleS0zMi1ieXRlcy1sb25nISE=',
};
const SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';

function capture(): { stream: Writable; text: () => string } {
  let out = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  return { stream, text: () => out };
}

/** Logs every way a secret could slip out: by key, nested, in headers, inside messages and errors. */
function logSecrets(logger: ReturnType<typeof createLogger>): void {
  logger.info({ config: SECRETS }, 'config loaded');
  logger.info({ ...SECRETS }, 'top-level keys');
  logger.info({ env: SECRETS }, 'nested keys');
  logger.info({ deep: { env: SECRETS } }, 'deeper keys');
  logger.info({ req: { headers: { authorization: `Bearer ${SECRETS.MOE_API_TOKEN}`, 'x-slack-signature': SIGNATURE, cookie: 'session=cookie-secret-1' } } }, 'request');
  logger.info({ headers: { Authorization: `Bearer ${SECRETS.LLM_API_KEY}` } }, 'headers');
  logger.error({ err: new Error(`GET https://discord.example/api?token=${SECRETS.DISCORD_TOKEN} failed`) }, 'an error with a secret in its message');
  logger.warn(`the slack secret is ${SECRETS.SLACK_SIGNING_SECRET}`);
  logger.child({ token: 'child-token-secret-1' }).info('child logger');
}

function expectNoSecret(text: string): void {
  for (const value of [...Object.values(SECRETS), SIGNATURE, 'cookie-secret-1', 'child-token-secret-1']) expect(text).not.toContain(value);
}

describe('logs never contain tokens, secrets or signing material', () => {
  it('JSON logs: by key and by value', () => {
    const out = capture();
    logSecrets(createLogger('info', { destination: out.stream, secrets: secretValues(SECRETS) }));
    const lines = out.text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.msg)).toEqual([
      'config loaded',
      'top-level keys',
      'nested keys',
      'deeper keys',
      'request',
      'headers',
      'an error with a secret in its message',
      'the slack secret is [redacted]',
      'child logger',
    ]);
    expectNoSecret(out.text());
    expect(lines[1]).toMatchObject({ DISCORD_TOKEN: '[redacted]', MOE_API_TOKEN: '[redacted]' });
    expect(lines[4]).toMatchObject({ req: { headers: { authorization: '[redacted]', 'x-slack-signature': '[redacted]', cookie: '[redacted]' } } });
    expect((lines[6]!.err as { message: string }).message).toBe('GET https://discord.example/api?token=[redacted] failed');
  });

  it('pretty logs (the terminal chat) too', () => {
    const out = capture();
    logSecrets(createLogger('info', { destination: out.stream, prettyOutput: true, secrets: secretValues(SECRETS) }));
    expect(out.text()).toContain('config loaded');
    expect(out.text()).toContain('[redacted]');
    expectNoSecret(out.text());
  });

  it('keys are redacted even without the configured values', () => {
    const out = capture();
    logSecrets(createLogger('info', { destination: out.stream }));
    const text = out.text();
    for (const v of [SECRETS.MOE_API_TOKEN, SECRETS.LLM_API_KEY, SIGNATURE, 'cookie-secret-1', 'child-token-secret-1']) expect(text).not.toContain(v);
    expect(JSON.parse(text.split('\n')[1]!)).toMatchObject(Object.fromEntries(Object.keys(SECRETS).map((k) => [k, '[redacted]'])));
  });
});

describe('every interaction log line carries its request id', () => {
  it('debug and error lines name the interaction (rid), the platform and the command or action', async () => {
    const out = capture();
    const config = loadConfig({ CONTENT_DIR: join(repoRoot, 'content'), DATABASE_PATH: join(tempDir(), 'bot.sqlite') }, '/nonexistent/.env');
    const app = createApp(config, createLogger('debug', { destination: out.stream }));
    const dispatcher = createDispatcher(app.services, [
      {
        actionSpecs: testActionSpecs('boom'),
        actions: {
          boom: () => {
            throw new Error('a bug');
          },
        },
      },
    ]);
    const user = as({ ...app, dispatcher }, actor('alice', false, 'slack'));
    await user.command('help', {}, 'Ev-help-1');
    await user.action('boom', {}, 'Ev-boom-2');
    app.close();
    const lines = out
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.rid);
    expect(lines).toEqual([
      expect.objectContaining({ rid: 'Ev-help-1', platform: 'slack', command: 'help', msg: 'handled', level: 20 }),
      expect.objectContaining({ rid: 'Ev-boom-2', platform: 'slack', action: 'boom', msg: 'interaction failed', level: 50, ref: expect.stringMatching(/^[0-9a-f]{8}$/) }),
      expect.objectContaining({ rid: 'Ev-boom-2', platform: 'slack', action: 'boom', msg: 'handled' }),
    ]);
  });

  it('the terminal chat logs pretty lines with the request id, and LOG_LEVEL chooses them', async () => {
    const dir = tempDir();
    const r = await runCli(['chat'], { input: '/help\n', env: { DATABASE_PATH: join(dir, 'bot.sqlite'), LOG_LEVEL: 'debug', ...BOT_SECRETS, DISCORD_APPLICATION_ID: '1' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/DEBUG.*: handled\n\s+rid: "t\d+-\d+-1"\n\s+platform: "terminal"\n\s+command: "help"/);
    expectNoSecret(r.stderr + r.stdout);
    const quiet = await runCli(['chat'], { input: '/help\n', env: { DATABASE_PATH: join(dir, 'bot.sqlite'), LOG_LEVEL: 'warn' } });
    expect(quiet.stderr).not.toContain('handled');
  });
});
