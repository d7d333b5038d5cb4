import type { z } from 'zod';
import { LIMITS } from '../content/schema.js';
import { didYouMean } from './suggest.js';

/**
 * Plain-language messages for schema problems in an imported question ("choice B is 92
 * characters; a Discord or Slack button holds at most 75"), shared by every format.
 */

export type Path = readonly PropertyKey[];

/** Names a question field as the file's format calls it. */
export type FieldLabeler = (path: Path) => string;

const QUESTION_FIELDS = ['id', 'type', 'prompt', 'choices', 'answer', 'tolerance', 'min', 'max', 'accepted', 'explanation', 'source', 'tags'];
const BANK_FIELDS = ['id', 'title', 'description', 'lesson', 'questions'];

export const letter = (i: number) => String.fromCharCode(65 + i);

/** Labels in the native format's own field names. */
export const nativeLabels: FieldLabeler = (path) => {
  const [field, index, sub] = path;
  if (field === 'choices' && typeof index === 'number') return `choice ${letter(index)}`;
  if (field === 'answer' && typeof index === 'number') return `answer ${index + 1}`;
  if (field === 'accepted' && typeof index === 'number') return `accepted answer ${index + 1}`;
  if (field === 'tags' && typeof index === 'number') return `tag ${index + 1}`;
  if (field === 'source' && typeof index === 'string') return `source ${index}`;
  if (field === 'source' && sub !== undefined) return `source ${String(sub)}`;
  if (field === 'prompt') return 'the prompt';
  return field === undefined ? 'the question' : String(field);
};

function valueAt(value: unknown, path: Path): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, key as string)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function tooBigReason(path: Path, max: number): string {
  const field = path[0];
  if (field === 'choices' || (field === 'answer' && max === LIMITS.choiceLength)) {
    return `a Discord or Slack button holds at most ${max}`;
  }
  return `the limit is ${max}`;
}

/**
 * One schema problem of a question (or of a bank's own fields, with `scope: 'bank'`) in words.
 * `value` is the object that was validated, to measure what was too long.
 */
export function describeIssue(issue: z.core.$ZodIssue, value: unknown, label: FieldLabeler = nativeLabels, scope: 'question' | 'bank' = 'question'): string {
  const path = issue.path;
  const what = label(path);
  const got = valueAt(value, path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = scope === 'bank' ? BANK_FIELDS : QUESTION_FIELDS;
      return issue.keys
        .map((k) => {
          const hint = didYouMean(k, known);
          return `unknown field '${k}'${hint ? ` — did you mean '${hint}'?` : ''}`;
        })
        .join('; ');
    }
    case 'invalid_union':
      if ('discriminator' in issue && issue.discriminator === 'type') {
        return `type ${got === undefined ? 'is required' : `'${String(got)}' is not a question type`}: use single, multiple, true_false, short or numeric`;
      }
      return `${what} is not valid`;
    case 'too_big':
      if (issue.origin === 'string' && typeof got === 'string') {
        return `${what} is ${got.trim().length} characters; ${tooBigReason(path, Number(issue.maximum))}`;
      }
      if (issue.origin === 'array' && Array.isArray(got)) {
        if (path[0] === 'choices') return `${got.length} choices; at most ${String(issue.maximum)} fit on Discord and Slack`;
        return `${what} has ${got.length} entries; at most ${String(issue.maximum)}`;
      }
      return `${what} is too large (at most ${String(issue.maximum)})`;
    case 'too_small':
      if (issue.origin === 'string') return `${what} is empty`;
      if (issue.origin === 'array') {
        if (path[0] === 'choices') return `needs at least ${String(issue.minimum)} choices`;
        if (path[0] === 'answer') return 'has no correct answer';
        if (path[0] === 'questions') return 'the bank has no questions';
        return `${what} needs at least ${String(issue.minimum)} entries`;
      }
      return `${what} is too small`;
    case 'invalid_type':
      if (got === undefined) return `${what} is required`;
      if (issue.expected === 'array') return `${what} must be a list`;
      if (issue.expected === 'boolean') return `${what} must be true or false`;
      return `${what} must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
    case 'invalid_format':
      return `${what} '${String(got)}' ${issue.message}`;
    case 'invalid_value':
      return `${what} must be ${issue.values.map((v) => String(v)).join(' or ')}`;
    case 'custom':
      return issue.message;
    default:
      return `${what}: ${issue.message}`;
  }
}
