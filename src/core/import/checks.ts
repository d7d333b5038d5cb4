import type { SourceIssue } from '../content/issues.js';
import type { ImportLimits } from './types.js';

/**
 * The checks every imported file passes before a parser sees it: size, binary content and
 * encoding. A byte-order mark and Windows or old Mac line ends are accepted and normalised.
 */

/** Keys that could alter object prototypes if a file's data were ever merged into an object. */
export const HOSTILE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

function megabytes(n: number): string {
  const mb = n / (1024 * 1024);
  return mb >= 10 ? `${Math.round(mb)} MB` : `${Math.round(mb * 10) / 10} MB`;
}

/** Well-known binary signatures, named so the admin knows what to export instead. */
const SIGNATURES: { bytes: number[]; what: string }[] = [
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'a ZIP archive (an Excel .xlsx workbook or an Anki .apkg package?): export it as CSV or plain text first' },
  { bytes: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document, not a question bank' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0], what: 'an old Office document (.xls or .doc): export it as CSV first' },
  { bytes: [0x1f, 0x8b], what: 'a gzip archive: unpack it first' },
  { bytes: [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65], what: 'an SQLite database, not a question bank' },
  { bytes: [0x89, 0x50, 0x4e, 0x47], what: 'a PNG image, not a question bank' },
  { bytes: [0xff, 0xd8, 0xff], what: 'a JPEG image, not a question bank' },
];

function startsWith(bytes: Buffer, prefix: number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

/** Offset of the first byte that is not part of a valid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(bytes: Buffer): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    if (i + need >= n) return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return i;
    i += need + 1;
  }
  return -1;
}

function lineOfByte(bytes: Buffer, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  // Column in characters: count the UTF-8 lead bytes before the offset on this line.
  let column = 1;
  for (let i = lineStart; i < offset; i++) if ((bytes[i]! & 0xc0) !== 0x80) column++;
  return { line, column };
}

// Tab, line feed, carriage return and form feed are text; other C0 controls and DEL are not.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b\x0e-\x1f\x7f]/g;

export type DecodeResult = { text: string; issues?: undefined } | { text?: undefined; issues: SourceIssue[] };

/**
 * Turns uploaded bytes into text with `\n` line ends, or explains why it cannot: too large,
 * binary, UTF-16, not UTF-8, or stray control characters (each one located).
 */
export function decodeImportBytes(bytes: Buffer, file: string, limits: ImportLimits): DecodeResult {
  if (bytes.length > limits.maxBytes) {
    return { issues: [{ file, message: `the file is ${megabytes(bytes.length)}; the limit is ${megabytes(limits.maxBytes)}` }] };
  }
  if (bytes.length === 0) return { issues: [{ file, message: 'the file is empty' }] };
  for (const s of SIGNATURES) {
    if (startsWith(bytes, s.bytes)) return { issues: [{ file, message: `the file is ${s.what}` }] };
  }
  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) {
    return { issues: [{ file, line: 1, message: 'the file is UTF-16 text: save it as UTF-8 (in Excel: "CSV UTF-8")' }] };
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    return {
      issues: [{ file, ...lineOfByte(bytes, nul), message: 'the file contains NUL bytes: it is binary (or UTF-16 text), not a UTF-8 text file' }],
    };
  }
  const invalid = firstInvalidUtf8(bytes);
  if (invalid >= 0) {
    const hex = bytes[invalid]!.toString(16).toUpperCase().padStart(2, '0');
    return {
      issues: [
        {
          file,
          ...lineOfByte(bytes, invalid),
          message: `byte 0x${hex} is not UTF-8 (the file is probably Latin-1 or Windows-1252): save it as UTF-8`,
        },
      ],
    };
  }
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const issues: SourceIssue[] = [];
  let controls = 0;
  for (const m of text.matchAll(CONTROL)) {
    controls++;
    if (issues.length < limits.maxIssues) {
      const before = text.slice(0, m.index);
      const line = before.split('\n').length;
      const column = m.index - before.lastIndexOf('\n');
      const code = m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
      issues.push({ file, line, column, message: `control character U+${code} is not text` });
    }
  }
  if (controls > 0 && controls * 20 > text.length) {
    return { issues: [{ file, message: 'the file is binary, not text' }] };
  }
  if (issues.length) return { issues };
  return { text };
}

/** Every own key path in a parsed value whose key is a hostile key (for located messages). */
export function findHostileKeys(value: unknown, limit = 100): (string | number)[][] {
  const found: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[], depth: number) => {
    if (found.length >= limit || depth > 64 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, [...path, i], depth + 1));
      return;
    }
    for (const key of Object.keys(v)) {
      if (HOSTILE_KEYS.has(key)) found.push([...path, key]);
      else walk((v as Record<string, unknown>)[key], [...path, key], depth + 1);
    }
  };
  walk(value, [], 0);
  return found;
}

/** Keeps at most `max` issues, adding one that counts the rest. */
export function capIssues(issues: SourceIssue[], max: number, file: string): SourceIssue[] {
  if (issues.length <= max) return issues;
  return [...issues.slice(0, max), { file, message: `… and ${issues.length - max} more problems` }];
}
