import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MoeClient } from '../src/core/moe/client.js';
import { BotProcess } from './fakes/discord/bot-process.js';
import { CallbackType, FakeDiscord, buttonsOf, isEphemeral, plainTextOf, textOf, type FakeMessage, type FakeUser, type SentInteraction } from './fakes/discord/index.js';
import type { FakeServer } from './fakes/vllm-and-sglang.js';
import { startFakeVllm } from './fakes/vllm.js';
import { repoRoot } from './helpers/cli.js';
import { isPng, quizShows, SHIPPED_PROMPT_COUNT } from './helpers/moe-images.js';

/**
 * /moe domains and /moe quiz on Discord: the compiled bot as a child process against the fake
 * Discord, its MoE endpoint a fake vLLM server started with --enable-return-routed-experts.
 */

const TOKEN = 'vllm-key';

describe('/moe domains and /moe quiz on Discord (child process, fake Discord, fake vLLM)', () => {
  let discord: FakeDiscord;
  let vllm: FakeServer;
  let bot: BotProcess;
  let dir: string;
  let alice: FakeUser;
  let bob: FakeUser;

  beforeAll(async () => {
    discord = await FakeDiscord.start({ heartbeatIntervalMs: 500 });
    vllm = await startFakeVllm({ token: TOKEN, experts: 16, topK: 2, layers: 7 });
    alice = discord.user('alice');
    bob = discord.user('bob');
    dir = mkdtempSync(join(tmpdir(), 'quizbot-moe-discord-'));
    bot = new BotProcess(
      discord.env({
        DISCORD_GUILD_ID: discord.guildId,
        DATABASE_PATH: join(dir, 'bot.sqlite'),
        CONTENT_DIR: join(repoRoot, 'content'),
        RATE_LIMIT_BURST: '1000',
        MOE_ENDPOINT_URL: vllm.url,
        MOE_ENDPOINT_KIND: 'vllm',
        MOE_API_TOKEN: TOKEN,
        MOE_NUM_EXPERTS: '16',
        MOE_RATE_LIMIT_PER_MINUTE: '100',
      }),
    );
    await bot.waitForLog('discord connected');
  });

  afterAll(async () => {
    await bot?.stop();
    await discord?.stop();
    await vllm?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (sent: SentInteraction) => (await discord.outcome(sent)).message!;
  const image = (message: FakeMessage) => {
    const attachment = message.attachments[0];
    return attachment && { name: attachment.filename as string, data: discord.state.files.get(attachment.id)!.data };
  };

  it('registers both as subcommands of /moe', () => {
    const moe = discord.registeredCommand('moe');
    expect(moe?.options.map((o: { name: string }) => o.name)).toEqual(expect.arrayContaining(['route', 'compare', 'model', 'domains', 'quiz']));
  });

  it('an overloaded or refusing vLLM server is one sentence for /moe domains and /moe quiz', async () => {
    await vllm.setFault({ kind: 'status', status: 503, body: { error: { message: 'Service Unavailable', type: 'ServiceUnavailableError', code: 503 } }, retryAfterS: 5 });
    for (const subcommand of ['domains', 'quiz']) {
      const busy = await run(discord.slash(bob, 'moe', {}, { subcommand }));
      expect(isEphemeral(busy)).toBe(true);
      expect(plainTextOf(textOf(busy)), subcommand).toBe('The vLLM server is overloaded (HTTP 503); try again in about 5 s.');
      expect(busy.attachments).toEqual([]);
    }
    await vllm.setFault({ kind: 'status', status: 401, body: { error: 'Unauthorized' } });
    for (const subcommand of ['domains', 'quiz']) {
      const refused = await run(discord.slash(bob, 'moe', {}, { subcommand }));
      expect(plainTextOf(textOf(refused)), subcommand).toBe("The MoE endpoint refused the bot: MOE_API_TOKEN does not match the endpoint's token.");
    }
    await vllm.setFault({ kind: 'none' });
    expect(vllm.hits('/v1/completions')).toBe(0);
  });

  it('/moe domains: deferred, then the chart and the figures; a second run is answered without asking vLLM', async () => {
    const sent = discord.slash(alice, 'moe', {}, { subcommand: 'domains' });
    const first = await discord.outcome(sent);
    expect(first.callback.type).toBe(CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE);
    const message = first.message!;
    expect(isEphemeral(message)).toBe(true);
    expect(plainTextOf(message.embeds[0]!.title)).toBe('Which experts each kind of text uses most');
    const text = plainTextOf(textOf(message));
    expect(text).toMatch(/each domain's 4 busiest experts take \d+% of its routing on average/);
    expect(text).toMatch(/Layer \d+ \(early\): Code → experts/);
    const png = image(message)!;
    expect(png.name).toBe('moe-domains.png');
    expect(isPng(png.data)).toBe(true);
    expect(vllm.hits('/v1/completions')).toBe(SHIPPED_PROMPT_COUNT);
    const calls = vllm.hits();

    const again = await run(discord.slash(bob, 'moe', {}, { subcommand: 'domains' }));
    expect(plainTextOf(textOf(again))).toContain('Cached: this prompt set was routed on this model before');
    expect(vllm.hits()).toBe(calls);
  });

  it('/moe quiz: a hidden heatmap of one of two prompts, buttons to answer, and the verdict in place', async () => {
    const question = await run(discord.slash(alice, 'moe', {}, { subcommand: 'quiz' }));
    expect(isEphemeral(question)).toBe(true);
    expect(plainTextOf(question.embeds[0]!.title)).toBe('Practice — which prompt produced this routing? (no points)');
    expect(buttonsOf(question).map((b) => b.label)).toEqual([expect.stringMatching(/^A: /), expect.stringMatching(/^B: /), "I don't know"]);
    const quoted = [...plainTextOf(textOf(question)).matchAll(/“([^”]+)”/g)].map((m) => m[1]!);
    expect(quoted).toHaveLength(2);
    const png = image(question)!;
    expect(png.name).toBe('moe-quiz.png');
    const client = new MoeClient({ kind: 'vllm', baseUrl: vllm.url, token: TOKEN, numExperts: 16, timeoutMs: 5000 });
    const routes = [await client.route({ prompt: quoted[0]! }), await client.route({ prompt: quoted[1]! })] as const;
    const shown = await quizShows(png.data, routes);
    expect(shown).toBeDefined();

    const pressed = await discord.outcome(discord.press(alice, question, shown === 0 ? /^A: / : /^B: /));
    expect(pressed.callback.type).toBe(CallbackType.UPDATE_MESSAGE);
    const answer = pressed.message!;
    expect(answer.id).toBe(question.id);
    const verdict = plainTextOf(textOf(answer));
    expect(verdict).toMatch(new RegExp(`✅ Right: it was prompt \\*\\*${shown === 0 ? 'A' : 'B'}\\*\\* `));
    expect(verdict).toMatch(/the top-1 expert differs between A and B in \d+ of \d+ cells/);
    expect(verdict).toContain('A practice question: no points, and your quiz schedule is unchanged.');
    expect(answer.attachments.map((a) => a.filename)).toEqual(['moe-quiz-answer.png']);
    expect(buttonsOf(answer).map((b) => b.label)).toEqual(['Another routing question', 'Read the lesson: Why rephrasing moves experts']);
  });

});
