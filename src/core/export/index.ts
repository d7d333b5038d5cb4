import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Db } from '../../db/connection.js';
import { banks, questions } from '../../db/schema.js';
import { questionSchema, type Bank } from '../content/schema.js';
import { toAiken } from './aiken.js';
import { toCsv } from './csv.js';
import { toGift } from './gift.js';
import { toJson, toYaml } from './native.js';
import type { ExportFormat, ExportResult } from './types.js';

export { EXPORT_FORMATS, type ExportFormat, type ExportResult, type SkippedQuestion } from './types.js';

const SERIALIZERS: Record<ExportFormat, (bank: Bank) => ExportResult> = {
  yaml: toYaml,
  json: toJson,
  csv: (bank) => toCsv(bank),
  gift: toGift,
  aiken: toAiken,
};

export function serializeBank(bank: Bank, format: ExportFormat): ExportResult {
  return SERIALIZERS[format](bank);
}

/** A bank as stored: its details and its questions that are not retired, in order. */
export function loadStoredBank(db: Db, bankId: string): Bank | undefined {
  const row = db.select().from(banks).where(eq(banks.id, bankId)).get();
  if (!row) return undefined;
  const rows = db
    .select({ body: questions.body })
    .from(questions)
    .where(and(eq(questions.bankId, bankId), isNull(questions.retiredAt)))
    .orderBy(asc(questions.position))
    .all();
  return {
    id: row.id,
    title: row.title,
    ...(row.description ? { description: row.description } : {}),
    ...(row.lessonId ? { lesson: row.lessonId } : {}),
    questions: rows.map((r) => questionSchema.parse(JSON.parse(r.body))),
  };
}

/** Exports a stored bank, or undefined when there is no such bank. */
export function exportBank(db: Db, bankId: string, format: ExportFormat): ExportResult | undefined {
  const bank = loadStoredBank(db, bankId);
  return bank && serializeBank(bank, format);
}
