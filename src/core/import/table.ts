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

/** What one pass over the text finds about its records, with the same rules csv-parse follows. */
export interface RecordScan {
  /** 1-based line where each record starts. */
  starts: number[];
  /** Lines with a quote inside a field that does not start with one (`5" screen`). */
  bareQuoteLines: number[];
  /** The first quoted field that goes on after its closing quote (`"a" b`): its record and line. */
  textAfterQuote?: { record: number; line: number };
}

/**
 * The line each record starts on, found by one pass with the same rules csv-parse follows (quoted
 * fields with doubled quotes and line breaks; empty lines skipped). Cheaper than asking the parser
 * for per-record info, and exact for every record before the first syntax error. A quote inside an
 * unquoted field is text here, as with csv-parse's `relax_quotes`, so the lines stay exact then too.
 */
export function scanRecords(text: string, delimiter: string): RecordScan {
  const starts: number[] = [];
  const bareQuoteLines: number[] = [];
  let textAfterQuote: RecordScan['textAfterQuote'];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    if (text[i] === '\n') {
      line++; // an empty line: skipped, not a record
      i++;
      continue;
    }
    starts.push(line);
    // One record: fields until a line break outside quotes.
    let fieldStart = true;
    while (i < n) {
      const c = text[i]!;
      if (fieldStart && c === '"') {
        i++;
        while (i < n) {
          const q = text[i]!;
          if (q === '"') {
            if (text[i + 1] === '"') i += 2;
            else {
              i++;
              break;
            }
          } else {
            if (q === '\n') line++;
            i++;
          }
        }
        const next = text[i];
        if (textAfterQuote === undefined && next !== undefined && next !== delimiter && next !== '\n' && next !== '\r') {
          textAfterQuote = { record: starts.length - 1, line };
        }
        fieldStart = false;
        continue;
      }
      if (c === '\n') {
        line++;
        i++;
        break;
      }
      if (c === '"' && bareQuoteLines.at(-1) !== line) bareQuoteLines.push(line);
      fieldStart = c === delimiter;
      i++;
    }
  }
  return { starts, bareQuoteLines, ...(textAfterQuote ? { textAfterQuote } : {}) };
}

export function recordStartLines(text: string, delimiter: string): number[] {
  return scanRecords(text, delimiter).starts;
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

/** What readTable returns: the trusted rows, the syntax error that ended them, if any. */
export interface Table {
  rows: TableRow[];
  issue?: SourceIssue;
  truncated: boolean;
  /** Lines where quotes inside an unquoted field were read as text (with `relaxQuotes` only). */
  bareQuoteLines: number[];
}

/**
 * Reads rows until the first syntax error. Rows before it are returned (so their own problems
 * are reported too); rows after it are not, since nothing after a broken quote can be trusted.
 * `firstLine` shifts line numbers when header lines were cut off before. With `relaxQuotes`, a
 * quote inside an unquoted field (`5" screen`) is text, as spreadsheets read it; a quoted field
 * that goes on after its closing quote is still an error, since its end cannot be told.
 */
export function readTable(
  text: string,
  file: string,
  delimiter: Delimiter,
  options: { firstLine?: number; maxRows?: number; relaxQuotes?: boolean } = {},
): Table {
  const offset = (options.firstLine ?? 1) - 1;
  const scan = scanRecords(text, delimiter);
  const relax = options.relaxQuotes === true && scan.bareQuoteLines.length > 0;
  let firstError: CsvError | undefined;
  let records: string[][];
  try {
    records = parse(text, {
      delimiter,
      quote: '"',
      escape: '"',
      relax_quotes: relax,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      max_record_size: MAX_RECORD_BYTES,
      to: options.maxRows,
      on_skip: (err) => {
        firstError ??= err;
      },
    }) as string[][];
  } catch (err) {
    const e = err as CsvError;
    const line = (typeof e.lines === 'number' ? e.lines : 1) + offset;
    return { rows: [], issue: { file, line, message: syntaxMessage(e, line) }, truncated: false, bareQuoteLines: [] };
  }
  const starts = scan.starts;
  // The records read before the first error (its `records` counts them) are the ones to trust.
  let good = firstError && typeof firstError.records === 'number' ? Math.min(firstError.records, records.length) : records.length;
  let issue: SourceIssue | undefined;
  // Relaxed, csv-parse reads on past text after a closing quote: stop there as it would strictly.
  const after = relax ? scan.textAfterQuote : undefined;
  if (after && after.record < good) {
    good = after.record;
    issue = { file, line: after.line + offset, message: syntaxMessage({ code: 'CSV_INVALID_CLOSING_QUOTE' } as CsvError, after.line + offset) };
  } else if (firstError) {
    const err = firstError;
    // An unclosed quote or an endless row is reported where its record starts; a stray quote
    // where the parser met it.
    const fromStart = err.code === 'CSV_QUOTE_NOT_CLOSED' || err.code === 'CSV_MAX_RECORD_SIZE' || typeof err.lines !== 'number';
    const line = (fromStart ? (starts[good] ?? 1) : (err.lines as number)) + offset;
    issue = { file, line, message: syntaxMessage(err, line) };
  }
  const rows: TableRow[] = [];
  for (let r = 0; r < good; r++) {
    const cells = records[r]!;
    if (cells.every((c) => c.trim() === '')) continue; // spreadsheets leave rows of empty cells
    rows.push({ cells, line: (starts[r] ?? 1) + offset });
  }
  const truncated = options.maxRows !== undefined && records.length >= options.maxRows;
  const trustedUntil = good < records.length || issue ? (starts[good] ?? Infinity) : Infinity;
  const bareQuoteLines = relax ? scan.bareQuoteLines.filter((l) => l < trustedUntil).map((l) => l + offset) : [];
  return { rows, ...(issue ? { issue } : {}), truncated, bareQuoteLines };
}
