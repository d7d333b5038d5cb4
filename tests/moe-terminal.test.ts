import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MoeClient } from '../src/core/moe/client.js';
import { runCli, repoRoot } from './helpers/cli.js';
import { isPng, quizShows, SHIPPED_PROMPT_COUNT } from './helpers/moe-images.js';
import { startFakeMoeEndpoint, type FakeMoeEndpoint } from './fakes/moe-endpoint.js';
import { schemaError } from './helpers/moe-protocol.js';
import { tempDir } from './helpers/tmp.js';

const TOKEN = 'chat-token';
const fakes: FakeMoeEndpoint[] = [];

afterEach(async () => {
  while (fakes.length) await fakes.pop()!.close();
});

async function setup() {
  const fake = await startFakeMoeEndpoint({ token: TOKEN, experts: 32, topK: 4, moeLayers: 8 });
  fakes.push(fake);
  const dir = tempDir();
  const env = {
    CONTENT_DIR: join(repoRoot, 'content'),
    DATABASE_PATH: join(dir, 'bot.sqlite'),
    MOE_ENDPOINT_URL: fake.url,
    MOE_API_TOKEN: TOKEN,
  };
  return { fake, dir, env };
}


describe('/moe in the terminal chat and on the command line (child processes)', () => {
  it('/moe route writes the heatmap to a file and prints the summary; /moe compare the chart', async () => {
    const { fake, dir, env } = await setup();
    const r = await runCli(['chat'], { input: '/moe route hello world\n/moe compare "What is MoE?" "Explain mixture of experts"\n', env, cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Expert routing, token by token');
    expect(r.stdout).toMatch(/• Tokens: 3 across 8 MoE layers/);
    expect(r.stdout).toMatch(/• Experts used per layer: \d+(–\d+)? of 32/);
    expect(r.stdout).toContain('[1] Read the lesson: What MoE models cannot do');
    const images = [...r.stdout.matchAll(/\[image: [^\]]*? → (\S+\.png)\]/g)].map((m) => m[1]!);
    expect(images).toEqual([join(dir, 'data', 'images', 'moe-routing.png'), join(dir, 'data', 'images', 'moe-compare.png')]);
    for (const path of images) {
      expect(existsSync(path)).toBe(true);
      expect(isPng(readFileSync(path))).toBe(true);
    }
    expect(r.stdout).toContain('routing-induced eval flakiness');
    expect(fake.hits('/v1/route')).toBe(1);
    expect(fake.hits('/v1/compare')).toBe(1);
  });

  it('/moe domains charts the domains and a second run is answered from memory; /moe quiz is answered by number', async () => {
    const { fake, dir, env } = await setup();
    const r = await runCli(['chat'], { input: '/moe domains\n/moe domains\n/moe quiz\n3\n/moe quiz\n1\n', env: { ...env, MOE_RATE_LIMIT_PER_MINUTE: '100' }, cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const prompts = SHIPPED_PROMPT_COUNT;
    // One health check for the model's name, then every prompt once; the second run calls nothing,
    // and the quizzes' prompts come from the same set, routed a moment ago.
    expect(fake.hits('/v1/route')).toBe(prompts);
    expect(fake.hits('/v1/health')).toBe(1);
    const domains = r.stdout.split('Which experts each kind of text uses most').slice(1);
    expect(domains).toHaveLength(2);
    expect(domains[0]).toMatch(/each domain's 4 busiest experts take \d+% of its routing/);
    expect(domains[0]).toMatch(/• Layer \d+ \(middle\): Code → experts/);
    expect(domains[1]).toContain('Cached: this prompt set was routed on this model before');
    expect(r.stdout).toContain(`[image: Bar chart of the 4 experts each of 4 domains (Code, Maths, Prose, Chat) uses most at MoE layers 0, 3, 7 of fake/moe-tiny → ${join(dir, 'data', 'images', 'moe-domains.png')}]`);
    expect(isPng(readFileSync(join(dir, 'data', 'images', 'moe-domains.png')))).toBe(true);

    // Questions and answers alternate: the first answered "I don't know", the second A.
    const parts = r.stdout.split('Practice — which prompt produced this routing? (no points)').slice(1);
    expect(parts).toHaveLength(4);
    const [, unknown, question, answer] = parts as [string, string, string, string];
    expect(unknown).toMatch(/^\nIt was prompt [AB] \(/);
    expect(question).toMatch(/\[1\] A: .* {2}\[2\] B: .* {2}\[3\] I don't know/);
    // The verdict matches the heatmap the chat wrote for the second question.
    const quoted = [...question.matchAll(/“([^”]+)”/g)].map((m) => m[1]!);
    const client = new MoeClient({ baseUrl: fake.url, token: TOKEN, timeoutMs: 5000 });
    const routes = [await client.route({ prompt: quoted[0]! }), await client.route({ prompt: quoted[1]! })] as const;
    const shown = await quizShows(readFileSync(join(dir, 'data', 'images', 'moe-quiz.png')), routes);
    expect(shown).toBeDefined();
    expect(answer).toMatch(shown === 0 ? /^\n✅ Right: it was prompt A/ : /^\n❌ Not this time: it was prompt B .*, not A\./);
    expect(answer).toContain('A practice question: no points, and your quiz schedule is unchanged.');
    expect(answer).toContain('[1] Another routing question');
    expect(isPng(readFileSync(join(dir, 'data', 'images', 'moe-quiz-answer.png')))).toBe(true);
  });

  it('quizbot moe says how to set up an endpoint when MOE_ENDPOINT_URL is not set', async () => {
    const { dir, env } = await setup();
    const cli = await runCli(['moe', 'route', 'hello'], { env: { ...env, MOE_ENDPOINT_URL: '' }, cwd: dir });
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/^Live routing demos need a GPU server.*deploy\/moe-endpoint.*MOE_ENDPOINT_URL/);
  });

  it('quizbot moe route --json --out prints the protocol answer and writes the PNG', async () => {
    const { dir, env } = await setup();
    const out = join(dir, 'heatmap.png');
    const r = await runCli(['moe', 'route', 'Which expert fired?', '--json', '--out', out, '--max-new-tokens', '2'], { env, cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const printed = JSON.parse(r.stdout) as { summary: { tokens: number; generated: number }; image: string; response: unknown };
    expect(schemaError('RouteResponse', printed.response)).toBeUndefined();
    expect(printed.summary).toMatchObject({ tokens: 7, generated: 2 });
    expect(printed.image).toBe(out);
    expect(isPng(readFileSync(out))).toBe(true);

    const compare = await runCli(['moe', 'compare', 'What is MoE?', 'Explain MoE'], { env, cwd: dir });
    expect(compare.code).toBe(0);
    expect(compare.stdout).toMatch(/layer +0 {2}jaccard \d\.\d\d {2}load overlap \d\.\d\d/);
  });

  it('quizbot moe domains --json --out prints the report and writes the chart; a bad prompts file is one line and exit 1', async () => {
    const { fake, dir, env } = await setup();
    const out = join(dir, 'domains.png');
    const r = await runCli(['moe', 'domains', '--json', '--out', out], { env, cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const printed = JSON.parse(r.stdout) as { image: string; report: { domains: { id: string }[]; layers: { position: string; layer: number }[]; topN: number } };
    expect(printed.image).toBe(out);
    expect(printed.report.domains.map((d) => d.id)).toEqual(['code', 'maths', 'prose', 'chat']);
    expect(printed.report.layers.map((l) => [l.position, l.layer])).toEqual([
      ['early', 0],
      ['middle', 3],
      ['late', 7],
    ]);
    expect(isPng(readFileSync(out))).toBe(true);
    expect(fake.hits('/v1/route')).toBe(SHIPPED_PROMPT_COUNT);

    const content = join(dir, 'content');
    cpSync(join(repoRoot, 'content'), content, { recursive: true });
    writeFileSync(join(content, 'moe', 'domains.yaml'), 'domains:\n  - {id: code, title: Code, prompts: [a, b]}\n  - {id: chat, title: Chat, prompts: [c, d], extra: 1}\n');
    const bad = await runCli(['moe', 'domains'], { env: { ...env, CONTENT_DIR: content }, cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe(
      `The routing demo prompts cannot be read, so nothing was routed. Fix ${join('content', 'moe', 'domains.yaml')}: line 3, column 5: unknown field 'extra'`,
    );
    expect(fake.hits('/v1/route')).toBe(SHIPPED_PROMPT_COUNT);
  });

  it('exits 1 with one clear line when the endpoint is busy or hangs', async () => {
    const { fake, dir, env } = await setup();
    await fake.setFault({ kind: 'status', status: 429, code: 'queue_full', retryAfterS: 5 });
    const busy = await runCli(['moe', 'route', 'hi'], { env, cwd: dir });
    expect(busy.code).toBe(1);
    expect(busy.stderr.trim()).toBe('The GPU is busy with other requests; try again in about 5 s.');
    await fake.setFault({ kind: 'hang' });
    const hung = await runCli(['moe', 'model'], { env: { ...env, MOE_TIMEOUT_MS: '300' }, cwd: dir });
    expect(hung.code).toBe(1);
    expect(hung.stderr.trim()).toBe('The MoE endpoint did not answer within 1 s. It may be overloaded; try again later.');
    expect(hung.stderr).not.toMatch(/\n\s+at /);
  });
});
