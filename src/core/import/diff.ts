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
 * writeBankQuestions applies, by the questions' ids in the bank (new id → added; other content or
 * a retired question coming back → changed; stored but not in the file → removed, i.e. retired).
 */

export interface QuestionRef {
  id: string;
  prompt: string;
}

/** A question of the file whose prompt (normalised) another bank the tenant sees already asks. */
export interface DuplicateRef extends QuestionRef {
  /** The other bank's id, and the question's id there. */
  otherBank: string;
  otherId: string;
}

export interface ImportDiff {
  bankId: string;
  /** Whether the bank exists already (as an imported bank). */
  bankExists: boolean;
  added: QuestionRef[];
  changed: QuestionRef[];
  removed: QuestionRef[];
  unchanged: number;
  /**
   * Questions of the file (in file order, one entry each) whose prompt another bank visible to the
   * tenant already has: content, global imports and the tenant's own. Not a conflict: a quiz asks
   * such a prompt once. Empty when nothing would change.
   */
  duplicates: DuplicateRef[];
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

/** A question's id in its bank (null local_id: a row written by hand, whose id is its own). */
const localId = sql<string>`coalesce(${questions.localId}, ${questions.id})`;

/**
 * For questions whose ids were derived from their prompt (formats without ids), reuse the id of
 * the stored question of this bank with the same prompt, so a bank first imported with ids keeps
 * its users' progress when a format without ids updates it.
 */
export function adoptStoredIds(db: Db, parsed: ParsedBank): Bank {
  const { bank, derivedIds } = parsed;
  if (!derivedIds.some(Boolean)) return bank;
  const stored = db.select({ id: localId, body: questions.body }).from(questions).where(eq(questions.bankId, bank.id)).all();
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
 * What stands in the way of writing this bank: a content bank of the same id, another tenant's
 * bank of the same id, and sources that cite lessons or sections that do not exist. Question ids
 * are the bank's own (another bank's question '1' is another question), so they never conflict.
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
  const owner = db.select({ origin: banks.origin, tenant: banks.tenant }).from(banks).where(eq(banks.id, bank.id)).get();
  if (owner?.origin === 'content') {
    issues.push({ file, message: `bank '${bank.id}' comes from the content directory and cannot be replaced by an import: choose another bank id` });
  } else if (owner && owner.tenant !== tenant && !operator) {
    // What another tenant owns is never named to it: "taken" says enough.
    issues.push({ file, message: `bank id '${bank.id}' is taken: choose another bank id` });
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

/**
 * What writing this bank would change, matched by the questions' ids in the bank, and which of its
 * prompts other banks visible to `tenant` already have (null: the operator's global imports, which
 * global banks sit beside).
 */
export function diffBank(db: Db, bank: Bank, tenant: Tenant | null = null): ImportDiff {
  const storedBank = db
    .select({ title: banks.title, description: banks.description, lessonId: banks.lessonId, retiredAt: banks.retiredAt })
    .from(banks)
    .where(eq(banks.id, bank.id))
    .get();
  const stored = new Map(
    db
      .select({ id: questions.id, localId, hash: questions.contentHash, retiredAt: questions.retiredAt, position: questions.position, lessonId: questions.lessonId })
      .from(questions)
      .where(eq(questions.bankId, bank.id))
      .all()
      .map((r) => [r.localId, r]),
  );
  const diff: ImportDiff = {
    bankId: bank.id,
    bankExists: storedBank !== undefined,
    added: [],
    changed: [],
    removed: [],
    unchanged: 0,
    duplicates: [],
    noop: false,
  };
  const inFile = new Set<string>();
  let moved = false;
  bank.questions.forEach((q, position) => {
    inFile.add(q.id);
    const prior = stored.get(q.id);
    const ref = { id: q.id, prompt: q.prompt };
    if (!prior) diff.added.push(ref);
    // A question moved to another lesson (its own source's, else the bank's) changes too.
    else if (prior.hash !== questionHash(q) || prior.retiredAt !== null || prior.lessonId !== (q.source?.lesson ?? bank.lesson ?? null)) diff.changed.push(ref);
    else {
      diff.unchanged++;
      if (prior.position !== position) moved = true;
    }
  });
  const removedIds = [...stored.values()].filter((r) => r.retiredAt === null && !inFile.has(r.localId)).map((r) => r.id);
  for (const ids of chunks(removedIds)) {
    const rows = db.select({ localId, body: questions.body }).from(questions).where(and(inArray(questions.id, ids), isNull(questions.retiredAt))).all();
    for (const r of rows) diff.removed.push({ id: r.localId, prompt: promptOf(r.body) });
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
  // A file that changes nothing shows nothing to review: spare a re-import the lookup.
  if (!diff.noop) diff.duplicates = findDuplicatePrompts(db, bank, tenant);
  return diff;
}

/**
 * The bank's questions whose normalised prompt a question of another bank visible to `tenant`
 * has (not retired), each named once with the first such bank. One indexed query on prompt_key.
 */
export function findDuplicatePrompts(db: Db, bank: Bank, tenant: Tenant | null): DuplicateRef[] {
  const keys = bank.questions.map((q) => normalizeText(q.prompt));
  const others = new Map<string, { bankId: string; localId: string }>();
  const rows = db.all<{ key: string; bankId: string; localId: string }>(
    sql`SELECT q.prompt_key AS key, q.bank_id AS bankId, coalesce(q.local_id, q.id) AS localId FROM questions q
        WHERE q.prompt_key IN (SELECT value FROM json_each(${JSON.stringify([...new Set(keys)].filter(Boolean))}))
          AND q.bank_id <> ${bank.id} AND q.retired_at IS NULL AND (q.tenant IS NULL OR q.tenant = ${tenant})
        ORDER BY q.bank_id, q.position`,
  );
  for (const r of rows) if (!others.has(r.key)) others.set(r.key, r);
  const out: DuplicateRef[] = [];
  bank.questions.forEach((q, i) => {
    const other = others.get(keys[i]!);
    if (other) out.push({ id: q.id, prompt: q.prompt, otherBank: other.bankId, otherId: other.localId });
  });
  return out;
}
