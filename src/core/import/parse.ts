import { parseAiken } from './aiken.js';
import { parseAnki } from './anki.js';
import { decodeImportBytes } from './checks.js';
import { parseCsv } from './csv.js';
import { detectFormat, lookAlike, looksLike } from './detect.js';
import { parseGift } from './gift.js';
import { bankIdFromFileName } from './names.js';
import { parseNative } from './native.js';
import { parseOpenTdb } from './opentdb.js';
import { parseRedTrivia } from './red-trivia.js';
import type { SourceIssue } from '../content/issues.js';
import type { Bank } from '../content/schema.js';
import { IMPORT_FORMATS, limitsOf, type ImportFormat, type ImportLimits, type ParseNotes, type ParseOptions, type ParseResult, type Parser } from './types.js';

/** One parser per format, each (text, file name, options) → bank or located problems. */
export const PARSERS: Record<ImportFormat, Parser> = {
  yaml: (text, file, options) => parseNative(text, file, options, false),
  json: (text, file, options) => parseNative(text, file, options, true),
  csv: (text, file, options) => parseCsv(text, file, options),
  tsv: (text, file, options) => parseCsv(text, file, options, '\t'),
  gift: parseGift,
  aiken: parseAiken,
  anki: parseAnki,
  'red-trivia': parseRedTrivia,
  opentdb: parseOpenTdb,
};

export interface ImportFile {
  fileName: string;
  bytes: Buffer;
  format?: ImportFormat;
  bankId?: string;
  lessonId?: string;
  limits?: Partial<ImportLimits>;
  /** Longest reading the file may take off the main thread before it is refused (parseImportFileOffThread). */
  parseBudgetMs?: number;
}

export interface ParsedFile {
  format?: ImportFormat;
  result: ParseResult;
}

/**
 * Bytes to a validated bank: encoding and size checks, format detection, then the format's
 * parser. Never throws: a parser bug becomes a reported problem rather than a crash.
 */
export function parseImportFile(input: ImportFile): ParsedFile {
  const file = input.fileName;
  const options: ParseOptions = {
    defaultBankId: bankIdFromFileName(file),
    ...(input.bankId ? { bankId: input.bankId } : {}),
    ...(input.lessonId ? { lessonId: input.lessonId } : {}),
    ...(input.limits ? { limits: input.limits } : {}),
  };
  const limits = limitsOf(options);
  const decoded = decodeImportBytes(input.bytes, file, limits);
  if (decoded.issues) return { result: { issues: decoded.issues } };
  const format = detectFormat(file, decoded.text, input.format) ?? looksLike(decoded.text, file);
  if (!format) {
    if (/^\s*(<\?xml[^>]*>\s*)?<quiz[\s>]/.test(decoded.text)) {
      return { result: { issues: [{ file, message: 'this looks like a Moodle XML export: export the questions from Moodle as GIFT instead, and import that file' }] } };
    }
    return {
      result: {
        issues: [{ file, message: `cannot tell the format from the name or content: use .yaml, .json, .csv, .tsv or .gift, or give the format (${IMPORT_FORMATS.join(', ')})` }],
      },
    };
  }
  try {
    const result = PARSERS[format](decoded.text, file, options);
    // Refused, a file that looks like another format says which, not this format's every complaint.
    const hint = result.issues ? lookAlike(decoded.text, file, format) : undefined;
    return { format, result: hint ? { issues: [{ file, message: hint }] } : result };
  } catch (err) {
    return { format, result: { issues: [{ file, message: `the file could not be read as ${format}: ${(err as Error).message}` }] } };
  }
}

/** A parse result as plain data, to cross a thread boundary: lineOf as the line of each question. */
export type ParseData = (
  | { format?: ImportFormat; bank: Bank; lines: (number | undefined)[]; numbers: number[]; derivedIds: boolean[]; issues?: undefined }
  | { format?: ImportFormat; bank?: undefined; issues: SourceIssue[] }
) &
  ParseNotes;

const notesOf = (n: ParseNotes): ParseNotes => ({ ...(n.skipped ? { skipped: n.skipped } : {}), ...(n.warnings ? { warnings: n.warnings } : {}) });

export function toParseData({ format, result }: ParsedFile): ParseData {
  if (!result.bank) return { format, issues: result.issues, ...notesOf(result) };
  const { bank, lineOf, numberOf = (i) => i + 1, derivedIds } = result.bank;
  return { format, bank, lines: bank.questions.map((_, i) => lineOf(i)), numbers: bank.questions.map((_, i) => numberOf(i)), derivedIds, ...notesOf(result) };
}

export function fromParseData(data: ParseData): ParsedFile {
  if (!data.bank) return { format: data.format, result: { issues: data.issues, ...notesOf(data) } };
  const { format, bank, lines, numbers, derivedIds } = data;
  return { format, result: { bank: { bank, lineOf: (i) => lines[i], numberOf: (i) => numbers[i] ?? i + 1, derivedIds }, ...notesOf(data) } };
}
