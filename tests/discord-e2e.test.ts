import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUE } from '../src/core/commands.js';
import { runCli, repoRoot } from './helpers/cli.js';
import { BotProcess } from './fakes/discord/bot-process.js';
import { CallbackType, FakeDiscord, buttonsOf, isEphemeral, plainTextOf, textOf, type FakeMessage, type FakeUser, type SentInteraction } from './fakes/discord/index.js';
import { oneQuestionBankYaml, queryDb } from './helpers/bot-db.js';

const CONTENT_DIR = join(repoRoot, 'content');

function topLevelCommandCount(): number {
  return new Set(CATALOGUE.map((c) => c.key.split(' ')[0])).size;
}

describe.concurrent('quizbot discord register (CLI against the fake Discord)', () => {
  let fake: FakeDiscord;
  beforeAll(async () => {
    fake = await FakeDiscord.start();
  });
  afterAll(() => fake.stop());

  it('bulk-overwrites the global commands, or one server’s with DISCORD_GUILD_ID', async () => {
    const [global, guild] = await Promise.all([
      runCli(['discord', 'register'], { env: fake.env() }),
      runCli(['discord', 'register'], { env: fake.env({ DISCORD_GUILD_ID: fake.guildId }) }),
    ]);
    expect(global.stderr).toBe('');
    expect(global.code).toBe(0);
    expect(global.stdout.trim()).toBe(`Registered ${topLevelCommandCount()} slash commands globally.`);
    const put = fake.state.requests.find((r) => r.method === 'PUT' && r.path === `/api/v10/applications/${fake.applicationId}/commands` && r.authorized);
    expect(put?.status).toBe(200);
    expect(fake.state.globalCommands.map((c) => c.name).sort()).toEqual([...new Set(CATALOGUE.map((c) => c.key.split(' ')[0]))].sort());
    expect(fake.registeredCommand('quiz-admin')?.default_member_permissions).toBe('32');
    expect(guild.stdout.trim()).toBe(`Registered ${topLevelCommandCount()} slash commands in server ${fake.guildId}.`);
    expect(fake.state.guildCommands.get(fake.guildId)).toHaveLength(topLevelCommandCount());
  });

  it('explains a refused token in one line without printing it', async () => {
    const r = await runCli(['discord', 'register'], { env: fake.env({ DISCORD_TOKEN: 'not-the-token' }) });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('Could not register the slash commands: 401: Unauthorized (HTTP 401, code 0). Check DISCORD_TOKEN.');
    expect(r.stderr + r.stdout).not.toContain('not-the-token');
  });

  it('refuses to start with a token Discord rejects', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quizbot-discord-'));
    try {
      const bot = new BotProcess(fake.env({ DISCORD_TOKEN: 'wrong-token', DATABASE_PATH: join(dir, 'bot.sqlite'), CONTENT_DIR }));
      expect(await bot.exited()).toBe(1);
      expect(bot.stderr).toContain('Discord refused DISCORD_TOKEN (401).');
      expect(bot.stderr).not.toContain('wrong-token');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the bot on Discord (a child process against the fake Discord)', () => {
  let fake: FakeDiscord;
  let bot: BotProcess;
  let dir: string;
  let dbPath: string;
  let alice: FakeUser;
  let bob: FakeUser;
  let admin: FakeUser;

  beforeAll(async () => {
    fake = await FakeDiscord.start({ heartbeatIntervalMs: 500 });
    alice = fake.user('alice', { nick: 'Alice A.' });
    // A display name that tries to format, mention and ping: it must reach Discord as plain text.
    bob = fake.user('bob', { nick: '*Bob* <@&42> @here' });
    admin = fake.user('root', { admin: true });
    dir = mkdtempSync(join(tmpdir(), 'quizbot-discord-'));
    dbPath = join(dir, 'bot.sqlite');
    // Users here click faster than people do: the per-user click limit must not depend on timing.
    bot = new BotProcess(botEnv());
    await bot.waitForLog('discord connected');
  });

  afterAll(async () => {
    await bot?.stop();
    await fake?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (sent: SentInteraction) => (await fake.outcome(sent)).message!;
  const botEnv = () => fake.env({ DISCORD_GUILD_ID: fake.guildId, DATABASE_PATH: dbPath, CONTENT_DIR, RACE_ROUND_SECONDS: '600', RATE_LIMIT_BURST: '1000' });

  it('identifies with the Guilds intent only and registers the commands in the development server', async () => {
    expect(fake.gateway.identifies).toHaveLength(1);
    expect(fake.gateway.identifies[0]).toMatchObject({ intents: 1, token: '[redacted]' });
    expect(fake.state.guildCommands.get(fake.guildId)?.map((c) => c.name)).toContain('quiz');
    expect(bot.logs().find((l) => l.msg === 'slash commands registered in the development server')).toMatchObject({ count: topLevelCommandCount() });
  });

  it('answers /help and /lessons ephemerally, pinging nobody', async () => {
    const help = await run(fake.slash(alice, 'help'));
    expect(isEphemeral(help)).toBe(true);
    expect(help.embeds[0]).toMatchObject({ title: 'Commands' });
    expect(plainTextOf(textOf(help))).toContain('`/lesson <id> [section]` — Read a lesson, section by section.');
    expect(help.allowed_mentions).toEqual({ parse: [] });
    const lessons = await run(fake.slash(alice, 'lessons'));
    expect(plainTextOf(textOf(lessons))).toMatch(/\*\*Mixture of Experts: Tradeoffs\*\* \(`moe-tradeoffs`, \d+ min, \d+ sections\)/);
  });

  it('completes lesson ids while the user types', async () => {
    const sent = fake.slash(alice, 'lesson', { id: 'trade' }, { focused: 'id' });
    const callback = await fake.callback(sent);
    expect(callback.type).toBe(CallbackType.AUTOCOMPLETE_RESULT);
    expect(callback.data?.choices).toEqual([{ name: 'Mixture of Experts: Tradeoffs (moe-tradeoffs)', value: 'moe-tradeoffs' }]);
    const banks = await fake.callback(fake.slash(admin, 'quiz-admin', { bank: 'TRADE' }, { subcommand: 'import', focused: 'bank' }));
    expect(banks.data?.choices).toEqual([{ name: 'Mixture of Experts: Tradeoffs — quiz (moe-tradeoffs)', value: 'moe-tradeoffs' }]);
  });

  it('pages through a lesson with Next and Previous, replacing the message', async () => {
    const first = await run(fake.slash(alice, 'lesson', { id: 'moe-tradeoffs' }));
    expect(first.embeds[0]!.title).toMatch(/— 1\/\d+$/);
    const next = fake.press(alice, first, /^Next: /);
    const paged = await fake.outcome(next);
    expect(paged.callback.type).toBe(CallbackType.UPDATE_MESSAGE);
    expect(paged.message!.id).toBe(first.id);
    expect(paged.message!.embeds[0]!.title).toMatch(/— 2\/\d+$/);
    const back = await fake.outcome(fake.press(alice, paged.message!, '◀ Previous'));
    expect(back.message!.id).toBe(first.id);
    expect(back.message!.embeds[0]!.title).toMatch(/— 1\/\d+$/);
  });

  it('turns bad options into a short ephemeral message that cannot ping or link', async () => {
    const bad = await run(fake.slash(alice, 'lesson', { id: 'moe-tradeoffs', section: 0 }));
    expect(isEphemeral(bad)).toBe(true);
    expect(bad.content).toBe("Option 'section' must be at least 1. Try /help lesson.");
    const sneaky = await run(fake.slash(alice, 'lesson', { id: '@everyone <@123> <#9>' }));
    expect(sneaky.content).not.toMatch(/(^|[^\\])<[@#]/);
    expect(sneaky.content).toContain('@\u200beveryone');
    expect(plainTextOf(sneaky.content)).toMatch(/^There is no lesson "@everyone <@123> <#9>"\. Lessons: /);
    expect(sneaky.allowed_mentions).toEqual({ parse: [] });
  });

  it('refuses an admin command to a member without Manage Server, and runs it for an admin', async () => {
    const refused = await run(fake.slash(bob, 'quiz-admin', {}, { subcommand: 'stats' }));
    expect(isEphemeral(refused)).toBe(true);
    expect(refused.content).toBe('/quiz-admin stats is for admins only.');
    const allowed = await run(fake.slash(admin, 'quiz-admin', {}, { subcommand: 'stats' }));
    expect(textOf(allowed)).not.toContain('admins only');
  });

  it('imports a question bank from an attached file: preview, then Apply', async () => {
    const bank = oneQuestionBankYaml('discord-upload', 'Uploaded from Discord', 'upload-sparse');
    const file = fake.upload('bank.yaml', bank, 'application/yaml');
    const downloads = () => fake.state.requests.filter((r) => r.path.startsWith('/attachments/')).length;

    const refused = await run(fake.slash(bob, 'quiz-admin', {}, { subcommand: 'import', attachments: { file } }));
    expect(refused.content).toBe('/quiz-admin import is for admins only.');
    expect(downloads()).toBe(0);

    const sent = fake.slash(admin, 'quiz-admin', {}, { subcommand: 'import', attachments: { file } });
    const preview = await fake.outcome(sent);
    expect(preview.callback).toMatchObject({ type: CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE, data: { flags: 64 } });
    expect(downloads()).toBe(1);
    expect(preview.message!.embeds[0]!.title).toBe('Import preview: bank.yaml');
    expect(plainTextOf(textOf(preview.message))).toContain('1 added, 0 changed, 0 removed, 0 unchanged');
    const applied = await fake.outcome(fake.press(admin, preview.message!, 'Apply import'));
    expect(applied.message!.id).toBe(preview.message!.id);
    expect(applied.message!.embeds[0]!.title).toBe('Import applied');
    expect(queryDb(dbPath, `SELECT id FROM questions WHERE bank_id = 'discord-upload'`)).toEqual([{ id: 'upload-sparse' }]);
  });

  it('defers a slow command (/ask) and then edits the answer in', async () => {
    const sent = fake.slash(alice, 'ask', { question: 'What does the router do? <@1>' });
    const outcome = await fake.outcome(sent);
    expect(outcome.callback).toMatchObject({ type: CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE, data: { flags: 0 } });
    expect(sent.originalEdits).toBe(1);
    expect(isEphemeral(outcome.message)).toBe(false);
    expect(outcome.message!.embeds[0]!.title).toBe('Q: What does the router do? \\<@1\\>');
    expect(textOf(outcome.message).length).toBeGreaterThan(40);

    // Asked privately: the public "thinking…" placeholder gives way to an ephemeral answer.
    const quiet = fake.slash(alice, 'ask', { question: 'What does the router do?', private: true });
    const answered = await fake.outcome(quiet, { followUps: 1 });
    expect(fake.state.messages.get(quiet.originalId!)!.deleted).toBe(true);
    expect(isEphemeral(answered.message)).toBe(true);
    expect(answered.message!.embeds[0]!.title).toBe('Q: What does the router do?');
  });

  /** Answers the question on screen: a choice, a select, or typed text through the modal. */
  async function answer(user: FakeUser, question: FakeMessage): Promise<{ sent: SentInteraction; message: FakeMessage }> {
    const menu = question.components.flatMap((r) => r.components).find((c: { type: number }) => c.type === 3);
    if (menu) {
      const sent = fake.select(user, question, ['0']);
      return { sent, message: await run(sent) };
    }
    const typed = buttonsOf(question).find((b) => b.label === 'Type your answer');
    if (typed) {
      const opened = fake.press(user, question, 'Type your answer');
      expect((await fake.callback(opened)).type).toBe(CallbackType.MODAL);
      const sent = fake.submitModal(user, opened, 'router');
      return { sent, message: await run(sent) };
    }
    const choice = buttonsOf(question).find((b) => b.label !== "I don't know")!;
    const sent = fake.press(user, question, choice.custom_id);
    return { sent, message: await run(sent) };
  }

  it('takes a personal quiz by pressing buttons, ephemerally, to the summary', async () => {
    let message = await run(fake.slash(alice, 'quiz', {}, { subcommand: 'start' }));
    expect(isEphemeral(message)).toBe(true);
    expect(message.embeds[0]!.title).toMatch(/^Today's quiz — question 1 of (\d+)$/);
    const total = Number(/of (\d+)$/.exec(message.embeds[0]!.title)![1]);
    for (let n = 1; n <= total; n++) {
      expect(message.embeds[0]!.title).toBe(`Today's quiz — question ${n} of ${total}`);
      for (const b of buttonsOf(message)) expect(b.custom_id.length).toBeLessThanOrEqual(100);
      const { message: feedback } = await answer(alice, message);
      expect(feedback.id).toBe(message.id);
      expect(feedback.embeds[0]!.title).toMatch(/^(✅ Right!( \+10 points)?|❌ Not quite)$/);
      const next = await fake.outcome(fake.press(alice, feedback, n === total ? 'See my results' : 'Next ▶'));
      message = next.message!;
    }
    expect(message.embeds[0]!.title).toBe('Quiz complete');
    expect(plainTextOf(textOf(message))).toMatch(/You got \*\*\d+ of \d+\*\* right/);
  });

  it('tells someone pressing another user’s quiz button whose quiz it is', async () => {
    const question = await run(fake.slash(bob, 'quiz', { lesson: 'moe-tradeoffs' }, { subcommand: 'start' }));
    const choice = buttonsOf(question).find((b) => b.label !== "I don't know")!;
    const intruder = await fake.outcome(fake.press(alice, question, choice.custom_id));
    expect(intruder.callback.type).toBe(CallbackType.CHANNEL_MESSAGE_WITH_SOURCE);
    expect(isEphemeral(intruder.message)).toBe(true);
    expect(plainTextOf(intruder.message!.content)).toBe('This quiz belongs to *Bob* <@&42> @here. Start your own with /quiz.');
    expect(intruder.message!.content).toContain('\\*Bob\\* \\<@&42\\> @\u200bhere');
    // Bob's question is untouched.
    expect(fake.state.messages.get(question.id)!.edited_timestamp).toBeNull();
  });

  it('counts a retried interaction and a double click once', async () => {
    const question = await run(fake.slash(admin, 'quiz', { lesson: 'moe-behave-differently' }, { subcommand: 'start' }));
    const choice = buttonsOf(question).find((b) => b.label !== "I don't know")!;
    const sent = fake.press(admin, question, choice.custom_id);
    const snapshot = structuredClone(question);
    fake.redeliver(sent);
    fake.redeliver(sent);
    await run(sent);
    // A second click (a new interaction) on the same, already answered button.
    const second = await run(fake.press(admin, snapshot, choice.custom_id));
    expect(second.content).toBe('You already answered that question; your first answer counts.');
    // Discord saw exactly one response to the retried interaction.
    expect(fake.state.requests.filter((r) => r.path.startsWith(`/api/v10/interactions/${sent.id}/`))).toHaveLength(1);
    expect(sent.callbacks).toHaveLength(1);
    const rows = queryDb<{ id: string }>(
      dbPath,
      `SELECT a.interaction_id id FROM session_answers a JOIN quiz_sessions s ON s.id = a.session_id JOIN users u ON u.id = s.user_id
       WHERE u.platform = 'discord' AND u.external_id = ? AND s.lesson_id = 'moe-behave-differently'`,
      admin.id,
    );
    expect(rows).toEqual([{ id: sent.id }]);
    const [awards] = queryDb<{ n: number }>(dbPath, `SELECT count(*) n FROM awards a JOIN users u ON u.id = a.user_id WHERE u.external_id = ? AND a.reason = 'quiz'`, admin.id);
    expect(awards!.n).toBeLessThanOrEqual(1);
  });

  it('runs a two-user race in public: first right answer wins', async () => {
    const started = await run(fake.slash(alice, 'quiz', { rounds: 1 }, { subcommand: 'race' }));
    expect(isEphemeral(started)).toBe(true);
    // The round itself is the bot's own post in the channel, public.
    const race = fake.channelPosts(fake.channel()).find((m) => m.embeds[0]?.title === '🏁 Race — round 1 of 1')!;
    expect(isEphemeral(race)).toBe(false);
    const prompt = plainTextOf(race.embeds[0]!.description!).split('\n')[0]!;
    const [row] = queryDb<{ body: string }>(dbPath, `SELECT body FROM questions WHERE json_extract(body, '$.prompt') = ?`, prompt);
    expect(row).toBeDefined();
    const q = JSON.parse(row!.body) as { type: string; answer: string | boolean };
    const right = q.type === 'true_false' ? (q.answer ? 'True' : 'False') : String(q.answer);
    const wrong = buttonsOf(race).find((b) => b.label !== right)!.label as string;

    // A race scores with two players: the admin's wrong click is the first, so right answers score at once.
    const opening = await run(fake.press(admin, race, wrong));
    expect(opening.content).toBe('Answer locked in. The right answer is revealed when the round closes.');
    const first = await run(fake.press(alice, race, right));
    const second = await run(fake.press(bob, race, right));
    const third = await run(fake.press(bob, race, wrong));
    expect([first, second, third].map(isEphemeral)).toEqual([true, true, true]);
    expect(first.content).toBe('✅ Right, and first! +15 points.');
    expect(second.content).toBe('✅ Right! +5 points.');
    expect(third.content).toBe('You already answered this round; your first click counts.');
    // The public race message stays for everyone.
    expect(fake.state.messages.get(race.id)!.deleted).toBeUndefined();
  });

  it('shows the leaderboard publicly with both racers', async () => {
    const board = await run(fake.slash(bob, 'leaderboard', { period: 'week' }));
    expect(isEphemeral(board)).toBe(false);
    expect(board.embeds[0]!.title).toMatch(/^Leaderboard — /);
    const text = plainTextOf(textOf(board));
    expect(text).toContain('*Bob* <@&42> @here');
    expect(text).toContain('Alice A.');
    expect(textOf(board)).not.toMatch(/(^|[^\\])<@&42/);
    expect(board.allowed_mentions).toEqual({ parse: [] });
  });

  it('sends the leaderboard and /stats cards as attachments the embed shows, described by their text version', async () => {
    const board = await run(fake.slash(bob, 'leaderboard', { period: 'week' }));
    expect(board.attachments).toHaveLength(1);
    const [card] = board.attachments as { id: string; filename: string; description?: string }[];
    expect(card!.filename).toBe('leaderboard.png');
    expect(card!.description).toMatch(/^Leaderboard card, this server, this week: 1\. .+; you are number \d+ with \d+\.$/);
    expect(card!.description).toContain('*Bob* <@&42> @here');
    expect(board.embeds[0]!.image).toMatchObject({ url: 'attachment://leaderboard.png' });
    expect(fake.state.files.get(card!.id)!.data.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));

    const stats = await run(fake.slash(alice, 'stats', {}));
    expect(isEphemeral(stats)).toBe(true);
    const [statsCard] = stats.attachments as { id: string; filename: string; description?: string }[];
    expect(statsCard!.filename).toBe('stats.png');
    expect(statsCard!.description).toMatch(/^Stats card of Alice A\.: .*streak 1 day \(best 1\).*true retention|^Stats card of Alice A\.: .*streak 1 day \(best 1\); no due reviews/);
    expect(stats.embeds[0]!.title).toBe('Stats for Alice A.');
    expect(fake.state.files.get(statsCard!.id)!.data.subarray(1, 4).toString()).toBe('PNG');
  });

  it('reports a question through a modal form', async () => {
    const question = await run(fake.slash(bob, 'quiz', { lesson: 'moe-model-families' }, { subcommand: 'start' }));
    const { message: feedback } = await answer(bob, question);
    const opened = fake.press(bob, feedback, 'Report question');
    const modal = (await fake.callback(opened)).data!;
    expect(modal).toMatchObject({ title: 'Report this question', components: [{ type: 18, label: "What's wrong with it?", component: { type: 4, max_length: 500 } }] });
    const submitted = await fake.outcome(fake.submitModal(bob, opened, 'The key <@1> looks **wrong**'));
    expect(isEphemeral(submitted.message)).toBe(true);
    expect(textOf(submitted.message)).not.toMatch(/(^|[^\\])<@1>/);
  });

  it('opens the form of a button sent before a restart, titled by the button, and takes the report', async () => {
    const question = await run(fake.slash(bob, 'quiz', { lesson: 'moe-routing' }, { subcommand: 'start' }));
    const { message: feedback } = await answer(bob, question);
    // A form's wording lives in the bot's memory; the message with its button stays in Discord.
    expect(await bot.stop()).toBe(0);
    bot = new BotProcess(botEnv());
    await bot.waitForLog('discord connected');
    const opened = fake.press(bob, feedback, 'Report question');
    const modal = (await fake.callback(opened)).data!;
    expect(modal).toMatchObject({ title: 'Report question', components: [{ type: 18, label: 'Your answer', component: { type: 4 } }] });
    const submitted = await fake.outcome(fake.submitModal(bob, opened, 'The figure looks off'));
    expect(isEphemeral(submitted.message)).toBe(true);
    expect(textOf(submitted.message)).toBe('Thanks! An admin will look at this question.');
  });

  it('made no request Discord would refuse, logged no token, and stops cleanly', async () => {
    expect(fake.state.requests.filter((r) => r.status >= 400).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([]);
    // The client keeps its gateway session alive (the first beat comes within one interval).
    await expect.poll(() => fake.gateway.heartbeats, { timeout: 5000, interval: 50 }).toBeGreaterThan(0);
    expect(await bot.stop()).toBe(0);
    expect(bot.stderr).not.toContain(fake.token);
    expect(bot.logs().filter((l) => l.level >= 50)).toEqual([]);
  });
});
