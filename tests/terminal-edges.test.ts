import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChatDriver, printedButtons } from './helpers/chat-driver.js';
import { runCli } from './helpers/cli.js';
import { demoBank, writeDemoContent } from './helpers/content.js';
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
  it('takes the line after "Type your answer" as the answer, even a number', async () => {
    const { env } = setup({ 'banks/demo.yaml': numberBank });
    chat = new ChatDriver(env);
    const question = await chat.send('/quiz');
    const type = printedButtons(question).get('Type your answer')!;
    expect(type).toBeGreaterThan(0);
    expect(await chat.send(String(type))).toContain('Answer: type it on the next line.');
    const feedback = await chat.send('4');
    expect(feedback).not.toContain('There is no button 4.');
    expect(feedback).toMatch(/Right/);
  });

  it("lists the terminal's own commands in /help and explains each", async () => {
    const { env } = setup();
    const r = await runCli(['chat'], { input: '/help\n/help as\n/help where\n/help clock\n/help quit\n', env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Terminal chat:\n[^]*\/as <name>[^]*\/where <channel>[^]*\/clock [^]*\/quit/);
    expect(r.stdout).not.toMatch(/no (such )?command/i);
    expect(r.stdout).toMatch(/\/as <name> — .*another user/);
    expect(r.stdout).toMatch(/\/where <channel> — .*channel/);
    expect(r.stdout).toMatch(/\/clock \+1d \| \+2h \| \+30m \| <ISO time> — .*QUIZBOT_CLOCK/);
    expect(r.stdout).toMatch(/\/quit — .*[Ee]nds the chat/);
  });

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

  it('with a manual clock, /clock takes the scheduled backups it moves over', async () => {
    const { env } = setup();
    const backups = join(tempDir(), 'backups');
    chat = new ChatDriver({ ...env, QUIZBOT_CLOCK: '2026-11-20T01:00:00Z', DEFAULT_TIMEZONE: 'UTC', BACKUP_DIR: backups, BACKUP_CRON: '0 3 * * *' });
    await chat.send('/clock +1h', 300);
    expect(existsSync(backups) ? readdirSync(backups) : []).toEqual([]);
    await chat.send('/clock +2d', 300);
    // 03:00 on the 20th and on the 21st (the clock moved from 02:00 on the 20th to 02:00 on the 22nd).
    await vi.waitFor(() => expect(readdirSync(backups).filter((f) => f.endsWith('.sqlite')).length).toBe(2), { timeout: 5000 });
  });

  it('with a manual clock, /clock fires the daily schedules and race rounds it moves over, once each', async () => {
    // A third question a race can ask, for three rounds.
    const extra = `  - id: demo-top
    type: single
    prompt: How many experts does a top-2 router pick per token?
    choices: [Two, All of them, One]
    answer: Two
    explanation: Top-2 picks two.
    source: { lesson: demo, section: Key terms }
`;
    const { env } = setup({ 'banks/demo.yaml': demoBank + extra });
    chat = new ChatDriver({ ...env, QUIZBOT_CLOCK: '2026-11-20T08:00:00Z', DEFAULT_TIMEZONE: 'UTC' });
    expect(await chat.send('/quiz-admin schedule 09:00')).toContain('Daily quiz scheduled: every day at 09:00 (UTC) in #general.');
    const moved = await chat.send('/clock +2h', 300);
    expect(moved).toContain('It is now 2026-11-20T10:00:00.000Z.');
    expect(moved.match(/📚 Today's quiz is ready/g)).toHaveLength(1);
    const again = await chat.send('/clock +1h', 300);
    expect(again).toContain('It is now 2026-11-20T11:00:00.000Z.');
    expect(again).not.toContain("Today's quiz is ready");
    // The next day's post comes at the next 09:00.
    expect((await chat.send('/clock 2026-11-21T09:00:00Z', 300)).match(/📚 Today's quiz is ready/g)).toHaveLength(1);

    expect(await chat.send('/quiz race 3')).toContain('🏁 Race — round 1 of 3');
    const closed = await chat.send('/clock +25s', 300);
    expect(closed).toContain('Round 1 of 3 — answer');
    expect(closed).toContain('🏁 Race — round 2 of 3');
    expect(closed).not.toContain('Race over');
    // A longer move closes each round at its own time, in order.
    const rest = await chat.send('/clock +5m', 300);
    expect(rest).toMatch(/Round 2 of 3 — answer[^]*🏁 Race — round 3 of 3[^]*🏆 Race over — final standings/);
  });
});
