import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, repoRoot } from './helpers/cli.js';
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

const isPng = (path: string) => readFileSync(path).subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));

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
      expect(isPng(path)).toBe(true);
    }
    expect(r.stdout).toContain('routing-induced eval flakiness');
    expect(fake.hits('/v1/route')).toBe(1);
    expect(fake.hits('/v1/compare')).toBe(1);
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
    expect(isPng(out)).toBe(true);

    const compare = await runCli(['moe', 'compare', 'What is MoE?', 'Explain MoE'], { env, cwd: dir });
    expect(compare.code).toBe(0);
    expect(compare.stdout).toMatch(/layer +0 {2}jaccard \d\.\d\d {2}load overlap \d\.\d\d/);
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
