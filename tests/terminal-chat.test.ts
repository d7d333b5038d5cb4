import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { writeDemoContent } from './helpers/content.js';
import { tempDir } from './helpers/tmp.js';

function setup() {
  const dir = tempDir();
  writeDemoContent(join(dir, 'content'));
  return { dir, env: { CONTENT_DIR: join(dir, 'content'), DATABASE_PATH: join(dir, 'data', 'bot.sqlite') } };
}

describe('terminal chat (child process, piped input)', () => {
  it('prints the commands and the lessons, then exits 0 at end of input', async () => {
    const { env } = setup();
    const r = await runCli(['start'], { input: '/help\n/lessons\n', env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('No Discord or Slack credentials set');
    expect(r.stdout).toContain('/lesson <id> [section] — Read a lesson, section by section.');
    expect(r.stdout).toContain('Demo lesson (demo, 1 min, 2 sections)');
    expect(existsSync(env.DATABASE_PATH)).toBe(true);
    const db = new Database(env.DATABASE_PATH, { readonly: true });
    expect(db.prepare('select count(*) n from questions').get()).toEqual({ n: 3 });
    db.close();
  });

  it('presses buttons by number and switches user and channel', async () => {
    const { env } = setup();
    const r = await runCli(['chat'], { input: '/lesson demo\n1\n9\n1\n/as bob\n/where study\n/lesson nope\nhello\n', env });
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/Demo lesson — 1\/2\nThe premise\n\nMixture-of-experts models route each token to a few experts\.\n\[1\] Next: Key terms/);
    expect(out).toMatch(/Demo lesson — 2\/2\nKey terms\n\nThe router picks the experts for each token\.\n\[1\] ◀ Previous/);
    expect(out).toContain('There is no button 9.');
    expect(out.match(/Demo lesson — 1\/2/g)).toHaveLength(2);
    expect(out).toContain('You are now bob.');
    expect(out).toContain('You are now in #study.');
    expect(out).toContain('There is no lesson "nope". Lessons: demo.');
    expect(out).toContain('Type /help to see them');
  });

  it('runs a race: the round is posted, a number presses its button, and /clock closes it', async () => {
    const { env } = setup();
    const r = await runCli(['chat'], { input: '/quiz race 1\n1\n/clock +30s\n', env: { ...env, QUIZBOT_CLOCK: '2026-11-20T09:00:00Z' } });
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/🏁 Race — round 1 of 1\n[^]*\[1\] [^]*🏁 Your race is on: 1 round of 20 s, posted in the channel\./);
    expect(out).toMatch(/✅ Right, and first! \+15 points when the round closes|Answer locked in\./);
    expect(out).toMatch(/It is now 2026-11-20T09:00:30\.000Z\.\n🏆 Race over — final standings\n[^]*Right answer: /);
    // A terminal cannot edit what it printed: the closed round is not printed again.
    expect(out).not.toContain('— closed');
  });

  it('explains bad options with the usage', async () => {
    const { env } = setup();
    const r = await runCli(['chat'], { input: '/lesson demo section:0\n/lesson\n/help lesson\n', env });
    expect(r.stdout).toContain("Option 'section' must be at least 1. Try /help lesson.");
    expect(r.stdout).toContain("Option 'id' is required. Try /help lesson.");
    expect(r.stdout).toContain('`id` — The lesson to read'.replace(/`/g, ''));
  });

  it('refuses bad configuration with one clear line and no stack trace', async () => {
    const { dir, env } = setup();
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const cases: [Record<string, string>, RegExp][] = [
      [{ DATABASE_PATH: join(file, 'db.sqlite') }, /^Cannot open the database at DATABASE_PATH=.*a-file\/db\.sqlite: a part of the path is a file, not a directory\.$/],
      [{ DATABASE_PATH: '/proc/quizbot/db.sqlite' }, /^Cannot open the database at DATABASE_PATH=\/proc\/quizbot\/db\.sqlite: the directory cannot be created there\.$/],
      [{ DATABASE_PATH: '/sys/quizbot/db.sqlite' }, /^Cannot open the database at DATABASE_PATH=\/sys\/quizbot\/db\.sqlite: permission denied or not writable\.$/],
      [{ NEW_CARDS_PER_DAY: '-3' }, /^Invalid NEW_CARDS_PER_DAY \(got "-3"\): .* See \.env\.example\.$/],
      [{ CONTENT_DIR: join(dir, 'broken') }, /content error/],
    ];
    writeDemoContent(join(dir, 'broken'), { 'banks/demo.yaml': 'id: demo\ntitle: x\nquestions: [1]\n' });
    for (const [over, expected] of cases) {
      const r = await runCli(['start'], { input: '/help\n', env: { ...env, ...over } });
      expect(r.code, JSON.stringify(over)).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).toMatch(expected);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    }
  });

  it('lists lessons and banks as JSON', async () => {
    const { env } = setup();
    const lessons = JSON.parse((await runCli(['lessons', '--json'], { env })).stdout);
    expect(lessons).toEqual([
      expect.objectContaining({ id: 'demo', sections: [{ slug: 'the-premise', title: 'The premise' }, { slug: 'key-terms', title: 'Key terms' }] }),
    ]);
    const banks = JSON.parse((await runCli(['banks', '--json'], { env })).stdout);
    expect(banks).toEqual([{ id: 'demo', title: 'Demo bank', origin: 'content', tenant: null, lesson: 'demo', questions: 3 }]);
    const usage = await runCli(['nonsense'], { env });
    expect(usage.code).toBe(2);
  });
});

describe('terminal chat attachments', () => {
  it('attaches a file by path for an admin import, and refuses a missing file', async () => {
    const { dir, env } = setup();
    const csv = join(dir, 'team.csv');
    writeFileSync(csv, 'question,choice_a,choice_b,answer,explanation\nWhat picks experts?,The router,The tokenizer,A,The router picks experts.\n');
    const r = await runCli(['chat'], { input: `/quiz-admin import file:${csv}\n1\n/quiz-admin import file:${join(dir, 'missing.csv')}\n`, env });
    expect(r.stdout).toContain('New bank team (Team) from team.csv (csv): 1 added, 0 changed, 0 removed, 0 unchanged.');
    expect(r.stdout).toContain('Import applied');
    expect(r.stdout).toContain(`Cannot read the file ${join(dir, 'missing.csv')}.`);
    const db = new Database(env.DATABASE_PATH, { readonly: true });
    expect(db.prepare("SELECT count(*) n FROM questions WHERE bank_id = 'team'").get()).toEqual({ n: 1 });
    db.close();
  });
});
