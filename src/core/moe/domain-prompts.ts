import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { z } from 'zod';
import { formatIssue, type SourceIssue } from '../content/issues.js';
import { parseYamlSource, zodIssuesAt } from '../content/yaml-source.js';
import { UserError } from '../errors.js';

/**
 * The prompts of /moe domains and /moe quiz: a few short prompts per kind of text (code, maths,
 * prose, chat), in an editable YAML file under CONTENT_DIR. Read on each use, so an edit needs no
 * restart; the set's hash (of its content, not its comments) keys the cached routing.
 */

const DOMAIN_PROMPTS_FILE = join('moe', 'domains.yaml');
const MAX_DOMAIN_PROMPT = 300;

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be lowercase letters, digits and dashes (at most 32), such as code');

const domainSchema = z.strictObject({
  id: slug,
  title: z.string().trim().min(1, 'must not be empty').max(40, 'must be at most 40 characters'),
  prompts: z
    .array(
      z
        .string({ error: 'must be text (quote it if it looks like a number)' })
        .trim()
        .min(1, 'must not be empty')
        .max(MAX_DOMAIN_PROMPT, `must be at most ${MAX_DOMAIN_PROMPT} characters`),
    )
    .min(2, 'needs at least 2 prompts')
    .max(12, 'may have at most 12 prompts')
    .refine((ps) => new Set(ps).size === ps.length, 'lists a prompt twice'),
});

const domainPromptsSchema = z.strictObject({
  domains: z
    .array(domainSchema)
    .min(2, 'needs at least 2 domains')
    .max(8, 'may have at most 8 domains')
    .superRefine((ds, ctx) => {
      const seen = new Set<string>();
      ds.forEach((d, i) => {
        if (seen.has(d.id)) ctx.addIssue({ code: 'custom', message: `the id '${d.id}' is used twice`, path: [i, 'id'] });
        seen.add(d.id);
      });
    }),
});

export type DomainPrompts = z.infer<typeof domainPromptsSchema>;
export type Domain = DomainPrompts['domains'][number];

export interface DomainSet extends DomainPrompts {
  /** sha256 of the domains as parsed (comments and layout do not change it), 16 hex digits. */
  hash: string;
  /** The file, as named in messages. */
  file: string;
}

/** The domain prompts file is missing or invalid: says where and what, so whoever edits it can fix it. */
export class DomainPromptsError extends UserError {
  override name = 'DomainPromptsError';
}

/** The file as messages name it: relative to the working directory when it lies under it. */
function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** An issue without its file (the message names the file once): "line 4, column 7: …". */
function where(issue: SourceIssue): string {
  const at = issue.line !== undefined ? `line ${issue.line}${issue.column !== undefined ? `, column ${issue.column}` : ''}: ` : '';
  return formatIssue({ file: '', message: at + issue.message }).replace(/^: /, '');
}

export function parseDomainPrompts(text: string, file: string): DomainSet {
  const parsed = parseYamlSource(text.replace(/^\uFEFF/, ''), file);
  const fail = (lines: string[]): never => {
    throw new DomainPromptsError(`The routing demo prompts cannot be read, so nothing was routed. Fix ${file}: ${lines.slice(0, 3).join('; ')}${lines.length > 3 ? ` (and ${lines.length - 3} more)` : ''}`);
  };
  if (!parsed.ok) return fail(parsed.issues.map(where));
  const result = domainPromptsSchema.safeParse(parsed.source.value ?? {});
  if (!result.success) return fail(zodIssuesAt(result.error, parsed.source, file).map(where));
  const hash = createHash('sha256').update(JSON.stringify(result.data.domains)).digest('hex').slice(0, 16);
  return { ...result.data, hash, file };
}

/** Reads CONTENT_DIR/moe/domains.yaml; a missing or bad file is a DomainPromptsError naming it. */
export function loadDomainPrompts(contentDir: string): DomainSet {
  const path = join(contentDir, DOMAIN_PROMPTS_FILE);
  const file = shownPath(path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DomainPromptsError(
      code === 'ENOENT'
        ? `The routing demo prompts are missing: there is no ${file}. It ships with the bot's content (content/moe/domains.yaml); put it back in CONTENT_DIR.`
        : `The routing demo prompts cannot be read from ${file} (${code ?? (err as Error).message}).`,
    );
  }
  return parseDomainPrompts(text, file);
}
