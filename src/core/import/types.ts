import type { SourceIssue } from '../content/issues.js';
import type { Bank } from '../content/schema.js';

/** The file formats an admin can import. 'yaml' and 'json' are the native bank format. */
export const IMPORT_FORMATS = ['yaml', 'json', 'csv', 'tsv', 'gift', 'aiken', 'anki', 'red-trivia', 'opentdb'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export interface ImportLimits {
  /** Largest file accepted, in bytes. */
  maxBytes: number;
  /** Most questions in one file. */
  maxQuestions: number;
  /** Most problems listed for one file; the rest are counted. */
  maxIssues: number;
}

export const DEFAULT_IMPORT_LIMITS: ImportLimits = {
  maxBytes: 5 * 1024 * 1024,
  maxQuestions: 20_000,
  maxIssues: 100,
};

export interface ParseOptions {
  /** The target bank's id when the admin names one (`--bank`): it wins over the file's own. */
  bankId?: string;
  /** The bank id to use when neither the admin nor the file names one (from the file name). */
  defaultBankId: string;
  /** Title for formats that carry none (default: from the file name). */
  bankTitle?: string;
  /** Default source lesson of the bank (`--lesson`). */
  lessonId?: string;
  limits?: Partial<ImportLimits>;
}

export interface ParsedBank {
  bank: Bank;
  /** 1-based line of a question in the file, for messages after parsing. */
  lineOf(index: number): number | undefined;
  /** Its 1-based number among the file's questions, when some before it were skipped (else index + 1). */
  numberOf?(index: number): number;
  /**
   * Questions whose id was derived from their prompt because the format carries none: on
   * re-import they are matched to stored questions by prompt.
   */
  derivedIds: boolean[];
}

/** What a parse says besides its bank: questions it could not import, and notes that refuse nothing. */
export interface ParseNotes {
  /** Questions left out, each with its line and why; the rest of the file imports. */
  skipped?: SourceIssue[];
  /** Notes about the file as a whole (ignored columns, bare quotes read as text). */
  warnings?: SourceIssue[];
}

/**
 * What every parser returns: a bank of the questions that passed their checks (and the ones it
 * skipped), or, when the file as a whole cannot be read, every problem found. Parsers never throw.
 */
export type ParseResult = ({ bank: ParsedBank; issues?: undefined } | { bank?: undefined; issues: SourceIssue[] }) & ParseNotes;

export type Parser = (text: string, fileName: string, options: ParseOptions) => ParseResult;

export function limitsOf(options: ParseOptions): ImportLimits {
  return { ...DEFAULT_IMPORT_LIMITS, ...options.limits };
}
