import { existsSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCli } from './helpers/cli.js';
import { tempDir, writeFiles } from './helpers/tmp.js';

/** The compiled CLI as a child process, on the repository's content and a fresh database. */
function cli(dir: string, args: string[]) {
  return runCli(args, { env: { CONTENT_DIR: join(repoRoot, 'content'), DATABASE_PATH: join(dir, 'bot.sqlite') }, cwd: dir });
}

const good = 'id,question,choice_a,choice_b,answer,explanation\ncli-router,What picks the experts?,The router,The tokenizer,A,The router.\ncli-sparse,MoE layers are sparse.,,,true,Only a few experts run.\n';

describe('quizbot import and export', () => {
  it('dry-runs, imports, re-imports as a no-op, and exports, with exit code 0', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'team.csv': good });
    const dry = await cli(dir, ['import', 'team.csv', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe('bank team (new), csv: 2 added, 0 changed, 0 removed, 0 unchanged\n  + cli-router  What picks the experts?\n  + cli-sparse  MoE layers are sparse.\nDry run: nothing was written.\n');

    const first = await cli(dir, ['import', 'team.csv', '--lesson', 'moe-tradeoffs']);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Imported: 2 added, 0 changed, 0 removed (retired), 0 unchanged (import #1).');
    const again = await cli(dir, ['import', 'team.csv', '--lesson', 'moe-tradeoffs']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Nothing to change: the bank already matches this file.');

    const exported = await cli(dir, ['export', 'team', '--format', 'aiken', '--out', 'team.aiken.txt']);
    expect(exported.code).toBe(0);
    expect(exported.stderr).toBe('team: question cli-sparse is not in the aiken export: Aiken holds only single-choice questions, not true/false\n');
    expect(readFileSync(join(dir, 'team.aiken.txt'), 'utf8')).toBe('What picks the experts?\nA. The router\nB. The tokenizer\nANSWER: A\n');
  });

  it('imports the questions that pass and lists the rest: exit 3, a JSON report, and --strict refusing the file', async () => {
    const dir = tempDir();
    const csv = 'question,type,answer\nWhat picks the experts?,short,the router\nMoE is sparse.,true_false,maybe\nOnly some experts run per token.,true_false,true\n';
    writeFiles(dir, { 'mixed.csv': csv });
    const strict = await cli(dir, ['import', 'mixed.csv', '--strict', '--json']);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toBe("mixed.csv:3: question 2: answer 'maybe' must be true or false\n");
    expect(JSON.parse(strict.stdout)).toMatchObject({ applied: false, added: 0, problems: ["mixed.csv:3: question 2: answer 'maybe' must be true or false"] });

    const dry = await cli(dir, ['import', 'mixed.csv', '--dry-run', '--json']);
    expect(dry.code).toBe(3);
    expect(JSON.parse(dry.stdout)).toEqual({
      bank: 'mixed',
      format: 'csv',
      added: 2,
      changed: 0,
      unchanged: 0,
      retired: 0,
      skipped: [{ line: 3, question: 2, reason: "answer 'maybe' must be true or false" }],
      warnings: [],
      duplicates: [],
      applied: false,
      problems: [],
    });
    const db = () => new Database(join(dir, 'bot.sqlite'), { readonly: true });
    const count = () => {
      const d = db();
      const n = (d.prepare("SELECT count(*) AS n FROM questions WHERE bank_id = 'mixed' AND retired_at IS NULL").get() as { n: number }).n;
      d.close();
      return n;
    };
    expect(count()).toBe(0);

    const done = await cli(dir, ['import', 'mixed.csv']);
    expect(done.code).toBe(3);
    expect(done.stdout).toContain("skipped: mixed.csv:3: question 2: answer 'maybe' must be true or false");
    expect(done.stdout).toContain('Imported: 2 added, 0 changed, 0 removed (retired), 0 unchanged');
    expect(done.stdout).toContain('1 question skipped');
    expect(count()).toBe(2);

    // The fixed file imports the last one and exits 0.
    writeFiles(dir, { 'mixed.csv': csv.replace('maybe', 'false') });
    const fixed = await cli(dir, ['import', 'mixed.csv', '--json']);
    expect(fixed.code).toBe(0);
    expect(JSON.parse(fixed.stdout)).toMatchObject({ added: 1, unchanged: 2, skipped: [], applied: true });
  });

  it('exits 2 for an unknown lesson, an invalid bank id and a missing file', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'team.csv': 'question,answer\nWhat picks the experts?,the router\n' });
    for (const args of [['--lesson', 'nope'], ['--bank', 'Not A Bank!']]) {
      const r = await cli(dir, ['import', 'team.csv', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
    }
    expect((await cli(dir, ['import', 'team.csv', '--lesson', 'nope'])).stderr).toContain("there is no lesson 'nope'");
    expect((await cli(dir, ['import', 'missing.csv'])).code).toBe(2);
  });

  it('exits 1 with one line per problem for a bad file, and writes nothing', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'bad.csv': 'question,type,answer\nWhat picks the experts?,singel,router\nMoE is sparse.,true_false,maybe\n' });
    const r = await cli(dir, ['import', 'bad.csv']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "bad.csv:2: question 1: type 'singel' is not a question type: use single, multiple, true_false, short or numeric (did you mean 'single'?)\n" +
        "bad.csv:3: question 2: answer 'maybe' must be true or false\n" +
        'bad.csv: none of the 2 questions could be imported\n',
    );
    const db = new Database(join(dir, 'bot.sqlite'), { readonly: true });
    expect(db.prepare("SELECT count(*) AS n FROM banks WHERE origin = 'import'").get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT count(*) AS n FROM import_drafts').get()).toEqual({ n: 0 });
    db.close();
  });

  it('exits 2 on usage errors: a missing file, an unknown format or bank', async () => {
    const dir = tempDir();
    const missing = await cli(dir, ['import', 'nope.csv']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('error: cannot read nope.csv: no such file');
    const format = await cli(dir, ['import', 'nope.csv', '--format', 'xlsx']);
    expect(format.code).toBe(2);
    const bank = await cli(dir, ['export', 'no-such-bank']);
    expect(bank.code).toBe(2);
    expect(bank.stderr).toContain("error: there is no bank 'no-such-bank'");
    expect(existsSync(join(dir, 'nope.csv'))).toBe(false);
  });
});
