import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MoeClient } from '../src/core/moe/client.js';
import { startFakeSglang } from './fakes/sglang.js';
import { startBot, type RunningBot } from './fakes/slack/bot.js';
import { SlackDriver } from './fakes/slack/driver.js';
import { buttonsIn, textOf } from './fakes/slack/payloads.js';
import type { ResponseUrlReceiver } from './fakes/slack/response-url.js';
import { startSlackFakes, type SlackFakes } from './fakes/slack/setup.js';
import type { FakeSlackWebApi } from './fakes/slack/web-api.js';
import type { FakeServer } from './fakes/vllm-and-sglang.js';
import { repoRoot } from './helpers/cli.js';
import { isPng, PNG_SIGNATURE, quizShows, SHIPPED_PROMPT_COUNT } from './helpers/moe-images.js';

/**
 * /quiz moe domains and /quiz moe quiz on Slack: the compiled bot in HTTP mode as a child process,
 * against the fake Slack Web API and response_url receiver, its MoE endpoint a fake SGLang server
 * started with --enable-return-routed-experts.
 */

const TOKEN = 'sglang-key';

let dir: string;
let fakes: SlackFakes;
let slack: FakeSlackWebApi;
let hooks: ResponseUrlReceiver;
let sglang: FakeServer;
let bot: RunningBot;
let driver: SlackDriver;

beforeAll(async () => {
  fakes = await startSlackFakes('quizbot-moe-slack-');
  ({ dir, slack, hooks } = fakes);
  slack.users.set('UALICE', { id: 'UALICE', name: 'alice', displayName: 'Alice' });
  slack.users.set('UBOB', { id: 'UBOB', name: 'bob', displayName: 'Bob' });
  sglang = await startFakeSglang({ token: TOKEN, experts: 16, topK: 2, layers: 5, denseLayers: [0] });
  bot = await startBot({
    SLACK_BOT_TOKEN: slack.token,
    SLACK_API_URL: slack.url,
    CONTENT_DIR: join(repoRoot, 'content'),
    DATABASE_PATH: join(dir, 'bot.sqlite'),
    MOE_ENDPOINT_URL: sglang.url,
    MOE_ENDPOINT_KIND: 'sglang',
    MOE_API_TOKEN: TOKEN,
    MOE_NUM_EXPERTS: '16',
    MOE_RATE_LIMIT_PER_MINUTE: '100',
  });
  driver = new SlackDriver(bot, slack, hooks);
});

afterAll(async () => {
  const code = await bot?.stop();
  await fakes?.stop();
  await sglang?.close();
  expect(code).toBe(0);
});

/** `/quiz <text>`, a slow command: an empty acknowledgement, then the answer on its response_url. */
async function slow(text: string, userId = 'UALICE'): Promise<any> {
  const { hook, message } = await driver.command(text, userId);
  expect(message?.text ?? '').not.toContain('Live MoE');
  const [post] = await hooks.waitFor(hook, 1, 15_000);
  return post!.body;
}

/** The PNG inside the multipart upload of a file. */
function uploadedPng(fileId: string): Buffer {
  const bytes = slack.uploads.find((u) => u.fileId === fileId)!.bytes;
  const start = bytes.indexOf(PNG_SIGNATURE);
  const end = bytes.indexOf(Buffer.from('IEND'), start) + 8;
  return bytes.subarray(start, end);
}

async function dmUpload(filename: string, since: number) {
  const call = await slack.waitFor('files.completeUploadExternal', (c) => c.params.channel_id === 'DALICE' && slack.calls.indexOf(c) >= since && slack.uploads.find((u) => u.fileId === c.params.files[0].id)?.filename === filename);
  return { title: call.params.files[0].title as string, png: uploadedPng(call.params.files[0].id) };
}

describe('/quiz moe domains and /quiz moe quiz on Slack (child process, fake Slack, fake SGLang)', () => {
  it('an overloaded SGLang server is one sentence, and a wrong API key names MOE_API_TOKEN', async () => {
    await sglang.setFault({ kind: 'status', status: 429, body: { error: { message: 'Too many requests' } }, retryAfterS: 3 });
    for (const command of ['moe domains', 'moe quiz']) {
      const busy = await slow(command);
      expect(busy.response_type).toBe('ephemeral');
      expect(textOf(busy.blocks), command).toBe('The SGLang server is overloaded (HTTP 429); try again in about 3 s.');
    }
    await sglang.setFault({ kind: 'status', status: 401, body: { error: 'Unauthorized' } });
    expect(textOf((await slow('moe quiz')).blocks)).toBe("The MoE endpoint refused the bot: MOE_API_TOKEN does not match the endpoint's token.");
    await sglang.setFault({ kind: 'none' });
    expect(sglang.hits('/generate')).toBe(0);
  });

  it('/quiz moe domains: the figures on the response_url and the chart in a direct message; the second run asks SGLang nothing', async () => {
    const since = slack.calls.length;
    const answer = await slow('moe domains');
    expect(answer.response_type).toBe('ephemeral');
    const text = textOf(answer.blocks);
    expect(text).toContain('Which experts each kind of text uses most');
    expect(text).toMatch(/each domain's 4 busiest experts take \d+% of its routing on average/);
    expect(text).toMatch(/Layer 1 \(early\): Code → experts/);
    const chart = await dmUpload('moe-domains.png', since);
    expect(chart.title).toMatch(/^Bar chart of the 4 experts each of 4 domains/);
    expect(isPng(chart.png)).toBe(true);
    expect(sglang.hits('/generate')).toBe(SHIPPED_PROMPT_COUNT);
    const calls = sglang.hits();

    const again = await slow('moe domains', 'UBOB');
    expect(textOf(again.blocks)).toContain('Cached: this prompt set was routed on this model before');
    expect(sglang.hits()).toBe(calls);
  });

  it('/quiz moe quiz: the hidden heatmap in a direct message, answer buttons, and the verdict replacing the question', async () => {
    const since = slack.calls.length;
    const question = await slow('moe quiz');
    expect(textOf(question.blocks)).toContain('Practice — which prompt produced this routing? (no points)');
    const buttons = buttonsIn(question.blocks);
    expect(buttons.map((b) => b.text)).toEqual([expect.stringMatching(/^A: /), expect.stringMatching(/^B: /), "I don't know"]);
    const quoted = [...textOf(question.blocks).matchAll(/“([^”]+)”/g)].map((m) => m[1]!.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>'));
    const heatmap = await dmUpload('moe-quiz.png', since);
    const client = new MoeClient({ kind: 'sglang', baseUrl: sglang.url, token: TOKEN, numExperts: 16, timeoutMs: 5000 });
    const routes = [await client.route({ prompt: quoted[0]! }), await client.route({ prompt: quoted[1]! })] as const;
    const shown = await quizShows(heatmap.png, routes);
    expect(shown).toBeDefined();

    // The wrong answer first: the verdict says so and replaces the question.
    const wrong = buttons[shown === 0 ? 1 : 0]!;
    const verdict = await driver.pressAndWait({ userId: 'UALICE', actionId: wrong.action_id, value: wrong.value! });
    expect(verdict.replace_original).toBe(true);
    const text = textOf(verdict.blocks);
    expect(text).toMatch(new RegExp(`❌ Not this time: it was prompt \\*${shown === 0 ? 'A' : 'B'}\\* `));
    expect(text).toContain('A practice question: no points, and your quiz schedule is unchanged.');
    expect(buttonsIn(verdict.blocks).map((b) => b.text)).toEqual(['Another routing question', 'Read the lesson: Why rephrasing moves experts']);
    await dmUpload('moe-quiz-answer.png', since);

    // Someone else's question is not theirs to answer.
    const other = await driver.pressAndWait({ userId: 'UBOB', actionId: wrong.action_id, value: wrong.value! });
    expect(textOf(other.blocks)).toBe('This routing question is someone else\u2019s. Ask your own with /quiz moe quiz.');
  });
});
