import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Tenant } from '../tenant.js';
import type { Db } from '../../db/connection.js';
import { banks, questions } from '../../db/schema.js';
import type { SourceIssue } from '../content/issues.js';
import { findSection } from '../content/load.js';
import type { Bank, Question } from '../content/schema.js';
import type { LessonLibrary } from '../services.js';
import { sha256 } from '../util/hash.js';
import { normalizeText } from '../util/text.js';
import type { ParsedBank } from './types.js';

/**
 * What an import would change, computed without writing: the same classification that
 * writeBankQuestions applies (new id → added; other content or a retired question coming back →
 * changed; stored but not in the file → removed, i.e. retired).
 */

export interface QuestionRef {
  id: string;
  prompt: string;
}

export interface ImportDiff {
  bankId: string;
  /** Whether the bank exists already (as an imported bank). */
  bankExists: boolean;
  added: QuestionRef[];
  changed: QuestionRef[];
  removed: QuestionRef[];
  unchanged: number;
  /** Nothing at all would change: same questions, same order, same title. */
  noop: boolean;
}

/** SQLite binds at most 32766 values per statement; stay well below. */
const CHUNK = 5000;

function chunks<T>(list: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}

/** A copy of a JSON value with every object's keys in sorted order. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = sortedKeys(v);
  }
  return out;
}

/**
 * The stored content hash of a question: the same value as hashValue(q), computed without a
 * JSON.stringify replacer, which is the slow part when a re-import compares thousands.
 */
export function questionHash(q: Question): string {
  return sha256(JSON.stringify(sortedKeys(q)));
}

function promptOf(body: string): string {
  try {
    return String((JSON.parse(body) as { prompt?: unknown }).prompt ?? '');
  } catch {
    return '';
  }
}

/**
 * For questions whose ids were derived from their prompt (formats without ids), reuse the id of
 * the stored question of this bank with the same prompt, so a bank first imported with ids keeps
 * its users' progress when a format without ids updates it.
 */
export function adoptStoredIds(db: Db, parsed: ParsedBank): Bank {
  const { bank, derivedIds } = parsed;
  if (!derivedIds.some(Boolean)) return bank;
  const stored = db.select({ id: questions.id, body: questions.body }).from(questions).where(eq(questions.bankId, bank.id)).all();
  if (stored.length === 0) return bank;
  const byPrompt = new Map(stored.map((r) => [normalizeText(promptOf(r.body)), r.id]));
  const taken = new Set(bank.questions.map((q) => q.id));
  return {
    ...bank,
    questions: bank.questions.map((q, i) => {
      if (!derivedIds[i]) return q;
      const id = byPrompt.get(normalizeText(q.prompt));
      if (!id || id === q.id || taken.has(id)) return q;
      taken.add(id);
      return { ...q, id };
    }),
  };
}

/**
 * What stands in the way of writing this bank: a content bank of the same id, question ids that
 * belong to another bank, and sources that cite lessons or sections that do not exist.
 */
export function findConflicts(
  db: Db,
  lessons: LessonLibrary,
  bank: Bank,
  file: string,
  lineOf: (i: number) => number | undefined,
  tenant: Tenant | null,
  /** The operator at the command line may move an imported bank between tenants (or make it global). */
  operator = false,
): SourceIssue[] {
  const issues: SourceIssue[] = [];
  // What another tenant owns is never named to it: "taken" says enough.
  const foreign = (owner: string | null) => owner !== null && owner !== tenant;
  const owner = db.select({ origin: banks.origin, tenant: banks.tenant }).from(banks).where(eq(banks.id, bank.id)).get();
  if (owner?.origin === 'content') {
    issues.push({ file, message: `bank '${bank.id}' comes from the content directory and cannot be replaced by an import: choose another bank id` });
  } else if (owner && owner.tenant !== tenant && !operator) {
    issues.push({ file, message: `bank id '${bank.id}' is taken: choose another bank id` });
  }
  // One query for every id of the file (a JSON list, so thousands of ids bind as one value).
  const index = new Map(bank.questions.map((q, i) => [q.id, i]));
  const taken = db.all<{ id: string; bankId: string; tenant: string | null }>(
    sql`SELECT id, bank_id AS bankId, tenant FROM questions WHERE id IN (SELECT value FROM json_each(${JSON.stringify([...index.keys()])})) AND bank_id <> ${bank.id}`,
  );
  for (const t of taken) {
    const i = index.get(t.id)!;
    const whose = tenant !== null && foreign(t.tenant) ? 'another bank' : `bank '${t.bankId}'`;
    issues.push({ file, line: lineOf(i), question: i + 1, message: `id '${t.id}' belongs to a question of ${whose}: give this question another id` });
  }
  if (bank.lesson && !lessons.get(bank.lesson)) {
    issues.push({ file, message: `lesson '${bank.lesson}' does not exist (lessons: ${lessons.all().map((l) => l.id).join(', ') || 'none'})` });
  }
  bank.questions.forEach((q, i) => {
    if (!q.source) return;
    const at = () => ({ file, line: lineOf(i), question: i + 1 });
    const lesson = lessons.get(q.source.lesson);
    if (!lesson) issues.push({ ...at(), message: `source lesson '${q.source.lesson}' does not exist` });
    else if (!findSection(lesson, q.source.section)) {
      issues.push({ ...at(), message: `section '${q.source.section}' does not exist in lesson '${lesson.id}' (sections: ${lesson.sections.map((s) => s.title).join('; ')})` });
    }
  });
  return issues;
}

export function diffBank(db: Db, bank: Bank): ImportDiff {
  const storedBank = db
    .select({ title: banks.title, description: banks.description, lessonId: banks.lessonId, retiredAt: banks.retiredAt })
    .from(banks)
    .where(eq(banks.id, bank.id))
    .get();
  const stored = new Map(
    db
      .select({ id: questions.id, hash: questions.contentHash, retiredAt: questions.retiredAt, position: questions.position })
      .from(questions)
      .where(eq(questions.bankId, bank.id))
      .all()
      .map((r) => [r.id, r]),
  );
  const diff: ImportDiff = { bankId: bank.id, bankExists: storedBank !== undefined, added: [], changed: [], removed: [], unchanged: 0, noop: false };
  const inFile = new Set<string>();
  let moved = false;
  bank.questions.forEach((q, position) => {
    inFile.add(q.id);
    const prior = stored.get(q.id);
    const ref = { id: q.id, prompt: q.prompt };
    if (!prior) diff.added.push(ref);
    else if (prior.hash !== questionHash(q) || prior.retiredAt !== null) diff.changed.push(ref);
    else {
      diff.unchanged++;
      if (prior.position !== position) moved = true;
    }
  });
  const removedIds = [...stored.values()].filter((r) => r.retiredAt === null && !inFile.has(r.id)).map((r) => r.id);
  for (const ids of chunks(removedIds)) {
    const rows = db.select({ id: questions.id, body: questions.body }).from(questions).where(and(inArray(questions.id, ids), isNull(questions.retiredAt))).all();
    for (const r of rows) diff.removed.push({ id: r.id, prompt: promptOf(r.body) });
  }
  // Nothing to write: every question as stored, in the same order, under the same bank details.
  diff.noop =
    storedBank !== undefined &&
    storedBank.retiredAt === null &&
    !moved &&
    diff.added.length + diff.changed.length + diff.removed.length === 0 &&
    storedBank.title === bank.title &&
    storedBank.description === (bank.description ?? null) &&
    storedBank.lessonId === (bank.lesson ?? null);
  return diff;
}
