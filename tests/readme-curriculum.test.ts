import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { loadContent } from '../src/core/content/load.js';
import { repoRoot } from './helpers/cli.js';

/** The README's curriculum table stays true: every lesson, its title and its bank's question count, as loaded from content/. */

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const content = loadContent(join(repoRoot, 'content'));

/** The text of the README's "The curriculum" section. */
function curriculumSection(): string {
  const start = readme.indexOf('\n## The curriculum\n');
  expect(start, 'README has a "## The curriculum" section').toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

describe('README: the curriculum', () => {
  it('lists every lesson in the order the bot shows them, with its title and question count', () => {
    const rows = [...curriculumSection().matchAll(/^\| `([^`]+)` \| (.+?) \| (\d+) \|$/gm)].map((m) => [m[1], m[2], Number(m[3])]);
    const expected = content.lessons.map((l) => [l.id, l.title, content.banks.filter((b) => b.bank.lesson === l.id).reduce((n, b) => n + b.bank.questions.length, 0)]);
    expect(rows).toEqual(expected);
  });

  it('gives the total and how many days the default daily quiz has new questions', () => {
    const total = content.banks.reduce((n, b) => n + b.bank.questions.length, 0);
    const perDay = loadConfig({}, '/nonexistent/.env').NEW_CARDS_PER_DAY;
    const m = /(\d+) questions in all: at the default (\d+) new questions a day, someone who takes the daily quiz every\s+day meets new questions for (\d+) days/.exec(curriculumSection());
    expect(m, 'the total line').not.toBeNull();
    expect(m!.slice(1).map(Number)).toEqual([total, perDay, Math.ceil(total / perDay)]);
  });
});
