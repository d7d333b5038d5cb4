import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBot, type RunningBot } from './fakes/slack/bot.js';
import { blockActions, buttonsIn, slashCommand, textOf } from './fakes/slack/payloads.js';
import type { ResponseUrlReceiver } from './fakes/slack/response-url.js';
import { startSlackFakes, type SlackFakes } from './fakes/slack/setup.js';
import { FakeSocketModeServer } from './fakes/slack/socket-mode.js';
import type { FakeSlackWebApi } from './fakes/slack/web-api.js';

/** The real bot in Socket Mode (SLACK_APP_TOKEN, no public URL), against a fake Socket Mode server. */

let dir: string;
let fakes: SlackFakes;
let slack: FakeSlackWebApi;
let socket: FakeSocketModeServer;
let hooks: ResponseUrlReceiver;
let bot: RunningBot;

/** Socket Mode delivers the same payloads as HTTP mode, as objects rather than form bodies. */
const asObject = (form: string) => {
  const fields = Object.fromEntries(new URLSearchParams(form));
  return fields.payload ? JSON.parse(fields.payload) : fields;
};

beforeAll(async () => {
  fakes = await startSlackFakes('quizbot-slack-socket-');
  ({ dir, slack, hooks } = fakes);
  socket = await new FakeSocketModeServer().start();
  slack.socketModeUrl = socket.url;
  bot = await startBot({
    SLACK_BOT_TOKEN: slack.token,
    SLACK_APP_TOKEN: slack.appToken,
    SLACK_SIGNING_SECRET: '',
    SLACK_API_URL: slack.url,
    CONTENT_DIR: fileURLToPath(new URL('../content', import.meta.url)),
    DATABASE_PATH: join(dir, 'bot.sqlite'),
  });
  await socket.whenConnected();
});

afterAll(async () => {
  const code = await bot?.stop();
  await socket?.stop();
  await fakes?.stop();
  expect(code).toBe(0);
});

describe('Slack adapter, Socket Mode (child process)', () => {
  it('opens the connection with the app token and answers a command in its acknowledgement', async () => {
    expect(slack.callsTo('apps.connections.open')[0]?.token).toBe(slack.appToken);
    expect(bot.logs()).toMatch(/"mode":"socket".*"slack connected"/);
    expect(bot.logs()).not.toContain(slack.appToken);
    const { url } = hooks.newUrl();
    const ack = await socket.send('slash_commands', asObject(slashCommand({ text: 'lesson moe-tradeoffs', userId: 'USAM', responseUrl: url })));
    expect(ack.response_type).toBe('ephemeral');
    expect(ack.blocks[0].text.text).toMatch(/ — 1\/\d+$/);

    const [next] = buttonsIn(ack.blocks);
    const press = hooks.newUrl();
    const actionAck = await socket.send('interactive', asObject(blockActions({ userId: 'USAM', actionId: next!.action_id, value: next!.value, responseUrl: press.url })));
    expect(actionAck).toEqual({});
    const [post] = await hooks.waitFor(press.hook);
    expect(post!.body.replace_original).toBe(true);
    expect(textOf(post!.body.blocks)).toMatch(/ — 2\/\d+/);
  });
});
