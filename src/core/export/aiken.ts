import type { Bank } from '../content/schema.js';
import type { ExportResult, SkippedQuestion } from './types.js';

/**
 * Moodle's Aiken format: single-choice questions only, each on one line with its options.
 * Everything else (other types, explanations, ids, tags) has no place in it.
 */

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ');

export function toAiken(bank: Bank): ExportResult {
  const skipped: SkippedQuestion[] = [];
  const blocks: string[] = [];
  for (const q of bank.questions) {
    if (q.type !== 'single') {
      skipped.push({ id: q.id, reason: `Aiken holds only single-choice questions, not ${q.type.replace('_', '/')}` });
      continue;
    }
    if (/^\s*ANSWER\s*:/i.test(q.prompt) || /^[A-Za-z][.)]\s/.test(q.prompt)) {
      skipped.push({ id: q.id, reason: 'the prompt starts like an option or an ANSWER line' });
      continue;
    }
    const options = q.choices.map((c, i) => `${String.fromCharCode(65 + i)}. ${oneLine(c)}`);
    blocks.push([oneLine(q.prompt), ...options, `ANSWER: ${String.fromCharCode(65 + q.choices.indexOf(q.answer))}`].join('\n'));
  }
  return { text: blocks.length ? blocks.join('\n\n') + '\n' : '', skipped };
}
