import { buildBank, type Candidate } from './build.js';
import { letter } from './describe.js';
import { titleFromFileName } from './names.js';
import { limitsOf, type ParseOptions, type ParseResult } from './types.js';

/**
 * Moodle's Aiken format: a question line, options in order, then `ANSWER: X`. Options are marked
 * as Moodle reads them: `A.`, `A)` (with or without a space after), `A -`, in either case.
 * Only single-choice questions exist in Aiken. A prompt may run over several lines before its
 * first option (Moodle wants one line; accepting more costs nothing).
 */

/** `A. x`, `A.x`, `A) x`, `A)x`, `a) x`, `A - x`, `A- x`; not `X-ray`, whose hyphen has no space. */
const OPTION = /^\s*([A-Za-z])(?:[.)]\s*|\s+-\s*|-\s+)(\S.*)$/;
const ANSWER = /^\s*ANSWER\s*:\s*(.*)$/i;

interface Draft {
  line: number;
  prompt: string[];
  options: { text: string; line: number }[];
  issues: Candidate['issues'];
  /** Skip the rest of a broken question up to its ANSWER line or a blank line. */
  skipping: boolean;
}

export function parseAiken(text: string, file: string, options: ParseOptions): ParseResult {
  const limits = limitsOf(options);
  const candidates: Candidate[] = [];
  let draft: Draft | undefined;
  const finish = (answer?: { value: string; line: number }) => {
    if (!draft) return;
    const d = draft;
    draft = undefined;
    if (d.issues.length) {
      candidates.push({ line: d.line, fields: {}, issues: d.issues });
      return;
    }
    if (!answer) {
      candidates.push({ line: d.line, fields: {}, issues: [{ message: "has no 'ANSWER: <letter>' line after its options" }] });
      return;
    }
    const choices = d.options.map((o) => o.text);
    const letters = answer.value.split(/[\s,;|]+/).filter(Boolean);
    const issues: Candidate['issues'] = [];
    if (d.options.length === 0) issues.push({ line: answer.line, message: 'has no options (A. …, B. …) before its ANSWER line' });
    if (letters.length === 0) issues.push({ line: answer.line, message: "the ANSWER line names no letter, e.g. 'ANSWER: B'" });
    else if (letters.length > 1) issues.push({ line: answer.line, message: `has ${letters.length === 2 ? 'two' : letters.length} correct answers (${letters.join(', ')}); an Aiken question has one` });
    const index = letters.length === 1 && /^[A-Za-z]$/.test(letters[0]!) ? letters[0]!.toUpperCase().charCodeAt(0) - 65 : -1;
    if (letters.length === 1 && index < 0) issues.push({ line: answer.line, message: `ANSWER '${letters[0]}' is not an option letter` });
    else if (letters.length === 1 && d.options.length > 0 && index >= d.options.length) {
      issues.push({ line: answer.line, message: `ANSWER ${letter(index)} but there is no option ${letter(index)} (options A–${letter(d.options.length - 1)})` });
    }
    const fields = { type: 'single', prompt: d.prompt.join('\n'), choices, answer: choices[index] ?? '' };
    const locate = (path: readonly PropertyKey[]) => {
      if (path[0] === 'choices' && typeof path[1] === 'number') return { line: d.options[path[1]]?.line ?? d.line };
      if (path[0] === 'answer') return { line: answer.line };
      return undefined;
    };
    candidates.push({ line: d.line, fields, issues, locate });
  };

  const lines = text.split('\n');
  for (let i = 0; i < lines.length && candidates.length <= limits.maxQuestions; i++) {
    const raw = lines[i]!;
    const lineNo = i + 1;
    const line = raw.trim();
    const answer = ANSWER.exec(raw);
    if (draft?.skipping) {
      // A broken question ends at its ANSWER line or at a blank line; its problem is reported once.
      if (answer || !line) finish();
      continue;
    }
    if (!line) {
      // A blank line inside a question before its options is allowed; after options it ends it.
      if (draft && draft.options.length) finish();
      continue;
    }
    if (answer) {
      if (!draft) {
        candidates.push({ line: lineNo, fields: {}, issues: [{ message: 'an ANSWER line without a question before it' }] });
        continue;
      }
      finish({ value: answer[1]!.trim(), line: lineNo });
      continue;
    }
    const option = OPTION.exec(raw);
    if (!draft) {
      draft = { line: lineNo, prompt: [line], options: [], issues: [], skipping: false };
      // Option A then option B: the question line is missing ("A.I. is…" then "A. …" is a question).
      const following = lines[i + 1] !== undefined ? OPTION.exec(lines[i + 1]!) : null;
      if (option && option[1]!.toUpperCase() === 'A' && following && following[1]!.toUpperCase() === 'B') {
        draft.issues.push({ line: lineNo, message: 'an option line where a question was expected (is the question line missing?)' });
        draft.skipping = true;
      }
      continue;
    }
    if (option && (draft.options.length > 0 || option[1]!.toUpperCase() === 'A')) {
      const expected = letter(draft.options.length);
      if (option[1]!.toUpperCase() !== expected) {
        draft.issues.push({ line: lineNo, message: `option ${option[1]!.toUpperCase()} where option ${expected} was expected (options go A, B, C, … in order)` });
        draft.skipping = true;
        continue;
      }
      draft.options.push({ text: option[2]!.trim(), line: lineNo });
      continue;
    }
    if (draft.options.length === 0) {
      draft.prompt.push(line);
      continue;
    }
    draft.issues.push({ line: lineNo, message: `expected option ${letter(draft.options.length)} or an 'ANSWER: <letter>' line, found '${line.slice(0, 40)}'` });
    draft.skipping = true;
  }
  finish();
  if (candidates.length > limits.maxQuestions) {
    return { issues: [{ file, message: `the file has more than ${limits.maxQuestions} questions; the limit is ${limits.maxQuestions}` }] };
  }
  return buildBank(file, candidates, { title: titleFromFileName(file) }, options, { defaultExplanations: true });
}
