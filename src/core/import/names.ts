import { basename, extname } from 'node:path';
import { slugify } from '../util/text.js';

/** The file's name without folders and extension. */
function stem(fileName: string): string {
  const base = basename(fileName.replace(/\\/g, '/'));
  return basename(base, extname(base));
}

/** A bank id from a file name: "MoE Quiz (2).csv" → "moe-quiz-2". */
export function bankIdFromFileName(fileName: string): string {
  const slug = slugify(stem(fileName));
  return slug === 'section' && !/section/i.test(fileName) ? 'imported' : slug;
}

/** A readable bank title from a file name: "moe_quiz-2.csv" → "Moe quiz 2". */
export function titleFromFileName(fileName: string): string {
  const words = stem(fileName).replace(/[_-]+/g, ' ').trim();
  return words ? (words[0]!.toUpperCase() + words.slice(1)).slice(0, 200) : 'Imported questions';
}
