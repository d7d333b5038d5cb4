import type { QuestionType } from '../content/schema.js';
import { LIMITS } from '../content/schema.js';
import type { SourceIssue } from '../content/issues.js';
import { buildBank, type Candidate } from './build.js';
import { numericFields, parseNumericAnswers } from '../content/numeric.js';
import { letter, type FieldLabeler } from './describe.js';
import { didYouMean } from './suggest.js';
import { readTable, sniffDelimiter, type Delimiter, type TableRow } from './table.js';
import { limitsOf, type ParseOptions, type ParseResult } from './types.js';
import { titleFromFileName } from './names.js';

/**
 * CSV and TSV with a header row, as spreadsheets and other quiz apps export them. Header names
 * are case-insensitive, with spaces, underscores and hyphens alike; the choices come as lettered
 * or numbered columns (choice_a, option_A, optionA, answer_a, option_1, …), one `choices` column
 * separated by `|`, or a right answer's text plus wrong-answer columns; the answer is a letter, a
 * 1-based number or the choice's text. Columns it does not know are ignored, with one warning.
 */

type Field =
  | 'question'
  | 'id'
  | 'type'
  | 'choices'
  | 'answer'
  | 'accepted'
  | 'exact'
  | 'explanation'
  | 'lesson'
  | 'section'
  | 'tags'
  | 'category'
  | 'difficulty'
  | 'wrong_answers';

// Maps, not object literals: a header or type named '__proto__' must find nothing.
/** Every plain column name, the ones other quiz apps and spreadsheets use included. */
const FIELD_NAMES = new Map<string, Field>([
  ['question', 'question'],
  ['prompt', 'question'],
  ['question_text', 'question'],
  ['q', 'question'],
  ['id', 'id'],
  ['type', 'type'],
  ['choices', 'choices'],
  ['answer', 'answer'],
  ['answers', 'answer'],
  ['correct', 'answer'],
  ['correct_answer', 'answer'],
  ['correct_answers', 'answer'],
  ['right_answer', 'answer'],
  ['accepted', 'accepted'],
  ['exact', 'exact'],
  ['explanation', 'explanation'],
  ['feedback', 'explanation'],
  ['lesson', 'lesson'],
  ['section', 'section'],
  ['tags', 'tags'],
  ['tag', 'tags'],
  ['category', 'category'],
  ['difficulty', 'difficulty'],
  ['incorrect_answers', 'wrong_answers'],
  ['wrong_answers', 'wrong_answers'],
]);
/** Lettered or numbered choice columns: choice_a, option_A, optionA, answer_a, option_1, … */
const CHOICE_COLUMN = /^(choice|option)_?([a-f]|[1-6])$|^(answer)_([a-f]|[1-6])$/;
/** A 7th choice column or beyond: ignored, and said so. */
const CHOICE_BEYOND = /^(?:choice|option|answer)_?(?:[g-z]|[7-9]|\d\d+)$/;
/** Wrong answers, one a column: incorrect_answer_1, wrong_answer_1, wrong_1, wrong_one, … */
const WRONG_COLUMN = /^(?:incorrect|wrong)(?:_answer)?_?(\d|one|two|three|four|five)$/;
const WORD_NUMBERS = new Map([
  ['one', 1],
  ['two', 2],
  ['three', 3],
  ['four', 4],
  ['five', 5],
]);

/** What a header cell stands for. */
type Slot = { kind: 'field'; field: Field } | { kind: 'choice'; family: string; index: number } | { kind: 'wrong'; index: number };

function slotOf(name: string): Slot | undefined {
  const field = FIELD_NAMES.get(name);
  if (field) return { kind: 'field', field };
  const choice = CHOICE_COLUMN.exec(name);
  if (choice) {
    const prefix = (choice[1] ?? choice[3])!;
    const mark = (choice[2] ?? choice[4])!;
    const byLetter = /[a-f]/.test(mark);
    return {
      kind: 'choice',
      family: byLetter ? `${prefix}_a…${prefix}_f` : `${prefix}_1…${prefix}_6`,
      index: byLetter ? mark.charCodeAt(0) - 97 : Number(mark) - 1,
    };
  }
  const wrong = WRONG_COLUMN.exec(name);
  if (wrong) return { kind: 'wrong', index: WORD_NUMBERS.get(wrong[1]!) ?? Number(wrong[1]) };
  return undefined;
}

/** Names offered in "did you mean" hints: one-letter ones would match any short name. */
const HINT_NAMES = [...[...FIELD_NAMES.keys()].filter((n) => n.length >= 3), 'choice_a', 'option_a', 'option_1', 'wrong_answer_1', 'incorrect_answer_1'];

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
  ['numeric', 'numeric'],
  ['numerical', 'numeric'],
  ['number', 'numeric'],
  ['short_answer', 'short'],
  ['text', 'short'],
]);

const TRUE_WORDS = new Set(['true', 't', 'yes', 'y']);
const FALSE_WORDS = new Set(['false', 'f', 'no', 'n']);

/** A cell that starts with `'` before a formula character was protected on export: undo it. */
export function unprotectCell(cell: string): string {
  return /^'+[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell;
}

/** "Correct Answer", "correct-answer" and "correct_answer" are one name. */
function normalizeName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '_')
    .replace(/^_+|_+$/g, '');
}

/** A value from the file inside a message: short enough that the message stays readable. */
function shown(value: string, max = 60): string {
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

/** Names for a message, as many as fit in about `budget` characters, then how many more. */
function listed(names: readonly string[], budget = 160, itemMax = 40): string {
  const out: string[] = [];
  let used = 0;
  for (const n of names) {
    const s = shown(n, itemMax);
    if (out.length && used + s.length > budget) break;
    out.push(s);
    used += s.length + 2;
  }
  const more = names.length - out.length;
  return out.join(', ') + (more ? ` and ${more} more` : '');
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
  index: Map<Field, number>;
  /** Index of the last column with a header: values beyond it have none. */
  last: number;
  /** The choice columns present, with the letter each stands for. */
  choiceColumns: { column: number; letterIndex: number }[];
  /** The wrong-answer columns present, in their order. */
  wrongColumns: number[];
}

function readHeader(
  header: TableRow,
  rawLine: string,
  delimiter: string,
  file: string,
): { columns: Columns; issues: SourceIssue[]; warnings: SourceIssue[] } {
  const issues: SourceIssue[] = [];
  const index = new Map<Field, number>();
  const starts = headerColumns(rawLine, delimiter);
  const choiceColumns: Columns['choiceColumns'] = [];
  const wrongColumns: { column: number; order: number }[] = [];
  const styles = new Set<string>();
  const seen = new Map<string, { column: number; name: string; raw: string }>();
  const ignored: { raw: string; name: string; at: { file: string; line: number; column?: number } }[] = [];
  let last = -1;
  header.cells.forEach((cell, column) => {
    const raw = cell.trim();
    if (!raw) return;
    last = column;
    const name = normalizeName(raw);
    const slot = slotOf(name);
    const at = { file, line: header.line, ...(starts[column] !== undefined && header.cells.length === starts.length ? { column: starts[column] } : {}) };
    if (!slot) {
      ignored.push({ raw, name, at });
      return;
    }
    const key = slot.kind === 'field' ? slot.field : slot.kind === 'choice' ? `${slot.family} ${slot.index}` : `wrong ${slot.index}`;
    const prior = seen.get(key);
    if (prior !== undefined) {
      const what = slot.kind === 'field' ? `the '${slot.field}' column` : 'the same column';
      issues.push({
        ...at,
        message:
          prior.name === name
            ? `column '${shown(name, 40)}' appears twice (columns ${prior.column + 1} and ${column + 1})`
            : `columns '${shown(prior.raw, 40)}' and '${shown(raw, 40)}' are both ${what} (columns ${prior.column + 1} and ${column + 1}): keep one`,
      });
      return;
    }
    seen.set(key, { column, name, raw });
    if (slot.kind === 'field') {
      index.set(slot.field, column);
      if (slot.field === 'choices') styles.add("'choices'");
      if (slot.field === 'wrong_answers') styles.add(`'${shown(raw, 40)}'`);
    } else if (slot.kind === 'choice') {
      choiceColumns.push({ column, letterIndex: slot.index });
      styles.add(slot.family);
    } else {
      wrongColumns.push({ column, order: slot.index });
      styles.add('wrong-answer columns');
    }
  });
  // Without these nothing in the file could be imported: a near miss is the likely reason.
  for (const required of ['question', 'answer'] as const) {
    if (index.has(required)) continue;
    const near = ignored
      .map((c) => ({ ...c, hint: didYouMean(c.name, HINT_NAMES) }))
      .find((c) => c.hint !== undefined && FIELD_NAMES.get(c.hint) === required);
    if (near) {
      issues.push({ ...near.at, message: `unknown column '${shown(near.raw, 40)}' — did you mean '${near.hint}'?` });
      continue;
    }
    const names = header.cells.map((c) => c.trim()).filter(Boolean);
    issues.push({
      file,
      line: header.line,
      message:
        required === 'question'
          ? `the header row has no 'question' column (it has: ${listed(names) || 'nothing'})`
          : `the header row has no answer column: name it 'answer', 'correct' or 'correct_answer' (it has: ${listed(names) || 'nothing'})`,
    });
  }
  if (styles.size > 1) {
    issues.push({ file, line: header.line, message: `choices are given in several ways (${listed([...styles], 120)}): use one` });
  }
  const warnings: SourceIssue[] = [];
  if (ignored.length) {
    const notes = ignored.map(({ raw, name }) => {
      const what = shown(raw, 40);
      if (CHOICE_BEYOND.test(name)) return `${what} (at most 6 choices)`;
      const hint = didYouMean(name, HINT_NAMES);
      return hint ? `${what} (did you mean '${hint}'?)` : what;
    });
    warnings.push({ file, line: header.line, message: `ignored columns: ${listed(notes, 200, 80)}` });
  }
  choiceColumns.sort((a, b) => a.letterIndex - b.letterIndex);
  wrongColumns.sort((a, b) => a.order - b.order);
  return { columns: { index, choiceColumns, wrongColumns: wrongColumns.map((w) => w.column), last }, issues, warnings };
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

/**
 * Resolves one answer token to a choice's text: its exact text, a letter or a number, also
 * written as other apps do ("Option B", "b)").
 */
function resolveChoice(token: string, choices: { text: string; letterIndex: number }[]): { text: string } | { problem: string } {
  const exact = choices.find((c) => c.text === token) ?? choices.find((c) => c.text.toLowerCase() === token.toLowerCase());
  if (exact) return { text: exact.text };
  const mark = /^(?:(?:choice|option|answer)[\s_-]*)?([a-f]|[1-9]\d*)[.)]?$/i.exec(token)?.[1];
  let wanted: number | undefined;
  if (mark && /^[a-f]$/i.test(mark)) wanted = mark.toUpperCase().charCodeAt(0) - 65;
  else if (mark) wanted = Number(mark) - 1;
  const have = choices.map((c) => letter(c.letterIndex)).join(', ');
  if (wanted === undefined) return { problem: `answer '${shown(token)}' is not a choice letter, a choice number or the text of a choice` };
  const choice = choices.find((c) => c.letterIndex === wanted);
  if (!choice) return { problem: `answer '${shown(token)}' but there is no choice ${wanted < 26 ? letter(wanted) : wanted + 1} (choices: ${have || 'none'})` };
  return { text: choice.text };
}

/** A true/false answer word's value, if it is one. */
function truth(word: string): boolean | undefined {
  const w = word.toLowerCase();
  return TRUE_WORDS.has(w) ? true : FALSE_WORDS.has(w) ? false : undefined;
}

function rowToCandidate(row: TableRow, columns: Columns, options: ParseOptions): Candidate {
  const issues: Candidate['issues'] = [];
  const cell = (i: number | undefined): string => (i === undefined ? '' : unprotectCell((row.cells[i] ?? '').trim()));
  const get = (field: Field): string => cell(columns.index.get(field));
  const answer = get('answer');
  // A right answer's text plus wrong ones (as trivia apps write them): the right one comes
  // first, which is fine since the quiz shuffles choices.
  const wrongs = [...columns.wrongColumns.map(cell), ...splitList(get('wrong_answers'))].filter(Boolean);
  const rights = wrongs.length ? splitList(answer) : [];
  const choices: { text: string; letterIndex: number }[] = [];
  if (wrongs.length) {
    [...rights, ...wrongs].forEach((text, letterIndex) => choices.push({ text, letterIndex }));
  } else if (columns.index.has('choices')) {
    splitList(get('choices')).forEach((text, letterIndex) => choices.push({ text, letterIndex }));
  } else {
    for (const c of columns.choiceColumns) {
      const text = cell(c.column);
      if (text) choices.push({ text, letterIndex: c.letterIndex });
    }
  }
  // "True" with the wrong answer "False" is a true/false question, not two choices.
  const rightTruth = rights.length === 1 ? truth(rights[0]!) : undefined;
  const booleanPair = rightTruth !== undefined && wrongs.every((w) => truth(w) === !rightTruth);
  const typeCell = get('type');
  let type: QuestionType | undefined;
  if (typeCell) {
    type = TYPE_NAMES.get(normalizeName(typeCell));
    // Trivia sources (Open Trivia DB) say "multiple" for multiple choice: one right answer given
    // beside wrong ones is a single-choice question, not "select all that apply".
    if (type === 'multiple' && wrongs.length > 0 && rights.length === 1) type = 'single';
    if (!type) {
      const hint = didYouMean(normalizeName(typeCell), [...TYPE_NAMES.keys()]);
      issues.push({ message: `type '${shown(typeCell)}' is not a question type: use single, multiple, true_false, short or numeric${hint ? ` (did you mean '${TYPE_NAMES.get(hint)}'?)` : ''}` });
    }
  } else if (booleanPair && /^(true|false)$/i.test(answer)) {
    type = 'true_false';
  } else if (choices.length) {
    type = splitList(answer).length > 1 ? 'multiple' : 'single';
  } else {
    // Only the words themselves make a true/false question: 'y' or 'no' may well be short answers.
    type = /^(true|false)$/i.test(answer) ? 'true_false' : 'short';
  }
  if (type === 'true_false' && booleanPair) choices.length = 0;
  const fields: Record<string, unknown> = { type: type ?? typeCell, prompt: get('question') };
  const id = get('id');
  if (id) fields.id = id;

  if (type === 'single' || type === 'multiple') {
    fields.choices = choices.map((c) => c.text);
    const tokens = splitList(answer);
    if (tokens.length === 0) {
      issues.push({ message: wrongs.length ? 'has wrong answers but no right one: the answer column is empty' : 'has no answer: give the correct choice as a letter, a number or its text' });
    } else if (type === 'single' && tokens.length > 1) {
      issues.push({ message: `has ${tokens.length} correct answers (${shown(tokens.join(' | '))}); a single-choice question has one — set type to multiple` });
    } else {
      const resolved: string[] = [];
      for (const t of tokens) {
        const r = resolveChoice(t, choices);
        if ('problem' in r) issues.push({ message: r.problem });
        else resolved.push(r.text);
      }
      fields.answer = type === 'single' ? resolved[0] : resolved;
    }
  } else if (type === 'numeric') {
    if (choices.length) issues.push({ message: `a numeric question has no choices (found ${choices.length}); set type to single or multiple` });
    // The exporter writes the first right answer in `answer` and the others in `accepted`.
    const cell = [answer, get('accepted')].filter(Boolean).join(' | ');
    const read = cell ? parseNumericAnswers(cell) : { problem: 'has no answer: a number, such as 3, 3 ± 0.5 or 1..5' };
    if ('problem' in read) issues.push({ message: read.problem });
    else Object.assign(fields, numericFields(read.answers));
  } else if (type === 'true_false' || type === 'short') {
    if (choices.length) issues.push({ message: `a ${type} question has no choices (found ${choices.length}); set type to single or multiple` });
    if (type === 'true_false') {
      const value = truth(answer);
      if (value !== undefined) fields.answer = value;
      else issues.push({ message: answer ? `answer '${shown(answer)}' must be true or false` : 'has no answer: true or false' });
    } else {
      fields.answer = answer;
      fields.accepted = splitList(get('accepted'));
    }
  }
  if (type !== 'short' && type !== 'numeric' && get('accepted')) issues.push({ message: `accepted answers are only for short questions, not ${shown(type ?? typeCell)}` });
  const exact = get('exact');
  if (exact) {
    const value = truth(exact);
    if (value === undefined) issues.push({ message: `exact '${shown(exact)}' must be true or false` });
    else if (value && type !== 'short') issues.push({ message: `exact is only for short questions, not ${shown(type ?? typeCell)}` });
    else if (value) fields.exact = true;
  }

  const explanation = get('explanation');
  if (explanation) fields.explanation = explanation;
  const lesson = get('lesson');
  const section = get('section');
  if (section) {
    const sourceLesson = lesson || options.lessonId;
    if (!sourceLesson) issues.push({ message: `section '${shown(section)}' needs a lesson: add a lesson column or import with --lesson` });
    else fields.source = { lesson: sourceLesson, section };
  } else if (lesson) {
    issues.push({ message: `lesson '${shown(lesson)}' needs a section too (the section title in that lesson)` });
  }
  const tags = splitList(get('tags'), /[|,]/);
  for (const [field, value] of [
    ['category', get('category')],
    ['difficulty', get('difficulty').toLowerCase()],
  ] as const) {
    if (!value) continue;
    if (value.length > LIMITS.tagLength) issues.push({ message: `${field} '${shown(value)}' is ${value.length} characters; as a tag it may have at most ${LIMITS.tagLength}` });
    else tags.push(value);
  }
  fields.tags = tags.filter((t, i) => tags.findIndex((u) => u.toLowerCase() === t.toLowerCase()) === i);
  const extra = row.cells.findIndex((c, i) => i > columns.last && c.trim() !== '');
  if (extra >= 0) {
    issues.push({ message: `a value in column ${extra + 1}, which has no header (is a delimiter inside a field that should be quoted?)` });
  }
  return { line: row.line, fields, issues };
}

/** Lines for a message: the first few, then how many more. */
function linesList(lines: readonly number[]): string {
  const head = lines.slice(0, 5).join(', ');
  return lines.length === 1 ? `line ${head}` : `lines ${head}${lines.length > 5 ? ` and ${lines.length - 5} more` : ''}`;
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
  // Spreadsheets read a quote inside an unquoted field (`5" screen`) as text, and so does this.
  const table = readTable(body, file, d, { firstLine, maxRows: limits.maxQuestions + 2, relaxQuotes: true });
  const [header, ...rows] = table.rows;
  if (!header) return { issues: [table.issue ?? { file, message: 'the file has no header row' }] };
  if (table.truncated) return { issues: [{ file, message: `the file has more than ${limits.maxQuestions} questions; the limit is ${limits.maxQuestions}` }] };
  const { columns, issues, warnings } = readHeader(header, headerLine, d, file);
  if (issues.length) return { issues: table.issue ? [...issues, table.issue] : issues };
  if (rows.length === 0) return { issues: [table.issue ?? { file, line: header.line, message: 'the file has a header row but no questions' }] };
  if (table.bareQuoteLines.length) {
    warnings.push({ file, message: `bare quotes inside fields were read as text (${linesList(table.bareQuoteLines)})` });
  }
  const candidates = rows.map((r) => rowToCandidate(r, columns, options));
  const built = buildBank(file, candidates, { title: titleFromFileName(file) }, options, {
    defaultExplanations: true,
    label: csvLabels,
    headerLine: header.line,
    warnings,
  });
  if (table.issue) {
    // Nothing after a broken quote can be trusted: the file is refused, with its rows' own problems.
    const rowProblems = built.bank ? (built.skipped ?? []) : built.issues.filter((i) => i.question !== undefined);
    return { issues: [...rowProblems, table.issue], ...(built.warnings ? { warnings: built.warnings } : {}) };
  }
  return built;
}
