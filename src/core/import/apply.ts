import { randomUUID } from 'node:crypto';
import type { Tenant } from '../tenant.js';
import { and, desc, eq, isNull, lt } from 'drizzle-orm';
import type { Db } from '../../db/connection.js';
import { importDrafts, imports } from '../../db/schema.js';
import type { SourceIssue } from '../content/issues.js';
import type { Bank } from '../content/schema.js';
import { upsertBank, writeBankQuestions, type SyncCounts } from '../content/sync.js';
import type { Services } from '../services.js';
import { sha256 } from '../util/hash.js';
import { adoptStoredIds, diffBank, findConflicts, type ImportDiff } from './diff.js';
import type { ImportFile } from './parse.js';
import { parseImportFileOffThread } from './parse-thread.js';
import type { ImportFormat } from './types.js';

/**
 * The one import flow every surface uses (CLI, Discord, Slack): prepare = parse, check and diff
 * without touching the questions, keeping the validated bank as a draft; apply = write the draft
 * in one transaction and record it. A rejected file writes nothing at all.
 */

export type ImportServices = Pick<Services, 'db' | 'lessons' | 'clock'>;

export interface ImportActor {
  platform: string;
  userId: string;
  displayName: string;
  /**
   * The tenant the import is made in, which will own the bank; null for the operator's command
   * line, whose banks every tenant learns from.
   */
  tenant: Tenant | null;
}

/** How long a dry run can wait for its confirmation button. */
export const DRAFT_TTL_MS = 24 * 60 * 60 * 1000;

export interface PrepareInput extends ImportFile {
  actor: ImportActor;
  /** Keep the validated bank for a later apply (false for a dry run that will not be applied). */
  keepDraft?: boolean;
  /** Refuse the whole file when any question would be skipped or any column ignored. */
  strict?: boolean;
}

export type PrepareResult =
  | { ok: false; format?: ImportFormat; issues: SourceIssue[] }
  | {
      ok: true;
      format: ImportFormat;
      fileHash: string;
      bank: Bank;
      diff: ImportDiff;
      /** Set when a draft was kept and there is something to apply. */
      draftId?: string;
      /** Questions of the file that are left out, each with its line and why. */
      skipped: SourceIssue[];
      /** Notes about the file that refused nothing (ignored columns, bare quotes). */
      warnings: SourceIssue[];
    };

/** The command line is the operator's: it may scope any imported bank to a tenant, or make it global. */
const isOperator = (actor: ImportActor) => actor.platform === 'cli';

export function actorLabel(actor: ImportActor): string {
  return actor.displayName && actor.displayName !== actor.userId ? `${actor.displayName} (${actor.userId})` : actor.userId;
}

export async function prepareImport(services: ImportServices, input: PrepareInput): Promise<PrepareResult> {
  const { format, result } = await parseImportFileOffThread(input, input.actor.tenant ?? 'operator');
  const warnings = result.warnings ?? [];
  if (!result.bank || !format) return { ok: false, format, issues: [...(result.issues ?? []), ...(result.skipped ?? []), ...warnings] };
  const { db } = services;
  const adopted = adoptStoredIds(db, result.bank);
  const conflicts = findConflicts(db, services.lessons, adopted, input.fileName, result.bank.lineOf, input.actor.tenant, isOperator(input.actor));
  // A problem of one question (a source that does not exist) skips it; one of the bank refuses the file.
  const fatal = conflicts.filter((c) => c.question === undefined);
  if (fatal.length) return { ok: false, format, issues: fatal };
  const { bank, dropped } = withoutQuestions(adopted, conflicts, result.bank.numberOf ?? ((i) => i + 1));
  const skipped = [...(result.skipped ?? []), ...dropped].sort((a, b) => (a.question ?? 0) - (b.question ?? 0));
  if (bank.questions.length === 0) return { ok: false, format, issues: [...skipped, { file: input.fileName, message: 'none of the questions could be imported' }] };
  if (input.strict && (skipped.length || warnings.length)) return { ok: false, format, issues: [...skipped, ...warnings] };
  const diff = diffBank(db, bank, input.actor.tenant);
  const fileHash = sha256(input.bytes);
  if (diff.noop || input.keepDraft === false) return { ok: true, format, fileHash, bank, diff, skipped, warnings };
  const now = services.clock.now().getTime();
  const draftId = randomUUID();
  db.transaction((tx) => {
    // Drafts nobody confirmed are dropped once they expire.
    tx.delete(importDrafts).where(and(isNull(importDrafts.appliedAt), lt(importDrafts.createdAt, now - DRAFT_TTL_MS))).run();
    tx.insert(importDrafts)
      .values({
        id: draftId,
        tenant: input.actor.tenant,
        actor: actorLabel(input.actor),
        platform: input.actor.platform,
        fileName: input.fileName,
        fileHash,
        format,
        bank: JSON.stringify(bank),
        createdAt: now,
      })
      .run();
  });
  return { ok: true, format, fileHash, bank, diff, draftId, skipped, warnings };
}

/**
 * The bank without the questions those problems name (by 1-based position in the bank), and the
 * problems as skips, numbered as the file numbers its questions.
 */
function withoutQuestions(bank: Bank, problems: SourceIssue[], numberOf: (index: number) => number): { bank: Bank; dropped: SourceIssue[] } {
  const positions = new Set(problems.map((p) => p.question));
  if (positions.size === 0) return { bank, dropped: [] };
  return {
    bank: { ...bank, questions: bank.questions.filter((_, i) => !positions.has(i + 1)) },
    dropped: problems.map((p) => ({ ...p, question: numberOf(p.question! - 1) })),
  };
}

export type ApplyResult =
  | { status: 'applied'; bankId: string; counts: SyncCounts; importId: number }
  | { status: 'already-applied'; bankId: string }
  | { status: 'missing' }
  | { status: 'expired' }
  | { status: 'rejected'; issues: SourceIssue[] };

class Rejected extends Error {
  constructor(readonly issues: SourceIssue[]) {
    super('import rejected');
  }
}

/**
 * Writes a prepared draft: bank, questions (added, updated, removed ones retired) and the log
 * row, all in one transaction. Applying the same draft again changes nothing.
 */
export function applyImport(services: ImportServices, draftId: string, actor: ImportActor): ApplyResult {
  const { db } = services;
  const now = services.clock.now().getTime();
  try {
    return db.transaction(
      (tx): ApplyResult => {
        const d = tx as unknown as Db;
        const draft = d.select().from(importDrafts).where(eq(importDrafts.id, draftId)).get();
        // A preview made in another tenant is not there for this one.
        if (!draft || draft.tenant !== actor.tenant) return { status: 'missing' };
        // Written by prepareImport from a validated bank: no need to validate it again.
        const bank = JSON.parse(draft.bank) as Bank;
        if (draft.appliedAt !== null) return { status: 'already-applied', bankId: bank.id };
        if (now - draft.createdAt > DRAFT_TTL_MS) return { status: 'expired' };
        // The database may have moved on since the dry run: check again inside the transaction.
        const conflicts = findConflicts(d, services.lessons, bank, draft.fileName, () => undefined, actor.tenant, isOperator(actor));
        if (conflicts.length) throw new Rejected(conflicts);
        const counts: SyncCounts = { added: 0, changed: 0, retired: 0, unchanged: 0 };
        upsertBank(d, bank, 'import', now, actor.tenant);
        writeBankQuestions(d, bank, now, counts, actor.tenant);
        const logged = d
          .insert(imports)
          .values({
            bankId: bank.id,
            tenant: actor.tenant,
            actor: actorLabel(actor),
            platform: actor.platform,
            fileName: draft.fileName,
            fileHash: draft.fileHash,
            format: draft.format,
            added: counts.added,
            changed: counts.changed,
            removed: counts.retired,
            unchanged: counts.unchanged,
            createdAt: now,
          })
          .returning({ id: imports.id })
          .get();
        d.update(importDrafts).set({ appliedAt: now }).where(eq(importDrafts.id, draftId)).run();
        return { status: 'applied', bankId: bank.id, counts, importId: logged.id };
      },
      { behavior: 'immediate' },
    );
  } catch (err) {
    if (err instanceof Rejected) return { status: 'rejected', issues: err.issues };
    throw err;
  }
}

/** Drops a draft of this tenant that was not applied; true when there was one. */
export function cancelImport(services: ImportServices, draftId: string, tenant: Tenant | null): boolean {
  return services.db.delete(importDrafts).where(and(eq(importDrafts.id, draftId), isNull(importDrafts.appliedAt), ownedBy(importDrafts.tenant, tenant))).run().changes > 0;
}

/** The tenant an import preview was made in: null for the command line, undefined when there is no such draft. */
export function draftTenant(db: Db, draftId: string): Tenant | null | undefined {
  const row = db.select({ tenant: importDrafts.tenant }).from(importDrafts).where(eq(importDrafts.id, draftId)).get();
  return row ? (row.tenant as Tenant | null) : undefined;
}

const ownedBy = (column: typeof imports.tenant | typeof importDrafts.tenant, tenant: Tenant | null) => (tenant === null ? isNull(column) : eq(column, tenant));

export type ImportRecord = typeof imports.$inferSelect;

/** The most recent imports made in a tenant (null: the command line's), newest first. */
export function listImports(db: Db, tenant: Tenant | null, limit = 20): ImportRecord[] {
  return db.select().from(imports).where(ownedBy(imports.tenant, tenant)).orderBy(desc(imports.createdAt), desc(imports.id)).limit(limit).all();
}
