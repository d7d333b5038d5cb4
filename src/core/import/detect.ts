import { extname } from 'node:path';
import { parseYamlSource } from '../content/yaml-source.js';
import { IMPORT_FORMATS, type ImportFormat } from './types.js';

/**
 * Which format a file is in: from its extension where that decides, from its content where the
 * extension is ambiguous (.txt holds GIFT, Aiken or Anki exports alike). A .yaml file may be a
 * Red-DiscordBot trivia list and a .json file Open Trivia DB questions: their content tells.
 */

const BY_EXTENSION = new Map<string, ImportFormat>([
  ['.yaml', 'yaml'],
  ['.yml', 'yaml'],
  ['.json', 'json'],
  ['.csv', 'csv'],
  ['.tsv', 'tsv'],
  ['.tab', 'tsv'],
  ['.gift', 'gift'],
  ['.aiken', 'aiken'],
]);

/** What each format is called in a sentence. */
const NAMES: Record<ImportFormat, string> = {
  yaml: 'a question bank in YAML',
  json: 'a question bank in JSON',
  csv: 'a CSV table',
  tsv: 'a TSV table',
  gift: 'a GIFT file',
  aiken: 'an Aiken file',
  anki: 'flashcards (an Anki or Quizlet export)',
  'red-trivia': 'a Red-DiscordBot trivia list',
  opentdb: 'Open Trivia DB questions',
};

export function isImportFormat(s: string): s is ImportFormat {
  return (IMPORT_FORMATS as readonly string[]).includes(s);
}

const HEAD = 64 * 1024;

/** Keys of the native bank format: a YAML file that has them is a bank, not a trivia list. */
const NATIVE_KEY = /^(id|title|description|lesson|questions)\s*:/;
/** A top-level key and what follows it on its line. */
const TOP_KEY = /^(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s"'#\-[{][^#]*?)\s*:(?:[ \t]+(.*))?$/;

/**
 * Red-DiscordBot's trivia lists: top-level keys (the questions) each followed by a list of
 * answers, and maybe AUTHOR and CONFIG. Read from the text, without parsing it.
 */
export function looksLikeRedTrivia(text: string): boolean {
  const lines = text.slice(0, HEAD).split('\n');
  let keys = 0;
  let lists = 0;
  let red = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (!line.trim() || /^\s*#/.test(line) || /^(---|\.\.\.)\s*$/.test(line) || /^[\s-]/.test(line)) continue;
    if (/^(AUTHOR|CONFIG)\s*:/.test(line)) {
      red = true;
      continue;
    }
    if (NATIVE_KEY.test(line)) return false;
    const key = TOP_KEY.exec(line);
    if (!key) return false;
    keys++;
    const rest = key[1]?.trim();
    if (rest) {
      if (rest.startsWith('[')) lists++;
      continue;
    }
    let j = i + 1;
    while (j < lines.length && (!lines[j]!.trim() || /^\s*#/.test(lines[j]!))) j++;
    if (/^\s*-(\s|$)/.test(lines[j] ?? '')) lists++;
  }
  // Most entries: a list can hold a stray entry that is not, which its parser then skips.
  return lists > 0 && lists * 2 >= keys && (red || lists >= 2);
}

/** Flashcards (Anki, Quizlet): every line a front and a back separated by one tab, no header row. */
export function looksLikeFlashcards(text: string): boolean {
  const lines = text.slice(0, HEAD).split('\n');
  // The head may cut its last line short.
  if (text.length > HEAD) lines.pop();
  const cards = lines.filter((l) => l.trim() !== '' && !l.startsWith('#'));
  const first = (cards[0] ?? '').toLowerCase().split('\t').map((c) => c.trim());
  if (cards.length === 0 || first.includes('question') || first.includes('prompt')) return false;
  return cards.every((l) => {
    const cells = l.split('\t');
    return cells.length === 2 && cells.every((c) => c.trim() !== '');
  });
}

/** Open Trivia DB's answer: an object with a "results" list and a "response_code", or questions with a "correct_answer". */
export function looksLikeOpenTdb(text: string): boolean {
  const head = text.slice(0, HEAD);
  return /^\s*\{/.test(head) && /"results"\s*:\s*\[/.test(head) && /"(correct_answer|response_code)"\s*:/.test(head);
}

/** The format the content looks like, or undefined when nothing fits. */
export function sniffFormat(text: string): ImportFormat | undefined {
  const head = text.slice(0, HEAD);
  const firstLine = head.split('\n', 1)[0] ?? '';
  if (/^#(separator|html|notetype|deck|tags|tags column|guid column|columns|notetype column|deck column):/i.test(firstLine)) return 'anki';
  if (looksLikeOpenTdb(head)) return 'opentdb';
  if (/^\s*\{/.test(head) && /"questions"\s*:/.test(head)) return 'json';
  if (/^\s*ANSWER\s*:\s*\S/m.test(head) && /^\s*[A-Z][.)]\s+\S/m.test(head)) return 'aiken';
  if (/^questions\s*:/m.test(head) && /^(id|title)\s*:/m.test(head)) return 'yaml';
  if (looksLikeRedTrivia(head)) return 'red-trivia';
  if (/^\s*\$CATEGORY:/m.test(head) || /^\s*::[^\n]*?::/m.test(head) || /(^|[^\\])\{\s*([=~]|T\s*\}|F\s*\}|TRUE\s*\}|FALSE\s*\}|#)/m.test(head)) {
    return 'gift';
  }
  const cells = firstLine.toLowerCase().split(/[,;\t]/).map((c) => c.trim().replace(/^"|"$/g, ''));
  if (cells.includes('question') || cells.includes('prompt')) return firstLine.includes('\t') ? 'tsv' : 'csv';
  if (/^sep=.$/i.test(firstLine)) return 'csv';
  if (firstLine.includes('\t')) return 'anki';
  return undefined;
}

export function detectFormat(fileName: string, text: string, explicit?: ImportFormat): ImportFormat | undefined {
  if (explicit) return explicit;
  const byName = BY_EXTENSION.get(extname(fileName).toLowerCase());
  if (byName === 'yaml' && looksLikeRedTrivia(text)) return 'red-trivia';
  if (byName === 'json' && looksLikeOpenTdb(text)) return 'opentdb';
  return byName ?? sniffFormat(text);
}

/** Largest file whose structure looksLike reads when its text alone does not tell. */
const MAX_STRUCTURE_BYTES = 1024 * 1024;

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The format a file looks like, from its text and, for YAML and JSON, its structure: one of the
 * foreign formats that are easily taken for another (a Red-DiscordBot list or Open Trivia DB
 * questions for a native bank, flashcards for a table without a header), or a native bank. Only
 * for explaining a refusal: it may parse the file again.
 */
export function looksLike(text: string, fileName: string): ImportFormat | undefined {
  if (looksLikeOpenTdb(text)) return 'opentdb';
  if (looksLikeRedTrivia(text)) return 'red-trivia';
  if (looksLikeFlashcards(text)) return 'anki';
  const byName = BY_EXTENSION.get(extname(fileName).toLowerCase());
  if ((byName !== undefined && byName !== 'yaml' && byName !== 'json') || text.length > MAX_STRUCTURE_BYTES) return undefined;
  const parsed = parseYamlSource(text, fileName);
  if (!parsed.ok || !isMapping(parsed.source.value)) return undefined;
  const value = parsed.source.value;
  const json = /^\s*\{/.test(text);
  if (Array.isArray(value.results) && ('response_code' in value || value.results.some((r) => isMapping(r) && 'correct_answer' in r))) return 'opentdb';
  if (Array.isArray(value.questions) && value.questions.every(isMapping)) return json ? 'json' : 'yaml';
  const questions = Object.entries(value).filter(([k]) => k !== 'AUTHOR' && k !== 'CONFIG');
  const scalar = (a: unknown) => a === null || ['string', 'number', 'boolean'].includes(typeof a);
  const lists = questions.filter(([, v]) => Array.isArray(v) && v.length > 0 && v.every(scalar)).length;
  if (lists > 0 && lists * 2 >= questions.length) return 'red-trivia';
  return undefined;
}

const NATIVE: ReadonlySet<ImportFormat> = new Set(['yaml', 'json']);

/**
 * For a file refused as `given` that looks like another format, one sentence naming that format
 * and how to give it, to stand instead of the other format's every complaint. YAML and JSON are
 * one bank format to this: the YAML reader takes JSON too.
 */
export function lookAlike(text: string, fileName: string, given: ImportFormat): string | undefined {
  const like = looksLike(text, fileName);
  if (!like || like === given || (NATIVE.has(like) && NATIVE.has(given))) return undefined;
  return `this looks like ${NAMES[like]}, not ${NAMES[given]}: give the format ${like} (--format ${like})`;
}
