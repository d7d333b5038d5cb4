import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, repoRoot } from './helpers/cli.js';
import { startFakeMoeEndpoint, type FakeMoeEndpoint } from './fakes/moe-endpoint.js';
import { tempDir } from './helpers/tmp.js';

/** "Try it live" in the terminal chat: a child process with piped input, pressing buttons by number. */

const TOKEN = 'terminal-token';
const fakes: FakeMoeEndpoint[] = [];

afterEach(async () => {
  while (fakes.length) await fakes.pop()!.close();
});

function env(dir: string, extra: Record<string, string> = {}) {
  return { CONTENT_DIR: join(repoRoot, 'content'), DATABASE_PATH: join(dir, 'bot.sqlite'), ...extra };
}

describe('Try it live in the terminal chat (child process)', () => {
  it('routes the first section prompt and compares the rephrasing section prompts on the endpoint', async () => {
    const fake = await startFakeMoeEndpoint({ token: TOKEN, experts: 32, topK: 4, moeLayers: 8 });
    fakes.push(fake);
    const dir = tempDir();
    const input = '/lesson moe-routing\n2\n/lesson moe-routing section:7\n3\n';
    const r = await runCli(['chat'], { input, env: env(dir, { MOE_ENDPOINT_URL: fake.url, MOE_API_TOKEN: TOKEN }), cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/How an MoE Router Works — 1\/8\nThe gate\n[\s\S]*?\[1\] Next: Softmax or sigmoid scores {2}\[2\] ▶ Try it live\n/);
    expect(out).not.toContain('Expect:');
    expect(out).toContain('Try it live: The gate');
    expect(out).toContain('Prompt: “The gate scores every expert for every token.”');
    expect(out).toMatch(/• Tokens: \d+ across 8 MoE layers/);
    expect(out).toContain('[1] ◀ Back to the lesson: The gate');
    expect(out).toMatch(/How an MoE Router Works — 7\/8\nWhy rephrasing moves experts\n[\s\S]*?\[1\] ◀ Previous {2}\[2\] Next: What experts specialise in {2}\[3\] ▶ Try it live\n/);
    expect(out).toContain('Try it live: Why rephrasing moves experts');
    expect(out).toContain('routing-induced eval flakiness');
    expect(out).toMatch(/\[image: [^\]]*? → \S+moe-routing\.png\]/);
    expect(out).toMatch(/\[image: [^\]]*? → \S+moe-compare\.png\]/);
    expect(fake.hits('/v1/route')).toBe(1);
    expect(fake.hits('/v1/compare')).toBe(1);
  });

  it('explains what the demo would show when no endpoint is configured', async () => {
    const dir = tempDir();
    const r = await runCli(['chat'], { input: '/lesson moe-routing\n2\n', env: env(dir, { MOE_ENDPOINT_URL: '' }), cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Try it live: The gate');
    expect(r.stdout).toContain('What the demo would show');
    expect(r.stdout).toContain('The heatmap has one row per token and one column per MoE layer');
    expect(r.stdout).toContain('Live routing demos are not set up on this bot');
    expect(r.stdout).not.toContain('Something went wrong');
    expect(r.stdout).not.toMatch(/\[image:/);
  });
});
