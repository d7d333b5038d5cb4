import { and, eq, inArray, isNull, notInArray, sql } from 'drizzle-orm';
import type { Tenant } from '../tenant.js';
import type { Db } from '../../db/connection.js';
import { banks, lessonSections, lessons, questions } from '../../db/schema.js';
import { canonicalJson, hashValue, sha256 } from '../util/hash.js';
import { normalizeText } from '../util/text.js';
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

/**
 * The stored form of a question: its validated body (answers and all) as the file has it, under
 * its internal id (the id in its bank unless that was taken, see writeBankQuestions). Its lesson
 * is its own source's, else its bank's (an import's --lesson), so `/quiz lesson:<id>` asks it.
 */
export function questionRow(q: Question, bankId: string, position: number, now: number, tenant: Tenant | null = null, id = q.id, bankLesson: string | null = null) {
  const body = canonicalJson(q);
  return {
    id,
    bankId,
    localId: q.id,
    tenant,
    position,
    type: q.type,
    body,
    promptKey: normalizeText(q.prompt),
    lessonId: q.source?.lesson ?? bankLesson,
    sectionTitle: q.source?.section ?? null,
    // The same as hashValue(q), without serialising the question a second time.
    contentHash: sha256(body),
    retiredAt: null,
    updatedAt: now,
  };
}

interface StoredQuestion {
  id: string;
  /** The id in its bank (local_id, or id on a row written by hand). */
  localId: string;
  /** local_id as stored: null on a row written by hand, filled when the question is next written. */
  storedLocalId: string | null;
  hash: string;
  retiredAt: number | null;
  position: number;
  bankId: string;
  tenant: string | null;
  promptKey: string | null;
  lessonId: string | null;
}

const storedColumns = sql.raw(`q.id, coalesce(q.local_id, q.id) AS localId, q.local_id AS storedLocalId, q.content_hash AS hash, q.retired_at AS retiredAt,
  q.position, q.bank_id AS bankId, q.tenant, q.prompt_key AS promptKey, q.lesson_id AS lessonId`);

/** The longest id the bank schema allows: an internal id is put in buttons as one. */
const MAX_ID_LENGTH = 64;

/**
 * Writes one bank's questions: adds new ones, updates changed ones (progress keyed by question id
 * is kept), retires the ones no longer in the bank and revives ones that come back. Questions are
 * matched by their id in this bank, so another bank's question '1' is another question. A new
 * question keeps its id as its internal id when no stored question has it; otherwise it gets
 * `<bank>.<id>` (or a hash, past the length limit), so stored ids never change. Must run inside
 * the caller's transaction, after upsertBank.
 */
export function writeBankQuestions(db: Db, bank: Bank, now: number, counts: SyncCounts, tenant: Tenant | null): void {
  const stored = new Map(db.all<StoredQuestion>(sql`SELECT ${storedColumns} FROM questions q WHERE q.bank_id = ${bank.id}`).map((r) => [r.localId, r]));
  const fresh = bank.questions.map((q) => q.id).filter((id) => !stored.has(id));
  // Rows of any bank holding those ids as their internal id. The ids travel as one JSON value: no
  // limit on how many, and no statement per id.
  const holders = (ids: string[]) =>
    ids.length === 0
      ? []
      : db.all<StoredQuestion & { origin: string }>(
          sql`SELECT ${storedColumns}, b.origin FROM questions q JOIN banks b ON b.id = q.bank_id WHERE q.id IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`,
        );
  const taken = new Map(holders(fresh).map((r) => [r.id, r]));
  // Only ids another question holds need a scoped one; ask about all of those at once too.
  const scoped = (localId: string) => `${bank.id}.${localId}`;
  const scopedIds = fresh.filter((id) => taken.has(id)).map(scoped);
  const known = new Set([...fresh, ...scopedIds]);
  const held = new Set([...taken.keys(), ...holders(scopedIds).map((r) => r.id)]);
  const chosen = new Set<string>();
  const isFree = (id: string) =>
    id.length <= MAX_ID_LENGTH && !chosen.has(id) && (known.has(id) ? !held.has(id) : db.get(sql`SELECT 1 FROM questions WHERE id = ${id}`) === undefined);
  const internalId = (localId: string): string => {
    if (isFree(localId)) return localId;
    if (isFree(scoped(localId))) return scoped(localId);
    for (let salt = 0; ; salt++) {
      const hashed = 'q-' + sha256(`${bank.id}\n${localId}\n${salt}`).slice(0, 16);
      if (isFree(hashed)) return hashed;
    }
  };
  const origin = db.select({ origin: banks.origin }).from(banks).where(eq(banks.id, bank.id)).get()?.origin;

  // One prepared insert reused for every new question: a bank of thousands (an import) stays fast.
  let insert: ReturnType<typeof prepareQuestionInsert> | undefined;
  bank.questions.forEach((q, position) => {
    let prior = stored.get(q.id);
    if (!prior && origin === 'content') {
      // A content question moved to another content file keeps its row and its learners' progress
      // (the loader keeps ids unique across content files).
      const other = taken.get(q.id);
      if (other?.origin === 'content' && other.localId === q.id) prior = other;
    }
    if (!prior) {
      const id = internalId(q.id);
      chosen.add(id);
      insert ??= prepareQuestionInsert(db);
      insert.run(questionRow(q, bank.id, position, now, tenant, id, bank.lesson ?? null));
      counts.added++;
      return;
    }
    const row = questionRow(q, bank.id, position, now, tenant, prior.id, bank.lesson ?? null);
    // A new lesson moves the question to it: a change learners see, though its text is the same.
    const edited = prior.hash !== row.contentHash || prior.retiredAt !== null || prior.lessonId !== row.lessonId;
    if (edited || prior.position !== position || prior.bankId !== bank.id || prior.tenant !== tenant || prior.promptKey !== row.promptKey || prior.storedLocalId !== q.id) {
      db.update(questions).set(row).where(eq(questions.id, prior.id)).run();
    }
    if (edited) counts.changed++;
    else counts.unchanged++;
  });
  const kept = new Set(bank.questions.map((q) => q.id));
  const gone = [...stored.values()].filter((r) => r.retiredAt === null && !kept.has(r.localId)).map((r) => r.id);
  for (const part of chunked(gone)) {
    counts.retired += db.update(questions).set({ retiredAt: now, updatedAt: now }).where(inArray(questions.id, part)).run().changes;
  }
}

/**
 * Fills the prompt key of questions stored before it existed. The upgrade that added it makes the
 * next start sync the content, so this runs once over every bank; afterwards it finds nothing.
 */
export function fillPromptKeys(db: Db): number {
  const rows = db.all<{ id: string; prompt: unknown }>(sql`SELECT id, json_extract(body, '$.prompt') AS prompt FROM questions WHERE prompt_key IS NULL`);
  for (const r of rows) db.update(questions).set({ promptKey: normalizeText(typeof r.prompt === 'string' ? r.prompt : '') }).where(eq(questions.id, r.id)).run();
  return rows.length;
}

function prepareQuestionInsert(db: Db) {
  const p = (name: keyof ReturnType<typeof questionRow>) => sql.placeholder(name);
  return db
    .insert(questions)
    .values({
      id: p('id'),
      bankId: p('bankId'),
      localId: p('localId'),
      tenant: p('tenant'),
      position: p('position'),
      type: p('type'),
      body: p('body'),
      promptKey: p('promptKey'),
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

/**
 * Content that would take over an imported bank. Question ids are the bank's own: an imported
 * bank's question with the same id stays another question.
 */
function importedConflicts(db: Db, content: LoadedContent): SourceIssue[] {
  const ids = content.banks.map(({ bank }) => bank.id);
  const importedBanks = new Set(
    db.all<{ id: string }>(sql`SELECT id FROM banks WHERE origin = 'import' AND id IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`).map((r) => r.id),
  );
  return content.banks
    .filter(({ bank }) => importedBanks.has(bank.id))
    .map(({ bank, file }) => ({ file, line: 1, message: `bank id "${bank.id}" is already used by an imported bank; rename one of them` }));
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
    fillPromptKeys(d);
  });
  return report;
}
