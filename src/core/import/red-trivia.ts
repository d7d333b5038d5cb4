import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { MAX_ALIASES } from '../content/yaml-source.js';
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
 * others are accepted too. Red reads numbers and booleans in the answers as text, and so does this,
 * as they were written (`007`, `1.50`).
 *
 * The list is read node by node, in file order, with each node's line: a list holds thousands of
 * questions under one mapping, where looking each one up by its key would take quadratic time.
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

const NOT_A_LIST = 'a Red-DiscordBot trivia list is a mapping of each question to its list of answers';

/** A scalar as text, as the file wrote it where YAML would read a number or a boolean. */
function scalarText(node: Node | null | undefined, doc: Document): { text?: string; kind: 'text' | 'none' | 'list' | 'mapping' } {
  const n = isAlias(node) ? node.resolve(doc) : node;
  if (n === null || n === undefined) return { kind: 'none' };
  if (isSeq(n)) return { kind: 'list' };
  if (isMap(n)) return { kind: 'mapping' };
  if (!isScalar(n) || n.value === null || n.value === undefined) return { kind: 'none' };
  const text = typeof n.value === 'string' ? n.value : (n.source ?? String(n.value));
  return { text, kind: 'text' };
}

export function parseRedTrivia(text: string, file: string, options: ParseOptions): ParseResult {
  const limits = limitsOf(options);
  const lineCounter = new LineCounter();
  // Repeated questions are not an error of the file: the second is skipped as a repeat, below.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length) {
    // The content loader's reader words YAML errors the way every other import does.
    const words = parseYamlSource(text, file);
    const issues = words.ok ? doc.errors.map((e) => ({ file, line: lineCounter.linePos(e.pos[0]).line, message: e.message.split('\n')[0]! })) : words.issues;
    return { issues: capIssues(issues, limits.maxIssues, file) };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch {
    return { issues: [{ file, line: 1, message: 'too many YAML aliases (an alias bomb?): the file is refused' }] };
  }
  const root = doc.contents;
  if (!isMap(root) || value === null || typeof value !== 'object' || Array.isArray(value)) return { issues: [{ file, line: 1, message: NOT_A_LIST }] };
  const hostile = findHostileKeys(value, limits.maxIssues);
  if (hostile.length) return { issues: hostile.map((path) => ({ file, message: `the key '${String(path.at(-1))}' is not allowed (it could tamper with objects)` })) };

  const lineAt = (node: Node | null | undefined, fallback: number) => (node?.range ? lineCounter.linePos(node.range[0]).line : fallback);
  const warnings: SourceIssue[] = [];

  function readQuestion(prompt: string | undefined, valueNode: Node | null, line: number, number: number): Candidate {
    const issues: Candidate['issues'] = [];
    const answers: { text: string; line: number }[] = [];
    const tooLong: { line: number; message: string }[] = [];
    const list = isAlias(valueNode) ? valueNode.resolve(doc) : valueNode;
    if (prompt === undefined) issues.push({ message: 'the question must be text, not a list or a mapping' });
    else if (!isSeq(list)) {
      const v = scalarText(list, doc);
      const what = v.kind === 'text' ? `'${v.text!.replace(/\s+/g, ' ').slice(0, 40)}'` : v.kind === 'mapping' ? 'a mapping' : 'no answers';
      issues.push({ message: `the answers must be a list ("- answer" lines), not ${what}` });
    } else {
      const seen = new Set<string>();
      list.items.forEach((item, i) => {
        const at = lineAt(item as Node | null, line);
        const a = scalarText(item as Node | null, doc);
        if (a.kind === 'list' || a.kind === 'mapping') {
          issues.push({ line: at, message: `answer ${i + 1} is a ${a.kind}; each answer must be one text, number or yes/no` });
          return;
        }
        const answer = (a.text ?? '').replace(/\s+/g, ' ').trim();
        const key = normalizeText(answer) || answer.toLowerCase();
        if (!answer || seen.has(key)) return;
        if (answer.length > LIMITS.answerLength) {
          tooLong.push({ line: at, message: `answer ${i + 1} is ${answer.length} characters; the limit is ${LIMITS.answerLength}` });
          return;
        }
        seen.add(key);
        answers.push({ text: answer, line: at });
      });
      if (issues.length === 0 && answers.length === 0) issues.push(tooLong[0] ?? { message: 'the list of answers is empty' });
      // One answer too long to type does not spoil the others: it is left out, and said so.
      else if (issues.length === 0) for (const t of tooLong) warnings.push({ file, line: t.line, question: number, message: `${t.message}, so it was left out` });
    }
    const [first, ...others] = answers;
    return {
      line,
      fields: { type: 'short', prompt: (prompt ?? '').replace(/\s+/g, ' ').trim(), answer: first?.text ?? '', accepted: others.map((a) => a.text), tags: [] },
      issues,
      locate: (p) => {
        if (p[0] === 'answer' && first) return { line: first.line };
        if (p[0] === 'accepted' && typeof p[1] === 'number' && others[p[1]]) return { line: others[p[1]]!.line };
        return undefined;
      },
    };
  }

  let author = '';
  const candidates: Candidate[] = [];
  for (const pair of root.items) {
    const keyNode = pair.key as Node | null;
    const key = scalarText(keyNode, doc);
    const line = lineAt(keyNode, lineAt(pair.value as Node | null, 1));
    if (key.text !== undefined && NOT_QUESTIONS.has(key.text)) {
      if (key.text === 'AUTHOR') author = scalarText(pair.value as Node | null, doc).text?.replace(/\s+/g, ' ').trim().slice(0, 900) ?? '';
      continue;
    }
    candidates.push(readQuestion(key.text, pair.value as Node | null, line, candidates.length + 1));
  }

  return buildBank(file, candidates, { title: titleFromFileName(file), ...(author ? { description: `Red-DiscordBot trivia list by ${author}` } : {}) }, options, {
    defaultExplanations: true,
    label: redLabels,
    headerLine: lineAt(root, 1),
    warnings: capIssues(warnings, limits.maxIssues, file),
  });
}
