import { stringify } from 'csv-stringify/sync';
import { formatNumericAnswer } from '../content/numeric.js';
import { numericAnswers, type Bank, type Question } from '../content/schema.js';
import type { ExportResult, SkippedQuestion } from './types.js';

/**
 * A spreadsheet of the bank, one question per row, in the columns the CSV importer reads.
 * Cells that a spreadsheet would run as a formula get a leading `'` (the importer removes it).
 */

const LETTERS = ['a', 'b', 'c', 'd', 'e', 'f'];
const HEADER = ['id', 'type', 'question', ...LETTERS.map((l) => `choice_${l}`), 'answer', 'accepted', 'exact', 'explanation', 'lesson', 'section', 'tags'];

/** Neutralises formula injection: `=`, `+`, `-`, `@` (and tab or CR) start a formula in Excel and co. */
export function protectCell(cell: string): string {
  return /^'*[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

/** The answer cell: letters (A|C), or the choices' texts when a choice's text is itself a letter or number. */
function answerCell(q: Question & { type: 'single' | 'multiple' }): string | { problem: string } {
  const answers = typeof q.answer === 'string' ? [q.answer] : q.answer;
  const ambiguous = q.choices.some((c) => /^([a-f]|[1-9]\d*)$/i.test(c.trim()));
  if (!ambiguous) return answers.map((a) => String.fromCharCode(65 + q.choices.indexOf(a))).join('|');
  if (answers.some((a) => a.includes('|'))) return { problem: "a correct choice contains '|', which separates answers" };
  return answers.join('|');
}

function row(q: Question): string[] | { problem: string } {
  const choices = q.type === 'single' || q.type === 'multiple' ? q.choices : [];
  let answer: string;
  let accepted: string[] = [];
  if (q.type === 'single' || q.type === 'multiple') {
    const a = answerCell(q);
    if (typeof a !== 'string') return a;
    answer = a;
  } else if (q.type === 'true_false') answer = q.answer ? 'true' : 'false';
  else if (q.type === 'numeric') {
    // `3 ± 0.5` and `1..5` rather than GIFT's `3:0.5`, which a spreadsheet reads as a time.
    [answer = '', ...accepted] = numericAnswers(q).map((a) => formatNumericAnswer(a, 'cell'));
  } else {
    answer = q.answer;
    accepted = q.accepted;
  }
  if (accepted.some((a) => a.includes('|'))) return { problem: "an accepted answer contains '|', which separates them" };
  if (q.tags.some((t) => /[|,]/.test(t))) return { problem: "a tag contains '|' or ',', which separate tags" };
  return [
    q.id,
    q.type,
    q.prompt,
    ...LETTERS.map((_, i) => choices[i] ?? ''),
    answer,
    accepted.join('|'),
    q.type === 'short' && q.exact ? 'true' : '',
    q.explanation,
    q.source?.lesson ?? '',
    q.source?.section ?? '',
    q.tags.join('|'),
  ];
}

export function toCsv(bank: Bank, delimiter: ',' | '\t' = ','): ExportResult {
  const skipped: SkippedQuestion[] = [];
  const rows: string[][] = [HEADER];
  for (const q of bank.questions) {
    const r = row(q);
    if (Array.isArray(r)) rows.push(r.map(protectCell));
    else skipped.push({ id: q.id, reason: r.problem });
  }
  return { text: stringify(rows, { delimiter, record_delimiter: '\n' }), skipped };
}
