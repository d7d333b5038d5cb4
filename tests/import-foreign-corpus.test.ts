import { copyFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { formatIssue, MAX_ISSUE_LINE, type SourceIssue } from '../src/core/content/issues.js';
import { loadStoredBank } from '../src/core/export/index.js';
import { applyImport, prepareImport, type ImportActor } from '../src/core/import/apply.js';
import { makeApp } from './helpers/app.js';
import { repoRoot, runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

/**
 * Files in the shapes other tools and people write (spreadsheets, Quizlet, Anki, Moodle, Aiken,
 * Red trivia lists, Open Trivia DB, other bots), each with what should become of it in
 * manifest.json: how many questions import, which are skipped (line and question number), how
 * many warnings, or that the whole file is refused and why.
 */

const dir = fileURLToPath(new URL('./fixtures/import-foreign/', import.meta.url));

interface Imported {
  refused: false;
  format: string;
  imported: number;
  skipped: { line: number; question: number }[];
  warnings: number;
  /** How many questions of each type, where the type is the point of the file. */
  types?: Record<string, number>;
}
interface Refused {
  refused: true;
  /** A part of one of the problems. */
  message: string;
  /** How many problems, where the file deserves one plain sentence rather than a list. */
  problems?: number;
}
type Expected = (Imported | Refused) & { about?: string };

const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, Expected>;
const files = readdirSync(dir)
  .filter((f) => f !== 'manifest.json')
  .sort();

const actor: ImportActor = { platform: 'cli', userId: 'corpus', displayName: 'corpus', tenant: null };

/** Skipped questions as (line, question) pairs: one question may be skipped for several reasons. */
function skippedPairs(skipped: readonly Pick<SourceIssue, 'line' | 'question'>[] | readonly { line: number | null; question: number | null }[]): { line: number | null; question: number | null }[] {
  const seen = new Set<string>();
  return skipped
    .map((s) => ({ line: s.line ?? null, question: s.question ?? null }))
    .filter((p) => {
      const key = `${p.line}:${p.question}`;
      return seen.has(key) ? false : (seen.add(key), true);
    });
}

const apps: App[] = [];
function newApp(): App {
  const { app } = makeApp();
  apps.push(app);
  return app;
}
afterAll(() => {
  while (apps.length) apps.pop()!.close();
});

describe('the foreign import corpus', () => {
  let app: App;
  beforeAll(() => {
    // Nothing is applied here, so one database serves every file.
    app = newApp();
  });

  it('has at least 30 files, each in the manifest, and the manifest names no other', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
    expect(Object.keys(manifest).sort()).toEqual(files);
  });

  it.each(files)('%s', async (file) => {
    const expected = manifest[file];
    expect(expected, `${file} is not in manifest.json`).toBeDefined();
    if (!expected) return;
    const result = await prepareImport(app.services, { fileName: file, bytes: readFileSync(join(dir, file)), actor, keepDraft: false });

    if (expected.refused) {
      expect(result.ok, `${file} should be refused`).toBe(false);
      if (result.ok) return;
      const shown = result.issues.map(formatIssue);
      expect(shown.some((s) => s.includes(expected.message)), `…${expected.message}… in:\n${shown.join('\n')}`).toBe(true);
      if (expected.problems !== undefined) expect(shown, 'the refusal should be this many problems').toHaveLength(expected.problems);
      for (const s of shown) expect(s.length).toBeLessThanOrEqual(MAX_ISSUE_LINE);
      return;
    }

    expect(result.ok, result.ok ? '' : `${file} was refused:\n${result.issues.map(formatIssue).join('\n')}`).toBe(true);
    if (!result.ok) return;
    const skipped = result.skipped.map(formatIssue);
    const listing = `skipped:\n${skipped.join('\n')}`;
    expect(result.format).toBe(expected.format);
    expect(result.bank.questions.length, listing).toBe(expected.imported);
    expect(skippedPairs(result.skipped), listing).toEqual(expected.skipped);
    expect(result.warnings.length, `warnings:\n${result.warnings.map(formatIssue).join('\n')}`).toBe(expected.warnings);
    for (const s of [...skipped, ...result.warnings.map(formatIssue)]) {
      expect(s.length).toBeLessThanOrEqual(MAX_ISSUE_LINE);
      expect(s.startsWith(`${file}:`)).toBe(true);
    }
    // The same problem of the same question is said once.
    expect(new Set(skipped).size, listing).toBe(skipped.length);
    if (expected.types) {
      const types: Record<string, number> = {};
      for (const q of result.bank.questions) types[q.type] = (types[q.type] ?? 0) + 1;
      expect(types).toEqual(expected.types);
    }
  });
});

describe('two spreadsheets that both number their rows 1…N', () => {
  it('import into two banks, each holding all of its questions, and re-import as no change', async () => {
    const app = newApp();
    const banks = [
      { file: 'corpus-sheet-a.csv', bankId: 'sheet-a' },
      { file: 'corpus-sheet-b.csv', bankId: 'sheet-b' },
    ];
    const prompts: Record<string, string[]> = {};
    for (const { file, bankId } of banks) {
      const prepared = await prepareImport(app.services, { fileName: file, bytes: readFileSync(join(dir, file)), actor, bankId });
      expect(prepared.ok, prepared.ok ? '' : prepared.issues.map(formatIssue).join('\n')).toBe(true);
      if (!prepared.ok) return;
      const expected = manifest[file] as Imported;
      expect(prepared.diff.added).toHaveLength(expected.imported);
      const applied = applyImport(app.services, prepared.draftId!, actor);
      expect(applied).toMatchObject({ status: 'applied', bankId, counts: { added: expected.imported, changed: 0, retired: 0 } });
      prompts[bankId] = prepared.bank.questions.map((q) => q.prompt);
    }
    for (const { bankId } of banks) {
      const stored = loadStoredBank(app.services.db, bankId);
      const n = prompts[bankId]!.length;
      expect(stored?.questions.map((q) => q.id)).toEqual(Array.from({ length: n }, (_, i) => String(i + 1)));
      expect(stored?.questions.map((q) => q.prompt)).toEqual(prompts[bankId]);
    }
    const again = await prepareImport(app.services, { fileName: 'corpus-sheet-a.csv', bytes: readFileSync(join(dir, 'corpus-sheet-a.csv')), actor, bankId: 'sheet-a' });
    expect(again.ok && again.diff).toMatchObject({ added: [], changed: [], removed: [], noop: true });
  });
});

describe('quizbot import --json on corpus files', () => {
  const cases = [
    'corpus-sheet-a.csv',
    'wrong-answers.tsv',
    'corpus-opentdb-base64.json',
    'corpus-spreadsheet.tsv',
    'corpus-red-mixed.yml',
    'corpus-quizlet-export.txt',
    'corpus-trivia-bot-array.json',
    'corpus-moodle-questions.xml',
  ];
  const exitCode = (e: Expected) => (e.refused ? 1 : e.skipped.length ? 3 : 0);

  it('exits 0 when all imported, 3 when some were skipped, 1 when nothing could be, and 1 with --strict and a skip', async () => {
    const home = tempDir();
    const cli = (args: string[]) => runCli(args, { env: { CONTENT_DIR: join(repoRoot, 'content'), DATABASE_PATH: join(home, 'bot.sqlite') }, cwd: home });
    for (const file of [...cases, 'corpus-semicolon.csv']) copyFileSync(join(dir, file), join(home, file));

    for (const file of cases) {
      const expected = manifest[file]!;
      const r = await cli(['import', file, '--json']);
      expect(r.code, `${file}: ${r.stdout}${r.stderr}`).toBe(exitCode(expected));
      const report = JSON.parse(r.stdout) as { format: string | null; added: number; skipped: { line: number | null; question: number | null }[]; applied: boolean; problems: string[] };
      if (expected.refused) {
        expect(report.applied).toBe(false);
        expect(report.problems.some((p) => p.includes(expected.message)), report.problems.join('\n')).toBe(true);
        continue;
      }
      expect(report).toMatchObject({ format: expected.format, added: expected.imported, applied: true, problems: [] });
      expect(skippedPairs(report.skipped)).toEqual(expected.skipped);
    }

    const strict = await cli(['import', 'corpus-semicolon.csv', '--strict', '--json']);
    expect(strict.code).toBe(1);
    expect(JSON.parse(strict.stdout)).toMatchObject({ applied: false, added: 0 });
    expect(strict.stderr).toContain('corpus-semicolon.csv:7: question 5:');
  }, 120_000);
});
