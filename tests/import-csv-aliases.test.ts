import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatIssue } from '../src/core/content/issues.js';
import type { Question } from '../src/core/content/schema.js';
import { parseImportFile } from '../src/core/import/parse.js';
import type { ParseResult } from '../src/core/import/types.js';

// CSV and TSV files in the shapes other quiz apps and spreadsheets write them.
const dir = fileURLToPath(new URL('./fixtures/import-foreign/', import.meta.url));

function read(fileName: string, text?: string): ParseResult {
  return parseImportFile({ fileName, bytes: text === undefined ? readFileSync(join(dir, fileName)) : Buffer.from(text) }).result;
}

/** The imported questions, refusing the test when the file was refused. */
function questions(r: ParseResult): Question[] {
  if (!r.bank) throw new Error(r.issues.map(formatIssue).join('\n'));
  return r.bank.bank.questions;
}

const skipped = (r: ParseResult) => (r.skipped ?? []).map(formatIssue);
const warnings = (r: ParseResult) => (r.warnings ?? []).map(formatIssue);
const refusal = (r: ParseResult) => {
  expect(r.bank, 'expected the file to be refused').toBeUndefined();
  return (r.issues ?? []).map(formatIssue);
};

describe('CSV files of other quiz apps', () => {
  it('reads option_A … option_D with a `correct` letter, a category tag, and ignores an image column', () => {
    const r = read('quiz-app-option-letters.csv');
    const qs = questions(r);
    expect(qs).toHaveLength(3);
    expect(qs[0]).toMatchObject({
      type: 'single',
      prompt: 'What picks the experts for each token?',
      choices: ['The router', 'The tokenizer', 'The optimizer', 'The loss'],
      answer: 'The router',
      tags: ['Routing'],
    });
    expect(qs.map((q) => q.answer)).toEqual(['The router', 'Two', 'The feed-forward layer']);
    expect(qs[2]!.tags).toEqual(['Architecture']);
    expect(skipped(r)).toEqual([]);
    expect(warnings(r)).toEqual(['quiz-app-option-letters.csv:1: ignored columns: img1']);
  });

  it('reads OptionA … OptionD with the answer as a choice text or as "Option B"', () => {
    const r = read('optionA.csv');
    const qs = questions(r);
    expect(qs).toHaveLength(2);
    expect(qs.map((q) => q.answer)).toEqual(['Expert scores', 'Sending most tokens to a few experts']);
    expect(r.warnings).toBeUndefined();
  });

  it('makes the right answer and the wrong ones the choices, right answer first', () => {
    const r = read('right-wrong.csv');
    const qs = questions(r);
    expect(qs).toHaveLength(3);
    expect(qs[0]).toMatchObject({ type: 'single', choices: ['The router', 'The tokenizer', 'The optimizer', 'The loss'], answer: 'The router' });
    // A wrong-answer cell left empty is no choice.
    expect(qs[1]).toMatchObject({ type: 'single', choices: ['A feed-forward network', 'A person', 'A GPU'], answer: 'A feed-forward network' });
    // "True" whose only wrong answer is "False" is a true/false question.
    expect(qs[2]).toMatchObject({ type: 'true_false', answer: true });
    expect(skipped(r)).toEqual([]);
  });

  it('reads an Open Trivia DB-like file: correct_answer, incorrect_answer_1 … 3, difficulty and category as tags', () => {
    const r = read('opentdb-like.csv');
    const qs = questions(r);
    expect(qs).toHaveLength(3);
    expect(qs[0]).toMatchObject({
      type: 'single',
      choices: ['Mixtral 8x7B', 'BERT', 'ResNet-50', 'Word2Vec'],
      answer: 'Mixtral 8x7B',
      tags: ['Science: Computers', 'medium'],
    });
    expect(qs[1]).toMatchObject({ type: 'true_false', answer: false, tags: ['Science: Computers', 'easy'] });
    expect(qs[2]).toMatchObject({ answer: 'Sending each token to its k best-scoring experts', tags: ['hard'] });
    expect(r.warnings).toBeUndefined();
  });

  it('reads a TSV with "Correct Answer" and "Wrong Answer 1" … headers, ignoring a notes column', () => {
    const r = read('wrong-answers.tsv');
    const qs = questions(r);
    expect(qs).toHaveLength(2);
    expect(qs[1]).toMatchObject({ choices: ['One where only some experts run', 'A layer with no weights', 'A pruned layer'], answer: 'One where only some experts run' });
    expect(warnings(r)).toEqual(['wrong-answers.tsv:1: ignored columns: Notes']);
  });

  it('reads quotes inside unquoted fields as text, with one warning naming their lines', () => {
    const r = read('bare-quotes.csv');
    const qs = questions(r);
    expect(qs.map((q) => q.prompt)).toEqual([
      'What picks the experts?',
      'What does "capacity factor" limit?',
      'What does "top-k" mean?',
      'How big is a 5" screen in cm?',
    ]);
    expect(warnings(r)).toEqual(['bare-quotes.csv: bare quotes inside fields were read as text (lines 4, 5)']);
  });

  it('skips the rows whose answer is not among their choices, with their lines, and imports the rest', () => {
    const r = read('answer-not-in-choices.csv');
    const qs = questions(r);
    expect(qs.map((q) => q.prompt)).toEqual(['What picks the experts?', 'What does the gate score?', 'How many experts run in top-1 routing?']);
    expect(qs[2]!.answer).toBe('One');
    expect(skipped(r)).toEqual([
      "answer-not-in-choices.csv:3: question 2: answer 'E' but there is no choice E (choices: A, B, C)",
      "answer-not-in-choices.csv:5: question 4: answer 'Bigger batches' is not a choice letter, a choice number or the text of a choice",
    ]);
    expect(r.bank!.lineOf(1)).toBe(4);
  });
});

describe('CSV header spellings', () => {
  const row = 'What picks the experts?,The router,The tokenizer,The loss,B';
  it.each([
    ['question,choice_a,choice_b,choice_c,answer'],
    ['question,option_1,option_2,option_3,answer'],
    ['Question,Option_A,Option_B,Option_C,Correct'],
    ['question,optionA,optionB,optionC,correct_answer'],
    ['Question,Option A,Option B,Option C,Correct Answer'],
    ['question,option-a,option-b,option-c,right_answer'],
    ['prompt,answer_a,answer_b,answer_c,Right Answer'],
    ['question_text,Choice1,Choice2,Choice3,CORRECT'],
    ['q,Answer 1,Answer 2,Answer 3,answer'],
  ])('%s', (header) => {
    const r = read('spelling.csv', `${header}\n${row}\n`);
    expect(questions(r)[0]).toMatchObject({ prompt: 'What picks the experts?', choices: ['The router', 'The tokenizer', 'The loss'], answer: 'The tokenizer' });
    expect(r.warnings).toBeUndefined();
  });

  it.each([
    ['question,correct,wrong_1,wrong_2', 'What picks the experts?,The router,The tokenizer,The loss'],
    ['question,correct,wrong1,wrong2', 'What picks the experts?,The router,The tokenizer,The loss'],
    ['question,answer,wrong_answer_1,wrong_answer_2', 'What picks the experts?,The router,The tokenizer,The loss'],
    ['question,answer,incorrect_answers', 'What picks the experts?,The router,The tokenizer | The loss'],
    ['Question,Right Answer,Wrong Two,Wrong One', 'What picks the experts?,The router,The loss,The tokenizer'],
  ])('%s', (header, line) => {
    const r = read('wrong.csv', `${header}\n${line}\n`);
    expect(questions(r)[0]).toMatchObject({ type: 'single', choices: ['The router', 'The tokenizer', 'The loss'], answer: 'The router' });
  });

  it('still reads the headers its own export writes, and several correct answers', () => {
    const r = read('own.csv', 'id,type,question,choice_a,choice_b,choice_c,answer,accepted,explanation,lesson,section,tags\nr1,multiple,Which are sparse?,MoE,Dense,Switch,A|C,,Both route.,,,moe|routing\n');
    expect(questions(r)[0]).toMatchObject({ id: 'r1', type: 'multiple', answer: ['MoE', 'Switch'], tags: ['moe', 'routing'] });
  });
});

describe('CSV columns it does not know', () => {
  it('ignores every unknown column with one warning naming them all, values under them included', () => {
    const r = read('extra.csv', 'question,img1,answer,notes,Explanation,audio\nWhat picks the experts?,a.png,router,see lesson 2,It scores experts.,a.mp3\n');
    expect(questions(r)[0]).toMatchObject({ type: 'short', answer: 'router', explanation: 'It scores experts.' });
    expect(warnings(r)).toEqual(['extra.csv:1: ignored columns: img1, notes, audio']);
  });

  it('names a near miss among the ignored columns', () => {
    const r = read('near.csv', 'question,correct,explaination\nWhat picks the experts?,router,It scores experts.\n');
    expect(questions(r)).toHaveLength(1);
    expect(warnings(r)).toEqual(["near.csv:1: ignored columns: explaination (did you mean 'explanation'?)"]);
  });

  it('refuses a file with no answer column, naming a misspelt one', () => {
    expect(refusal(read('typo.csv', 'question,anwser\nWhat picks the experts?,router\n'))).toEqual(["typo.csv:1:10: unknown column 'anwser' — did you mean 'answer'?"]);
    expect(refusal(read('none.csv', 'question,img1\nWhat picks the experts?,a.png\n'))).toEqual([
      "none.csv:1: the header row has no answer column: name it 'answer', 'correct' or 'correct_answer' (it has: question, img1)",
    ]);
  });

  it('refuses two columns that give the same thing', () => {
    expect(refusal(read('two.csv', 'question,answer,correct\nq,a,b\n'))).toEqual([
      "two.csv:1:17: columns 'answer' and 'correct' are both the 'answer' column (columns 2 and 3): keep one",
    ]);
    expect(refusal(read('mixed.csv', 'question,option_a,option_b,wrong_1,answer\nq,a,b,c,A\n'))[0]).toContain('choices are given in several ways');
  });

  it('still refuses a quoted field that goes on after its closing quote', () => {
    const found = refusal(read('broken.csv', 'question,answer\nWhat does "top-k" mean?,k best\n"What picks" the experts?,router\n'));
    expect(found).toContain('broken.csv:3: a quoted field goes on after its closing quote: a quote inside a quoted field must be doubled ("")');
  });
});

describe('CSV messages', () => {
  it('stay under 300 characters, whatever the file holds', () => {
    const long = 'x'.repeat(5000);
    const header = ['question', 'option_a', 'option_b', 'answer', 'type', 'section', ...Array.from({ length: 40 }, (_, i) => `${long}${i}`)].join(',');
    const rows = [`Fine?,a,b,A,,,`, `Q1?,a,b,${long},,,`, `Q2?,a,b,A,${long},,`, `Q3?,a,b,A,,${long},`, `${long},a,b,A,,,`];
    const text = `${header}\n${rows.join('\n')}\n`;
    const kept = read('long.csv', text);
    const refused = read('long.csv', `${text}"${long} "" more" then,a,b,A\n`);
    expect(kept.bank).toBeDefined();
    expect(refused.bank).toBeUndefined();
    const all = [kept, refused].flatMap((r) => [...(r.issues ?? []), ...(r.skipped ?? []), ...(r.warnings ?? [])]).map((i) => i.message);
    expect(all.length).toBeGreaterThan(8);
    for (const m of all) expect(m.length, m.slice(0, 80)).toBeLessThanOrEqual(300);
  });
});
