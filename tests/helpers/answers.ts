import { fileURLToPath } from 'node:url';
import { loadContent } from '../../src/core/content/load.js';
import { correctAnswers, type Question } from '../../src/core/content/schema.js';
import { plainText } from '../../src/core/markup.js';

const contentDir = fileURLToPath(new URL('../../content/', import.meta.url));

/** Every question of the real content banks, to look up the right answer of a shown prompt. */
const all: Question[] = loadContent(contentDir).banks.flatMap((b) => b.bank.questions);

export function questionShown(text: string): Question {
  const plain = plainText(text);
  const q = all.find((x) => plain.startsWith(x.prompt) || plain.includes('\n\n' + x.prompt));
  if (!q) throw new Error(`no question matches: ${plain.slice(0, 120)}`);
  return q;
}

export function rightLabels(q: Question): string[] {
  return correctAnswers(q);
}
