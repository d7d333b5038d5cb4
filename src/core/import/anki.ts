import { buildBank, type Candidate } from './build.js';
import type { FieldLabeler } from './describe.js';
import { looksLikeHtml, plainMedia, readHtml, type HtmlText } from './html.js';
import { titleFromFileName } from './names.js';
import { readTable, sniffDelimiter, type Delimiter } from './table.js';
import { limitsOf, type ParseOptions, type ParseResult } from './types.js';
import type { SourceIssue } from '../content/issues.js';

/**
 * Anki's "Notes in Plain Text" and "Cards in Plain Text" exports: one note (or card) per row, front
 * and back separated by a tab (or the `#separator:`), with optional `#html:`, `#tags column:`,
 * `#deck:` … header lines. Each becomes a short-answer question: the front asks, the back is the
 * expected answer. A note with nothing to ask or type (only an image or a sound) is skipped.
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

/** Anki's answer rule, `<hr id=answer>` with any quoting or case. */
const ANSWER_RULE = /<hr\b[^>]*?\bid\s*=\s*(["']?)answer\1(?=[\s/>])[^>]*>/gi;
/** A type-in-the-answer box of a card export: nothing to read. */
const TYPE_ANSWER = /\[\[type:[^\]\n]*\]\]/g;

/** The part of an answer side after its last answer rule (Anki renders the front above it). */
function afterAnswerRule(html: string): string {
  let end = -1;
  for (const m of html.matchAll(ANSWER_RULE)) end = m.index + m[0].length;
  return end < 0 ? html : html.slice(end);
}

function mediaKind(media: string[]): string {
  const kinds = new Set(media.map((m) => (/\.(jpe?g|png|gif|svg|webp|bmp|avif)$/i.test(m) ? 'image' : /\.(mp3|ogg|oga|wav|m4a|flac|opus|aac)$/i.test(m) ? 'sound' : 'media')));
  return kinds.size === 1 ? [...kinds][0]! : 'media';
}

export function parseAnki(text: string, file: string, options: ParseOptions): ParseResult {
  const limits = limitsOf(options);
  const lines = text.split('\n');
  const { header, count, issues } = readHeader(lines, file);
  if (issues.length) return { issues };
  const body = lines.slice(count).join('\n');
  const delimiter = header.separator ?? sniffDelimiter(lines[count] ?? '', ['\t', ',', ';']);
  // Older Anki versions write HTML attributes' quotes unquoted (`<img src="a.jpg">`): that is text.
  const table = readTable(body, file, delimiter, { firstLine: count + 1, maxRows: limits.maxQuestions + 1, relaxQuotes: true });
  if (table.truncated) return { issues: [{ file, message: `the file has more than ${limits.maxQuestions} notes; the limit is ${limits.maxQuestions}` }] };
  const html = (s: string) => header.html === true || (header.html === undefined && looksLikeHtml(s));
  const field = (s: string): HtmlText => (html(s) ? readHtml(s) : plainMedia(s));
  const candidates: Candidate[] = table.rows.map((row) => {
    const cells = row.cells.filter((_, i) => !header.skip.has(i)).map((c) => c.replace(TYPE_ANSWER, '').trim());
    const [rawFront = '', rawBack = ''] = cells;
    const front = field(rawFront);
    // A card export's back is the whole answer side: the front again, then <hr id=answer>.
    const back = field(html(rawBack) ? afterAnswerRule(rawBack) : rawBack);
    // A typed answer is one line: the back's line breaks are spaces.
    const answer = back.text.replace(/\s+/g, ' ');
    const rowIssues: Candidate['issues'] = [];
    const media = (m: string[]) => [...new Set(m)].slice(0, 3).join(', ') + (new Set(m).size > 3 ? ', …' : '');
    if (/\{\{c\d+::/.test(front.text) || /\{\{c\d+::/.test(answer)) rowIssues.push({ message: 'cloze notes are not supported (only front/back notes are)' });
    else if (!front.text && front.media.length) rowIssues.push({ message: `${mediaKind(front.media)}-only note (media: ${media(front.media)}): nothing to ask` });
    else if (!front.text && !answer) rowIssues.push({ message: 'empty note: nothing to ask' });
    else if (!front.text) rowIssues.push({ message: 'the note has no front (the question)' });
    else if (!answer && back.media.length) rowIssues.push({ message: `the back is only ${mediaKind(back.media)} (media: ${media(back.media)}): there is no answer to type` });
    else if (cells.length < 2 || !answer) rowIssues.push({ message: `the note has no back (the answer); separate front and back with ${delimiter === '\t' ? 'a tab' : `'${delimiter}'`}` });
    const ownTags = header.tagsColumn !== undefined ? (row.cells[header.tagsColumn] ?? '').split(/\s+/).filter(Boolean) : [];
    const tags = [...new Set([...header.tags, ...ownTags])];
    return { line: row.line, fields: { type: 'short', prompt: front.text, answer, accepted: [], tags }, issues: rowIssues };
  });
  const built = buildBank(file, candidates, { title: header.deck ?? titleFromFileName(file) }, options, { defaultExplanations: true, label: ankiLabels });
  if (table.issue) {
    // Nothing after a broken quote can be trusted: the file is refused, with its notes' own problems.
    const noteProblems = built.bank ? (built.skipped ?? []) : built.issues.filter((i) => i.question !== undefined);
    return { issues: [...noteProblems, table.issue] };
  }
  return built;
}
