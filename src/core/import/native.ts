import type { SourceIssue } from '../content/issues.js';
import { bankSchema, questionSchema } from '../content/schema.js';
import { parseYamlSource, type YamlSource } from '../content/yaml-source.js';
import { keptQuestions } from './build.js';
import { capIssues, findHostileKeys } from './checks.js';
import { describeIssue } from './describe.js';
import { limitsOf, type ParseOptions, type ParseResult } from './types.js';

/**
 * The native bank format (YAML or JSON, the schema of content/banks). JSON takes a fast path
 * through JSON.parse and is re-read with positions only when there is something to report.
 */

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}

function jsonSyntaxIssue(text: string, file: string, err: Error): SourceIssue {
  const message = err.message.replace(/^JSON\.parse: /, '');
  const lc = /\(line (\d+) column (\d+)\)/.exec(message);
  const at = lc ? { line: Number(lc[1]), column: Number(lc[2]) } : /position (\d+)/.exec(message) ? lineAndColumn(text, Number(/position (\d+)/.exec(message)![1])) : { line: 1 };
  const reason = message.replace(/ in JSON at position \d+.*$/, '').replace(/, ".*" is not valid JSON$/s, '').replace(/\s*\(line \d+ column \d+\)/, '');
  return { file, ...at, message: `not valid JSON: ${reason}` };
}

/** Object keys in JSON text: every string token in order, counting those followed by a colon. */
function keyTokens(text: string): number {
  let n = 0;
  for (const m of text.matchAll(/"(?:[^"\\]|\\.)*"(\s*:)?/g)) if (m[1]) n++;
  return n;
}

/** Object keys in a parsed JSON value. */
function keyCount(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + keyCount(v), 0);
  if (value === null || typeof value !== 'object') return 0;
  return Object.entries(value).reduce((n, [, v]) => n + 1 + keyCount(v), 0);
}

/** Reads the file into a value with positions; JSON keeps positions for later (lazily). */
function readValue(text: string, file: string, json: boolean): { value: unknown; source: () => YamlSource | undefined } | { issues: SourceIssue[] } {
  if (json) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return { issues: [jsonSyntaxIssue(text, file, err as Error)] };
    }
    // JSON.parse keeps the last of two equal keys without a word: when the text names more keys
    // than the value holds, the YAML reader finds and locates the repeated ones.
    if (keyTokens(text) !== keyCount(value)) {
      const r = parseYamlSource(text, file);
      if (!r.ok) return { issues: r.issues };
    }
    let cached: YamlSource | undefined | null = null;
    const source = () => {
      if (cached === null) {
        const r = parseYamlSource(text, file);
        cached = r.ok ? r.source : undefined;
      }
      return cached;
    };
    return { value, source };
  }
  const parsed = parseYamlSource(text, file);
  if (!parsed.ok) {
    return {
      issues: parsed.issues.map((i) =>
        /resource exhaustion|alias/i.test(i.message) ? { ...i, message: 'too many YAML aliases (an alias bomb?): the file is refused' } : i,
      ),
    };
  }
  return { value: parsed.source.value, source: () => parsed.source };
}

export function parseNative(text: string, file: string, options: ParseOptions, json = false): ParseResult {
  const limits = limitsOf(options);
  const read = readValue(text, file, json);
  if ('issues' in read) return { issues: capIssues(read.issues, limits.maxIssues, file) };
  const { value } = read;
  const at = (path: readonly PropertyKey[]) => read.source()?.locate(path) ?? { line: 1 };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { issues: [{ file, line: 1, message: 'the file must hold one bank: a mapping with id, title and questions' }] };
  }
  const hostile = findHostileKeys(value, limits.maxIssues);
  if (hostile.length) {
    return {
      issues: hostile.map((path) => ({ file, ...at(path), message: `the key '${String(path.at(-1))}' is not allowed (it could tamper with objects)` })),
    };
  }
  const raw = value as Record<string, unknown>;
  if (Array.isArray(raw.questions) && raw.questions.length > limits.maxQuestions) {
    return { issues: [{ file, ...at(['questions']), message: `the file has ${raw.questions.length} questions; the limit is ${limits.maxQuestions}` }] };
  }
  // The admin's --bank and --lesson win over what the file says.
  const bankValue: Record<string, unknown> = {
    ...raw,
    id: options.bankId ?? raw.id ?? options.defaultBankId,
    ...(options.lessonId ? { lesson: options.lessonId } : {}),
  };
  // The bank's own fields must hold; each question is checked alone, and one that fails is skipped.
  const { questions: list, ...header } = bankValue;
  const head = bankHeaderSchema.safeParse(header);
  if (!Array.isArray(list) && raw.id === undefined && raw.title === undefined) {
    // Another tool's file (no id, no title, no questions): one sentence, not a line per field.
    const keys = Object.keys(raw).slice(0, 6).join(', ');
    return { issues: [{ file, line: 1, message: `this is not a question bank of this bot: a bank is a mapping with id, title and questions (this file has: ${keys || 'nothing'})` }] };
  }
  if (!head.success || !Array.isArray(list) || list.length === 0) {
    const issues = head.success ? [] : head.error.issues.map((issue): SourceIssue => ({ file, ...at(issue.path), message: describeIssue(issue, bankValue, undefined, 'bank') }));
    if (!Array.isArray(list) || list.length === 0) issues.push({ file, ...at(['questions']), message: 'the bank needs a list of questions' });
    return { issues: capIssues(issues, limits.maxIssues, file) };
  }
  const skipped: SourceIssue[] = [];
  const byPosition = list.map((question, index) => {
    const parsed = questionSchema.safeParse(question);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) {
      skipped.push({ file, ...at(['questions', index, ...issue.path]), question: index + 1, message: describeIssue(issue, question) });
    }
    return undefined;
  });
  const lineAt = (i: number) => read.source()?.locate(['questions', i]).line;
  return keptQuestions(file, head.data, byPosition, lineAt, [], skipped, limits.maxIssues);
}

const bankHeaderSchema = bankSchema.omit({ questions: true });
