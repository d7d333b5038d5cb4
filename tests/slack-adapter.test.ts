import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { UserError } from '../src/core/errors.js';
import { createDispatcher } from '../src/core/index.js';
import type { Capability } from '../src/core/dispatcher.js';
import { md } from '../src/core/markup.js';
import { ManualClock } from '../src/core/services.js';
import type { PlatformHandle } from '../src/platforms/platform.js';
import { INPUT_MODAL } from '../src/platforms/slack/blocks.js';
import { downloadFile, FileDownloadError } from '../src/platforms/slack/files.js';
import { startSlack } from '../src/platforms/slack/index.js';
import { freePort } from './fakes/loopback.js';
import { sendSigned, SIGNING_SECRET } from './fakes/slack/bot.js';
import { SlackDriver } from './fakes/slack/driver.js';
import { buttonsIn, eventCallback, fileShareInDm, selectsIn, textOf, viewSubmission } from './fakes/slack/payloads.js';
import { ResponseUrlReceiver } from './fakes/slack/response-url.js';
import { FakeSlackWebApi } from './fakes/slack/web-api.js';
import { testActionSpecs } from './helpers/actions.js';
import { demoBank, writeDemoContent } from './helpers/content.js';

/**
 * The Slack adapter in-process (Bolt's HTTP receiver on a real port) on the real core, with a
 * manual clock, a fake Slack Web API and a few test-only core actions for what the quiz does not
 * show yet (an unexpected failure, an image, a single-choice select).
 */

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

const testCapability: Capability = {
  actionSpecs: testActionSpecs('boom', 'refuse', 'picture', 'pick', 'menu'),
  actions: {
    boom: () => {
      throw new Error('kaboom');
    },
    refuse: () => {
      throw new UserError('Not today.');
    },
    picture: () => ({ text: 'Your chart is in a direct message.', image: { filename: 'chart.png', png: PNG, alt: 'A chart' }, visibility: 'ephemeral' }),
    pick: ({ interaction }) => ({ text: md`You picked ${(interaction.values ?? []).join(', ')}.`, visibility: 'ephemeral' }),
    menu: () => ({
      text: 'Pick one',
      components: [
        [{ kind: 'select', placeholder: 'Lesson', actionId: 'pick:lesson', options: [{ label: 'Demo <b>', value: 'demo' }, { label: 'Other', value: 'other' }] }],
        [{ kind: 'link', label: 'Docs', url: 'https://example.com/docs?a=1&b=2' }],
      ],
      visibility: 'public',
    }),
  },
};

const multipleQuestion = `  - id: demo-parts
    type: multiple
    prompt: Which parts does an MoE layer have?
    choices: [A router, Several experts, A tokenizer]
    answer: [A router, Several experts]
    explanation: A router and its experts.
    source: { lesson: demo, section: Key terms }
`;

let dir: string;
let slack: FakeSlackWebApi;
let hooks: ResponseUrlReceiver;
let app: App;
let clock: ManualClock;
let handle: PlatformHandle;
let driver: SlackDriver;
let port: number;
const logs: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'quizbot-slack-inproc-'));
  writeDemoContent(join(dir, 'content'), { 'banks/demo.yaml': demoBank + multipleQuestion });
  slack = await new FakeSlackWebApi().start();
  hooks = await new ResponseUrlReceiver().start();
  port = await freePort();
  const config = loadConfig(
    {
      CONTENT_DIR: join(dir, 'content'),
      DATABASE_PATH: join(dir, 'bot.sqlite'),
      SLACK_BOT_TOKEN: slack.token,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.url,
      PORT: String(port),
    },
    '/nonexistent/.env',
  );
  clock = new ManualClock(new Date('2026-11-20T09:00:00Z'));
  // Debug level: even Bolt's and the Web API client's most detailed logs must not carry secrets.
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const core = createApp(config, logger, { clock });
  app = { ...core, dispatcher: createDispatcher(core.services, [testCapability]) };
  const healthz = { path: '/healthz', method: ['GET'], handler: (_req: unknown, res: import('node:http').ServerResponse) => res.writeHead(200).end('ok') };
  handle = await startSlack(app, logger, { customRoutes: [healthz] });
  driver = new SlackDriver({ send: (body, options) => sendSigned(port, body, options) }, slack, hooks);
});

afterAll(async () => {
  await handle?.stop();
  app?.close();
  await slack?.stop();
  await hooks?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Slack adapter (in-process)', () => {
  it('serves extra routes from the same HTTP server as /slack/events', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect([res.status, await res.text()]).toEqual([200, 'ok']);
    expect((await fetch(`http://127.0.0.1:${port}/nope`)).status).toBe(404);
  });

  it('opens a modal for typed answers and takes a multi-select, in a lesson quiz', async () => {
    const { message } = await driver.command('lesson:demo', 'UMIA');
    expect(message.blocks[0].text.text).toBe('Demo lesson — question 1 of 4');
    let blocks = message.blocks;
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const text = textOf(blocks);
      let feedback: any;
      if (text.includes('Which component picks the experts?')) {
        seen.push('modal');
        const typeIt = buttonsIn(blocks).find((b) => b.text === 'Type your answer')!;
        const { hook, triggerId } = await driver.press({ userId: 'UMIA', actionId: typeIt.action_id, value: typeIt.value! });
        const opened = await driver.openedView(triggerId);
        expect(opened.params.view).toMatchObject({
          type: 'modal',
          title: { type: 'plain_text', text: 'Your answer' },
          submit: { type: 'plain_text', text: 'Submit' },
          blocks: [{ type: 'input', label: { text: 'Answer' }, element: { type: 'plain_text_input', max_length: 200, placeholder: { text: 'A word or two' } } }],
        });
        await driver.submit('UMIA', opened, 'the router');
        feedback = (await hooks.waitFor(hook))[0]!.body;
      } else if (text.includes('Which parts does an MoE layer have?')) {
        seen.push('select');
        const [select] = selectsIn(blocks);
        expect(select!.type).toBe('multi_static_select');
        const right = select!.options.filter((o) => o.label !== 'A tokenizer').map((o) => o.value);
        feedback = await driver.pressAndWait({ userId: 'UMIA', actionId: select!.action_id, selectedMany: right });
      } else {
        seen.push('button');
        const right = buttonsIn(blocks).find((b) => b.text === 'Picks experts for each token' || b.text === 'False')!;
        feedback = await driver.pressAndWait({ userId: 'UMIA', actionId: right.action_id, value: right.value! });
      }
      expect(feedback.blocks[0].text.text).toMatch(/^✅ Right!/);
      const next = buttonsIn(feedback.blocks).find((b) => b.action_id.startsWith('qn:'))!;
      blocks = (await driver.pressAndWait({ userId: 'UMIA', actionId: next.action_id, value: next.value! })).blocks;
    }
    expect(seen.sort()).toEqual(['button', 'button', 'modal', 'select']);
    expect(textOf(blocks)).toContain('You got *4 of 4* right');
  });

  it('posts race rounds through the outbox: the round, closed in place, then the final standings', async () => {
    const start = await driver.command('race 1', 'UMIA', 'C0RACE');
    expect(textOf(start.message.blocks)).toContain('Your race is on: 1 round');
    const round = await slack.waitFor('chat.postMessage', (c) => c.params.channel === 'C0RACE');
    const message = [...slack.messages.values()].find((m) => m.channel === 'C0RACE')!;
    const right = buttonsIn(round.params.blocks).find((b) => b.text === 'Picks experts for each token' || b.text === 'False')!;
    const wrong = buttonsIn(round.params.blocks).find((b) => b.action_id !== right.action_id && b.action_id.startsWith('ra:'))!;
    // Races score with two players: mia's wrong click is the second.
    await driver.pressAndWait({ userId: 'UMIA', actionId: wrong.action_id, value: wrong.value!, channelId: 'C0RACE', messageTs: message.ts });
    await driver.pressAndWait({ userId: 'UNOA', actionId: right.action_id, value: right.value!, channelId: 'C0RACE', messageTs: message.ts });
    clock.advance(60_000);
    app.runDue();
    const closed = await slack.waitFor('chat.update', (c) => c.params.channel === 'C0RACE');
    expect(closed.params.ts).toBe(message.ts);
    expect(closed.params.blocks[0].text.text).toBe('🏁 Race — round 1 of 1 — closed');
    expect(buttonsIn(closed.params.blocks)).toEqual([]);
    const post = await slack.waitFor('chat.postMessage', (c) => c.params.channel === 'C0RACE' && c.params.blocks[0].text.text !== round.params.blocks[0].text.text);
    expect(post.params.blocks[0].text.text).toBe('🏆 Race over — final standings');
    expect(textOf(post.params.blocks)).toMatch(/🥇 unoa \(\+15\)/);
  });

  it('updates a post with an updateKey in place, uploads its image, and reports an unknown channel as not sent', async () => {
    const place = { serverId: slack.teamId, channelId: 'C0BOARD' };
    const outbox = app.services.outbox;
    expect(await outbox.send({ platform: 'slack', place, reply: { text: 'Standings: **1**', visibility: 'public' }, updateKey: 'board' })).toBe(true);
    expect(await outbox.send({ platform: 'slack', place, reply: { text: 'Standings: **2**', visibility: 'public', image: { filename: 'board.png', png: PNG, alt: 'Standings' } }, updateKey: 'board' })).toBe(true);
    // An edit of a message this process never posted (say, before a restart) is not posted anew.
    expect(await outbox.send({ platform: 'slack', place, reply: { text: 'Round 1 closed', visibility: 'public' }, updateKey: 'race:x:0', updateOnly: true })).toBe(true);
    expect(slack.callsTo('chat.postMessage').filter((c) => c.params.text === 'Round 1 closed')).toEqual([]);
    expect(slack.callsTo('chat.update').filter((c) => c.params.text === 'Round 1 closed')).toEqual([]);
    const [posted] = slack.callsTo('chat.postMessage').filter((c) => c.params.channel === 'C0BOARD');
    const updated = slack.callsTo('chat.update').filter((c) => c.params.channel === 'C0BOARD');
    expect(updated).toHaveLength(1);
    const message = [...slack.messages.values()].find((m) => m.channel === 'C0BOARD')!;
    expect(updated[0]!.params.ts).toBe(message.ts);
    expect(message.history.map((h) => h.blocks[0].text.text)).toEqual(['Standings: *1*', 'Standings: *2*']);
    expect(posted!.params.text).toBe('Standings: 1');

    const complete = await slack.waitFor('files.completeUploadExternal', (c) => c.params.channel_id === 'C0BOARD');
    const upload = slack.uploads.find((u) => u.fileId === complete.params.files[0].id)!;
    expect(upload.filename).toBe('board.png');
    expect(upload.bytes.includes(PNG)).toBe(true);
    expect(complete.params.files[0].title).toBe('Standings');

    slack.missingChannels.add('C0GONE');
    // Not delivered: the sender says so (a race is then not started), with a warning that says why.
    expect(await outbox.send({ platform: 'slack', place: { ...place, channelId: 'C0GONE' }, reply: { text: 'hi', visibility: 'public' } })).toBe(false);
    expect(logs.some((l) => l.includes('"level":40') && l.includes('cannot post in this channel') && l.includes('C0GONE'))).toBe(true);
  });

  it('sends images of personal replies to a direct message, and picks from a select', async () => {
    const reply = await driver.pressAndWait({ userId: 'UMIA', actionId: 'picture' });
    expect(reply).toMatchObject({ response_type: 'ephemeral', text: 'Your chart is in a direct message.' });
    const opened = await slack.waitFor('conversations.open', (c) => c.params.users === 'UMIA');
    expect(opened).toBeDefined();
    await slack.waitFor('files.completeUploadExternal', (c) => c.params.channel_id === 'DMIA');

    const menu = await driver.pressAndWait({ userId: 'UMIA', actionId: 'menu' });
    expect(menu.response_type).toBe('in_channel');
    const [select] = selectsIn(menu.blocks);
    expect(select).toEqual({ action_id: 'pick:lesson', type: 'static_select', options: [{ label: 'Demo <b>', value: 'demo' }, { label: 'Other', value: 'other' }] });
    expect(buttonsIn(menu.blocks)[0]).toMatchObject({ text: 'Docs', url: 'https://example.com/docs?a=1&b=2' });
    const picked = await driver.pressAndWait({ userId: 'UMIA', actionId: select!.action_id, selected: 'demo' });
    expect(picked.text).toBe('You picked demo.');
  });

  it('turns core errors into short ephemeral messages', async () => {
    expect(await driver.pressAndWait({ userId: 'UMIA', actionId: 'refuse' })).toMatchObject({ response_type: 'ephemeral', text: 'Not today.' });
    const boom = await driver.pressAndWait({ userId: 'UMIA', actionId: 'boom' });
    expect(boom.response_type).toBe('ephemeral');
    expect(boom.text).toMatch(/^Something went wrong on our side \(ref [0-9a-f]{8}\)/);
    expect((await driver.pressAndWait({ userId: 'UMIA', actionId: 'gone:1' })).text).toBe('This button is no longer available.');
  });

  it('acknowledges a form whose metadata it cannot read, and logs that it dropped it', async () => {
    const body = viewSubmission({ userId: 'UMIA', view: { id: 'VGARBLED', callback_id: INPUT_MODAL, private_metadata: 'not json' }, values: {} });
    const res = await sendSigned(port, body);
    expect([res.status, res.text]).toEqual([200, '']);
    expect(logs.some((l) => l.includes('"level":40') && l.includes('with unreadable metadata dropped') && l.includes('view:VGARBLED'))).toBe(true);
  });

  it('never writes the bot token or the signing secret to its logs, even at debug level', () => {
    const all = logs.join('');
    expect(all).toContain('files.completeUploadExternal');
    expect(all).not.toContain(slack.token);
    expect(all).not.toContain(SIGNING_SECRET);
  });

  it('downloads a file shared in a direct message only once the import may run: not for a member, not past the rate limit', async () => {
    slack.users.set('UFILEADMIN', { id: 'UFILEADMIN', name: 'fay', isAdmin: true });
    slack.users.set('UFILEBUSY', { id: 'UFILEBUSY', name: 'bo', isAdmin: true });
    slack.users.set('UFILEMEMBER', { id: 'UFILEMEMBER', name: 'mo' });
    const csv = 'id,question,choice_a,choice_b,answer,explanation\nshared-router,What picks the experts?,The router,The tokenizer,A,The router scores experts.\n';
    const share = async (userId: string, channel: string, fileId: string) => {
      slack.files.set(fileId, { name: 'shared.csv', content: Buffer.from(csv), filetype: 'csv' });
      const event = eventCallback(fileShareInDm(userId, channel, slack.fileObject(fileId, slack.files.get(fileId)!)));
      expect((await sendSigned(port, event, { headers: { 'content-type': 'application/json' } })).status).toBe(200);
      return textOf((await slack.waitFor('chat.postMessage', (c) => c.params.channel === channel)).params.blocks);
    };
    expect(await share('UFILEMEMBER', 'D0FILEMEMBER', 'F0MEMBER')).toContain('is for admins only.');
    expect(slack.downloads).not.toContain('F0MEMBER');

    // An admin who has used up their clicks: refused before the file is fetched.
    const busy = { platform: 'slack' as const, userId: 'UFILEBUSY', displayName: 'bo', isAdmin: true };
    for (let i = 0; i < 25; i++) await app.dispatcher.handle({ kind: 'command', id: `drain${i}`, actor: busy, place: { serverId: slack.teamId, channelId: 'D0FILEBUSY' }, command: 'lessons', options: {} });
    expect(await share('UFILEBUSY', 'D0FILEBUSY', 'F0BUSY')).toContain('Slow down a little');
    expect(slack.downloads).not.toContain('F0BUSY');

    expect(await share('UFILEADMIN', 'D0FILEADMIN', 'F0ADMIN')).toContain('Import preview: shared.csv');
    expect(slack.downloads.filter((id) => id === 'F0ADMIN')).toHaveLength(1);
  });

  it('downloads shared files with the bot token from Slack only, and not past the size limit', async () => {
    slack.files.set('F0DL', { name: 'bank.csv', content: Buffer.from('id,question\n') });
    const allowed = new Set([new URL(slack.url).origin]);
    expect(await downloadFile(slack.fileObject('F0DL', slack.files.get('F0DL')!) as any, slack.token, allowed)).toEqual({ name: 'bank.csv', content: Buffer.from('id,question\n') });

    const elsewhere: string[] = [];
    const other = createServer((req, res) => {
      elsewhere.push(String(req.headers.authorization));
      res.end('x');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(other.address() as { port: number }).port}/evil.csv`;
    await expect(downloadFile({ id: 'F1', name: 'evil.csv', url_private_download: url }, slack.token, allowed)).rejects.toThrow(new FileDownloadError('evil.csv is not stored on Slack, so it was not downloaded.'));
    other.close();
    expect(elsewhere).toEqual([]);
    await expect(downloadFile({ id: 'F2', name: 'big.csv', size: 11 * 1024 * 1024, url_private_download: `${slack.base}/files-pri/F2/big.csv` }, slack.token, allowed)).rejects.toThrow('big.csv is 11.0 MB; files up to 10.0 MB are read.');
    await expect(downloadFile({ id: 'F3', name: 'gone.csv', url_private_download: `${slack.base}/files-pri/F3/gone.csv` }, slack.token, allowed)).rejects.toThrow('Slack answered 404 when the bot downloaded gone.csv.');
  });
});
