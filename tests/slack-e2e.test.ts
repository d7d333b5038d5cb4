import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { correctAnswers, type Question } from '../src/core/content/schema.js';
import { freePort } from './fakes/loopback.js';
import { startBot, SIGNING_SECRET, type RunningBot } from './fakes/slack/bot.js';
import { SlackDriver } from './fakes/slack/driver.js';
import { blockActions, buttonsIn, eventCallback, fileShareInDm, selectsIn, slashCommand, textOf, viewSubmission } from './fakes/slack/payloads.js';
import type { ResponseUrlReceiver } from './fakes/slack/response-url.js';
import { startSlackFakes, type SlackFakes } from './fakes/slack/setup.js';
import { signedRequest } from './fakes/slack/signing.js';
import type { FakeSlackWebApi } from './fakes/slack/web-api.js';
import { queryDb, questionsById, raceQuestion } from './helpers/bot-db.js';
import { runCli } from './helpers/cli.js';

/**
 * The real bot (compiled, as a child process) in Slack's HTTP mode, against a fake Slack Web API
 * and a response_url receiver, driven with correctly signed requests.
 */

const contentDir = fileURLToPath(new URL('../content', import.meta.url));
let dir: string;
let fakes: SlackFakes;
let slack: FakeSlackWebApi;
let hooks: ResponseUrlReceiver;
let bot: RunningBot;
let driver: SlackDriver;
let dbPath: string;

beforeAll(async () => {
  fakes = await startSlackFakes('quizbot-slack-');
  ({ dir, slack, hooks } = fakes);
  slack.users.set('UADMIN', { id: 'UADMIN', name: 'ada', isAdmin: true });
  slack.users.set('UOWNER', { id: 'UOWNER', name: 'olga', isOwner: true });
  slack.users.set('UALICE', { id: 'UALICE', name: 'alice', displayName: 'Alice' });
  slack.users.set('UBOB', { id: 'UBOB', name: 'bob', displayName: 'Bob' });
  slack.users.set('UEVE', { id: 'UEVE', name: 'eve', displayName: '<!here> Eve' });
  dbPath = join(dir, 'bot.sqlite');
  bot = await startBot({
    SLACK_BOT_TOKEN: slack.token,
    SLACK_API_URL: slack.url,
    SLACK_ADMIN_USER_IDS: 'ULISTED, UOTHER',
    CONTENT_DIR: contentDir,
    DATABASE_PATH: dbPath,
  });
  driver = new SlackDriver(bot, slack, hooks);
});

afterAll(async () => {
  const code = await bot?.stop();
  await fakes?.stop();
  expect(code).toBe(0);
});

const questions = questionsById(contentDir);

/** Reads the bot's database (read-only, while it runs). */
const query = <T>(sql: string, ...args: unknown[]): T[] => queryDb<T>(dbPath, sql, ...args);

function sessionQuestion(sessionId: string, position: number): Question {
  const [row] = query<{ ids: string }>('SELECT question_ids ids FROM quiz_sessions WHERE id = ?', sessionId);
  return questions.get(JSON.parse(row!.ids)[position])!;
}

/** Answers the question shown in `blocks` right, the way its controls ask: button, select or modal. */
async function answerRight(userId: string, blocks: any[]): Promise<any> {
  const buttons = buttonsIn(blocks);
  const selects = selectsIn(blocks);
  const control = [...buttons.map((b) => b.action_id), ...selects.map((s) => s.action_id)].find((id) => /^q[atm]:/.test(id))!;
  const [, sessionId, position] = control.split(':');
  const q = sessionQuestion(sessionId!, Number(position));
  const right = correctAnswers(q);
  if (q.type === 'short') {
    const input = buttons.find((b) => b.action_id.startsWith('qt:'))!;
    const { hook, triggerId } = await driver.press({ userId, actionId: input.action_id, value: input.value! });
    await driver.submit(userId, await driver.openedView(triggerId), right[0]!);
    return (await hooks.waitFor(hook))[0]!.body;
  }
  if (q.type === 'multiple') {
    const select = selects[0]!;
    return driver.pressAndWait({ userId, actionId: select.action_id, selectedMany: select.options.filter((o) => right.includes(o.label)).map((o) => o.value) });
  }
  const button = buttons.find((b) => b.action_id.startsWith('qa:') && right.includes(b.text))!;
  return driver.pressAndWait({ userId, actionId: button.action_id, value: button.value! });
}

function logCount(text: string): number {
  return bot.logs().split(text).length - 1;
}

/** Sends `/quiz <text>` and returns the acknowledgement's message and the command's response_url hook. */
async function quiz(text: string, userId = 'UALICE', channelId = 'C0GENERAL') {
  const { url, hook } = hooks.newUrl();
  const res = await bot.send(slashCommand({ text, userId, channelId, responseUrl: url }));
  expect(res.status).toBe(200);
  return { hook, message: res.text ? res.json() : undefined };
}

describe('Slack adapter, HTTP mode (child process, fake Slack)', () => {
  it('checks its token with auth.test and never logs the secrets', () => {
    expect(slack.callsTo('auth.test')[0]?.token).toBe(slack.token);
    expect(bot.logs()).toContain('"slack connected"');
    expect(bot.logs()).not.toContain(slack.token);
    expect(bot.logs()).not.toContain(SIGNING_SECRET);
  });

  it('answers /quiz help in the acknowledgement, ephemerally, as Block Kit', async () => {
    const { message } = await quiz('help');
    expect(message.response_type).toBe('ephemeral');
    expect(message.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Commands', emoji: true } });
    const text = textOf(message.blocks);
    expect(text).toContain('`/quiz race [rounds] [lesson]`');
    expect(text).toContain('`/quiz leaderboard [period] [scope] [season]`');
    expect(message.text).toMatch(/^Commands: /);
  });

  it('maps /quiz <words> onto the catalogue: help for one command, lessons', async () => {
    const help = await quiz('help race');
    expect(textOf(help.message.blocks)).toContain('/quiz race [rounds] [lesson]');
    const lessons = await quiz('lessons');
    const text = textOf(lessons.message.blocks);
    for (const id of ['moe-tradeoffs', 'moe-model-families', 'moe-behave-differently']) expect(text).toContain(`\`${id}\``);
    expect(text).toMatch(/\*[^*]+\* \(`moe-tradeoffs`, \d+ min, \d+ sections\)/);
  });

  it('reads a lesson and turns its pages with buttons, replacing the message via response_url', async () => {
    const { message } = await quiz('lesson moe-tradeoffs');
    expect(message.blocks[0].text.text).toMatch(/ — 1\/\d+$/);
    const [next] = buttonsIn(message.blocks);
    expect(next).toMatchObject({ action_id: 'lesson:moe-tradeoffs:1', value: 'lesson:moe-tradeoffs:1', style: 'primary' });
    expect(next!.text).toMatch(/^Next: /);

    const { url, hook } = hooks.newUrl();
    const res = await bot.send(blockActions({ userId: 'UALICE', actionId: next!.action_id, value: next!.value, responseUrl: url }));
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    const [post] = await hooks.waitFor(hook);
    expect(post!.body.replace_original).toBe(true);
    expect(post!.body.blocks[0].text.text).toMatch(/ — 2\/\d+$/);
    expect(buttonsIn(post!.body.blocks)[0]).toMatchObject({ action_id: 'lesson:moe-tradeoffs:0', text: '◀ Previous' });
  });

  it('explains bad input ephemerally: option checks from the core, unknown subcommands from the adapter', async () => {
    expect((await quiz('lesson moe-tradeoffs section:0')).message).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringContaining("Option 'section' must be at least 1."),
    });
    expect(textOf((await quiz('race 99')).message.blocks)).toContain("Option 'rounds' must be at most 10.");
    expect(textOf((await quiz('leaderboard yesterday')).message.blocks)).toContain("Option 'period' must be one of: week, month, season, all.");
    expect(textOf((await quiz('admin')).message.blocks)).toMatch(/^Admin commands: schedule, stats, reports, end-season.*Example: \/quiz admin stats$/);
    expect(textOf((await quiz('admin nope')).message.blocks)).toContain('There is no admin command "nope"');
    expect(textOf((await quiz('lesson a b c')).message.blocks)).toContain('Too many values for /quiz lesson: "c" is not expected.');
  });

  it('refuses admin commands to members and lets workspace admins, owners and listed users through', async () => {
    const refused = await quiz('admin stats', 'UALICE');
    expect(refused.message.response_type).toBe('ephemeral');
    expect(textOf(refused.message.blocks)).toContain('is for admins only.');
    expect(slack.callsTo('users.info').some((c) => c.params.user === 'UALICE')).toBe(true);
    for (const user of ['UADMIN', 'UOWNER', 'ULISTED']) {
      const allowed = await quiz('admin stats', user);
      expect(textOf(allowed.message?.blocks), user).not.toContain('for admins only');
    }
  });

  it('escapes user text for mrkdwn, so nobody can ping the channel or forge a link', async () => {
    const { message } = await quiz('lesson <!channel>&<https://evil.example|login>');
    const text = textOf(message.blocks);
    expect(text).toContain('&lt;!channel&gt;&amp;&lt;https://evil.example|login&gt;');
    expect(JSON.stringify(message)).not.toMatch(/<!channel>|<https:\/\/evil/);
  });

  it('rejects forged, tampered and stale requests with 401 and does nothing', async () => {
    const before = { calls: slack.calls.length, posts: hooks.posts.length };
    const { url } = hooks.newUrl();
    const body = slashCommand({ text: 'help', userId: 'UALICE', responseUrl: url });
    const forged = await bot.send(body, { secret: 'not-the-secret' });
    expect(forged.status).toBe(401);
    const stale = await bot.send(body, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(stale.status).toBe(401);
    const tampered = await fetch(`http://127.0.0.1:${bot.port}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...signedRequest(body, SIGNING_SECRET).headers },
      body: body.replace('text=help', 'text=admin+end-season'),
    });
    expect(tampered.status).toBe(401);
    const unsigned = await fetch(`http://127.0.0.1:${bot.port}/slack/events`, { method: 'POST', body });
    expect(unsigned.status).toBe(401);
    // A correctly signed request within the window still works.
    expect((await bot.send(body, { timestamp: Math.floor(Date.now() / 1000) - 4 * 60 })).status).toBe(200);
    expect(slack.calls.length).toBe(before.calls);
    expect(hooks.posts.length).toBe(before.posts);
  });

  it('acknowledges a retried delivery (x-slack-retry-num) without handling it twice', async () => {
    const { url, hook } = hooks.newUrl();
    const press = blockActions({ userId: 'UALICE', actionId: 'lesson:moe-tradeoffs:1', responseUrl: url });
    expect((await bot.send(press)).status).toBe(200);
    await hooks.waitFor(hook);
    const repeats = logCount('repeated action acknowledged');
    const retry = await bot.send(press, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
    expect(retry.status).toBe(200);
    await slack.until(() => (logCount('repeated action acknowledged') > repeats ? true : undefined), 'the repeat to be logged');
    expect(hooks.postsTo(hook)).toHaveLength(1);

    const command = slashCommand({ text: 'help', userId: 'UALICE', responseUrl: url });
    expect((await bot.send(command)).json().blocks).toBeDefined();
    const again = await bot.send(command, { headers: { 'x-slack-retry-num': '1' } });
    expect(again.status).toBe(200);
    expect(again.text).toBe('');
  });

  it('runs a personal quiz ephemerally, answered by buttons (and a modal for typed answers), to its summary', async () => {
    const { message } = await driver.command('', 'UBOB');
    expect(message.response_type).toBe('ephemeral');
    expect(message.blocks[0].text.text).toMatch(/^Today's quiz — question 1 of (\d+)$/);
    const total = Number(/of (\d+)$/.exec(message.blocks[0].text.text)![1]);
    let blocks = message.blocks;
    for (let i = 0; i < total; i++) {
      const feedback = await answerRight('UBOB', blocks);
      expect(feedback.replace_original).toBe(true);
      expect(feedback.blocks[0].text.text).toBe('✅ Right! +10 points');
      const next = buttonsIn(feedback.blocks).find((b) => b.action_id.startsWith('qn:'))!;
      expect(next.text).toBe(i === total - 1 ? 'See my results' : 'Next ▶');
      const shown = await driver.pressAndWait({ userId: 'UBOB', actionId: next.action_id, value: next.value! });
      expect(shown.replace_original).toBe(true);
      blocks = shown.blocks;
      if (i < total - 1) expect(blocks[0].text.text).toBe(`Today's quiz — question ${i + 2} of ${total}`);
    }
    expect(blocks[0].text.text).toBe('Quiz complete');
    expect(textOf(blocks)).toContain(`You got *${total} of ${total}* right and earned *${total * 10} points*.`);
    const [bob] = query<{ points: number }>("SELECT sum(a.points) points FROM awards a JOIN users u ON u.id = a.user_id WHERE u.external_id = 'UBOB' AND u.platform = 'slack'");
    expect(bob!.points).toBe(total * 10);
  });

  it('counts a retried answer (same body, x-slack-retry-num: 1) once', async () => {
    const { message } = await driver.command('', 'UALICE', 'C0STUDY');
    const control = buttonsIn(message.blocks).find((b) => b.action_id.startsWith('qa:'))!;
    const [, sessionId, position] = control.action_id.split(':');
    const q = sessionQuestion(sessionId!, Number(position));
    const right = buttonsIn(message.blocks).find((b) => correctAnswers(q).includes(b.text));
    // Whatever the first question's type, a right answer by button is what this test needs.
    expect(right, `first question ${q.id} (${q.type}) has a right-answer button`).toBeDefined();
    const first = await driver.press({ userId: 'UALICE', actionId: right!.action_id, value: right!.value!, channelId: 'C0STUDY' });
    await hooks.waitFor(first.hook);
    const repeats = logCount('repeated action acknowledged');
    const retry = await bot.send(first.body, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
    expect([retry.status, retry.text]).toEqual([200, '']);
    await slack.until(() => (logCount('repeated action acknowledged') > repeats ? true : undefined), 'the repeat to be logged');
    expect(hooks.postsTo(first.hook)).toHaveLength(1);
    expect(query('SELECT * FROM session_answers WHERE session_id = ?', sessionId)).toHaveLength(1);
    const awards = query<{ points: number }>(
      "SELECT a.points FROM awards a JOIN users u ON u.id = a.user_id WHERE u.external_id = 'UALICE' AND a.reason = 'quiz'",
    );
    expect(awards).toEqual([{ points: 10 }]);
  });

  it('runs a public race in a channel with two users and shows the leaderboard in the channel', async () => {
    const start = await driver.command('race 1', 'UALICE', 'C0RACE');
    expect(start.message.response_type).toBe('ephemeral');
    expect(textOf(start.message.blocks)).toContain('Your race is on: 1 round');
    // The round is the bot's own message in the channel, which closing the round edits.
    const posted = await slack.waitFor('chat.postMessage', (c) => c.params.channel === 'C0RACE');
    expect(posted.params.blocks[0].text.text).toBe('🏁 Race — round 1 of 1');
    const raceTs = [...slack.messages.values()].find((m) => m.channel === 'C0RACE')!.ts;
    const buttons = buttonsIn(posted.params.blocks);
    const [, raceId] = buttons[0]!.action_id.split(':');
    const q = raceQuestion(dbPath, questions, raceId!, 0);
    const right = buttons.find((b) => correctAnswers(q).includes(b.text))!;
    const wrong = buttons.find((b) => !correctAnswers(q).includes(b.text))!;
    const press = (userId: string, b: typeof right) => driver.pressAndWait({ userId, actionId: b.action_id, value: b.value!, channelId: 'C0RACE', messageTs: raceTs });

    // Alice's wrong click makes two players, so right answers score at once.
    expect((await press('UALICE', wrong)).text).toContain('Answer locked in.');
    expect(await press('UEVE', right)).toMatchObject({ response_type: 'ephemeral', replace_original: false, text: expect.stringContaining('Right, and first! +15 points.') });
    expect((await press('UBOB', right)).text).toContain('Right! +');
    expect((await press('UEVE', wrong)).text).toContain('You already answered this round');
    const raceAwards = query<{ user: string; points: number }>(
      "SELECT u.external_id user, a.points FROM awards a JOIN users u ON u.id = a.user_id WHERE a.award_key LIKE ? ORDER BY a.points DESC",
      `race:${raceId}:%`,
    );
    expect(raceAwards.map((a) => a.user)).toEqual(['UEVE', 'UBOB']);

    const board = await driver.command('leaderboard week', 'UALICE', 'C0RACE');
    expect(board.message.response_type).toBe('in_channel');
    expect(board.message.blocks[0].text.text).toBe('Leaderboard — this server, this week');
    const text = textOf(board.message.blocks);
    expect(text).toContain('&lt;!here&gt; Eve — 15');
    expect(text).toMatch(/Bob — \d+/);
    expect(JSON.stringify(board.message)).not.toContain('<!here>');
  });

  it('uploads the leaderboard card to the channel and the /quiz stats card to a direct message, titled with their text version', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const board = await driver.command('leaderboard all', 'UBOB', 'C0RACE');
    expect(board.message.response_type).toBe('in_channel');
    const shared = await slack.waitFor('files.completeUploadExternal', (c) => c.params.channel_id === 'C0RACE' && /^Leaderboard card, this server, all time: /.test(c.params.files[0].title));
    expect(shared.params.files[0].title).toMatch(/; you are number \d+ with \d+\.$/);
    const boardFile = slack.uploads.find((u) => u.fileId === shared.params.files[0].id)!;
    expect(boardFile.filename).toBe('leaderboard.png');
    // (The upload is a multipart form with the PNG in it.)
    expect(boardFile.bytes.includes(png)).toBe(true);

    const stats = await driver.command('stats', 'UBOB');
    expect(stats.message.response_type).toBe('ephemeral');
    expect(textOf(stats.message.blocks)).toContain('Retention (30 days)');
    const direct = await slack.waitFor('files.completeUploadExternal', (c) => c.params.channel_id === 'DBOB');
    expect(direct.params.files[0].title).toMatch(/^Stats card of Bob: .*streak \d+ days? \(best \d+\)/);
    const statsFile = slack.uploads.find((u) => u.fileId === direct.params.files[0].id)!;
    expect(statsFile.filename).toBe('stats.png');
    expect(statsFile.bytes.includes(png)).toBe(true);
  });

  it('defers a slow command: acknowledges at once, then answers in the channel through the response_url', async () => {
    const { hook, message } = await quiz('ask why do MoE models answer differently when I rephrase?', 'UBOB');
    expect(message).toEqual({ response_type: 'ephemeral', text: 'Working on it…' });
    const [answer] = await hooks.waitFor(hook);
    expect(answer!.body).toMatchObject({ response_type: 'in_channel', replace_original: false });
    expect(textOf(answer!.body.blocks).length).toBeGreaterThan(40);
  });

  describe('admin import of a question bank file', () => {
    const csv = (prefix: string) =>
      [
        'id,question,choice_a,choice_b,answer,explanation',
        `${prefix}-router,What picks the experts?,The router,The tokenizer,A,The router scores experts.`,
        `${prefix}-sparse,Which layer is sparse?,Attention,The MoE layer,B,Only some experts run.`,
      ].join('\n') + '\n';
    const sendEvent = (body: string, headers: Record<string, string> = {}) => bot.send(body, { headers: { 'content-type': 'application/json', ...headers } });
    const csvFile = (id: string, name: string) => {
      slack.files.set(id, { name, content: Buffer.from(csv(id.toLowerCase())), filetype: 'csv' });
      return slack.fileObject(id, slack.files.get(id)!);
    };

    it('takes a file an admin shares in a direct message: preview, then Apply', async () => {
      const event = eventCallback(fileShareInDm('UADMIN', 'D0ADMIN', csvFile('F0CSV1', 'slack-team.csv'), 'lesson:moe-tradeoffs'), 'Ev0IMPORT1');
      expect((await sendEvent(event)).status).toBe(200);
      const preview = await slack.waitFor('chat.postMessage', (c) => c.params.channel === 'D0ADMIN');
      expect(preview.params.blocks[0].text.text).toBe('Import preview: slack-team.csv');
      expect(textOf(preview.params.blocks)).toContain('New bank `slack-team`');
      const apply = buttonsIn(preview.params.blocks).find((b) => b.text === 'Apply import')!;
      // The same event again, as Slack retries it: acknowledged, not imported twice.
      const repeats = logCount('repeated event acknowledged');
      expect((await sendEvent(event, { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'timeout' })).status).toBe(200);
      await slack.until(() => (logCount('repeated event acknowledged') > repeats ? true : undefined), 'the repeated event to be logged');

      const messageTs = [...slack.messages.values()].find((m) => m.channel === 'D0ADMIN')!.ts;
      const applied = await driver.pressAndWait({ userId: 'UADMIN', actionId: apply.action_id, value: apply.value!, channelId: 'D0ADMIN', messageTs });
      expect(applied.replace_original).toBe(true);
      expect(applied.blocks[0].text.text).toBe('Import applied');
      expect(query("SELECT id, origin FROM banks WHERE id = 'slack-team'")).toEqual([{ id: 'slack-team', origin: 'import' }]);
      expect(query<{ n: number }>("SELECT count(*) n FROM imports WHERE bank_id = 'slack-team' AND platform = 'slack'")[0]!.n).toBe(1);
      expect(slack.callsTo('chat.postMessage').filter((c) => c.params.channel === 'D0ADMIN')).toHaveLength(1);
    });

    it('refuses a file from a member who is not an admin', async () => {
      await sendEvent(eventCallback(fileShareInDm('UALICE', 'D0ALICE', csvFile('F0CSV2', 'alice.csv'))));
      const answer = await slack.waitFor('chat.postMessage', (c) => c.params.channel === 'D0ALICE');
      expect(textOf(answer.params.blocks)).toContain('is for admins only.');
      expect(query("SELECT id FROM banks WHERE id = 'alice'")).toEqual([]);
    });

    it('opens a form with a file input for /quiz admin import, and imports what is uploaded there', async () => {
      const { url, hook } = hooks.newUrl();
      const triggerId = '9001.5555.import';
      const res = await bot.send(slashCommand({ text: 'admin import bank:form-bank', userId: 'UOWNER', responseUrl: url, triggerId }));
      expect([res.status, res.text]).toEqual([200, '']);
      const opened = await driver.openedView(triggerId);
      expect(opened.params.view).toMatchObject({
        type: 'modal',
        title: { text: 'Import a file' },
        blocks: [{ type: 'input', element: { type: 'file_input', max_files: 1 } }],
      });
      const view = opened.params.view;
      await bot.send(
        viewSubmission({
          userId: 'UOWNER',
          view: { id: 'V0FORM', callback_id: view.callback_id, private_metadata: view.private_metadata },
          values: { file: { file: { type: 'file_input', files: [csvFile('F0CSV3', 'upload.csv')] } } },
        }),
      );
      const [preview] = await hooks.waitFor(hook);
      expect(preview!.body.response_type).toBe('ephemeral');
      expect(textOf(preview!.body.blocks)).toContain('New bank `form-bank`');

      const refused = await quiz('admin import', 'UALICE');
      expect(refused.message).toBeUndefined();
      const [answer] = await hooks.waitFor(refused.hook);
      expect(textOf(answer!.body.blocks)).toContain('is for admins only.');
    });
  });
});

describe('Slack start-up problems (child process)', () => {
  it('stops with one clear line when Slack rejects the token or the port is taken, without printing secrets', async () => {
    const env = { CONTENT_DIR: contentDir, SLACK_API_URL: slack.url, SLACK_SIGNING_SECRET: SIGNING_SECRET, PORT: String(await freePort()) };
    const badToken = await runCli(['start'], { env: { ...env, DATABASE_PATH: join(dir, 'a.sqlite'), SLACK_BOT_TOKEN: 'xoxb-wrong-token' } });
    expect(badToken.code).toBe(1);
    expect(badToken.stderr.trim().split('\n').at(-1)).toBe('Slack did not accept SLACK_BOT_TOKEN (invalid_auth).');
    expect(badToken.stderr + badToken.stdout).not.toContain('xoxb-wrong-token');

    const taken = await runCli(['start'], { env: { ...env, DATABASE_PATH: join(dir, 'b.sqlite'), SLACK_BOT_TOKEN: slack.token, PORT: String(bot.port) } });
    expect(taken.code).toBe(1);
    expect(taken.stderr.trim().split('\n').at(-1)).toBe(`Cannot serve Slack's HTTP mode on PORT=${bot.port}: the port is in use.`);
    expect(taken.stderr).not.toMatch(/\n\s+at /);
  });
});
