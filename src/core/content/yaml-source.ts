import { isNode, LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import type { z } from 'zod';
import type { SourceIssue } from './issues.js';

/** Aliases one YAML file may expand: enough for real files, too few for an alias bomb. */
export const MAX_ALIASES = 100;

export interface YamlSource {
  value: unknown;
  /** 1-based line and column of the node at `path`, or of its nearest existing parent. */
  locate(path: readonly PropertyKey[]): { line: number; column: number };
}

/**
 * Parses YAML (or JSON, which is YAML) keeping node positions, so validation errors can name the
 * line. `lineOffset` shifts lines for YAML embedded in a larger file (Markdown front matter).
 */
export function parseYamlSource(
  text: string,
  file: string,
  lineOffset = 0,
): { ok: true; source: YamlSource } | { ok: false; issues: SourceIssue[] } {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const pos = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: p.line + lineOffset, column: p.col };
  };
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((e) => ({ file, ...pos(e.pos[0]), message: errorMessage(e, text) })),
    };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    return { ok: false, issues: [{ file, line: 1 + lineOffset, message: (err as Error).message }] };
  }
  const locate = (path: readonly PropertyKey[]) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true);
      if (isNode(node) && node.range) return pos(node.range[0]);
    }
    return { line: 1 + lineOffset, column: 1 };
  };
  return { ok: true, source: { value, locate } };
}

/** The parser's message, naming the key when a mapping repeats one (the parser only says "Map keys must be unique"). */
function errorMessage(e: YAMLError, text: string): string {
  if (e.code === 'DUPLICATE_KEY') {
    const token = /^(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^:\n]*)/.exec(text.slice(e.pos[0]))![0];
    const key = token.trim().replace(/^(["'])(.*)\1$/s, '$2');
    return `the key '${key}' appears twice in the same mapping: keep one (a second one would silently win)`;
  }
  return e.message.split('\n')[0]!;
}

/** Turns zod issues into located SourceIssues ("questions.3.answer: …"). */
export function zodIssuesAt(
  error: z.ZodError,
  source: YamlSource,
  file: string,
  questionIndexOf: (path: readonly PropertyKey[]) => number | undefined = () => undefined,
): SourceIssue[] {
  return error.issues.map((issue) => {
    const at = source.locate(issue.path);
    const question = questionIndexOf(issue.path);
    const field = issue.path.filter((p) => typeof p === 'string').at(-1);
    const message = unionAwareMessage(issue, field, isMissing(source.value, issue.path));
    return { file, ...at, ...(question !== undefined ? { question: question + 1 } : {}), message };
  });
}

/** Whether `path` leads to nothing in `value` (a missing field rather than a wrong one). */
export function isMissing(value: unknown, path: readonly PropertyKey[]): boolean {
  let v: unknown = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, key as string)) return true;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v === undefined;
}

function unionAwareMessage(issue: z.core.$ZodIssue, field: string | undefined, missing: boolean): string {
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') {
    return `'type' must be one of single, multiple, true_false, short, numeric`;
  }
  const prefix = field && issue.code !== 'custom' ? `${field}: ` : '';
  if (issue.code === 'invalid_type' && missing) return `${prefix}is required`;
  return prefix + issue.message;
}
