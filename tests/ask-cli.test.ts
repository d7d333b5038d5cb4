import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

/** `quizbot ask` as a child process on the repository's lessons and a fresh database. */
function env(): Record<string, string> {
  return { CONTENT_DIR: join(repoRoot, 'content'), DATABASE_PATH: join(tempDir(), 'bot.sqlite'), LLM_BASE_URL: '', LLM_MODEL: '' };
}

describe('quizbot ask', () => {
  it('prints an answer with its citations as JSON', async () => {
    const r = await runCli(['ask', 'why does my MoE model answer differently when I rephrase?', '--json'], { env: env() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { abstained: boolean; answer: string; citations: { lessonId: string; lessonTitle: string; section: string; quote: string }[] };
    expect(Object.keys(out)).toEqual(['abstained', 'answer', 'citations']);
    expect(out.abstained).toBe(false);
    expect(out.answer).toMatch(/(rephras|reword|routing variance).*\[1\]/i);
    expect(out.citations.length).toBeGreaterThan(0);
    for (const c of out.citations) {
      expect(Object.keys(c)).toEqual(['lessonId', 'lessonTitle', 'section', 'quote']);
      expect(out.answer).toContain(c.quote.split(' … ')[0]!.slice(0, 40));
    }
    expect(['moe-behave-differently', 'moe-routing']).toContain(out.citations[0]!.lessonId);
  });

  it('abstains on a question the lessons do not cover, and takes the question unquoted', async () => {
    const r = await runCli(['ask', '--json', 'What', 'is', 'FlashAttention?'], { env: env() });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toEqual({ abstained: true, answer: expect.stringMatching(/^The lessons don't cover that\./), citations: [] });
  });

  it('prints readable text without --json, and refuses an empty question', async () => {
    const e = env();
    const r = await runCli(['ask', 'what is a load balancing loss'], { env: e });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/load-balancing loss.*\[1\]/);
    expect(r.stdout).toMatch(/\nSources:\n\[1\] .+ — (Key terms|Load balancing)/);

    const empty = await runCli(['ask', '  '], { env: e });
    expect(empty.code).not.toBe(0);
    expect(empty.stderr).toContain('the question is empty');
  });
});
