import { afterEach, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../src/core/command-line.js';
import { findCommand } from '../src/core/commands.js';
import { plainText } from '../src/core/markup.js';
import { startFakeMoeEndpoint, type FakeMoeEndpoint } from './fakes/moe-endpoint.js';
import { actor, as, buttons, makeApp } from './helpers/app.js';
import { isPng } from './helpers/png.js';

const TOKEN = 'bot-token';
const fakes: FakeMoeEndpoint[] = [];

afterEach(async () => {
  while (fakes.length) await fakes.pop()!.close();
});

async function setup(env: Record<string, string> = {}) {
  const fake = await startFakeMoeEndpoint({ token: TOKEN, experts: 16, topK: 4, moeLayers: 6, denseLayers: [0] });
  fakes.push(fake);
  const { app } = makeApp({ MOE_ENDPOINT_URL: fake.url, MOE_API_TOKEN: TOKEN, ...env });
  return { fake, app, ann: as(app, actor('ann')), bob: as(app, actor('bob')) };
}

describe('/moe commands', () => {
  it('are slow catalogue commands with the declared options', () => {
    for (const key of ['moe route', 'moe compare', 'moe model']) expect(findCommand(key)?.slow, key).toBe(true);
    const compare = parseCommandLine('/moe compare "What is MoE?" "Explain mixture of experts"');
    expect(compare.ok && compare.options).toEqual({ a: 'What is MoE?', b: 'Explain mixture of experts' });
    const route = parseCommandLine('/moe route which expert fired?');
    expect(route.ok && route.options).toEqual({ prompt: 'which expert fired?' });
  });

  it('/moe route answers with a heatmap, a summary and the lesson that explains it', async () => {
    const { app, ann, fake } = await setup();
    const reply = await ann.command('moe route', { prompt: 'Which expert fired matters, and it is hard to inspect.' });
    expect(isPng(reply.image!.png)).toBe(true);
    expect(reply.image?.alt).toMatch(/top-1 expert for \d+ tokens across 6 MoE layers/);
    const text = plainText(reply.text);
    expect(text).toContain('Experts used per layer');
    expect(text).toContain('Load imbalance (max/mean)');
    expect(text).toContain('Top-1 expert changed between consecutive MoE layers');
    expect(text).toContain('(dense layers: 0)');
    expect(text).toMatch(/Latency: [\d.]+ ms at the endpoint/);
    const [lesson] = buttons(reply);
    expect(lesson).toEqual({ label: 'Read the lesson: What MoE models cannot do', actionId: 'lesson:moe-tradeoffs:2' });
    const section = await ann.action(lesson!.actionId);
    expect(section.text).toContain('which expert fired matters, and it is hard to inspect');
    expect(fake.hits('/v1/route')).toBe(1);
    expect(app.services.config.MOE_API_TOKEN).toBe(TOKEN);
  });

  it('/moe compare ties the overlap to routing-induced eval flakiness', async () => {
    const { ann } = await setup();
    const reply = await ann.command('moe compare', { a: 'Which expert fired?', b: 'What expert was chosen?' });
    expect(reply.image?.filename).toBe('moe-compare.png');
    const text = plainText(reply.text);
    expect(text).toContain('routing-induced eval flakiness');
    expect(text).toContain('Expert-set overlap (Jaccard)');
    expect(buttons(reply)).toEqual([{ label: 'Read the lesson: Key terms', actionId: 'lesson:moe-behave-differently:5' }]);
    const section = await ann.action('lesson:moe-behave-differently:5');
    expect(section.text).toContain('Routing-induced eval flakiness');
  });

  it('/moe model describes the endpoint', async () => {
    const { ann } = await setup();
    const reply = await ann.command('moe model', {});
    expect(plainText(reply.text)).toContain('Experts: 16 per MoE layer, top-4 per token');
    expect(plainText(reply.text)).toContain('Layers: 7, of which 6 MoE and 1 dense');
  });

  it('says how to set up an endpoint when none is configured', async () => {
    const { app } = makeApp({});
    const reply = await as(app, actor('ann')).command('moe route', { prompt: 'hi' });
    expect(reply.title).toBe('Live MoE routing is not set up');
    expect(plainText(reply.text)).toContain('set MOE_ENDPOINT_URL to its address');
    expect(plainText(reply.text)).toContain('deploy/moe-endpoint');
    expect(reply.image).toBeUndefined();
  });

  it('answers clearly when the endpoint is busy, down or broken', async () => {
    const { ann, fake } = await setup();
    const wrongToken = await as(makeApp({ MOE_ENDPOINT_URL: fake.url, MOE_API_TOKEN: 'nope' }).app, actor('ann')).command('moe model', {});
    expect(plainText(wrongToken.text)).toBe("The MoE endpoint refused the bot: MOE_API_TOKEN does not match the endpoint's token.");
    await fake.setFault({ kind: 'status', status: 429, code: 'queue_full', retryAfterS: 4 });
    expect(plainText((await ann.command('moe route', { prompt: 'one' })).text)).toBe('The GPU is busy with other requests; try again in about 4 s.');
    await fake.setFault({ kind: 'garbage' });
    expect(plainText((await ann.command('moe route', { prompt: 'two' })).text)).toMatch(/^The MoE endpoint sent an answer this bot cannot read \(not JSON\)/);
    await fake.setFault({ kind: 'down' });
    const down = await ann.command('moe route', { prompt: 'three' });
    expect(plainText(down.text)).toMatch(/^The MoE endpoint at 127\.0\.0\.1:\d+ cannot be reached \(ECONNREFUSED\)\. Is it running\?$/);
    expect(down.visibility).toBe('ephemeral');
  });

  it('limits each user, serves repeated prompts from the cache, and checks prompt length first', async () => {
    const { ann, bob, fake } = await setup({ MOE_RATE_LIMIT_PER_MINUTE: '1' });
    await ann.command('moe route', { prompt: 'first' });
    const limited = await ann.command('moe route', { prompt: 'second' });
    expect(plainText(limited.text)).toMatch(/^The GPU is shared, so routing demos are limited per person\. Try again in \d+ s\.$/);
    const cached = await bob.command('moe route', { prompt: 'first' });
    expect(plainText(cached.text)).toContain('Cached: this exact prompt was routed a moment ago.');
    const tooLong = await bob.command('moe route', { prompt: 'x'.repeat(2001) });
    expect(plainText(tooLong.text)).toContain("Option 'prompt' must be at most 2000 characters");
    expect(fake.hits('/v1/route')).toBe(1);
  });
});
