import { parseAiken } from './aiken.js';
import { parseAnki } from './anki.js';
import { decodeImportBytes } from './checks.js';
import { parseCsv } from './csv.js';
import { detectFormat } from './detect.js';
import { parseGift } from './gift.js';
import { bankIdFromFileName } from './names.js';
import { parseNative } from './native.js';
import { limitsOf, type ImportFormat, type ImportLimits, type ParseOptions, type ParseResult, type Parser } from './types.js';

/** One parser per format, each (text, file name, options) → bank or located problems. */
export const PARSERS: Record<ImportFormat, Parser> = {
  yaml: (text, file, options) => parseNative(text, file, options, false),
  json: (text, file, options) => parseNative(text, file, options, true),
  csv: (text, file, options) => parseCsv(text, file, options),
  tsv: (text, file, options) => parseCsv(text, file, options, '\t'),
  gift: parseGift,
  aiken: parseAiken,
  anki: parseAnki,
};

export interface ImportFile {
  fileName: string;
  bytes: Buffer;
  format?: ImportFormat;
  bankId?: string;
  lessonId?: string;
  limits?: Partial<ImportLimits>;
}

/**
 * Bytes to a validated bank: encoding and size checks, format detection, then the format's
 * parser. Never throws: a parser bug becomes a reported problem rather than a crash.
 */
export function parseImportFile(input: ImportFile): { format?: ImportFormat; result: ParseResult } {
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
  const format = detectFormat(file, decoded.text, input.format);
  if (!format) {
    return {
      result: {
        issues: [{ file, message: 'cannot tell the format from the name or content: use .yaml, .json, .csv, .tsv or .gift, or give the format (gift, aiken, anki, …)' }],
      },
    };
  }
  try {
    return { format, result: PARSERS[format](decoded.text, file, options) };
  } catch (err) {
    return { format, result: { issues: [{ file, message: `the file could not be read as ${format}: ${(err as Error).message}` }] } };
  }
}
