import { formatNumber } from '../content/numeric.js';
import { numericAnswers, type Bank, type Question } from '../content/schema.js';
import type { ExportResult, SkippedQuestion } from './types.js';

/**
 * Moodle GIFT. Ids and tags travel in Moodle's own `// [id:…]` and `// [tag:…]` comments, the
 * source in `// [lesson:…] [section:…]`, a short answer that forgives no typo in `// [exact]`,
 * the explanation as general feedback (`####`).
 */

/** Escapes GIFT's special characters; line breaks become `\n`. */
export function escapeGift(text: string): string {
  return text.replace(/[\\~=#{}:]/g, (c) => '\\' + c).replace(/\n/g, '\\n');
}

/** Text that would read as a [format] marker gets an explicit one. */
function stem(text: string): string {
  const escaped = escapeGift(text);
  return text.startsWith('[') ? `[moodle]${escaped}` : escaped;
}

/** One answer line: a leading '%' would read as a weight, so such texts get an explicit one. */
function answer(mark: '=' | '~', text: string, weight?: string): string {
  const w = weight ?? (text.startsWith('%') ? (mark === '=' ? '%100%' : '%0%') : '');
  return `${mark}${w}${escapeGift(text)}`;
}

function weightOf(n: number): string {
  return `%${Number((100 / n).toFixed(5))}%`;
}

function problemOf(q: Question): string | undefined {
  const texts = [...(q.type === 'single' || q.type === 'multiple' ? q.choices : []), ...(q.type === 'short' ? [q.answer, ...q.accepted] : [])];
  if (texts.some((t) => t.includes('->'))) return "an answer contains '->', which GIFT reads as a matching question";
  if (q.tags.some((t) => t.includes(']'))) return "a tag contains ']'";
  if (q.source && /[\]\n]/.test(q.source.section + q.source.lesson)) return "the source section contains ']'";
  return undefined;
}

function question(q: Question): string {
  const comments = [`// [id:${q.id}]${q.tags.map((t) => ` [tag:${t}]`).join('')}`];
  if (q.source) comments.push(`// [lesson:${q.source.lesson}] [section:${q.source.section}]`);
  if (q.type === 'short' && q.exact) comments.push('// [exact]');
  const lines: string[] = [];
  switch (q.type) {
    case 'single':
      for (const c of q.choices) lines.push(answer(c === q.answer ? '=' : '~', c));
      break;
    case 'multiple': {
      const right = weightOf(q.answer.length);
      for (const c of q.choices) lines.push(answer('~', c, q.answer.includes(c) ? right : '%-100%'));
      break;
    }
    case 'true_false':
      lines.push(q.answer ? 'TRUE' : 'FALSE');
      break;
    case 'short':
      for (const a of [q.answer, ...q.accepted]) lines.push(answer('=', a));
      break;
    case 'numeric':
      // Moodle's numerical forms: `=3`, `=3:0.5` (± tolerance), `=1..5` (a range).
      for (const a of numericAnswers(q)) {
        if ('min' in a) lines.push(`=${formatNumber(a.min)}..${formatNumber(a.max)}`);
        else lines.push(`=${formatNumber(a.answer)}${a.tolerance !== undefined ? `:${formatNumber(a.tolerance)}` : ''}`);
      }
      break;
  }
  lines.push(`####${escapeGift(q.explanation)}`);
  const open = q.type === 'numeric' ? '{#' : '{';
  return [...comments, `::${q.id}::${stem(q.prompt)} ${open}`, ...lines.map((l) => `  ${l}`), '}'].join('\n');
}

export function toGift(bank: Bank): ExportResult {
  const skipped: SkippedQuestion[] = [];
  const blocks = [`// ${bank.id}: exported question bank`, `$CATEGORY: ${bank.title.replace(/[\n/]/g, ' ')}`];
  for (const q of bank.questions) {
    const problem = problemOf(q);
    if (problem) skipped.push({ id: q.id, reason: problem });
    else blocks.push(question(q));
  }
  return { text: blocks.join('\n\n') + '\n', skipped };
}
