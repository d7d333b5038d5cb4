import { stringify } from 'yaml';
import type { Bank, Question } from '../content/schema.js';
import type { ExportResult } from './types.js';

/** The native bank format, with fields in the order people read them. */

function orderedQuestion(q: Question): Record<string, unknown> {
  const out: Record<string, unknown> = { id: q.id, type: q.type, prompt: q.prompt };
  if (q.type === 'single' || q.type === 'multiple') out.choices = q.choices;
  if (q.type === 'numeric') {
    for (const key of ['answer', 'tolerance', 'min', 'max'] as const) if (q[key] !== undefined) out[key] = q[key];
    if (q.accepted.length) out.accepted = q.accepted;
  } else out.answer = q.answer;
  if (q.type === 'short' && q.accepted.length) out.accepted = q.accepted;
  if (q.type === 'short' && q.exact) out.exact = true;
  out.explanation = q.explanation;
  if (q.source) out.source = { lesson: q.source.lesson, section: q.source.section };
  if (q.tags.length) out.tags = q.tags;
  return out;
}

function orderedBank(bank: Bank): Record<string, unknown> {
  return {
    id: bank.id,
    title: bank.title,
    ...(bank.description ? { description: bank.description } : {}),
    ...(bank.lesson ? { lesson: bank.lesson } : {}),
    questions: bank.questions.map(orderedQuestion),
  };
}

export function toYaml(bank: Bank): ExportResult {
  return { text: stringify(orderedBank(bank), { lineWidth: 0, aliasDuplicateObjects: false }), skipped: [] };
}

export function toJson(bank: Bank): ExportResult {
  return { text: JSON.stringify(orderedBank(bank), null, 2) + '\n', skipped: [] };
}
