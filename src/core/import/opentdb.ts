import { decodeHTML } from 'entities';
import type { SourceIssue } from '../content/issues.js';
import { LIMITS } from '../content/schema.js';
import { slugify } from '../util/text.js';
import { buildBank, type Candidate } from './build.js';
import { capIssues, findHostileKeys } from './checks.js';
import type { FieldLabeler } from './describe.js';
import { titleFromFileName } from './names.js';
import { limitsOf, type ParseOptions, type ParseResult } from './types.js';

/**
 * Open Trivia Database answers (`{ "response_code": 0, "results": [ … ] }`), as its API sends them
 * and people save them: each result a multiple-choice (→ single) or true/false question, its text
 * entity-encoded (`&quot;`, `&#039;`, `&eacute;`), its category and difficulty made tags.
 */

/** What the database's response codes mean, for a file that holds none of its questions. */
const RESPONSE_CODES: Record<number, string> = {
  1: 'no results: the database had too few questions for the query',
  2: 'invalid parameter: the query was not valid',
  3: 'token not found',
  4: 'token empty: every question for the query was already sent',
  5: 'rate limit: too many requests',
};

const labels: FieldLabeler = (path) => {
  const [field, index] = path;
  if (field === 'prompt') return 'the question';
  if (field === 'answer') return 'correct_answer';
  if (field === 'choices' && typeof index === 'number') return index === 0 ? 'correct_answer' : `incorrect answer ${index}`;
  if (field === 'tags' && typeof index === 'number') return `tag ${index + 1}`;
  return String(field ?? 'the result');
};

/**
 * Offsets where each element of the top-level "results" array starts, by one pass over JSON text
 * that JSON.parse accepted (so no syntax is checked here). A repeated key wins last, as there.
 */
export function resultOffsets(text: string): number[] {
  let offsets: number[] = [];
  let depth = 0;
  let pendingKey: string | undefined;
  /** Depth of the results array while inside it. */
  let resultsDepth = -1;
  let expectElement = false;
  const token = /"(?:[^"\\]|\\.)*"|[{}[\],:]|[^\s{}[\],:"]+/g;
  let lastString: string | undefined;
  for (let m = token.exec(text); m; m = token.exec(text)) {
    const t = m[0];
    if (resultsDepth === depth && expectElement && t !== ']') {
      offsets.push(m.index);
      expectElement = false;
    }
    switch (t) {
      case '{':
      case '[':
        if (t === '[' && depth === 1 && pendingKey === 'results') {
          offsets = [];
          resultsDepth = depth + 1;
          expectElement = true;
        }
        depth++;
        pendingKey = undefined;
        break;
      case '}':
      case ']':
        depth--;
        if (resultsDepth > depth) resultsDepth = -1;
        break;
      case ',':
        if (resultsDepth === depth) expectElement = true;
        pendingKey = undefined;
        break;
      case ':':
        pendingKey = depth === 1 ? lastString : undefined;
        lastString = undefined;
        break;
      default:
        // Only the one key matters; its escaped spellings are not worth decoding every string for.
        lastString = depth === 1 && t === '"results"' ? 'results' : undefined;
    }
  }
  return offsets;
}

/** 1-based line of each offset (offsets ascending). */
function linesOf(text: string, offsets: number[]): number[] {
  const lines: number[] = [];
  let line = 1;
  let from = 0;
  for (const offset of offsets) {
    for (let i = text.indexOf('\n', from); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
    from = offset;
    lines.push(line);
  }
  return lines;
}

/** The database also sends base64 and URL (RFC 3986) encodings; the type field tells which. */
type Decoder = (s: string) => string;
const decoders: Record<string, Decoder> = {
  // Entity-encoded text, not HTML: '&lt;em&gt;' is the text '<em>', never a tag.
  entities: (s) => decodeHTML(s).replace(/\s+/g, ' ').trim(),
  base64: (s) => Buffer.from(s, 'base64').toString('utf8').trim(),
  url3986: (s) => {
    try {
      return decodeURIComponent(s).trim();
    } catch {
      return s.trim();
    }
  },
};

function encodingOf(results: unknown[]): Decoder {
  const first = results.find((r): r is Record<string, unknown> => r !== null && typeof r === 'object' && !Array.isArray(r));
  const type = typeof first?.type === 'string' ? first.type : '';
  if (type === 'bXVsdGlwbGU=' || type === 'Ym9vbGVhbg==') return decoders.base64!;
  const question = typeof first?.question === 'string' ? first.question : '';
  if (/%[0-9A-F]{2}/i.test(question) && !/\s/.test(question)) return decoders.url3986!;
  return decoders.entities!;
}

function tag(s: string): string | undefined {
  const slug = slugify(s).slice(0, LIMITS.tagLength).replace(/-+$/, '');
  return slug && slug !== 'section' ? slug : undefined;
}

export function parseOpenTdb(text: string, file: string, options: ParseOptions): ParseResult {
  const limits = limitsOf(options);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message.replace(/ in JSON at position \d+.*$/s, '').replace(/, ".*" is not valid JSON$/s, '');
    const position = /position (\d+)/.exec((err as Error).message);
    const line = position ? text.slice(0, Number(position[1])).split('\n').length : 1;
    return { issues: [{ file, line, message: `not valid JSON: ${message}` }] };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !Array.isArray((value as Record<string, unknown>).results)) {
    return { issues: [{ file, line: 1, message: 'an Open Trivia DB file is an object with a "results" list of questions' }] };
  }
  const hostile = findHostileKeys(value, limits.maxIssues);
  if (hostile.length) return { issues: [{ file, message: `the key '${String(hostile[0]!.at(-1))}' is not allowed (it could tamper with objects)` }] };
  const response = value as { response_code?: unknown; results: unknown[] };
  const code = typeof response.response_code === 'number' ? response.response_code : 0;
  if (response.results.length === 0) {
    const why = code !== 0 ? `: the database answered ${code}, ${RESPONSE_CODES[code] ?? 'an unknown response code'}` : '';
    return { issues: [{ file, line: 1, message: `the file holds no questions${why}` }] };
  }
  if (response.results.length > limits.maxQuestions) {
    return { issues: [{ file, message: `the file has ${response.results.length} questions; the limit is ${limits.maxQuestions}` }] };
  }
  const lines = linesOf(text, resultOffsets(text));
  const decode = encodingOf(response.results);
  const warnings: SourceIssue[] = code !== 0 ? [{ file, line: 1, message: `the database answered ${code} (${RESPONSE_CODES[code] ?? 'an unknown response code'}); the questions in the file are read all the same` }] : [];

  const candidates = response.results.map((raw, index): Candidate => {
    const line = lines[index] ?? 1;
    const issues: Candidate['issues'] = [];
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      return { line, fields: {}, issues: [{ message: 'each result must be an object with a question and its answers' }] };
    }
    const r = raw as Record<string, unknown>;
    const read = (key: string): string | undefined => {
      const v = r[key];
      if (typeof v === 'string') return decode(v);
      if (typeof v === 'number' || typeof v === 'boolean') return String(v);
      return undefined;
    };
    const type = read('type');
    const prompt = read('question') ?? '';
    const correct = read('correct_answer');
    const incorrect = Array.isArray(r.incorrect_answers) ? r.incorrect_answers.map((a) => (typeof a === 'string' ? decode(a) : String(a))) : undefined;
    const tags = [read('category'), read('difficulty')].flatMap((t) => (t ? [tag(t)].filter((s): s is string => !!s) : []));
    if (!prompt) issues.push({ message: 'the result has no "question"' });
    if (correct === undefined) issues.push({ message: 'the result has no "correct_answer"' });
    if (type === 'boolean') {
      const answer = correct?.toLowerCase();
      if (correct !== undefined && answer !== 'true' && answer !== 'false') issues.push({ message: `a boolean question's correct_answer must be True or False, not '${correct.slice(0, 40)}'` });
      return { line, fields: { type: 'true_false', prompt, answer: answer === 'true', tags: [...new Set(tags)] }, issues };
    }
    if (type !== 'multiple') {
      issues.push({ message: type ? `unknown question type '${type.slice(0, 40)}' (multiple or boolean)` : 'the result has no "type" (multiple or boolean)' });
    } else if (!incorrect) {
      issues.push({ message: 'the result has no "incorrect_answers" list' });
    } else if (correct && correct.length > LIMITS.choiceLength) {
      // Said once here: the schema would find it twice, as the answer and as a choice.
      issues.push({ message: `correct_answer is ${correct.length} characters; a Discord or Slack button holds at most ${LIMITS.choiceLength}` });
    }
    // The quiz shuffles choices when it asks, so the right one may come first here.
    return { line, fields: { type: 'single', prompt, choices: [correct ?? '', ...(incorrect ?? [])], answer: correct ?? '', tags: [...new Set(tags)] }, issues };
  });

  return buildBank(file, candidates, { title: titleFromFileName(file), description: 'Questions from the Open Trivia Database (CC BY-SA 4.0).' }, options, {
    defaultExplanations: true,
    label: labels,
    warnings: capIssues(warnings, limits.maxIssues, file),
  });
}
