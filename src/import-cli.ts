import { statSync, readFileSync, writeFileSync } from 'node:fs';
import { parseTenant, type Tenant } from './core/tenant.js';
import { userInfo } from 'node:os';
import type { App } from './app.js';
import { ContentError, formatIssue, type SourceIssue } from './core/content/issues.js';
import { exportBank, type ExportFormat } from './core/export/index.js';
import { applyImport, prepareImport, type ImportActor } from './core/import/apply.js';
import type { QuestionRef } from './core/import/diff.js';
import { diffSummary } from './core/import/commands.js';
import { DEFAULT_IMPORT_LIMITS, type ImportFormat } from './core/import/types.js';
import { bankSchema } from './core/content/schema.js';

/**
 * `quizbot import` and `quizbot export`: the same prepare/apply functions the chat platforms
 * use, with exit codes for scripts: 0 everything imported (or would be), 3 some questions skipped
 * (each listed) and the rest imported, 1 nothing importable or a problem of the file (or, with
 * --strict, any skipped question), 2 usage errors.
 */

/** Exit code of an import that left some questions out and imported the rest. */
export const EXIT_SKIPPED = 3;

/** A usage problem (missing file, unknown bank): the CLI exits 2 with this message. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}

/** An import refused for the file's content: its problems, one per line; the CLI exits 1. */
export class ImportRejected extends ContentError {
  override name = 'ImportRejected';
  constructor(
    issues: SourceIssue[],
    /** What `--json` prints for it. */
    readonly report?: ImportReport,
  ) {
    super(issues);
    this.message = issues.map(formatIssue).join('\n');
  }
}

/** What `quizbot import --json` prints: one object, whatever happened. */
export interface ImportReport {
  bank: string | null;
  format: string | null;
  added: number;
  changed: number;
  unchanged: number;
  retired: number;
  skipped: { line: number | null; question: number | null; reason: string }[];
  warnings: string[];
  /** Questions whose prompt another bank already has (a quiz asks it once). */
  duplicates: { id: string; otherBank: string; otherId: string }[];
  applied: boolean;
  /** Why nothing was imported (exit 1), else empty. */
  problems: string[];
}

export interface ImportOutcome {
  /** The human-readable report, a line each. */
  lines: string[];
  report: ImportReport;
}

const skippedEntry = (i: SourceIssue) => ({ line: i.line ?? null, question: i.question ?? null, reason: i.message });

/** The operator at the command line: their banks are global, unless scoped to one tenant. */
function cliActor(tenant: Tenant | null): ImportActor {
  let name = 'cli';
  try {
    name = userInfo().username || name;
  } catch {
    // no user database entry (some containers): keep the generic name
  }
  return { platform: 'cli', userId: name, displayName: name, tenant };
}

const LISTED = 50;

function listing(sign: string, refs: QuestionRef[]): string[] {
  const lines = refs.slice(0, LISTED).map((r) => `  ${sign} ${r.id}  ${r.prompt.replace(/\s+/g, ' ').slice(0, 100)}`);
  if (refs.length > LISTED) lines.push(`  ${sign} … and ${refs.length - LISTED} more`);
  return lines;
}

export interface ImportCliOptions {
  bank?: string;
  lesson?: string;
  format?: ImportFormat;
  dryRun?: boolean;
  /** `<platform>:<server>`: the bank belongs to that tenant alone, as if imported there in chat. */
  tenant?: string;
  /** Refuse the whole file when any question would be skipped. */
  strict?: boolean;
}

function readImportFile(path: string): Buffer | SourceIssue {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new CliUsageError(`${path} is not a file`);
    size = stat.size;
  } catch (err) {
    if (err instanceof CliUsageError) throw err;
    throw new CliUsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  // Refuse oversized files before reading them into memory.
  if (size > DEFAULT_IMPORT_LIMITS.maxBytes) {
    const mb = (n: number) => `${Math.round((n / (1024 * 1024)) * 10) / 10} MB`;
    return { file: path, message: `the file is ${mb(size)}; the limit is ${mb(DEFAULT_IMPORT_LIMITS.maxBytes)}` };
  }
  return readFileSync(path);
}

/** Runs an import; returns what to print. Throws ImportRejected (exit 1) or CliUsageError (exit 2). */
export async function runImport(app: App, path: string, options: ImportCliOptions): Promise<ImportOutcome> {
  if (options.lesson !== undefined && !app.services.lessons.get(options.lesson)) {
    throw new CliUsageError(`there is no lesson '${options.lesson}' (lessons: ${app.services.lessons.all().map((l) => l.id).join(', ') || 'none'})`);
  }
  if (options.bank !== undefined && !bankSchema.shape.id.safeParse(options.bank).success) {
    throw new CliUsageError(`'${options.bank}' is not a bank id: use lowercase letters, digits and hyphens`);
  }
  const bytes = readImportFile(path);
  const refused = (issues: SourceIssue[], format?: string, bank?: string) =>
    new ImportRejected(issues, { ...emptyReport(bank, format), problems: issues.map(formatIssue) });
  if (!Buffer.isBuffer(bytes)) throw refused([bytes]);
  const tenant = options.tenant === undefined ? null : parseTenant(options.tenant);
  if (tenant === undefined) throw new CliUsageError(`--tenant '${options.tenant}' is not a tenant: use <platform>:<server id>, e.g. discord:123456789012345678 or slack:T0123ABCD`);
  const actor = cliActor(tenant);
  const prepared = await prepareImport(app.services, {
    fileName: path,
    bytes,
    actor,
    parseBudgetMs: app.services.config.IMPORT_PARSE_BUDGET_MS,
    keepDraft: !options.dryRun,
    strict: options.strict ?? false,
    ...(options.format ? { format: options.format } : {}),
    ...(options.bank ? { bankId: options.bank } : {}),
    ...(options.lesson ? { lessonId: options.lesson } : {}),
  });
  if (!prepared.ok) throw refused(prepared.issues, prepared.format, options.bank);
  const { diff, bank, skipped, warnings } = prepared;
  const report: ImportReport = {
    bank: bank.id,
    format: prepared.format,
    added: diff.added.length,
    changed: diff.changed.length,
    unchanged: diff.unchanged,
    retired: diff.removed.length,
    skipped: skipped.map(skippedEntry),
    warnings: warnings.map(formatIssue),
    duplicates: diff.duplicates.map((d) => ({ id: d.id, otherBank: d.otherBank, otherId: d.otherId })),
    applied: false,
    problems: [],
  };
  const head = `bank ${bank.id} (${diff.bankExists ? 'existing' : 'new'}), ${prepared.format}: ${diffSummary(diff)}`;
  const notes = [
    ...warnings.map((w) => `note: ${formatIssue(w)}`),
    ...diff.duplicates.slice(0, LISTED).map((d) => `note: ${d.id} has the prompt of ${d.otherId} in bank ${d.otherBank} (imported; a quiz asks it once)`),
    ...skipped.map((i) => `skipped: ${formatIssue(i)}`),
  ];
  if (diff.noop) return { lines: [head, ...notes, 'Nothing to change: the bank already matches this file.'], report };
  const lines = [head, ...listing('+', diff.added), ...listing('~', diff.changed), ...listing('-', diff.removed), ...notes];
  if (options.dryRun) return { lines: [...lines, 'Dry run: nothing was written.'], report };
  const applied = applyImport(app.services, prepared.draftId!, actor);
  if (applied.status === 'rejected') throw refused(applied.issues, prepared.format, bank.id);
  if (applied.status !== 'applied') throw new Error(`the import could not be applied (${applied.status})`);
  const c = applied.counts;
  const done = `Imported: ${c.added} added, ${c.changed} changed, ${c.retired} removed (retired), ${c.unchanged} unchanged (import #${applied.importId})`;
  const left = skipped.length ? `; ${skipped.length} question${skipped.length === 1 ? '' : 's'} skipped (listed above)` : '';
  return {
    lines: [...lines, `${done}${left}.`],
    report: { ...report, added: c.added, changed: c.changed, unchanged: c.unchanged, retired: c.retired, applied: true },
  };
}

function emptyReport(bank?: string, format?: string): ImportReport {
  return { bank: bank ?? null, format: format ?? null, added: 0, changed: 0, unchanged: 0, retired: 0, skipped: [], warnings: [], duplicates: [], applied: false, problems: [] };
}

/** Runs an export; writes the file or returns the text, and the notes for stderr. */
export function runExport(app: App, bankId: string, format: ExportFormat, out?: string): { text?: string; notes: string[] } {
  const result = exportBank(app.services.db, bankId, format);
  if (!result) throw new CliUsageError(`there is no bank '${bankId}' (see: quizbot banks)`);
  const notes = result.skipped.map((s) => `${bankId}: question ${s.id} is not in the ${format} export: ${s.reason}`);
  if (out) {
    try {
      writeFileSync(out, result.text);
    } catch (err) {
      throw new CliUsageError(`cannot write ${out}: ${(err as Error).message}`);
    }
    return { notes };
  }
  return { text: result.text, notes };
}
