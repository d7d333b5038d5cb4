import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue } from '../src/core/content/issues.js';
import type { Question } from '../src/core/content/schema.js';
import { parseImportFile, PARSERS } from '../src/core/import/parse.js';
import { repoRoot } from './helpers/cli.js';

/** Moodle's GIFT and Aiken files as Moodle itself reads them. */

const fixture = (name: string) => readFileSync(join(repoRoot, 'tests/fixtures/import-foreign', name));

function imported(name: string) {
  const { format, result } = parseImportFile({ fileName: name, bytes: fixture(name) });
  if (!result.bank) throw new Error(result.issues.map(formatIssue).join('\n'));
  return { format, questions: result.bank.bank.questions, title: result.bank.bank.title, skipped: (result.skipped ?? []).map(formatIssue) };
}

const byPrompt = (questions: Question[], start: string) => questions.find((q) => q.prompt.startsWith(start));

describe("GIFT: Moodle's examples", () => {
  const { format, questions, title, skipped } = imported('gift-moodle-examples.txt');
  const NOT_OURS = ' (multiple choice, true/false, short answer and numerical are)';

  it('imports every question but the matching, essay and description ones, which are skipped with their lines', () => {
    expect(format).toBe('gift');
    expect(title).toBe('GIFT examples');
    expect(questions).toHaveLength(38);
    expect(questions.map((q) => q.type).reduce<Record<string, number>>((n, t) => ({ ...n, [t]: (n[t] ?? 0) + 1 }), {})).toEqual({
      true_false: 7,
      single: 11,
      multiple: 3,
      short: 5,
      numeric: 12,
    });
    expect(skipped).toEqual([
      `gift-moodle-examples.txt:140: question 39: matching questions are not supported${NOT_OURS}`,
      `gift-moodle-examples.txt:142: question 40: matching questions are not supported${NOT_OURS}`,
      `gift-moodle-examples.txt:149: question 41: matching questions are not supported${NOT_OURS}`,
      `gift-moodle-examples.txt:152: question 42: essay questions are not supported${NOT_OURS}`,
      `gift-moodle-examples.txt:154: question 43: essay questions are not supported${NOT_OURS}`,
      `gift-moodle-examples.txt:157: question 44: a description (text without an answer block) is not a question${NOT_OURS}`,
      `gift-moodle-examples.txt:159: question 45: a description (text without an answer block) is not a question${NOT_OURS}`,
    ]);
  });

  it('reads numerical answers in every form: ± tolerance, range, several answers, full marks only', () => {
    const numeric = (start: string) => {
      const q = byPrompt(questions, start);
      expect(q?.type).toBe('numeric');
      const { answer, tolerance, min, max, accepted } = q as Extract<Question, { type: 'numeric' }>;
      return { answer, tolerance, min, max, accepted };
    };
    const none = { answer: undefined, tolerance: undefined, min: undefined, max: undefined, accepted: [] };
    expect(numeric('What is a number from 1 to 5?')).toEqual({ ...none, answer: 3, tolerance: 2 });
    expect(numeric('Name a number between 1 and 5')).toEqual({ ...none, min: 1, max: 5 });
    // The 50% answer is partial credit: only the full-marks one is right.
    expect(numeric('When was Ulysses S. Grant born?')).toEqual({ ...none, answer: 1822, tolerance: 0 });
    expect(numeric('What is the value of pi')).toEqual({ ...none, answer: 3.14159, tolerance: 0.0005 });
    expect(numeric('Give a value of pi')).toEqual({ ...none, min: 3.141, max: 3.142 });
    expect(numeric('Name a power of two')).toEqual({ ...none, answer: 4, accepted: [{ answer: 8 }] });
    expect(numeric('Name a whole number from -5 to -1')).toEqual({ ...none, min: -5, max: -1 });
    expect(numeric('How many tokens are 1.5 thousand')).toEqual({ ...none, answer: 1500 });
    expect(numeric('How many experts does each Mixtral')).toEqual({ ...none, answer: 8 });
    expect(numeric('About what share')).toEqual({ ...none, answer: 28, tolerance: 3 });
    expect(byPrompt(questions, 'How many experts does each Mixtral')?.explanation).toBe('Mixtral 8x7B has 8 experts in each MoE layer.');
    expect(byPrompt(questions, 'About what share')?.explanation).toBe('Right: about 13B of 47B.');
    expect(byPrompt(questions, 'When was Ulysses S. Grant born?')?.explanation).toBe('Correct! Full credit.');
  });

  it("reads the rest as Moodle does: '=' in a question's text, escapes, weights and partial credit", () => {
    expect(byPrompt(questions, '1+1=2')).toMatchObject({ type: 'true_false', answer: true });
    expect(byPrompt(questions, 'Which answer equals 5?')).toMatchObject({ type: 'single', answer: '= 2 + 3' });
    expect(byPrompt(questions, 'Which of the following is NOT a control character')).toMatchObject({ choices: ['~', '=', '#', '{', '}', '\\'], answer: '\\' });
    expect(byPrompt(questions, 'What two people')).toMatchObject({ type: 'multiple', answer: ['Grant', "Grant's wife"] });
    expect(byPrompt(questions, 'Which component scores the experts')).toMatchObject({ type: 'short', answer: 'router', accepted: ['gating network'] });
    expect(byPrompt(questions, 'What do we call the number of experts')).toMatchObject({ id: 'top-k-name', tags: ['routing', 'terms'], explanation: 'The router keeps the k highest-scoring experts.' });
  });
});

describe('GIFT numerical questions', () => {
  const parse = (text: string) => PARSERS.gift(text, 'quiz.gift', { defaultBankId: 'quiz' });

  it('skips the numerical questions that cannot be ours, each with its line, and imports the others', () => {
    const r = parse(
      [
        '::A:: How many experts? {#2}',
        '::B:: Half marks only. {#=%50%3}',
        '::C:: Negative tolerance. {#3:-1}',
        '::D:: Upside-down range. {#5..1}',
        '::E:: With a unit. {#3 experts}',
        '::F:: Too large. {#1e20}',
        '::G:: Fine again. {#=1 =2:0.5}',
      ].join('\n\n') + '\n',
    );
    expect(r.bank?.bank.questions.map((q) => q.prompt)).toEqual(['How many experts?', 'Fine again.']);
    expect((r.skipped ?? []).map(formatIssue)).toEqual([
      'quiz.gift:3: question 2: has no answer worth full marks: only partial-credit answers (=%50%…), which are not supported',
      'quiz.gift:5: question 3: the tolerance of 3:-1 is negative',
      'quiz.gift:7: question 4: min 5 is more than max 1',
      "quiz.gift:9:24: question 5: not a numerical answer at 'e': write numbers such as {#3}, {#3:0.5} (3 ± 0.5), {#1..5} or {#=3 =4}",
      'quiz.gift:11: question 6: answer is too large (at most 1000000000000000)',
    ]);
  });

  it('skips a source section without its lesson as that one question, not the file', () => {
    const r = parse('// [section:Key terms]\n::A:: Q one? {T}\n\n::B:: Q two? {F}\n');
    expect(r.bank?.bank.questions.map((q) => q.prompt)).toEqual(['Q two?']);
    expect((r.skipped ?? []).map(formatIssue)).toEqual(["quiz.gift:2: question 1: section 'Key terms' needs a lesson: add [lesson:…] or import with --lesson"]);
  });
});

describe('Aiken: option markers as Moodle reads them', () => {
  it('reads A., A), A.text, A)text, a), A - and A- options, and skips a broken question with its line', () => {
    const { format, questions, skipped } = imported('aiken-markers.txt');
    expect(format).toBe('aiken');
    expect(questions).toHaveLength(8);
    expect(questions.map((q) => q.type === 'single' && [q.choices.length, q.choices.indexOf(q.answer)])).toEqual([
      [3, 0],
      [3, 0],
      [3, 1],
      [2, 0],
      [3, 0],
      [3, 0],
      [2, 0],
      [2, 0],
    ]);
    expect(byPrompt(questions, 'How many experts run')).toMatchObject({ choices: ['One', 'Two', 'Eight'], answer: 'Two' });
    expect(byPrompt(questions, 'What makes an MoE model sparse?')).toMatchObject({ choices: ['Only a few experts run for each token', 'Its weights are mostly zero', 'It has no attention'] });
    // A prompt that starts like an option ("A.I. …") is still the prompt.
    expect(byPrompt(questions, 'A.I. accelerators')?.type).toBe('single');
    expect(skipped).toEqual(['aiken-markers.txt:49: question 9: ANSWER D but there is no option D (options A–B)']);
  });

  it('still says when the question line is missing, and reads X-ray as text, not option X', () => {
    const r = PARSERS.aiken('A) One\nB) Two\nANSWER: A\n\nX-ray images: which is used?\nA - Film\nB - Sound\nANSWER: A\n', 'q.txt', { defaultBankId: 'q' });
    expect(r.bank?.bank.questions.map((q) => q.prompt)).toEqual(['X-ray images: which is used?']);
    expect((r.skipped ?? []).map(formatIssue)).toEqual(['q.txt:1: question 1: an option line where a question was expected (is the question line missing?)']);
  });
});
