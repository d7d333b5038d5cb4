import gift, { type GIFTQuestion, type SyntaxError as GiftSyntaxError, type NumericalChoice, type NumericalFormat, type TextChoice, type TextFormat } from 'gift-pegjs';
import { formatNumber, numericFields, type NumericAnswer } from '../content/numeric.js';
import { buildBank, type Candidate } from './build.js';
import { htmlToText } from './html.js';
import { titleFromFileName } from './names.js';
import { limitsOf, type ParseOptions, type ParseResult } from './types.js';

/**
 * Moodle GIFT, read with gift-pegjs one question at a time (questions are separated by blank
 * lines), so every question's problems are reported with their own line and one broken
 * question does not hide the others. Multiple choice, true/false, short answer and numerical map
 * to our types; matching, essay and description questions are skipped with their line and why.
 */

interface Block {
  /** 1-based line of the block's first line. */
  line: number;
  lines: string[];
}

/** Longest question block handed to the grammar (the grammar backtracks; keep inputs modest). */
const MAX_BLOCK_CHARS = 20_000;

function splitBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  let current: Block | undefined;
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') {
      current = undefined;
      return;
    }
    if (!current) {
      current = { line: i + 1, lines: [] };
      blocks.push(current);
    }
    current.lines.push(line);
  });
  return blocks;
}

const isComment = (line: string) => line.trimStart().startsWith('//');

function plain(t: TextFormat | null | undefined): string | undefined {
  if (!t) return undefined;
  const text = t.format === 'html' ? htmlToText(t.text) : t.text.trim();
  return text || undefined;
}

const UNSUPPORTED = new Map([
  ['Matching', 'matching questions are not supported'],
  ['Essay', 'essay questions are not supported'],
  ['Description', 'a description (text without an answer block) is not a question'],
]);
const SUPPORTED_HINT = ' (multiple choice, true/false, short answer and numerical are)';

/** Our own source markers in comments: `// [lesson:moe-basics] [section:Key terms]`. */
function commentMarker(comments: string[], name: string): string | undefined {
  for (const c of comments) {
    const m = new RegExp(`\\[${name}:([^\\]\\x00-\\x1F\\x7F]+)\\]`).exec(c);
    if (m) return m[1]!.trim();
  }
  return undefined;
}

/** A number as the grammar reads it (digits, one optional point, a sign), from one Moodle reads. */
function grammarNumber(text: string): string {
  return /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text) && Number.isFinite(Number(text)) ? formatNumber(Number(text)) : text;
}

/**
 * One answer of a numerical block (`%50%1822 : 2`, `.5`, `1e3..2e3`, `*`) as the grammar reads
 * it: Moodle trims around ':' and '..', and takes any number PHP reads and `*` for any answer.
 */
function numericAnswerText(segment: string): string {
  const m = /^(\s*)(%-?[\d.]+%)?\s*(.*?)(\s*)$/s.exec(segment)!;
  const [, lead, weight = '', core, trail] = m;
  let value: string;
  const parts = /^(.+?)\s*(:|\.\.)\s*(.+)$/.exec(core!);
  if (core === '*') value = ''; // the grammar reads an empty answer as Moodle's '*'
  else if (parts) value = grammarNumber(parts[1]!) + parts[2] + grammarNumber(parts[3]!);
  else value = grammarNumber(core!);
  return lead + weight + value + trail;
}

/**
 * The inside of a numerical block `{#…}` as the grammar wants it: answers normalised
 * (numericAnswerText), ':' in feedback escaped. `put` receives each piece and where it came from.
 */
function numericBlock(source: string, from: number, to: number, put: (s: string, at: number) => void): void {
  let mode: 'answer' | 'feedback' = 'answer';
  let start = from;
  let first = true;
  const flush = (end: number) => {
    const segment = source.slice(start, end);
    let normal = numericAnswerText(segment);
    // Moodle reads a lone answer followed by feedback or more answers (`{#3 # Right}`) as `=3`;
    // the grammar takes feedback only after '='.
    const more = end < to && (source[end] !== '#' || !source.startsWith('####', end));
    if (first && more && segment.trim()) normal = '=' + normal.trimStart();
    first = false;
    if (normal === segment) for (let k = start; k < end; k++) put(source[k]!, k);
    else put(normal, start);
  };
  for (let i = from; i < to; i++) {
    const c = source[i]!;
    if (c === '\\') {
      // An escape is copied whole: with the answer it belongs to, or at once in feedback.
      if (mode === 'feedback') put(source.slice(i, i + 2), i);
      i++;
      continue;
    }
    if (mode === 'answer' && (c === '#' || c === '=' || c === '~')) {
      flush(i);
      if (c === '#') mode = 'feedback';
      put(c, i);
      start = i + 1;
    } else if (mode === 'feedback') {
      if (c === '=' || c === '~') {
        mode = 'answer';
        put(c, i);
        start = i + 1;
      } else put(c === ':' ? '\\:' : c, i);
    }
  }
  if (mode === 'answer') flush(to);
}

/** Index of the '}' closing the '{' at `open` (skipping escapes), or -1. */
function closingBrace(source: string, open: number): number {
  for (let i = open + 1; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === '}') return i;
    else if (source[i] === '{') return -1;
  }
  return -1;
}

/**
 * Moodle reads a lone ':' in text as text, and '=', '~', '#' outside answer blocks; the grammar
 * wants them escaped. Escape them, except in `::title::` markers and the answers of numerical
 * blocks (`{#3:0.5}`, whose answers are also read as Moodle reads them), so hand-written files
 * read as Moodle reads them. `origin` maps each character back to where it was written.
 */
function escapeLoneColons(source: string): { text: string; origin: number[] } {
  let text = '';
  // origin[i]: where the i-th character of the result came from, to locate errors in the original.
  const origin: number[] = [];
  const put = (s: string, from: number) => {
    text += s;
    for (let k = 0; k < s.length; k++) origin.push(from);
  };
  let numeric = false;
  let depth = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    // Comment lines (`// [id:…]`) are left exactly as written.
    if ((i === 0 || source[i - 1] === '\n') && /^[ \t]*\/\//.test(source.slice(i, i + 64))) {
      const end = source.indexOf('\n', i);
      const stop = end < 0 ? source.length : end;
      for (let k = i; k < stop; k++) put(source[k]!, k);
      i = stop - 1;
      continue;
    }
    if (c === '\\') {
      put(c, i);
      if (i + 1 < source.length) put(source[i + 1]!, i + 1);
      i++;
      continue;
    }
    if (c === '{') {
      depth++;
      const next = source.slice(i + 1, i + 40);
      numeric = /^\s*#/.test(next) && !/^\s*####/.test(next);
      const close = numeric ? closingBrace(source, i) : -1;
      if (close > 0) {
        const hash = source.indexOf('#', i);
        for (let k = i; k <= hash; k++) put(source[k]!, k);
        numericBlock(source, hash + 1, close, put);
        put('}', close);
        depth--;
        numeric = false;
        i = close;
        continue;
      }
    } else if (c === '}') {
      depth = Math.max(0, depth - 1);
      numeric = false;
    }
    if (c === ':' && source[i + 1] === ':') {
      put('::', i);
      i++;
      continue;
    }
    // Moodle also reads '=', '~' and '#' outside an answer block as text (its own `1+1=2 {T}`).
    const literal = (c === ':' && !(depth > 0 && numeric)) || (depth === 0 && (c === '=' || c === '~' || c === '#'));
    put(literal ? '\\' + c : c, i);
  }
  origin.push(source.length);
  return { text, origin };
}

/** Line and column (1-based, within the block) of the last '{' that has no '}'. */
function lastUnclosedBrace(source: string): { line: number; column: number } | undefined {
  const open: number[] = [];
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (c === '{') open.push(i);
    else if (c === '}') open.pop();
  }
  const at = open.at(-1);
  if (at === undefined) return undefined;
  const before = source.slice(0, at);
  return { line: before.split('\n').length, column: at - before.lastIndexOf('\n') };
}

/** Whether `offset` lies inside a numerical answer block `{#…`. */
function inNumericBlock(source: string, offset: number): boolean {
  let open = -1;
  for (let i = 0; i < offset; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (c === '{') open = i;
    else if (c === '}') open = -1;
  }
  return open >= 0 && /^\s*#(?!###)/.test(source.slice(open + 1, open + 40));
}

function syntaxIssue(err: GiftSyntaxError, block: Block, source: string, origin: number[]): { line: number; column?: number; message: string } {
  const offset = err.location?.start ? (origin[err.location.start.offset] ?? source.length) : undefined;
  const before = offset === undefined ? '' : source.slice(0, offset);
  const line = block.line + (offset === undefined ? 0 : before.split('\n').length - 1);
  const column = offset === undefined ? undefined : offset - before.lastIndexOf('\n');
  const found = err.found === null || err.found === undefined ? undefined : err.found;
  const expectsClose = (err.expected ?? []).some((e) => e.type === 'literal' && e.text === '}');
  const opens = (source.match(/(?<!\\)\{/g) ?? []).length;
  const closes = (source.match(/(?<!\\)\}/g) ?? []).length;
  let message: string;
  if (opens > closes && (found === undefined || expectsClose)) {
    // Point at the brace that was left open rather than at the end of the question.
    const open = lastUnclosedBrace(source);
    if (open) return { line: block.line + open.line - 1, column: open.column, message: "the answer block '{' opened here is not closed with '}' before the blank line that ends the question" };
    message = "the answer block '{' is not closed with '}' before the blank line that ends the question";
  } else if (offset !== undefined && inNumericBlock(source, offset)) {
    message = `not a numerical answer${found === undefined || found === '#' ? '' : ` at '${found.replace('\n', '\\n')}'`}: write numbers such as {#3}, {#3:0.5} (3 ± 0.5), {#1..5} or {#=3 =4}`;
  } else if (found === '}' && opens < closes) {
    message = "a '}' without its '{' (write \\} for a literal brace)";
  } else if (expectsClose) {
    message = `expected '}' but found ${found === undefined ? 'the end of the question' : `'${found.replace('\n', '\\n')}'`}`;
  } else {
    message = `not valid GIFT here${found === undefined ? ' (the question ends too early)' : `: unexpected '${found.replace('\n', '\\n')}'`}`;
  }
  return { line, ...(column ? { column } : {}), message };
}

function hasPositiveWeight(c: TextChoice): boolean {
  return c.weight !== null && c.weight !== undefined && c.weight > 0;
}

/** A right answer worth full marks: `=` without a weight, or `=%100%`; partial credit is not ours. */
function fullyRight(c: TextChoice | NumericalChoice): boolean {
  return c.isCorrect && (c.weight === null || c.weight === undefined || c.weight >= 100);
}

const isNumber = (t: NumericalFormat | TextFormat): t is NumericalFormat => 'type' in t && (t.type === 'simple' || t.type === 'range' || t.type === 'high-low');

/** One numerical answer as ours, or why it cannot be. */
function numericAnswer(t: NumericalFormat): NumericAnswer | string {
  if (t.type === 'high-low') return { min: t.numberLow!, max: t.numberHigh! };
  if (t.type === 'range') {
    if (t.range! < 0) return `the tolerance of ${formatNumber(t.number!)}:${formatNumber(t.range!)} is negative`;
    return { answer: t.number!, tolerance: t.range! };
  }
  return { answer: t.number! };
}

/** A numerical question: its full-marks answers (`{#3}`, `{#3:0.5}`, `{#1..5}`, `{#=3 =%100%4:1}`). */
function numericalQuestion(q: Extract<GIFTQuestion, { type: 'Numerical' }>, base: Record<string, unknown>, global: string | undefined): { fields: Record<string, unknown> } | { problem: string } {
  const choices: NumericalChoice[] = Array.isArray(q.choices) ? q.choices : [{ isCorrect: true, weight: null, text: q.choices, feedback: null }];
  // Wildcard answers (`=*`, a bare `~`) carry feedback for any other number, not a right answer.
  const right = choices.filter((c) => fullyRight(c) && isNumber(c.text));
  if (right.length === 0) {
    const partial = choices.some((c) => c.isCorrect && isNumber(c.text));
    return { problem: partial ? 'has no answer worth full marks: only partial-credit answers (=%50%…), which are not supported' : 'has no right answer: give one such as {#3}, {#3:0.5} or {#1..5}' };
  }
  const answers: NumericAnswer[] = [];
  for (const c of right) {
    const a = numericAnswer(c.text as NumericalFormat);
    if (typeof a === 'string') return { problem: a };
    answers.push(a);
  }
  const explanation = global ?? plain(right[0]!.feedback);
  return { fields: { ...base, type: 'numeric', ...numericFields(answers), ...(explanation ? { explanation } : {}) } };
}

/** Our fields for one parsed GIFT question, or the reason it cannot be one of ours. */
function toFields(q: Exclude<GIFTQuestion, { type: 'Category' }>): { fields: Record<string, unknown> } | { problem: string } {
  if (q.type !== 'TF' && q.type !== 'Short' && q.type !== 'MC' && q.type !== 'Numerical') return { problem: (UNSUPPORTED.get(q.type) ?? `${q.type} questions are not supported`) + SUPPORTED_HINT };
  const prompt = plain(q.stem) ?? '';
  const global = 'globalFeedback' in q ? plain(q.globalFeedback) : undefined;
  const base: Record<string, unknown> = { prompt };
  if (q.id) base.id = q.id;
  if (q.tags?.length) base.tags = q.tags.map((t) => t.trim());
  switch (q.type) {
    case 'TF': {
      // In GIFT the first feedback answers a wrong choice and the second a right one.
      const explanation = global ?? plain(q.falseFeedback) ?? plain(q.trueFeedback);
      return { fields: { ...base, type: 'true_false', answer: q.isTrue, ...(explanation ? { explanation } : {}) } };
    }
    case 'Numerical':
      return numericalQuestion(q, base, global);
    case 'Short': {
      // As for numerical answers, only the full-marks ones count as right.
      const right = q.choices.filter(fullyRight);
      if (right.length === 0) return { problem: 'has no answer worth full marks: only partial-credit answers (=%50%…), which are not supported' };
      const [first, ...rest] = right.map((c) => plain(c.text) ?? '');
      const explanation = global ?? plain(right[0]?.feedback);
      return { fields: { ...base, type: 'short', answer: first ?? '', accepted: rest, ...(explanation ? { explanation } : {}) } };
    }
    case 'MC': {
      // As in Moodle: '=' marks the one right answer of a single-choice question; without any '=',
      // the choices with a positive %weight% are the right ones of a multiple-answer question.
      const choices = q.choices.map((c) => plain(c.text) ?? '');
      const single = q.choices.some((c) => c.isCorrect);
      const correct = single ? q.choices.filter((c) => c.isCorrect) : q.choices.filter(hasPositiveWeight);
      if (correct.length === 0) return { problem: 'has no correct answer: mark it with = (or give the right ones a positive %weight%)' };
      if (single && correct.length > 1) {
        return {
          problem: `has ${correct.length === 2 ? 'two' : correct.length} correct answers (=): a single-choice question has one; for several, give each a weight such as ~%50%`,
        };
      }
      const feedback = correct.length === 1 ? plain(correct[0]!.feedback) : undefined;
      const explanation = global ?? feedback;
      const answers = correct.map((c) => plain(c.text) ?? '');
      return {
        fields: {
          ...base,
          type: single ? 'single' : 'multiple',
          choices,
          answer: single ? answers[0] : answers,
          ...(explanation ? { explanation } : {}),
        },
      };
    }
  }
}

export function parseGift(text: string, file: string, options: ParseOptions): ParseResult {
  const limits = limitsOf(options);
  const candidates: Candidate[] = [];
  let title: string | undefined;
  for (const block of splitBlocks(text)) {
    if (candidates.length > limits.maxQuestions) break;
    let start = 0;
    let first = block.lines.findIndex((l) => !isComment(l));
    if (first < 0) continue; // only comments
    const category = /^\s*\$CATEGORY:\s*(.*)$/.exec(block.lines[first]!);
    if (category) {
      const path = category[1]!.replace(/^\$(course|system|module|cat\d*)\$\/?/, '').split('/').map((s) => s.trim()).filter(Boolean);
      title ??= path.at(-1);
      // Lenient: a question right under the category line, without the blank line GIFT wants.
      start = first + 1;
      first = block.lines.findIndex((l, i) => i >= start && !isComment(l));
      if (first < 0) continue;
    }
    const comments = block.lines.slice(start, first);
    const part: Block = { line: block.line + start, lines: block.lines.slice(start) };
    const line = block.line + first;
    const source = part.lines.join('\n');
    if (source.length > MAX_BLOCK_CHARS) {
      candidates.push({ line, fields: {}, issues: [{ message: `the question is longer than ${MAX_BLOCK_CHARS} characters (is a blank line missing between questions?)` }] });
      continue;
    }
    let parsed: GIFTQuestion[];
    const escaped = escapeLoneColons(source);
    try {
      parsed = gift.parse(escaped.text + '\n');
    } catch (err) {
      const e = err as GiftSyntaxError;
      candidates.push({ line, fields: {}, issues: [e && e.name === 'SyntaxError' ? syntaxIssue(e, part, source, escaped.origin) : { message: 'not valid GIFT' }] });
      continue;
    }
    const lesson = commentMarker(comments, 'lesson');
    const section = commentMarker(comments, 'section');
    const exact = comments.some((c) => /\[exact\]/.test(c));
    for (const q of parsed) {
      if (q.type === 'Category') {
        title ??= q.title.split('/').filter(Boolean).at(-1);
        continue;
      }
      const mapped = toFields(q);
      if ('problem' in mapped) {
        candidates.push({ line, fields: {}, issues: [{ message: mapped.problem }] });
        continue;
      }
      const fields = mapped.fields;
      if (exact && fields.type === 'short') fields.exact = true;
      if (section) {
        const sourceLesson = lesson ?? options.lessonId;
        if (!sourceLesson) {
          candidates.push({ line, fields: {}, issues: [{ message: `section '${section}' needs a lesson: add [lesson:…] or import with --lesson` }] });
          continue;
        }
        fields.source = { lesson: sourceLesson, section };
      }
      candidates.push({ line, fields, issues: [] });
    }
  }
  if (candidates.length > limits.maxQuestions) {
    return { issues: [{ file, message: `the file has more than ${limits.maxQuestions} questions; the limit is ${limits.maxQuestions}` }] };
  }
  return buildBank(file, candidates, { title: title ?? titleFromFileName(file) }, options, { defaultExplanations: true });
}
