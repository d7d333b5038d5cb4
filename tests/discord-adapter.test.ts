import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { CATALOGUE } from '../src/core/commands.js';
import type { Capability } from '../src/core/dispatcher.js';
import { UserError } from '../src/core/errors.js';
import { createDispatcher } from '../src/core/index.js';
import type { Interaction, Reply } from '../src/core/interaction.js';
import { dailyScheduler } from '../src/core/quiz/schedule.js';
import { ManualClock } from '../src/core/services.js';
import { startOpsServer, type OpsServer } from '../src/ops/http.js';
import { startDiscord } from '../src/platforms/discord/index.js';
import type { PlatformHandle } from '../src/platforms/platform.js';
import { testActionSpecs } from './helpers/actions.js';
import { repoRoot } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { CallbackType, FakeDiscord, PERMISSIONS, buttonsOf, isEphemeral, textOf } from './fakes/discord/index.js';

/** A 1×1 PNG. */
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');

interface Harness {
  fake: FakeDiscord;
  app: App;
  clock: ManualClock;
  logs: Record<string, any>[];
  /** Every interaction the core received. */
  seen: Interaction[];
}

/** How interactions reach the bot: over the gateway, or as signed POSTs to its interactions endpoint. */
type Mode = 'gateway' | 'http';

const running: { handle?: PlatformHandle; server?: OpsServer; app: App; fake: FakeDiscord }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.handle?.stop();
    await r.server?.close();
    r.app.close();
    await r.fake.stop();
  }
});

/**
 * The real core and the real adapter in this process, against a fresh fake Discord; `capability`
 * overrides handlers. Over HTTP the adapter's routes are served on a port of their own, as the
 * bot serves them on PORT.
 */
async function startIn(mode: Mode, capability: Capability = {}, options: { ackDeadlineMs?: number } = {}): Promise<Harness> {
  const fake = await FakeDiscord.start({ channels: [{ name: 'locked', forbidden: true }, { name: 'later' }] });
  const logs: Record<string, any>[] = [];
  const logger = pino({ level: 'debug' }, {
    write: (line: string) => {
      // SHOW_LOGS=1 prints the bot's log while debugging a test.
      if (process.env.SHOW_LOGS) process.stderr.write(line);
      logs.push(JSON.parse(line));
    },
  });
  const config = loadConfig({ ...fake.env(mode === 'http' ? { DISCORD_PUBLIC_KEY: fake.publicKey } : {}), CONTENT_DIR: join(repoRoot, 'content'), DATABASE_PATH: join(tempDir(), 'bot.sqlite'), RACE_ROUND_SECONDS: '30' }, '/nonexistent/.env');
  const clock = new ManualClock(new Date('2026-11-20T09:00:00Z'));
  const app = createApp(config, logger, { clock });
  const seen: Interaction[] = [];
  const dispatcher = createDispatcher(app.services, [capability]);
  const handle = dispatcher.handle.bind(dispatcher);
  dispatcher.handle = (i: Interaction) => {
    seen.push(i);
    return handle(i);
  };
  app.dispatcher = dispatcher;
  const entry: (typeof running)[number] = { app, fake };
  running.push(entry);
  entry.handle = await startDiscord(app, logger, options);
  if (mode === 'http') {
    entry.server = await startOpsServer(0, entry.handle.routes ?? [], logger, '127.0.0.1', { serves: 'Discord interactions', setting: 'PORT' });
    fake.sendInteractionsTo(`http://127.0.0.1:${entry.server.port}/discord/interactions`);
  }
  return { fake, app, clock, logs, seen };
}

const slowly =
  (ms: number, reply: Reply | (() => Reply)) =>
  async (): Promise<Reply> => {
    await sleep(ms);
    return typeof reply === 'function' ? reply() : reply;
  };

describe.each(['gateway', 'http'] as const)('Discord adapter over the %s (in process, against the fake Discord)', (mode) => {
  const start = (capability?: Capability, options?: { ackDeadlineMs?: number }) => startIn(mode, capability, options);

  it('translates the actor and place: nickname, Manage Server or Administrator, guild or DM', async () => {
    const { fake, seen } = await start();
    const admin = { ...fake.user('ada', { nick: 'Ada L.' }), permissions: PERMISSIONS.ADMINISTRATOR };
    const member = fake.user('bo');
    await fake.outcome(fake.slash(admin, 'stats'));
    await fake.outcome(fake.slash(member, 'stats'));
    await fake.outcome(fake.slash(member, 'help', {}, { dm: true }));
    expect(seen.map((i) => [i.actor, i.place])).toEqual([
      [{ platform: 'discord', userId: admin.id, displayName: 'Ada L.', isAdmin: true }, { serverId: fake.guildId, channelId: fake.channel().id }],
      [{ platform: 'discord', userId: member.id, displayName: 'Bo', isAdmin: false }, { serverId: fake.guildId, channelId: fake.channel().id }],
      [expect.objectContaining({ userId: member.id, isAdmin: false }), { serverId: `dm-${member.id}`, channelId: expect.any(String) }],
    ]);
    expect(seen[0]).toMatchObject({ kind: 'command', command: 'stats', options: {} });
  });

  it('defers a command whose answer is late, then edits the deferred reply', async () => {
    const { fake } = await start({ commands: { lessons: slowly(300, { text: 'Late but here.', visibility: 'ephemeral' }) } }, { ackDeadlineMs: 30 });
    const sent = fake.slash(fake.user('ann'), 'lessons');
    const outcome = await fake.outcome(sent);
    expect(outcome.callback).toMatchObject({ type: CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE, data: { flags: 64 } });
    expect(sent.originalEdits).toBe(1);
    expect(outcome.message).toMatchObject({ content: 'Late but here.', flags: 64 });
  });

  const slowSpec = CATALOGUE.find((c) => c.slow);
  it.runIf(slowSpec)('defers a command the catalogue marks slow before the core answers', async () => {
    const spec = slowSpec!;
    const { fake } = await start({ commands: { [spec.key]: () => ({ text: 'Quick this time.', visibility: spec.visibility ?? 'ephemeral' }) } });
    const [command, subcommand] = spec.key.split(' ');
    const options = Object.fromEntries(spec.options.filter((o) => o.required).map((o) => [o.name, o.type === 'integer' ? (o.min ?? 1) : o.type === 'boolean' ? true : 'moe']));
    const sent = fake.slash(fake.user('ann'), command!, options, { subcommand });
    const outcome = await fake.outcome(sent);
    expect(outcome.callback.type).toBe(CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE);
    expect(textOf(outcome.message)).toBe('Quick this time.');
  });

  it('moves a late ephemeral answer to a public deferral into an ephemeral follow-up', async () => {
    const { fake } = await start(
      {
        commands: {
          leaderboard: async () => {
            await sleep(300);
            throw new UserError('No season 99 here.');
          },
        },
      },
      { ackDeadlineMs: 30 },
    );
    const sent = fake.slash(fake.user('ann'), 'leaderboard', { season: 99 });
    const outcome = await fake.outcome(sent, { followUps: 1 });
    expect(outcome.callback).toMatchObject({ type: CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE, data: { flags: 0 } });
    expect(fake.state.messages.get(sent.originalId!)!.deleted).toBe(true);
    expect(outcome.message).toMatchObject({ content: 'No season 99 here.', flags: 64 });
  });

  it('defers a slow button, then edits the message it is on', async () => {
    const { fake } = await start(
      {
        commands: { lessons: () => ({ text: 'Page 1', components: [[{ kind: 'button', label: 'Turn', actionId: 'turn:2' }]], visibility: 'public' }) },
        actionSpecs: testActionSpecs('turn'),
        actions: { turn: slowly(300, { text: 'Page 2', visibility: 'public', replaceOriginal: true }) },
      },
      { ackDeadlineMs: 30 },
    );
    const user = fake.user('ann');
    const page = (await fake.outcome(fake.slash(user, 'lessons'))).message!;
    const sent = fake.press(user, page, 'Turn');
    const outcome = await fake.outcome(sent);
    expect(outcome.callback.type).toBe(CallbackType.DEFERRED_UPDATE_MESSAGE);
    expect(outcome.message).toMatchObject({ id: page.id, content: 'Page 2', components: [] });
  });

  it('turns a select menu into an action with the picked values', async () => {
    const { fake, seen } = await start({
      commands: { lessons: () => ({ text: 'Pick', components: [[{ kind: 'select', placeholder: 'Which?', actionId: 'pick:1', maxValues: 2, options: [{ label: 'A', value: 'a' }, { label: 'B', value: 'b' }] }]], visibility: 'ephemeral' }) },
      actionSpecs: testActionSpecs('pick'),
      actions: { pick: ({ interaction }) => ({ text: `You picked ${interaction.values?.join('+')}`, visibility: 'ephemeral', replaceOriginal: true }) },
    });
    const user = fake.user('ann');
    const menu = (await fake.outcome(fake.slash(user, 'lessons'))).message!;
    expect(menu.components[0]!.components[0]).toMatchObject({ type: 3, custom_id: 'pick:1', max_values: 2 });
    const picked = await fake.outcome(fake.select(user, menu, ['a', 'b']));
    expect(picked.callback.type).toBe(CallbackType.UPDATE_MESSAGE);
    expect(picked.message!.content).toBe('You picked a+b');
    expect(seen.at(-1)).toMatchObject({ kind: 'action', actionId: 'pick:1', values: ['a', 'b'] });
  });

  it('sends an image as an attachment shown in the embed', async () => {
    const { fake } = await start({ commands: { stats: () => ({ title: 'Your card', text: 'Look', image: { filename: 'card.png', png: PNG, alt: 'A card' }, visibility: 'public' }) } });
    const sent = fake.slash(fake.user('ann'), 'stats');
    const outcome = await fake.outcome(sent);
    if (mode === 'gateway') expect(outcome.callback.files.map((f) => [f.name, f.data.equals(PNG)])).toEqual([['card.png', true]]);
    else {
      // An HTTP response carries no files: the answer is deferred (publicly, as it will show) and edited in.
      expect(outcome.callback).toMatchObject({ type: CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE, data: { flags: 0 } });
      expect(sent.originalEdits).toBe(1);
    }
    expect(outcome.message!.attachments).toEqual([expect.objectContaining({ filename: 'card.png', description: 'A card', size: PNG.length })]);
    expect(outcome.message!.embeds[0]).toMatchObject({ title: 'Your card', image: { url: 'attachment://card.png' } });
    expect(isEphemeral(outcome.message)).toBe(false);
  });

  it('refuses an oversized attachment without downloading it', async () => {
    const { fake } = await start();
    const admin = fake.user('ada', { admin: true });
    const file = { ...fake.upload('big_bank.yaml', 'id: x\n'), size: 6 * 1024 * 1024 };
    const outcome = await fake.outcome(fake.slash(admin, 'quiz-admin', {}, { subcommand: 'import', attachments: { file } }));
    expect(outcome.message).toMatchObject({ content: 'The file big\\_bank.yaml is too large \\(6144 KB; at most 5 MB\\).', flags: 64 });
    expect(fake.state.requests.filter((r) => r.path.startsWith('/attachments/'))).toEqual([]);
  });

  it('downloads an attachment only once the command may run: not for a member, not past the rate limit', async () => {
    const { fake, app, seen } = await start();
    const downloads = () => fake.state.requests.filter((r) => r.path.startsWith('/attachments/')).length;
    const csv = 'id,question,choice_a,choice_b,answer,explanation\nup-router,What picks the experts?,The router,The tokenizer,A,The router scores experts.\n';
    const importing = (user: ReturnType<typeof fake.user>) => fake.outcome(fake.slash(user, 'quiz-admin', {}, { subcommand: 'import', attachments: { file: fake.upload('bank.csv', csv) } }));

    const member = fake.user('mo');
    expect((await importing(member)).message!.content).toBe('/quiz-admin import is for admins only.');
    // The core saw the file described, not read.
    expect(seen.at(-1)).toMatchObject({ kind: 'command', command: 'quiz-admin import', options: { file: { name: 'bank.csv', size: csv.length, load: expect.any(Function) } } });
    expect(downloads()).toBe(0);

    const busy = fake.user('bo', { admin: true });
    const actor = { platform: 'discord' as const, userId: busy.id, displayName: 'bo', isAdmin: true };
    for (let i = 0; i < 25; i++) await app.dispatcher.handle({ kind: 'command', id: `drain${i}`, actor, place: { serverId: fake.guildId, channelId: fake.channel().id }, command: 'lessons', options: {} });
    expect((await importing(busy)).message!.content).toBe('Slow down a little: too many clicks.');
    expect(downloads()).toBe(0);

    const admin = fake.user('ada', { admin: true });
    expect((await importing(admin)).message!.embeds[0]!.title).toBe('Import preview: bank.csv');
    expect(downloads()).toBe(1);
  });

  it.runIf(mode === 'gateway')('answers with a short ephemeral error when Discord refuses the reply', async () => {
    const { fake, logs } = await start({ commands: { help: () => ({ text: 'x', components: [[{ kind: 'button', label: 'Too long', actionId: 'x'.repeat(101) }]], visibility: 'ephemeral' }) } });
    const sent = fake.slash(fake.user('ann'), 'help');
    await fake.waitFor(() => (sent.callbacks.length ? true : undefined), 'a callback');
    const rejected = fake.state.requests.filter((r) => r.path.includes(`/interactions/${sent.id}/`));
    expect(rejected.map((r) => r.status)).toEqual([400, 204]);
    expect(fake.state.messages.get(sent.originalId!)).toMatchObject({ content: 'Something went wrong on our side. Please try again in a moment.', flags: 64 });
    const logged = logs.find((l) => l.msg === 'discord interaction failed');
    expect(logged?.error).toMatchObject({ type: 'DiscordAPIError', status: 400, code: 50035 });
    expect(JSON.stringify(logs)).not.toContain(sent.token);
    expect(JSON.stringify(logs)).not.toContain(fake.token);
  });

  // Over HTTP the first response is the HTTP response, whose refusal the bot never learns of; a
  // refused edit of a deferred reply is what both transports report.
  it('answers with a short ephemeral error when Discord refuses the edit of a deferred reply', async () => {
    const { fake, logs } = await start(
      { commands: { help: slowly(300, { text: 'x', components: [[{ kind: 'button', label: 'Too long', actionId: 'x'.repeat(101) }]], visibility: 'ephemeral' }) } },
      { ackDeadlineMs: 30 },
    );
    const sent = fake.slash(fake.user('ann'), 'help');
    const outcome = await fake.outcome(sent);
    expect(outcome.callback).toMatchObject({ type: CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE, data: { flags: 64 } });
    await fake.waitFor(() => (sent.originalEdits ? true : undefined), 'the failure edited in');
    const edits = fake.state.requests.filter((r) => r.method === 'PATCH' && r.path.includes(`/webhooks/${fake.applicationId}/${sent.token}/`));
    expect(edits.map((r) => r.status)).toEqual([400, 200]);
    expect(fake.state.messages.get(sent.originalId!)).toMatchObject({ content: 'Something went wrong on our side. Please try again in a moment.', components: [], flags: 64 });
    const logged = logs.find((l) => l.msg === 'discord interaction failed');
    expect(logged?.error).toMatchObject({ type: 'DiscordAPIError', status: 400, code: 50035 });
    expect(JSON.stringify(logs)).not.toContain(sent.token);
    expect(JSON.stringify(logs)).not.toContain(fake.token);
  });

  it.runIf(mode === 'http')('opens no gateway connection, and replaces a message with an image by a deferred update and an edit', async () => {
    const { fake } = await start({
      commands: { lessons: () => ({ text: 'Page 1', components: [[{ kind: 'button', label: 'Chart', actionId: 'chart:1' }]], visibility: 'ephemeral' }) },
      actionSpecs: testActionSpecs('chart'),
      actions: { chart: () => ({ title: 'Chart', text: 'Here', image: { filename: 'chart.png', png: PNG, alt: 'A chart' }, visibility: 'ephemeral', replaceOriginal: true }) },
    });
    const user = fake.user('ann');
    const page = (await fake.outcome(fake.slash(user, 'lessons'))).message!;
    const sent = fake.press(user, page, 'Chart');
    const outcome = await fake.outcome(sent);
    expect(outcome.callback.type).toBe(CallbackType.DEFERRED_UPDATE_MESSAGE);
    await fake.waitFor(() => (fake.state.messages.get(page.id)!.attachments.length ? true : undefined), 'the chart edited in');
    const updated = fake.state.messages.get(page.id)!;
    expect(updated).toMatchObject({ content: '', components: [], embeds: [{ title: 'Chart', image: { url: 'attachment://chart.png' } }] });
    expect(updated.attachments).toEqual([expect.objectContaining({ filename: 'chart.png', size: PNG.length })]);
    expect(fake.gateway.connections).toBe(0);
    expect(fake.state.requests.filter((r) => r.path.includes('/callback') || r.path === '/api/v10/gateway/bot')).toEqual([]);
    expect(fake.state.requests.filter((r) => r.status >= 400)).toEqual([]);
  });

  it('posts the core’s own messages in their channel, edits by update key, and reports refusals', async () => {
    const { fake, app, logs } = await start();
    const general = fake.channel();
    const send = (channelId: string, text: string, updateKey?: string, updateOnly?: boolean) =>
      app.services.outbox.send({ platform: 'discord', place: { serverId: fake.guildId, channelId }, reply: { title: 'Daily quiz', text, visibility: 'public', image: { filename: 'x.png', png: PNG, alt: 'x' } }, updateKey, updateOnly });
    expect(await send(general.id, 'Round 1', 'race:1')).toBe(true);
    expect(await send(general.id, 'Round 1 — closed', 'race:1', true)).toBe(true);
    // An edit of a message this process never posted (say, before a restart) is not posted anew.
    expect(await send(general.id, 'Round 0 — closed', 'race:0', true)).toBe(true);
    expect(await send(general.id, 'Round 2')).toBe(true);
    const posts = fake.channelPosts(general);
    expect(posts.map((p) => [p.embeds[0]!.description, p.edited_timestamp !== null, p.attachments.length])).toEqual([
      ['Round 1 — closed', true, 1],
      ['Round 2', false, 1],
    ]);
    expect(posts[0]!.allowed_mentions).toEqual({ parse: [] });

    expect(await send(fake.channel('locked').id, 'Nope')).toBe(false);
    expect(await send('404404404404', 'Nope')).toBe(false);
    expect(logs.filter((l) => l.msg === 'discord refused a post').map((l) => l.status)).toEqual([403, 404]);
    expect(logs.filter((l) => l.msg === 'post failed').map((l) => l.err.message)).toEqual([
      expect.stringMatching(/^Cannot post in Discord channel \d+: the bot lacks permission there/),
      expect.stringMatching(/^Cannot post in Discord channel 404404404404: the channel does not exist or the bot cannot see it/),
    ]);
  });

  it('posts the daily quiz where an admin scheduled it; a channel the bot may not post in is logged, not fatal', async () => {
    const { fake, app, clock, logs } = await start();
    const admin = fake.user('ada', { admin: true });
    const member = fake.user('bo');
    // A channel the bot cannot see is refused when scheduling, with the reason.
    const hidden = await fake.outcome(fake.slash(admin, 'quiz-admin', { time: '09:30', channel: fake.channel('locked').id }, { subcommand: 'schedule' }));
    expect(textOf(hidden.message)).toContain('the bot lacks permission there');
    // One that loses the bot's permission later is logged when its day comes.
    const locked = fake.channel('later');
    for (const channel of [fake.channel().id, locked.id]) {
      const set = await fake.outcome(fake.slash(admin, 'quiz-admin', { time: '09:30', channel }, { subcommand: 'schedule' }));
      expect(textOf(set.message)).toBe(`Daily quiz scheduled: every day at **09:30** \\(UTC\\) in #${channel}.`);
    }
    locked.forbidden = true;
    const scheduler = dailyScheduler(app.services);
    const ids = app.services.db.$client.prepare('SELECT id, channel_id channelId FROM schedules ORDER BY id').all() as { id: number; channelId: string }[];
    expect(ids.map((r) => r.channelId)).toEqual([fake.channel().id, locked.id]);
    clock.advance(30 * 60_000);
    expect(await scheduler.fire(ids[0]!.id, clock.now())).toBe(true);
    expect(await scheduler.fire(ids[1]!.id, clock.now())).toBe(false);

    const [post] = fake.channelPosts(fake.channel());
    expect(post!.embeds[0]!.title).toBe("📚 Today's quiz is ready");
    expect(fake.channelPosts(locked)).toEqual([]);
    expect(logs.find((l) => l.msg === 'daily post could not be delivered; admins can check the channel and the bot permissions')).toMatchObject({ channel: locked.id });
    // Anyone in the channel starts a personal quiz from the post.
    const quiz = await fake.outcome(fake.press(member, post!, 'Start'));
    expect(isEphemeral(quiz.message)).toBe(true);
    expect(quiz.message!.embeds[0]!.title).toMatch(/^Today's quiz — question 1 of \d+$/);
  });

  it('posts race rounds in the channel, and closes each one in place when its time is up', async () => {
    const { fake, app, clock } = await start();
    const [ann, ben] = [fake.user('ann'), fake.user('ben')];
    const started = (await fake.outcome(fake.slash(ann, 'quiz', { rounds: 2 }, { subcommand: 'race' }))).message!;
    expect(isEphemeral(started)).toBe(true);
    expect(textOf(started)).toContain('Your race is on: 2 rounds');
    const [race] = fake.channelPosts(fake.channel());
    expect(race!.embeds[0]!.title).toBe('🏁 Race — round 1 of 2');
    await fake.outcome(fake.press(ben, race!, buttonsOf(race)[0]!.custom_id));
    clock.advance(31_000);
    app.runDue();
    const posts = await fake.waitFor(() => {
      const p = fake.channelPosts(fake.channel());
      return p.length === 3 ? p : undefined;
    }, 'the round reveal and the next round');
    // The first round's message was edited: same message, no buttons, the answer shown.
    expect(posts[0]!.id).toBe(race!.id);
    expect(posts[0]!.embeds[0]!.title).toBe('🏁 Race — round 1 of 2 — closed');
    expect(textOf(posts[0])).toContain('Right answer:');
    expect(buttonsOf(posts[0])).toEqual([]);
    expect(posts[1]!.embeds[0]!.title).toBe('Round 1 of 2 — answer');
    expect(posts[2]!.embeds[0]!.title).toBe('🏁 Race — round 2 of 2');
    expect(buttonsOf(posts[2]).length).toBeGreaterThan(1);
  });
});
