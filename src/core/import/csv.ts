import type { QuestionType } from '../content/schema.js';
import type { SourceIssue } from '../content/issues.js';
import { buildBank, type Candidate } from './build.js';
import { letter, type FieldLabeler } from './describe.js';
import { didYouMean } from './suggest.js';
import { readTable, sniffDelimiter, type Delimiter, type TableRow } from './table.js';
import { limitsOf, type ParseOptions, type ParseResult } from './types.js';
import { titleFromFileName } from './names.js';

/**
 * CSV and TSV with a header row, as spreadsheets export them. Header names are
 * case-insensitive; choices come as choice_a…choice_f, option_1…option_6 or one `choices`
 * column separated by `|`; the answer is a letter, a 1-based number or the choice's text.
 */

const CHOICE_LETTERS = ['a', 'b', 'c', 'd', 'e', 'f'] as const;
const LETTER_COLUMNS = CHOICE_LETTERS.map((l) => `choice_${l}`);
const NUMBER_COLUMNS = CHOICE_LETTERS.map((_, i) => `option_${i + 1}`);
const PLAIN_COLUMNS = ['question', 'id', 'type', 'choices', 'answer', 'accepted', 'explanation', 'lesson', 'section', 'tags'] as const;
export const CSV_COLUMNS: readonly string[] = [...PLAIN_COLUMNS, ...LETTER_COLUMNS, ...NUMBER_COLUMNS];
/** Other names spreadsheets use for the same columns. */
const ALIASES = new Map([
  ['prompt', 'question'],
  ['answers', 'answer'],
  ['tag', 'tags'],
  ['feedback', 'explanation'],
]);

// Maps, not object literals: a header or type named '__proto__' must find nothing.
const TYPE_NAMES = new Map<string, QuestionType>([
  ['single', 'single'],
  ['single_choice', 'single'],
  ['mc', 'single'],
  ['multiple', 'multiple'],
  ['multiple_answer', 'multiple'],
  ['multiple_answers', 'multiple'],
  ['multi', 'multiple'],
  ['true_false', 'true_false'],
  ['truefalse', 'true_false'],
  ['tf', 'true_false'],
  ['boolean', 'true_false'],
  ['short', 'short'],
  ['short_answer', 'short'],
  ['text', 'short'],
]);

const TRUE_WORDS = new Set(['true', 't', 'yes', 'y']);
const FALSE_WORDS = new Set(['false', 'f', 'no', 'n']);

/** A cell that starts with `'` before a formula character was protected on export: undo it. */
export function unprotectCell(cell: string): string {
  return /^'+[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell;
}

function normalizeHeader(name: string): string {
  return name.trim().toLowerCase().replace(/[\s\-/]+/g, '_');
}

/** Character column where each header cell starts (1-based), for located header messages. */
function headerColumns(line: string, delimiter: string): number[] {
  const starts = [1];
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === delimiter) starts.push(i + 2);
  }
  return starts;
}

interface Columns {
  /** Column index of each known field. */
  index: Map<string, number>;
  /** Index of the last named column: values beyond it have no header. */
  last: number;
  /** The choice columns present, with the letter each stands for. */
  choiceColumns: { column: number; letterIndex: number }[];
}

function readHeader(header: TableRow, rawLine: string, delimiter: string, file: string): { columns: Columns; issues: SourceIssue[] } {
  const issues: SourceIssue[] = [];
  const index = new Map<string, number>();
  const starts = headerColumns(rawLine, delimiter);
  const choiceColumns: Columns['choiceColumns'] = [];
  const styles = new Set<string>();
  header.cells.forEach((cell, column) => {
    const raw = cell.trim();
    if (!raw) return;
    let name = normalizeHeader(raw);
    name = ALIASES.get(name) ?? name;
    const at = { file, line: header.line, ...(starts[column] !== undefined && header.cells.length === starts.length ? { column: starts[column] } : {}) };
    if (!CSV_COLUMNS.includes(name)) {
      const hint = didYouMean(name, CSV_COLUMNS);
      issues.push({ ...at, message: `unknown column '${raw}'${hint ? ` — did you mean '${hint}'?` : ''}` });
      return;
    }
    const prior = index.get(name);
    if (prior !== undefined) {
      issues.push({ ...at, message: `column '${name}' appears twice (columns ${prior + 1} and ${column + 1})` });
      return;
    }
    index.set(name, column);
    const l = LETTER_COLUMNS.indexOf(name);
    const n = NUMBER_COLUMNS.indexOf(name);
    if (l >= 0 || n >= 0) {
      choiceColumns.push({ column, letterIndex: Math.max(l, n) });
      styles.add(l >= 0 ? 'choice_a…choice_f' : 'option_1…option_6');
    }
    if (name === 'choices') styles.add("'choices'");
  });
  if (!index.has('question')) {
    const names = header.cells.map((c) => c.trim()).filter(Boolean);
    issues.push({ file, line: header.line, message: `the header row has no 'question' column (it has: ${names.join(', ') || 'nothing'})` });
  }
  if (styles.size > 1) {
    issues.push({ file, line: header.line, message: `choices are given in several ways (${[...styles].join(', ')}): use one` });
  }
  choiceColumns.sort((a, b) => a.letterIndex - b.letterIndex);
  return { columns: { index, choiceColumns, last: Math.max(-1, ...index.values()) }, issues };
}

const csvLabels: FieldLabeler = (path) => {
  const [field, index, sub] = path;
  if (field === 'prompt') return 'question';
  if (field === 'choices' && typeof index === 'number') return `choice ${letter(index)}`;
  if (field === 'answer' && typeof index === 'number') return `answer ${index + 1}`;
  if (field === 'accepted' && typeof index === 'number') return `accepted answer ${index + 1}`;
  if (field === 'tags' && typeof index === 'number') return `tag ${index + 1}`;
  if (field === 'source') return String(index ?? sub ?? 'section');
  return field === undefined ? 'the question' : String(field);
};

const splitList = (cell: string, separator: RegExp = /\|/) =>
  cell
    .split(separator)
    .map((s) => s.trim())
    .filter(Boolean);

/** Resolves one answer token to a choice's text: its exact text, a letter, or a number. */
function resolveChoice(token: string, choices: { text: string; letterIndex: number }[]): { text: string } | { problem: string } {
  const exact = choices.find((c) => c.text === token) ?? choices.find((c) => c.text.toLowerCase() === token.toLowerCase());
  if (exact) return { text: exact.text };
  let wanted: number | undefined;
  if (/^[a-f]$/i.test(token)) wanted = token.toUpperCase().charCodeAt(0) - 65;
  else if (/^[1-9]\d*$/.test(token)) wanted = Number(token) - 1;
  if (wanted === undefined) return { problem: `answer '${token}' is not a choice letter, a choice number or the text of a choice` };
  const choice = choices.find((c) => c.letterIndex === wanted);
  if (!choice) {
    const have = choices.map((c) => letter(c.letterIndex)).join(', ');
    return { problem: `answer '${token}' but there is no choice ${letter(wanted)} (choices: ${have || 'none'})` };
  }
  return { text: choice.text };
}

function rowToCandidate(row: TableRow, columns: Columns, options: ParseOptions): Candidate {
  const issues: Candidate['issues'] = [];
  const get = (name: string): string => {
    const i = columns.index.get(name);
    return i === undefined ? '' : unprotectCell((row.cells[i] ?? '').trim());
  };
  const choices: { text: string; letterIndex: number }[] = [];
  if (columns.index.has('choices')) {
    splitList(get('choices')).forEach((text, letterIndex) => choices.push({ text, letterIndex }));
  } else {
    for (const c of columns.choiceColumns) {
      const text = unprotectCell((row.cells[c.column] ?? '').trim());
      if (text) choices.push({ text, letterIndex: c.letterIndex });
    }
  }
  const answer = get('answer');
  const typeCell = get('type');
  let type: QuestionType | undefined;
  if (typeCell) {
    type = TYPE_NAMES.get(normalizeHeader(typeCell));
    if (!type) {
      const hint = didYouMean(normalizeHeader(typeCell), [...TYPE_NAMES.keys()]);
      issues.push({ message: `type '${typeCell}' is not a question type: use single, multiple, true_false or short${hint ? ` (did you mean '${TYPE_NAMES.get(hint)}'?)` : ''}` });
    }
  } else if (choices.length) {
    type = splitList(answer).length > 1 ? 'multiple' : 'single';
  } else {
    // Only the words themselves make a true/false question: 'y' or 'no' may well be short answers.
    type = /^(true|false)$/i.test(answer) ? 'true_false' : 'short';
  }
  const fields: Record<string, unknown> = { type: type ?? typeCell, prompt: get('question') };
  const id = get('id');
  if (id) fields.id = id;

  if (type === 'single' || type === 'multiple') {
    fields.choices = choices.map((c) => c.text);
    const tokens = splitList(answer);
    if (tokens.length === 0) issues.push({ message: 'has no answer: give the correct choice as a letter, a number or its text' });
    else if (type === 'single' && tokens.length > 1) {
      issues.push({ message: `has ${tokens.length} correct answers (${tokens.join(' | ')}); a single-choice question has one — set type to multiple` });
    } else {
      const resolved: string[] = [];
      for (const t of tokens) {
        const r = resolveChoice(t, choices);
        if ('problem' in r) issues.push({ message: r.problem });
        else resolved.push(r.text);
      }
      fields.answer = type === 'single' ? resolved[0] : resolved;
    }
  } else if (type === 'true_false' || type === 'short') {
    if (choices.length) issues.push({ message: `a ${type} question has no choices (found ${choices.length}); set type to single or multiple` });
    if (type === 'true_false') {
      const a = answer.toLowerCase();
      if (TRUE_WORDS.has(a)) fields.answer = true;
      else if (FALSE_WORDS.has(a)) fields.answer = false;
      else issues.push({ message: answer ? `answer '${answer}' must be true or false` : 'has no answer: true or false' });
    } else {
      fields.answer = answer;
      fields.accepted = splitList(get('accepted'));
    }
  }
  if (type !== 'short' && get('accepted')) issues.push({ message: `accepted answers are only for short questions, not ${type ?? typeCell}` });

  const explanation = get('explanation');
  if (explanation) fields.explanation = explanation;
  const lesson = get('lesson');
  const section = get('section');
  if (section) {
    const sourceLesson = lesson || options.lessonId;
    if (!sourceLesson) issues.push({ message: `section '${section}' needs a lesson: add a lesson column or import with --lesson` });
    else fields.source = { lesson: sourceLesson, section };
  } else if (lesson) {
    issues.push({ message: `lesson '${lesson}' needs a section too (the section title in that lesson)` });
  }
  fields.tags = splitList(get('tags'), /[|,]/);
  const extra = row.cells.findIndex((c, i) => i > columns.last && c.trim() !== '');
  if (extra >= 0) {
    issues.push({ message: `a value in column ${extra + 1}, which has no header (is a delimiter inside a field that should be quoted?)` });
  }
  return { line: row.line, fields, issues };
}

export function parseCsv(text: string, file: string, options: ParseOptions, delimiter?: Delimiter): ParseResult {
  const limits = limitsOf(options);
  let body = text;
  let firstLine = 1;
  // Excel writes a `sep=;` line before the header when asked to name its delimiter.
  const sep = /^sep=(.)\n/i.exec(body);
  if (sep) {
    delimiter = sep[1] as Delimiter;
    body = body.slice(sep[0].length);
    firstLine = 2;
  }
  const headerLine = body.split('\n', 1)[0] ?? '';
  const d = delimiter ?? sniffDelimiter(headerLine);
  const table = readTable(body, file, d, { firstLine, maxRows: limits.maxQuestions + 2 });
  const [header, ...rows] = table.rows;
  if (!header) return { issues: [table.issue ?? { file, message: 'the file has no header row' }] };
  if (table.truncated) return { issues: [{ file, message: `the file has more than ${limits.maxQuestions} questions; the limit is ${limits.maxQuestions}` }] };
  const { columns, issues } = readHeader(header, headerLine, d, file);
  if (issues.length) return { issues: table.issue ? [...issues, table.issue] : issues };
  if (rows.length === 0) return { issues: [table.issue ?? { file, line: header.line, message: 'the file has a header row but no questions' }] };
  const candidates = rows.map((r) => rowToCandidate(r, columns, options));
  const built = buildBank(file, candidates, { title: titleFromFileName(file) }, options, { defaultExplanations: true, label: csvLabels, headerLine: header.line });
  if (table.issue) return { issues: [...(built.issues ?? []), table.issue] };
  return built;
}
