import { and, eq, inArray, isNull, notInArray, sql } from 'drizzle-orm';
import type { Tenant } from '../tenant.js';
import type { Db } from '../../db/connection.js';
import { banks, lessonSections, lessons, questions } from '../../db/schema.js';
import { canonicalJson, hashValue, sha256 } from '../util/hash.js';
import { ContentError, type SourceIssue } from './issues.js';
import type { Lesson, LoadedContent } from './load.js';
import type { Bank, Question } from './schema.js';

export interface SyncCounts {
  added: number;
  changed: number;
  retired: number;
  unchanged: number;
}

export interface ContentSyncReport {
  lessons: SyncCounts;
  questions: SyncCounts;
}

const zero = (): SyncCounts => ({ added: 0, changed: 0, retired: 0, unchanged: 0 });

function lessonHash(l: Lesson): string {
  return hashValue({ ...l, file: undefined, sections: l.sections.map(({ line: _line, ...s }) => s) });
}

/** The stored form of a question: its validated body (answers and all). */
export function questionRow(q: Question, bankId: string, position: number, now: number, tenant: Tenant | null = null) {
  const body = canonicalJson(q);
  return {
    id: q.id,
    bankId,
    tenant,
    position,
    type: q.type,
    body,
    lessonId: q.source?.lesson ?? null,
    sectionTitle: q.source?.section ?? null,
    // The same as hashValue(q), without serialising the question a second time.
    contentHash: sha256(body),
    retiredAt: null,
    updatedAt: now,
  };
}

/**
 * Writes one bank's questions: adds new ones, updates changed ones (progress keyed by question id
 * is kept), retires the ones no longer in the bank and revives ones that come back. Must run
 * inside the caller's transaction.
 */
export function writeBankQuestions(db: Db, bank: Bank, now: number, counts: SyncCounts, tenant: Tenant | null): void {
  const ids = bank.questions.map((q) => q.id);
  // The ids travel as one JSON value: no limit on how many, and no statement per id.
  const existing = new Map(
    db
      .all<{ id: string; hash: string; retiredAt: number | null; position: number; bankId: string; tenant: string | null }>(
        sql`SELECT id, content_hash AS hash, retired_at AS retiredAt, position, bank_id AS bankId, tenant FROM questions WHERE id IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`,
      )
      .map((r) => [r.id, r]),
  );
  // One prepared insert reused for every new question: a bank of thousands (an import) stays fast.
  let insert: ReturnType<typeof prepareQuestionInsert> | undefined;
  bank.questions.forEach((q, position) => {
    const row = questionRow(q, bank.id, position, now, tenant);
    const prior = existing.get(q.id);
    if (!prior) {
      insert ??= prepareQuestionInsert(db);
      insert.run(row);
      counts.added++;
    } else if (prior.hash !== row.contentHash || prior.retiredAt !== null || prior.position !== position || prior.bankId !== bank.id || prior.tenant !== tenant) {
      db.update(questions).set(row).where(eq(questions.id, q.id)).run();
      if (prior.hash !== row.contentHash || prior.retiredAt !== null) counts.changed++;
      else counts.unchanged++;
    } else {
      counts.unchanged++;
    }
  });
  const kept = new Set(ids);
  const gone = db
    .select({ id: questions.id })
    .from(questions)
    .where(and(eq(questions.bankId, bank.id), isNull(questions.retiredAt)))
    .all()
    .map((r) => r.id)
    .filter((id) => !kept.has(id));
  for (const part of chunked(gone)) {
    counts.retired += db.update(questions).set({ retiredAt: now, updatedAt: now }).where(inArray(questions.id, part)).run().changes;
  }
}

function prepareQuestionInsert(db: Db) {
  const p = (name: keyof ReturnType<typeof questionRow>) => sql.placeholder(name);
  return db
    .insert(questions)
    .values({
      id: p('id'),
      bankId: p('bankId'),
      tenant: p('tenant'),
      position: p('position'),
      type: p('type'),
      body: p('body'),
      lessonId: p('lessonId'),
      sectionTitle: p('sectionTitle'),
      contentHash: p('contentHash'),
      retiredAt: p('retiredAt'),
      updatedAt: p('updatedAt'),
    })
    .prepare();
}

/** Splits id lists so no statement binds more values than SQLite allows. */
function chunked<T>(list: readonly T[], size = 5000): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** Writes a bank's details; `tenant` owns it (null: every tenant learns from it). */
export function upsertBank(db: Db, bank: Bank, origin: 'content' | 'import', now: number, tenant: Tenant | null): void {
  const row = {
    id: bank.id,
    title: bank.title,
    description: bank.description ?? null,
    origin,
    tenant,
    lessonId: bank.lesson ?? null,
    contentHash: hashValue(bank),
    retiredAt: null,
    updatedAt: now,
  };
  db.insert(banks).values(row).onConflictDoUpdate({ target: banks.id, set: row }).run();
}

/** Content that would take over an imported bank or an imported question's id. */
function importedConflicts(db: Db, content: LoadedContent): SourceIssue[] {
  const issues: SourceIssue[] = [];
  const ids = content.banks.flatMap(({ bank }) => [bank.id, ...bank.questions.map((q) => q.id)]);
  const taken = new Map(
    db
      .all<{ id: string; bankId: string }>(
        sql`SELECT q.id, q.bank_id AS bankId FROM questions q JOIN banks b ON b.id = q.bank_id
            WHERE b.origin = 'import' AND q.id IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`,
      )
      .map((r) => [r.id, r.bankId]),
  );
  const importedBanks = new Set(
    db.all<{ id: string }>(sql`SELECT id FROM banks WHERE origin = 'import' AND id IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`).map((r) => r.id),
  );
  for (const { bank, file, questionLines } of content.banks) {
    if (importedBanks.has(bank.id)) issues.push({ file, line: 1, message: `bank id "${bank.id}" is already used by an imported bank; rename one of them` });
    bank.questions.forEach((q, i) => {
      const owner = taken.get(q.id);
      if (owner) issues.push({ file, line: questionLines[i], question: i + 1, message: `id "${q.id}" belongs to a question of the imported bank "${owner}"; give this question another id` });
    });
  }
  return issues;
}

/**
 * Makes the database match the content directory, in one transaction. Idempotent: a second sync
 * of the same files changes nothing. Banks that came from imports are left alone.
 */
export function syncContent(db: Db, content: LoadedContent, now = Date.now()): ContentSyncReport {
  const report: ContentSyncReport = { lessons: zero(), questions: zero() };
  db.transaction((tx) => {
    const d = tx as unknown as Db;
    const stored = new Map(d.select({ id: lessons.id, hash: lessons.contentHash, retiredAt: lessons.retiredAt }).from(lessons).all().map((r) => [r.id, r]));
    content.lessons.forEach((lesson, position) => {
      const hash = lessonHash(lesson);
      const prior = stored.get(lesson.id);
      if (prior && prior.hash === hash && prior.retiredAt === null) {
        d.update(lessons).set({ position }).where(eq(lessons.id, lesson.id)).run();
        report.lessons.unchanged++;
        return;
      }
      const row = {
        id: lesson.id,
        title: lesson.title,
        summary: lesson.summary,
        minutes: lesson.minutes,
        tags: lesson.tags,
        position,
        contentHash: hash,
        retiredAt: null,
        updatedAt: now,
      };
      d.insert(lessons).values(row).onConflictDoUpdate({ target: lessons.id, set: row }).run();
      d.delete(lessonSections).where(eq(lessonSections.lessonId, lesson.id)).run();
      lesson.sections.forEach((s, i) =>
        d.insert(lessonSections).values({ lessonId: lesson.id, slug: s.slug, title: s.title, position: i, body: s.body }).run(),
      );
      if (prior) report.lessons.changed++;
      else report.lessons.added++;
    });
    const lessonIds = content.lessons.map((l) => l.id);
    report.lessons.retired = d
      .update(lessons)
      .set({ retiredAt: now })
      .where(and(isNull(lessons.retiredAt), notInArray(lessons.id, lessonIds)))
      .run().changes;

    const conflicts = importedConflicts(d, content);
    if (conflicts.length) throw new ContentError(conflicts);
    for (const { bank } of content.banks) {
      upsertBank(d, bank, 'content', now, null);
      writeBankQuestions(d, bank, now, report.questions, null);
    }
    // Banks whose files were removed: retire them and their questions.
    const bankIds = content.banks.map((b) => b.bank.id);
    const gone = d
      .select({ id: banks.id })
      .from(banks)
      .where(and(eq(banks.origin, 'content'), isNull(banks.retiredAt), notInArray(banks.id, bankIds)))
      .all()
      .map((b) => b.id);
    if (gone.length) {
      d.update(banks).set({ retiredAt: now }).where(inArray(banks.id, gone)).run();
      report.questions.retired += d
        .update(questions)
        .set({ retiredAt: now, updatedAt: now })
        .where(and(inArray(questions.bankId, gone), isNull(questions.retiredAt)))
        .run().changes;
    }
  });
  return report;
}
