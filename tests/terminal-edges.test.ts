import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ChatDriver, printedButtons } from './helpers/chat-driver.js';
import { runCli } from './helpers/cli.js';
import { writeDemoContent } from './helpers/content.js';
import { tempDir } from './helpers/tmp.js';

const numberBank = `id: numbers
title: Numbers
lesson: demo
questions:
  - id: top-k
    type: short
    prompt: How many experts does a top-4 router pick?
    answer: "4"
    explanation: Top-4 picks four experts.
    source: { lesson: demo, section: Key terms }
`;

function setup(overrides: Record<string, string> = {}) {
  const dir = tempDir();
  writeDemoContent(join(dir, 'content'), overrides);
  return { dir, env: { CONTENT_DIR: join(dir, 'content'), DATABASE_PATH: join(dir, 'data', 'bot.sqlite') } };
}

let chat: ChatDriver | undefined;
afterEach(() => {
  chat?.kill();
  chat = undefined;
});

describe('terminal chat edges (child process, piped input)', () => {
  it('takes the file of /quiz-admin import in order, as /help shows it', async () => {
    const { dir, env } = setup();
    const gift = join(dir, 'x.gift');
    writeFileSync(gift, '::q1:: What picks the experts? { =The router ~The tokenizer }\n');
    const r = await runCli(['chat'], { input: `/help quiz-admin\n/quiz-admin import ${gift}\n/quiz-admin import ${gift} gift other-bank\n`, env });
    expect(r.stdout).toContain('/quiz-admin import <file>');
    expect(r.stdout).not.toContain("Option 'file' is required");
    expect(r.stdout).toContain('from x.gift (gift)');
    expect(r.stdout).toMatch(/New bank other-bank .*from x\.gift \(gift\)/);
  });
});
