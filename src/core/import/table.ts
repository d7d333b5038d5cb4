import { parse, type CsvError } from 'csv-parse/sync';
import type { SourceIssue } from '../content/issues.js';

/**
 * Delimited text (CSV, TSV, Anki's plain-text export) read into rows, each with the line it
 * starts on. Quoted fields may hold delimiters, doubled quotes and line breaks.
 */

export interface TableRow {
  cells: string[];
  /** 1-based line where the row starts. */
  line: number;
}

export type Delimiter = ',' | ';' | '\t' | '|' | ' ' | ':';

/** Longest row accepted: one question's worth of fields, with room to spare. */
const MAX_RECORD_BYTES = 256 * 1024;

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** Line where a record starts, from the line where it ends and the line breaks inside its fields. */
function startLine(endLine: number, cells: readonly string[]): number {
  let breaks = 0;
  for (const c of cells) breaks += countNewlines(c);
  return endLine - breaks;
}

/** The first line after `afterLine` that has any text: where the next record begins. */
function nextTextLine(text: string, afterLine: number): number {
  const lines = text.split('\n');
  for (let i = afterLine; i < lines.length; i++) if (lines[i]!.trim() !== '') return i + 1;
  return afterLine + 1;
}

function syntaxMessage(err: CsvError, start: number): string {
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return `a quoted field that starts on line ${start} is never closed`;
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'a quoted field goes on after its closing quote: a quote inside a quoted field must be doubled ("")';
    case 'INVALID_OPENING_QUOTE':
    case 'CSV_INVALID_OPENING_QUOTE' as CsvError['code']:
      return 'a quote in the middle of a field: put the whole field in quotes and double the quotes inside it ("")';
    case 'CSV_MAX_RECORD_SIZE':
      return `the row is longer than ${MAX_RECORD_BYTES / 1024} KB (is a quote left open?)`;
    default:
      return err.message.replace(/ at line \d+.*$/s, '');
  }
}

/** Counts a delimiter in a line, outside quoted parts. */
function countOutsideQuotes(line: string, d: string): number {
  let n = 0;
  let quoted = false;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === d) n++;
  }
  return n;
}

/** The delimiter a header line most likely uses (comma by default). */
export function sniffDelimiter(headerLine: string, candidates: readonly Delimiter[] = [',', '\t', ';']): Delimiter {
  let best: Delimiter = candidates[0] ?? ',';
  let bestCount = 0;
  for (const d of candidates) {
    const n = countOutsideQuotes(headerLine, d);
    if (n > bestCount) [best, bestCount] = [d, n];
  }
  return best;
}

/**
 * Reads rows until the first syntax error. Rows before it are returned (so their own problems
 * are reported too); rows after it are not, since nothing after a broken quote can be trusted.
 * `firstLine` shifts line numbers when header lines were cut off before.
 */
export function readTable(
  text: string,
  file: string,
  delimiter: Delimiter,
  options: { firstLine?: number; maxRows?: number } = {},
): { rows: TableRow[]; issue?: SourceIssue; truncated: boolean } {
  const offset = (options.firstLine ?? 1) - 1;
  let firstError: CsvError | undefined;
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      delimiter,
      quote: '"',
      escape: '"',
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      max_record_size: MAX_RECORD_BYTES,
      info: true,
      to: options.maxRows,
      on_skip: (err) => {
        firstError ??= err;
      },
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (err) {
    const e = err as CsvError;
    const line = (typeof e.lines === 'number' ? e.lines : 1) + offset;
    return { rows: [], issue: { file, line, message: syntaxMessage(e, line) }, truncated: false };
  }
  // The records read before the first error (its `records` counts them) are the ones to trust.
  const good = firstError && typeof firstError.records === 'number' ? firstError.records : records.length;
  const endOfPrevious = good > 0 ? (records[good - 1]?.info.lines ?? 0) : 0;
  const rows: TableRow[] = [];
  for (const r of records.slice(0, good)) {
    if (r.record.every((c) => c.trim() === '')) continue; // spreadsheets leave rows of empty cells
    rows.push({ cells: r.record, line: startLine(r.info.lines, r.record) + offset });
  }
  const truncated = options.maxRows !== undefined && records.length >= options.maxRows;
  if (firstError) {
    const err = firstError;
    // An unclosed quote or an endless row is reported where its record starts; a stray quote
    // where the parser met it.
    const where = err.code === 'CSV_QUOTE_NOT_CLOSED' || err.code === 'CSV_MAX_RECORD_SIZE' || typeof err.lines !== 'number' ? nextTextLine(text, endOfPrevious) : err.lines;
    const line = where + offset;
    return { rows, issue: { file, line, message: syntaxMessage(err, line) }, truncated };
  }
  return { rows, truncated };
}
