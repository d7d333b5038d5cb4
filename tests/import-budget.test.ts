import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { prepareImport } from '../src/core/import/apply.js';
import { plainText } from '../src/core/markup.js';
import { actor, as, buttons, makeApp } from './helpers/app.js';
import { repoRoot, runCli } from './helpers/cli.js';
import { snapshotDb } from './helpers/db-snapshot.js';
import { tempDir, writeFiles } from './helpers/tmp.js';

/**
 * Parsing an import runs on a worker thread with a time budget: a file the grammar is slow on is
 * refused when the budget runs out, and the bot keeps answering everyone else meanwhile.
 */

/**
 * Just under 5 MB of GIFT that the grammar is slow on (about 2.5 to 3.5 s on one core): blocks of
 * 20,000 characters whose answer block never closes, every line an answer with an empty feedback
 * (`=a#`), so the grammar tries and decodes every line as text, answer and feedback before failing.
 */
function slowGift(): Buffer {
  const block = 'Q {' + '=a#\n'.repeat(4996) + '\n';
  return Buffer.from(block.repeat(Math.floor((5 * 1024 * 1024) / block.length)));
}

const apps: App[] = [];
function setup(env: Record<string, string> = {}) {
  const made = makeApp(env);
  apps.push(made.app);
  return made;
}
afterEach(() => {
  while (apps.length) apps.pop()!.close();
});

const admin = { platform: 'terminal', userId: 'admin', displayName: 'Ada', tenant: null };
/** An attachment as adapters hand it over: read already (content) or read on demand (load). */
const file = (name: string, bytes: Buffer | string) => {
  const content = Buffer.from(bytes);
  return { name, url: 'https://files.example/x', content, load: async () => content };
};

/** The longest stretch the event loop went without running a 10 ms timer, while `work` runs. */
async function longestGap<T>(work: () => Promise<T>): Promise<{ result: T; gapMs: number }> {
  let last = performance.now();
  let gapMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    gapMs = Math.max(gapMs, now - last);
    last = now;
  }, 10);
  try {
    const result = await work();
    gapMs = Math.max(gapMs, performance.now() - last);
    return { result, gapMs };
  } finally {
    clearInterval(timer);
  }
}

describe('the import parse budget', () => {
  it('refuses a file that takes longer than the budget, soon after the budget, and writes nothing', async () => {
    const { app, dbPath } = setup({ IMPORT_PARSE_BUDGET_MS: '500' });
    const before = snapshotDb(dbPath);
    const started = performance.now();
    const reply = await as(app, actor('boss', true)).command('quiz-admin import', { file: file('quiz.gift', slowGift()) });
    const ms = performance.now() - started;
    expect(reply.title).toBe('Import refused: quiz.gift');
    expect(plainText(reply.text)).toBe(
      '1 problem found; nothing was changed.\n• quiz.gift: reading the file took longer than 500 ms, so it was refused; split it into smaller files',
    );
    expect(buttons(reply)).toEqual([]);
    // Parsing it whole takes seconds; the refusal comes at the budget (plus starting the thread).
    expect(ms).toBeLessThan(2000);
    expect(snapshotDb(dbPath)).toEqual(before);
  });

  it('keeps answering other interactions while a slow file is parsed', async () => {
    // The default budget (3 s): the parse runs to the end or to the budget, off the event loop.
    const { app, dbPath } = setup();
    const before = snapshotDb(dbPath);
    const learner = as(app, actor('you'));
    let answered = 0;
    let slowestMs = 0;
    let importing = true;
    const others = (async () => {
      while (importing) {
        const started = performance.now();
        const reply = await learner.command('lessons');
        slowestMs = Math.max(slowestMs, performance.now() - started);
        if (reply.title) answered++;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const { result, gapMs } = await longestGap(async () => {
      try {
        return await prepareImport(app.services, { fileName: 'quiz.gift', bytes: slowGift(), actor: admin });
      } finally {
        importing = false;
      }
    });
    await others;
    expect(result.ok).toBe(false);
    expect(gapMs).toBeLessThan(1000);
    expect(slowestMs).toBeLessThan(1000);
    expect(answered).toBeGreaterThan(5);
    expect(snapshotDb(dbPath)).toEqual(before);
  });

  it('reads one file per server at a time and two in all, so one server cannot keep the cores busy', async () => {
    const { app } = setup({ IMPORT_PARSE_BUDGET_MS: '800' });
    const importIn = (server: string, name: string) =>
      as(app, actor('admin', true, 'discord'), 'general', server).command('quiz-admin import', { file: file(name, slowGift()) });
    const [first, again, other, third] = await Promise.all([
      importIn('server-a', 'a1.gift'),
      importIn('server-a', 'a2.gift'),
      importIn('server-b', 'b1.gift'),
      importIn('server-c', 'c1.gift'),
    ]);
    expect(plainText(first.text)).toContain('took longer than 800 ms');
    expect(plainText(again.text)).toContain('another file of this server is being read right now; import one file at a time');
    expect(plainText(other.text)).toContain('took longer than 800 ms');
    expect(plainText(third.text)).toContain('the bot is reading other files right now; try again in a moment');
    // Once they are done, the next file is read.
    expect(plainText((await importIn('server-a', 'a3.gift')).text)).toContain('took longer than 800 ms');
  });

  it('imports a normal GIFT and CSV file through the worker, in chat', async () => {
    const { app } = setup();
    const boss = as(app, actor('boss', true));
    const gift = '$CATEGORY: $course$/Team quiz\n\n// [id:g-router]\nWhat picks the experts? {=The router #Right. ~The tokenizer}\n\nMoE layers are sparse. {T}\n';
    const preview = await boss.command('quiz-admin import', { file: file('team.gift', gift) });
    expect(preview.title).toBe('Import preview: team.gift');
    expect(plainText(preview.text)).toContain('New bank team (Team quiz) from team.gift (gift): 2 added, 0 changed, 0 removed, 0 unchanged.');
    const applied = await boss.action(buttons(preview)[0]!.actionId);
    expect(plainText(applied.text)).toContain('Bank team: 2 added, 0 changed, 0 removed (retired), 0 unchanged.');

    const csv = 'id,question,choice_a,choice_b,answer\nc-topk,What does top-k choose?,How many experts,How many layers,A\n';
    const next = await boss.command('quiz-admin import', { file: file('other.csv', csv) });
    expect(plainText(next.text)).toContain('New bank other (Other) from other.csv (csv): 1 added, 0 changed, 0 removed, 0 unchanged.');
  });
});

describe('quizbot import with the parse budget', () => {
  const cli = (dir: string, args: string[], env: Record<string, string> = {}) =>
    runCli(args, { env: { CONTENT_DIR: join(repoRoot, 'content'), DATABASE_PATH: join(dir, 'bot.sqlite'), ...env }, cwd: dir });

  it('exits 1 with the reason when the file takes longer than the budget, and writes nothing', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'quiz.gift'), slowGift());
    const r = await cli(dir, ['import', 'quiz.gift'], { IMPORT_PARSE_BUDGET_MS: '500' });
    expect(r.stderr).toBe('quiz.gift: reading the file took longer than 500 ms, so it was refused; split it into smaller files\n');
    expect(r.code).toBe(1);
    const db = new Database(join(dir, 'bot.sqlite'), { readonly: true });
    expect(db.prepare("SELECT count(*) AS n FROM banks WHERE origin = 'import'").get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT count(*) AS n FROM import_drafts').get()).toEqual({ n: 0 });
    db.close();
  });

  it('imports a normal GIFT file', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'team.gift': '// [id:g-router]\nWhat picks the experts? {=The router ~The tokenizer}\n\nMoE layers are sparse. {T}\n' });
    const r = await cli(dir, ['import', 'team.gift', '--dry-run']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('bank team (new), gift: 2 added, 0 changed, 0 removed, 0 unchanged');
  });
});
