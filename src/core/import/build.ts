import type { SourceIssue } from '../content/issues.js';
import { bankSchema, correctAnswers, questionSchema, type Bank, type Question } from '../content/schema.js';
import { sha256 } from '../util/hash.js';
import { normalizeText } from '../util/text.js';
import { capIssues } from './checks.js';
import { describeIssue, nativeLabels, type FieldLabeler, type Path } from './describe.js';
import { limitsOf, type ParseNotes, type ParseOptions, type ParseResult } from './types.js';

/**
 * The second half of every non-native parser: each format reads its file into candidate
 * questions (plain fields plus the line they came from); this validates them against the one
 * question schema, gives id-less questions a stable id, and assembles the bank.
 */

export interface Candidate {
  /** 1-based line where the question starts. */
  line: number;
  /** The question's fields as read (type, prompt, choices, answer, …); `id` may be missing. */
  fields: Record<string, unknown>;
  /** Problems the format's parser found in this question already. */
  issues: { line?: number; column?: number; message: string }[];
  /** Where one field of the question sits, when the format knows better than `line`. */
  locate?: (path: Path) => { line: number; column?: number } | undefined;
}

export interface BankHeader {
  title: string;
  description?: string;
  lesson?: string;
}

const bankHeaderSchema = bankSchema.omit({ questions: true });

/**
 * A stable id for a question whose format carries none: the same prompt in the same bank always
 * gets the same id, so re-importing the file matches the stored questions.
 */
export function deriveQuestionId(bankId: string, prompt: string): string {
  return 'q-' + sha256(`${bankId}\n${normalizeText(prompt)}`).slice(0, 10);
}

/** The explanation of a question whose format has no place for one. */
export function defaultExplanation(q: Record<string, unknown>): string | undefined {
  try {
    const answers = correctAnswers(q as Question).map((a) => String(a).trim());
    if (answers.length === 0 || answers.some((a) => !a)) return undefined;
    return `${answers.length > 1 && q.type === 'multiple' ? 'Correct answers' : 'Correct answer'}: ${answers.join('; ')}`.slice(0, 1500);
  } catch {
    return undefined;
  }
}

export interface BuildOptions {
  /** Fill in an explanation where the format has none (Aiken, Anki, optional CSV column). */
  defaultExplanations?: boolean;
  label?: FieldLabeler;
  /** Line for problems of the bank as a whole (its id or title). */
  headerLine?: number;
  /** Notes about the file that refuse nothing (ignored columns, bare quotes read as text). */
  warnings?: SourceIssue[];
}

export function buildBank(file: string, candidates: Candidate[], header: BankHeader, options: ParseOptions, build: BuildOptions = {}): ParseResult {
  const limits = limitsOf(options);
  const label = build.label ?? nativeLabels;
  const issues: SourceIssue[] = [];
  const skipped: SourceIssue[] = [];
  const notes = build.warnings?.length ? { warnings: capIssues(build.warnings, limits.maxIssues, file) } : {};
  if (candidates.length === 0) return { issues: [{ file, message: 'no questions found in the file' }], ...notes };
  if (candidates.length > limits.maxQuestions) {
    return { issues: [{ file, message: `the file has ${candidates.length} questions; the limit is ${limits.maxQuestions}` }] };
  }

  const bankId = options.bankId ?? options.defaultBankId;
  const bankHead = bankHeaderSchema.safeParse({
    id: bankId,
    title: options.bankTitle ?? header.title,
    ...(header.description ? { description: header.description } : {}),
    ...((options.lessonId ?? header.lesson) ? { lesson: options.lessonId ?? header.lesson } : {}),
  });
  if (!bankHead.success) {
    for (const issue of bankHead.error.issues) {
      const field = String(issue.path[0] ?? 'bank');
      const fromName = field === 'id' && options.bankId === undefined ? ' (from the file name: name the bank with the bank option)' : '';
      const what = field === 'id' ? `bank id '${bankId}'` : field === 'lesson' ? `lesson '${String(options.lessonId ?? header.lesson)}'` : `bank ${field}`;
      issues.push({ file, ...(build.headerLine ? { line: build.headerLine } : {}), message: `${what}: ${issue.message}${fromName}` });
    }
  }

  const questions: Question[] = [];
  const questionLines: number[] = [];
  const derivedIds: boolean[] = [];
  candidates.forEach((c, index) => {
    const number = index + 1;
    // A question that cannot be imported is skipped, with its line and why; the others go on.
    if (c.issues.length) {
      for (const i of c.issues) skipped.push({ file, line: i.line ?? c.line, ...(i.column ? { column: i.column } : {}), question: number, message: i.message });
      return;
    }
    const fields = { ...c.fields };
    let derived = false;
    if (fields.id === undefined) {
      fields.id = deriveQuestionId(bankId, typeof fields.prompt === 'string' ? fields.prompt : '');
      derived = true;
    }
    if (build.defaultExplanations && (fields.explanation === undefined || fields.explanation === '')) {
      // Without a valid answer there is nothing to explain: the answer's own problem is reported.
      fields.explanation = defaultExplanation(fields) ?? '(none)';
    }
    const parsed = questionSchema.safeParse(fields);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const at = c.locate?.(issue.path) ?? { line: c.line };
        skipped.push({ file, ...at, question: number, message: describeIssue(issue, fields, label) });
      }
      return;
    }
    questions[index] = parsed.data;
    questionLines[index] = c.line;
    derivedIds[index] = derived;
  });
  if (issues.length || !bankHead.success) return { issues: capIssues(issues, limits.maxIssues, file), ...notes };
  questions.length = candidates.length;
  return keptQuestions(file, bankHead.data, questions, (i) => questionLines[i], derivedIds, skipped, limits.maxIssues, notes);
}

/**
 * The bank of the questions that passed, in file order, without a second one of the same id or
 * prompt (that one is skipped too). A file where nothing passed is refused, listing why.
 */
export function keptQuestions(
  file: string,
  header: Omit<Bank, 'questions'>,
  /** By file position; holes are questions already skipped. */
  byPosition: (Question | undefined)[],
  lineAt: (position: number) => number | undefined,
  derivedAt: boolean[],
  skipped: SourceIssue[],
  maxIssues: number,
  notes: ParseNotes = {},
): ParseResult {
  const repeated = new Set<number>();
  for (const d of findDuplicates(byPosition, lineAt, file)) {
    repeated.add(d.question! - 1);
    skipped.push(d);
  }
  const kept = byPosition.flatMap((q, p) => (q && !repeated.has(p) ? [p] : []));
  skipped.sort((a, b) => (a.question ?? 0) - (b.question ?? 0));
  const capped = capIssues(skipped, maxIssues, file);
  if (kept.length === 0) {
    return { issues: [...capped, { file, message: `none of the ${byPosition.length} questions could be imported` }], ...notes };
  }
  const bank: Bank = { ...header, questions: kept.map((p) => byPosition[p]!) };
  return {
    bank: { bank, lineOf: (i) => lineAt(kept[i]!), numberOf: (i) => kept[i]! + 1, derivedIds: kept.map((p) => derivedAt[p] ?? false) },
    ...(capped.length ? { skipped: capped } : {}),
    ...notes,
  };
}

/** Two questions of one file with the same id, or the same prompt in other words. */
export function findDuplicates(questions: readonly (Question | undefined)[], lineOf: (index: number) => number | undefined, file: string): SourceIssue[] {
  const issues: SourceIssue[] = [];
  const ids = new Map<string, number>();
  const prompts = new Map<string, number>();
  questions.forEach((q, index) => {
    if (!q) return;
    // Lines are looked up only for problems: finding one can cost a pass over the file.
    const at = () => ({ file, line: lineOf(index), question: index + 1 });
    const where = (i: number) => `question ${i + 1}${lineOf(i) !== undefined ? ` (line ${lineOf(i)})` : ''}`;
    const key = normalizeText(q.prompt);
    const priorPrompt = prompts.get(key);
    if (priorPrompt !== undefined) issues.push({ ...at(), message: `the same prompt as ${where(priorPrompt)}` });
    else prompts.set(key, index);
    const priorId = ids.get(q.id);
    // Ids derived from the same prompt collide too: the prompt message above says it all.
    if (priorId !== undefined && priorId !== priorPrompt) issues.push({ ...at(), message: `id '${q.id}' is also used by ${where(priorId)}` });
    else if (priorId === undefined) ids.set(q.id, index);
  });
  return issues;
}
