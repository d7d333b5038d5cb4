/**
 * Numbers of numeric questions: one right answer is a value within a tolerance (`3`, `3 ± 0.5`)
 * or a range (`1–5`). Shared by the schema, the quiz (typed answers, feedback), the exporters and
 * the importers, so every place reads and writes them alike.
 */

/** One right answer: `answer` ± `tolerance` (0 when absent), or every number from `min` to `max`. */
export type NumericAnswer = { answer: number; tolerance?: number } | { min: number; max: number };

/** Largest magnitude a numeric answer may have: beyond it doubles stop holding every integer. */
export const MAX_NUMERIC = 1e15;

/**
 * A number in plain decimal notation, never with an exponent (GIFT's grammar and people read no
 * `1e-7`): the shortest digits that read back to the same double.
 */
export function formatNumber(n: number): string {
  const s = String(Object.is(n, -0) ? 0 : n);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, lead, rest = '', exp] = m;
  const digits = lead! + rest;
  const point = 1 + Number(exp);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * `3`, `3 ± 0.5` or `1–5`, as feedback shows it. `cell` writes what reads back the same: ranges as
 * `1..5` (ASCII, as GIFT does) and a tolerance of 0 that was written as `3 ± 0`.
 */
export function formatNumericAnswer(a: NumericAnswer, style: 'display' | 'cell' = 'display'): string {
  if ('min' in a) return `${formatNumber(a.min)}${style === 'display' ? '–' : '..'}${formatNumber(a.max)}`;
  const shown = style === 'cell' ? a.tolerance !== undefined : Boolean(a.tolerance);
  return shown ? `${formatNumber(a.answer)} ± ${formatNumber(a.tolerance!)}` : formatNumber(a.answer);
}

/**
 * A number as a person types it: `3`, `3.0`, `3,0` (decimal comma), `+3`, `-2.5`, `.5`, `1e3`,
 * with spaces around. One `.` or `,` is the decimal point; `1,234.5` and `1.234,5` (both marks)
 * or `1,000,000` (one mark repeated between groups of three) read as grouped thousands. Anything
 * else, a unit included (`3 experts`, `50%`), is not a number: guessing what a unit means could
 * grade a wrong answer right.
 */
export function parseNumber(text: string): number | undefined {
  const s = text.trim().replace(/^\u2212/, '-');
  const m = /^([+-]?)(\d[\d.,]*|[.,]\d+)(?:[eE]([+-]?\d{1,3}))?$/.exec(s);
  if (!m) return undefined;
  const [, sign, body, exp] = m;
  const plain = decimalOf(body!);
  if (plain === undefined) return undefined;
  const n = Number(`${sign}${plain}${exp !== undefined ? `e${exp}` : ''}`);
  return Number.isFinite(n) ? n : undefined;
}

/** Digits with at most one `.`, from digits with decimal and grouping marks; undefined when malformed. */
function decimalOf(body: string): string | undefined {
  const dots = body.split('.').length - 1;
  const commas = body.split(',').length - 1;
  if (dots + commas === 0) return body;
  if (dots + commas === 1) return body.replace(',', '.');
  // Several marks: the last one is the decimal point when it differs from the others.
  const grouped = (digits: string, mark: string) => new RegExp(`^\\d{1,3}(?:\\${mark}\\d{3})+$`).test(digits);
  if (dots && commas) {
    const decimal = body.lastIndexOf('.') > body.lastIndexOf(',') ? '.' : ',';
    const group = decimal === '.' ? ',' : '.';
    const at = body.lastIndexOf(decimal);
    const whole = body.slice(0, at);
    const fraction = body.slice(at + 1);
    if (body.split(decimal).length - 1 !== 1 || !grouped(whole, group) || !/^\d+$/.test(fraction)) return undefined;
    return whole.split(group).join('') + '.' + fraction;
  }
  const mark = dots ? '.' : ',';
  return grouped(body, mark) ? body.split(mark).join('') : undefined;
}

/** Room for rounding in `0.3 ± 0.1` against a typed `0.4`, relative to the numbers' size. */
function slack(...values: number[]): number {
  return 1e-9 * Math.max(...values.map(Math.abs));
}

/** Whether a number is one of the right answers. */
export function numberMatches(n: number, answers: readonly NumericAnswer[]): boolean {
  return answers.some((a) => {
    if ('min' in a) return n >= a.min - slack(n, a.min) && n <= a.max + slack(n, a.max);
    return Math.abs(n - a.answer) <= (a.tolerance ?? 0) + slack(n, a.answer);
  });
}

/**
 * A list of right answers as a table cell writes them: `3`, `3 ± 0.5` (or `3:0.5` as in GIFT,
 * or `3 +/- 0.5`), `1..5` (or `1–5`), several separated by `|`.
 */
export function parseNumericAnswers(cell: string): { answers: NumericAnswer[] } | { problem: string } {
  const parts = cell.split('|').map((p) => p.trim());
  const answers: NumericAnswer[] = [];
  for (const part of parts) {
    const range = /^(.+?)\s*(?:\.\.|–)\s*(.+)$/.exec(part);
    const within = /^(.+?)\s*(?:±|\+\/-|\+-|:)\s*(.+)$/.exec(part);
    if (range) {
      const min = parseNumber(range[1]!);
      const max = parseNumber(range[2]!);
      if (min === undefined || max === undefined) return { problem: `'${part.slice(0, 40)}' is not a range of numbers such as 1..5` };
      answers.push({ min, max });
    } else if (within) {
      const answer = parseNumber(within[1]!);
      const tolerance = parseNumber(within[2]!);
      if (answer === undefined || tolerance === undefined) return { problem: `'${part.slice(0, 40)}' is not a number with a tolerance such as 3 ± 0.5` };
      answers.push({ answer, tolerance });
    } else {
      const answer = parseNumber(part);
      if (answer === undefined) return { problem: `'${part.slice(0, 40)}' is not a number` };
      answers.push({ answer });
    }
  }
  return { answers };
}

/** The fields of a numeric question holding these right answers: the first, and the others as `accepted`. */
export function numericFields(answers: readonly NumericAnswer[]): Record<string, unknown> {
  const [first, ...rest] = answers;
  return { ...(first ?? {}), accepted: rest.map((a) => ({ ...a })) };
}
