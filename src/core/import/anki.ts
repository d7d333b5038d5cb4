import { buildBank, type Candidate } from './build.js';
import type { FieldLabeler } from './describe.js';
import { htmlToText, looksLikeHtml } from './html.js';
import { titleFromFileName } from './names.js';
import { readTable, sniffDelimiter, type Delimiter } from './table.js';
import { limitsOf, type ParseOptions, type ParseResult } from './types.js';
import type { SourceIssue } from '../content/issues.js';

/**
 * Anki's "Notes in Plain Text" export: one note per row, front and back separated by a tab (or
 * the `#separator:`), with optional `#html:`, `#tags column:`, `#deck:` … header lines. Each note
 * becomes a short-answer question: the front asks, the back is the expected answer.
 */

const SEPARATORS = new Map<string, Delimiter>([
  ['tab', '\t'],
  ['comma', ','],
  ['semicolon', ';'],
  ['space', ' '],
  ['pipe', '|'],
  ['colon', ':'],
]);

interface Header {
  separator?: Delimiter;
  html?: boolean;
  /** 0-based column indexes that are not note fields. */
  tagsColumn?: number;
  skip: Set<number>;
  deck?: string;
  tags: string[];
}

function readHeader(lines: string[], file: string): { header: Header; count: number; issues: SourceIssue[] } {
  const header: Header = { skip: new Set(), tags: [] };
  const issues: SourceIssue[] = [];
  let count = 0;
  for (const line of lines) {
    const m = /^#([a-z ]+):(.*)$/i.exec(line);
    if (!m) break;
    count++;
    const key = m[1]!.trim().toLowerCase();
    const value = m[2]!.trim();
    const at = { file, line: count };
    const column = () => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 50) {
        issues.push({ ...at, message: `#${key} must be a column number (1 or more), not '${value}'` });
        return undefined;
      }
      return n - 1;
    };
    switch (key) {
      case 'separator': {
        const sep = SEPARATORS.get(value.toLowerCase()) ?? (value.length === 1 ? (value as Delimiter) : undefined);
        if (!sep || ![...SEPARATORS.values()].includes(sep)) issues.push({ ...at, message: `unknown #separator '${value}' (tab, comma, semicolon, space, pipe or colon)` });
        else header.separator = sep;
        break;
      }
      case 'html':
        if (!['true', 'false'].includes(value.toLowerCase())) issues.push({ ...at, message: `#html must be true or false, not '${value}'` });
        else header.html = value.toLowerCase() === 'true';
        break;
      case 'tags column': {
        const c = column();
        if (c !== undefined) {
          header.tagsColumn = c;
          header.skip.add(c);
        }
        break;
      }
      case 'guid column':
      case 'notetype column':
      case 'deck column': {
        const c = column();
        if (c !== undefined) header.skip.add(c);
        break;
      }
      case 'deck':
        header.deck = value.split('::').at(-1)?.trim() || undefined;
        break;
      case 'tags':
        header.tags = value.split(/\s+/).filter(Boolean);
        break;
      default:
        // #notetype:, #columns: and headers of newer Anki versions carry nothing we need.
        break;
    }
  }
  return { header, count, issues };
}

const ankiLabels: FieldLabeler = (path) => {
  const [field, index] = path;
  if (field === 'prompt') return 'the front';
  if (field === 'answer') return 'the back';
  if (field === 'tags' && typeof index === 'number') return `tag ${index + 1}`;
  return String(field ?? 'the note');
};

export function parseAnki(text: string, file: string, options: ParseOptions): ParseResult {
  const limits = limitsOf(options);
  const lines = text.split('\n');
  const { header, count, issues } = readHeader(lines, file);
  if (issues.length) return { issues };
  const body = lines.slice(count).join('\n');
  const delimiter = header.separator ?? sniffDelimiter(lines[count] ?? '', ['\t', ',', ';']);
  const table = readTable(body, file, delimiter, { firstLine: count + 1, maxRows: limits.maxQuestions + 1 });
  if (table.truncated) return { issues: [{ file, message: `the file has more than ${limits.maxQuestions} notes; the limit is ${limits.maxQuestions}` }] };
  const field = (s: string) => {
    const t = s.trim();
    return header.html === true || (header.html === undefined && looksLikeHtml(t)) ? htmlToText(t) : t;
  };
  const candidates: Candidate[] = table.rows.map((row) => {
    const fields = row.cells.filter((_, i) => !header.skip.has(i)).map(field);
    const [front = '', back = ''] = fields;
    const rowIssues: Candidate['issues'] = [];
    if (/\{\{c\d+::/.test(front) || /\{\{c\d+::/.test(back)) rowIssues.push({ message: 'cloze notes are not supported (only front/back notes are)' });
    else if (fields.length < 2 || !back) rowIssues.push({ message: `the note has no back (the answer); separate front and back with ${delimiter === '\t' ? 'a tab' : `'${delimiter}'`}` });
    const ownTags = header.tagsColumn !== undefined ? (row.cells[header.tagsColumn] ?? '').split(/\s+/).filter(Boolean) : [];
    const tags = [...new Set([...header.tags, ...ownTags])];
    return { line: row.line, fields: { type: 'short', prompt: front, answer: back, accepted: [], tags }, issues: rowIssues };
  });
  const built = buildBank(file, candidates, { title: header.deck ?? titleFromFileName(file) }, options, { defaultExplanations: true, label: ankiLabels });
  if (table.issue) return { issues: [...(built.issues ?? []), table.issue] };
  return built;
}
