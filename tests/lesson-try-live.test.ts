import { afterEach, describe, expect, it } from 'vitest';
import { parseLesson } from '../src/core/content/load.js';
import { plainText } from '../src/core/markup.js';
import { renderReply } from '../src/platforms/discord/message.js';
import { renderMessage } from '../src/platforms/slack/blocks.js';
import { buildAskIndex } from '../src/core/ask/search-index.js';
import { startFakeMoeEndpoint, type FakeMoeEndpoint } from './fakes/moe-endpoint.js';
import { actor, as, buttons, makeApp } from './helpers/app.js';

/**
 * "Try it live" on a lesson section: declared in the lesson, parsed and checked by the content
 * loader, shown as a button, and run through the same MoE service as /moe route and /moe compare
 * (against the protocol-level fake endpoint), or explained when no endpoint is configured.
 */

const TOKEN = 'lesson-token';
const fakes: FakeMoeEndpoint[] = [];
const apps: { close(): void }[] = [];

afterEach(async () => {
  while (fakes.length) await fakes.pop()!.close();
  while (apps.length) apps.pop()!.close();
});

async function withEndpoint(env: Record<string, string> = {}) {
  const fake = await startFakeMoeEndpoint({ token: TOKEN, experts: 16, topK: 4, moeLayers: 6 });
  fakes.push(fake);
  const { app } = makeApp({ MOE_ENDPOINT_URL: fake.url, MOE_API_TOKEN: TOKEN, ...env });
  apps.push(app);
  return { fake, app, ann: as(app, actor('ann')), bob: as(app, actor('bob')) };
}

function withoutEndpoint() {
  const { app } = makeApp();
  apps.push(app);
  return { app, ann: as(app, actor('ann')) };
}

const lessonText = (section: string) => `---\nid: demo\ntitle: Demo\nsummary: A demo.\n---\n\n## Intro\n\nPlain text.\n\n## Routing\n\n${section}\n`;

describe('Try it live: the declaration in a lesson', () => {
  it('is taken out of the section text and parsed into a route or compare demo', () => {
    const route = parseLesson(lessonText('The gate scores experts.\n\nTry it live: route "Which expert fired?"\nExpect: The heatmap shows it.'), 'demo.md');
    expect(route.issues).toEqual([]);
    const section = route.lesson!.sections[1]!;
    expect(section.body).toBe('The gate scores experts.');
    expect(section.demo).toEqual({ kind: 'route', prompt: 'Which expert fired?', expect: 'The heatmap shows it.' });
    expect(route.lesson!.sections[0]!.demo).toBeUndefined();

    const compare = parseLesson(lessonText('Rewording moves experts.\nTry it live: compare "What is MoE?" | "Explain MoE."\nExpect: The overlap drops.'), 'demo.md');
    expect(compare.lesson!.sections[1]!.demo).toEqual({ kind: 'compare', a: 'What is MoE?', b: 'Explain MoE.', expect: 'The overlap drops.' });
  });

  it('refuses a malformed declaration with the section and the line', () => {
    const cases: [string, RegExp][] = [
      ['Text.\nTry it live: route Which expert?\nExpect: x', /line 14: section "Routing": the "Try it live:" line cannot be read/],
      ['Text.\nTry it live: route "Which expert?"', /section "Routing": a "Try it live:" line needs an "Expect:" line/],
      ['Text.\nTry it live: route "  "\nExpect: x', /section "Routing": a "Try it live:" prompt is empty/],
      ['Text.\nTry it live: compare "a" "b"\nExpect: x', /section "Routing": the "Try it live:" line cannot be read/],
      ['Text.\nTry it live: route "a"\nTry it live: route "b"\nExpect: x', /section "Routing": a section has at most one "Try it live:" line/],
      ['Text.\nExpect: something', /section "Routing": an "Expect:" line belongs under a "Try it live:" line/],
      ['Text.\nExpect: x\nTry it live: route "a"', /section "Routing": the "Expect:" line comes after the "Try it live:" line/],
      [`Text.\nTry it live: route "${'x'.repeat(2001)}"\nExpect: x`, /section "Routing": a "Try it live:" prompt is longer than 2000 characters/],
    ];
    for (const [body, message] of cases) {
      const r = parseLesson(lessonText(body), 'demo.md');
      expect(r.lesson, body.slice(0, 60)).toBeUndefined();
      expect(r.issues.map((i) => `line ${i.line}: ${i.message}`).join('\n'), body.slice(0, 60)).toMatch(message);
    }
  });

  it('is neither section text nor searchable by /ask', () => {
    const { app } = withoutEndpoint();
    const lesson = app.services.lessons.get('moe-routing')!;
    const withDemo = lesson.sections.filter((s) => s.demo);
    expect(withDemo.length).toBe(lesson.sections.length);
    for (const s of lesson.sections) expect(s.body, s.title).not.toMatch(/Try it live|^Expect:/m);
    const index = buildAskIndex(app.services.lessons.all());
    for (const s of index.sections) expect(s.text, s.title).not.toMatch(/Try it live|Expect:/);
  });
});

describe('Try it live: the button', () => {
  it('is on every section of the router lesson that declares a demo, and on no other section', async () => {
    const { ann } = withoutEndpoint();
    const first = await ann.command('lesson', { id: 'moe-routing' });
    expect(buttons(first)).toEqual([
      { label: 'Next: Softmax or sigmoid scores', actionId: 'lesson:moe-routing:1' },
      { label: '▶ Try it live', actionId: 'lesson.try:moe-routing:0' },
    ]);
    const families = await ann.command('lesson', { id: 'moe-families-numbers' });
    expect(buttons(families).map((b) => b.label)).not.toContain('▶ Try it live');
  });

  it('routes the section prompt on the endpoint, through the same rate limit and cache as /moe route', async () => {
    const { fake, ann, bob } = await withEndpoint({ MOE_RATE_LIMIT_PER_MINUTE: '2' });
    const reply = await ann.action('lesson.try:moe-routing:0');
    expect(reply.title).toBe('Try it live: The gate');
    expect(reply.image?.filename).toBe('moe-routing.png');
    const text = plainText(reply.text);
    expect(text).toContain('Prompt: “The gate scores every expert for every token.”');
    expect(text).toContain('Experts used per layer');
    expect(buttons(reply)).toEqual([{ label: '◀ Back to the lesson: The gate', actionId: 'lesson:moe-routing:0' }]);
    expect(fake.hits('/v1/route')).toBe(1);

    // The same prompt typed as a command is the same cache entry: no second GPU call.
    const typed = await bob.command('moe route', { prompt: 'The gate scores every expert for every token.' });
    expect(plainText(typed.text)).toContain('Cached: this exact prompt was routed a moment ago.');
    expect(fake.hits('/v1/route')).toBe(1);

    // One rate limit per person for buttons and commands together (2 a minute here).
    await ann.command('moe route', { prompt: 'another prompt' });
    const limited = await ann.action('lesson.try:moe-routing:1');
    expect(limited.text).toMatch(/routing demos are limited per person\. Try again in \d+ s\./);
    expect(fake.hits('/v1/route')).toBe(2);
  });

  it('compares the two phrasings of the rephrasing section', async () => {
    const { fake, app, ann } = await withEndpoint();
    const lesson = app.services.lessons.get('moe-routing')!;
    const index = lesson.sections.findIndex((s) => s.title === 'Why rephrasing moves experts');
    const section = await ann.command('lesson', { id: 'moe-routing', section: index + 1 });
    const button = buttons(section).find((b) => b.label === '▶ Try it live')!;
    expect(button.actionId).toBe(`lesson.try:moe-routing:${index}`);
    const reply = await ann.action(button.actionId);
    expect(reply.image?.filename).toBe('moe-compare.png');
    const text = plainText(reply.text);
    expect(text).toContain('Prompts: “What is a mixture of experts?” and “Explain what an MoE model is.”');
    expect(text).toContain('routing-induced eval flakiness');
    expect(fake.hits('/v1/compare')).toBe(1);
    expect(fake.hits('/v1/route')).toBe(0);
  });

  it('turns an endpoint failure into a short message, like the command', async () => {
    const { fake, ann } = await withEndpoint();
    await fake.setFault({ kind: 'status', status: 429, code: 'queue_full', retryAfterS: 5 });
    const reply = await ann.action('lesson.try:moe-routing:2');
    expect(reply.visibility).toBe('ephemeral');
    expect(reply.text).toContain('busy');
    expect(reply.image).toBeUndefined();
  });

  it('explains what the demo would show when no endpoint is configured', async () => {
    const { app, ann } = withoutEndpoint();
    const reply = await ann.action('lesson.try:moe-routing:0');
    const section = app.services.lessons.get('moe-routing')!.sections[0]!;
    expect(reply.title).toBe('Try it live: The gate');
    const text = plainText(reply.text);
    expect(text).toContain('What the demo would show');
    expect(text).toContain(section.demo!.expect);
    expect(text).toContain('Prompt: “The gate scores every expert for every token.”');
    expect(text).toContain('MOE_ENDPOINT_URL');
    expect(reply.image).toBeUndefined();
    expect(buttons(reply)).toEqual([{ label: '◀ Back to the lesson: The gate', actionId: 'lesson:moe-routing:0' }]);
  });

  it('answers a press on a section without a demo, or a forged id, without running anything', async () => {
    const { fake, ann } = await withEndpoint();
    expect((await ann.action('lesson.try:moe-families-numbers:1')).text).toContain('has no live demo');
    expect((await ann.action('lesson.try:no-such-lesson:0')).text).toContain('has no live demo');
    expect((await ann.action('lesson.try:moe-routing:x')).text).toBe('This button is not valid any more.');
    expect(fake.hits('/v1/route') + fake.hits('/v1/compare')).toBe(0);
  });

  it('is rendered as a button on Discord and on Slack', async () => {
    const { ann } = withoutEndpoint();
    const reply = await ann.command('lesson', { id: 'moe-routing' });
    const discord = renderReply(reply, new Map());
    const row = discord.components[0]!.components as { label?: string; custom_id?: string }[];
    expect(row.map((c) => [c.label, c.custom_id])).toContainEqual(['▶ Try it live', 'lesson.try:moe-routing:0']);

    const slack = renderMessage(reply);
    const actions = slack.blocks.filter((b) => b.type === 'actions') as { elements: { text: { text: string }; action_id: string }[] }[];
    const elements = actions.flatMap((a) => a.elements);
    expect(elements.map((e) => [e.text.text, e.action_id])).toContainEqual(['▶ Try it live', 'lesson.try:moe-routing:0']);
  });
});
