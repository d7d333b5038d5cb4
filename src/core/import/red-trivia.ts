import type { SourceIssue } from '../content/issues.js';
import { LIMITS } from '../content/schema.js';
import { parseYamlSource } from '../content/yaml-source.js';
import { normalizeText } from '../util/text.js';
import { buildBank, type Candidate } from './build.js';
import { capIssues, findHostileKeys } from './checks.js';
import type { FieldLabeler } from './describe.js';
import { titleFromFileName } from './names.js';
import { limitsOf, type ParseOptions, type ParseResult } from './types.js';

/**
 * Red-DiscordBot's trivia lists: a YAML mapping of each question to the list of answers that
 * count, plus `AUTHOR` (who wrote the list) and `CONFIG` (the game's settings, which mean nothing
 * here). Each question becomes a short-answer question: the first answer is the one shown, the
 * others are accepted too. Red reads numbers and booleans in the answers as text, and so does this.
 */

/** Keys of a trivia list that are not questions. */
const NOT_QUESTIONS = new Set(['AUTHOR', 'CONFIG']);

const redLabels: FieldLabeler = (path) => {
  const [field, index] = path;
  if (field === 'prompt') return 'the question';
  if (field === 'answer') return 'the first answer';
  if (field === 'accepted' && typeof index === 'number') return `answer ${index + 2}`;
  return String(field ?? 'the question');
};

/** Where lines start in the text, to read a scalar back as it was written. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

interface Entry {
  key: string;
  value: unknown;
  /** The key as the YAML node holds it (a number or a boolean where the file wrote one). */
  path: PropertyKey[];
  line: number;
}

export function parseRedTrivia(text: string, file: string, options: ParseOptions): ParseResult {
  const limits = limitsOf(options);
  const parsed = parseYamlSource(text, file);
  if (!parsed.ok) {
    const issues = parsed.issues.map((i) => (/resource exhaustion|alias/i.test(i.message) ? { ...i, message: 'too many YAML aliases (an alias bomb?): the file is refused' } : i));
    return { issues: capIssues(issues, limits.maxIssues, file) };
  }
  const source = parsed.source;
  const value = source.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { issues: [{ file, line: 1, message: 'a Red-DiscordBot trivia list is a mapping of each question to its list of answers' }] };
  }
  const hostile = findHostileKeys(value, limits.maxIssues);
  if (hostile.length) {
    return { issues: hostile.map((path) => ({ file, ...source.locate(path), message: `the key '${String(path.at(-1))}' is not allowed (it could tamper with objects)` })) };
  }
  const list = value as Record<string, unknown>;
  const starts = lineStarts(text);
  const lines = text.split('\n');
  const root = source.locate([]);
  const at = (path: readonly PropertyKey[]) => source.locate(path as PropertyKey[]);

  /** The YAML node's own key: `42:` and `true:` are a number and a boolean there, text in the value. */
  const nodeKeyOf = (key: string): PropertyKey | undefined => {
    const variants: unknown[] = [key];
    if (key.trim() !== '' && Number.isFinite(Number(key))) variants.push(Number(key));
    if (key === 'true' || key === 'false') variants.push(key === 'true');
    if (key === '' || key === 'null') variants.push(null);
    for (const v of variants) {
      const p = at([v as PropertyKey]);
      if (p.line !== root.line || p.column !== root.column) return v as PropertyKey;
    }
    return undefined;
  };
  /** The key's line: the nearest line at the margin at or above where its value starts. */
  const keyLine = (valueLine: number): number => {
    for (let l = valueLine; l >= 1; l--) {
      const s = lines[l - 1] ?? '';
      if (s.trim() !== '' && !/^[\s#-]/.test(s)) return l;
    }
    return valueLine;
  };
  /** A number or boolean answer as written (`007`, `1.50`, `True`), not as YAML reads it. */
  const written = (path: PropertyKey[], v: unknown): string => {
    const p = at(path);
    const offset = (starts[p.line - 1] ?? 0) + p.column - 1;
    const token = /^[^\s,\]}#]+/.exec(text.slice(offset, offset + 64))?.[0];
    return token && !/^["']/.test(token) ? token : String(v);
  };

  const entries: Entry[] = Object.entries(list)
    .filter(([key]) => !NOT_QUESTIONS.has(key))
    .map(([key, v]) => {
      const nodeKey = nodeKeyOf(key);
      return { key, value: v, path: [nodeKey ?? key], line: nodeKey === undefined ? root.line : keyLine(at([nodeKey]).line) };
    })
    // In file order: an object lists keys like `42` first.
    .sort((a, b) => a.line - b.line);

  const warnings: SourceIssue[] = [];
  const candidates: Candidate[] = entries.map((e, index): Candidate => {
    const prompt = e.key.replace(/\s+/g, ' ').trim();
    const path = e.path;
    const issues: Candidate['issues'] = [];
    const answers: { text: string; line: number }[] = [];
    const tooLong: { line: number; message: string }[] = [];
    if (!Array.isArray(e.value)) {
      const what = e.value === null || e.value === undefined ? 'no answers' : typeof e.value === 'object' ? 'a mapping' : `'${String(e.value).slice(0, 40)}'`;
      issues.push({ message: `the answers must be a list ("- answer" lines), not ${what}` });
    } else {
      const seen = new Set<string>();
      e.value.forEach((a, i) => {
        const line = at([...path, i]).line;
        if (a === null || a === undefined) return;
        if (typeof a === 'object') {
          issues.push({ line, message: `answer ${i + 1} is a ${Array.isArray(a) ? 'list' : 'mapping'}; each answer must be one text, number or yes/no` });
          return;
        }
        const answer = (typeof a === 'string' ? a : written([...path, i], a)).replace(/\s+/g, ' ').trim();
        const key = normalizeText(answer) || answer.toLowerCase();
        if (!answer || seen.has(key)) return;
        if (answer.length > LIMITS.answerLength) {
          tooLong.push({ line, message: `answer ${i + 1} is ${answer.length} characters; the limit is ${LIMITS.answerLength}` });
          return;
        }
        seen.add(key);
        answers.push({ text: answer, line });
      });
      if (issues.length === 0 && answers.length === 0) issues.push(tooLong[0] ?? { message: 'the list of answers is empty' });
      // One answer too long to type does not spoil the others: it is left out, and said so.
      else if (issues.length === 0) for (const t of tooLong) warnings.push({ file, line: t.line, question: index + 1, message: `${t.message}, so it was left out` });
    }
    const [first, ...others] = answers;
    return {
      line: e.line,
      fields: { type: 'short', prompt, answer: first?.text ?? '', accepted: others.map((a) => a.text), tags: [] },
      issues,
      locate: (p) => {
        if (p[0] === 'answer' && first) return { line: first.line };
        if (p[0] === 'accepted' && typeof p[1] === 'number' && others[p[1]]) return { line: others[p[1]]!.line };
        return undefined;
      },
    };
  });

  const author = typeof list.AUTHOR === 'string' || typeof list.AUTHOR === 'number' ? String(list.AUTHOR).replace(/\s+/g, ' ').trim().slice(0, 900) : '';
  return buildBank(file, candidates, { title: titleFromFileName(file), ...(author ? { description: `Red-DiscordBot trivia list by ${author}` } : {}) }, options, {
    defaultExplanations: true,
    label: redLabels,
    headerLine: root.line,
    warnings,
  });
}
