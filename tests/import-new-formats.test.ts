import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatIssue } from '../src/core/content/issues.js';
import type { Question } from '../src/core/content/schema.js';
import { detectFormat, lookAlike, looksLike } from '../src/core/import/detect.js';
import { parseImportFile, type ParsedFile } from '../src/core/import/parse.js';
import type { ImportFormat } from '../src/core/import/types.js';

/**
 * Red-DiscordBot trivia lists, Open Trivia DB files and Anki card exports, read from files as
 * those tools write them: what imports, what is skipped and why, and that every text is plain.
 */

const dir = fileURLToPath(new URL('./fixtures/import-foreign/', import.meta.url));

function importFixture(name: string, format?: ImportFormat): ParsedFile {
  return parseImportFile({ fileName: name, bytes: readFileSync(dir + name), ...(format ? { format } : {}) });
}

function importText(fileName: string, text: string, format?: ImportFormat): ParsedFile {
  return parseImportFile({ fileName, bytes: Buffer.from(text), ...(format ? { format } : {}) });
}

function questionsOf(parsed: ParsedFile): Question[] {
  expect(parsed.result.issues, JSON.stringify(parsed.result.issues)).toBeUndefined();
  return parsed.result.bank!.bank.questions;
}

const skippedOf = (parsed: ParsedFile) => (parsed.result.skipped ?? []).map(formatIssue);

/** Every text a question shows: no tags, no entities, no Anki media markup left. */
function expectPlainText(questions: Question[]): void {
  for (const q of questions) {
    const texts = [q.prompt, q.explanation, ...q.tags, ...('choices' in q ? q.choices : []), ...(q.type === 'short' ? [q.answer, ...q.accepted] : [])];
    for (const t of texts) {
      expect(t, t).not.toMatch(/<\/?[a-z][^>]*>|&(#\d+|#x[0-9a-f]+|[a-z]+);|\[sound:/i);
      expect(t).toBe(t.trim());
    }
  }
}

describe('Red-DiscordBot trivia lists', () => {
  it('reads a list with AUTHOR and CONFIG: each question a short answer, numbers and booleans as written', () => {
    const parsed = importFixture('red-basic.yaml');
    expect(parsed.format).toBe('red-trivia');
    const questions = questionsOf(parsed);
    expect(questions).toHaveLength(8);
    expect(questions.every((q) => q.type === 'short')).toBe(true);
    const short = questions.filter((q) => q.type === 'short');
    expect(short.map((q) => q.answer)).toEqual(['2', 'router', 'false', '2021', '1.25', 'all-to-all', 'Mixture of Experts', 'true']);
    expect(short[0]!.accepted).toEqual(['two']);
    expect(short[1]!.accepted).toEqual(['The router', 'gating network', 'gate']);
    // "all to all" and "Mixture-of-Experts" read the same as an answer already listed.
    expect(short[5]!.accepted).toEqual(['alltoall']);
    expect(short[6]!.accepted).toEqual([]);
    expect(short[2]!.prompt).toBe('True or false: every expert runs for every token in a sparse MoE layer.');
    const { bank, lineOf } = parsed.result.bank!;
    expect(bank.title).toBe('Red basic');
    expect(bank.description).toBe('Red-DiscordBot trivia list by Mira Okafor');
    expect(questions.map((_, i) => lineOf(i))).toEqual([8, 11, 16, 19, 21, 23, 27, 30]);
    expect(parsed.result.skipped).toBeUndefined();
    expectPlainText(questions);
  });

  it('skips an entry whose answers are not a list, with its line, and imports the rest', () => {
    const parsed = importFixture('red-bad-entry.yaml');
    expect(parsed.format).toBe('red-trivia');
    expect(questionsOf(parsed).map((q) => q.prompt)).toEqual([
      'What picks the experts for each token?',
      'How many experts does Mixtral 8x7B route each token to?',
      'Which loss keeps experts evenly used?',
    ]);
    expect(skippedOf(parsed)).toEqual([`red-bad-entry.yaml:5: question 2: the answers must be a list ("- answer" lines), not 'Mixture of Experts'`]);
  });

  it('leaves out an answer too long to type with a warning, and skips questions with no answer that fits', () => {
    const long = 'x'.repeat(250);
    const text = [
      'Name the router:',
      '- router',
      `- ${long}`,
      'Only a long answer:',
      `- ${long}`,
      'Nested:',
      '- [a, b]',
      'Empty list: []',
      'Fine: [yes, 0x1F, 007]',
      '',
    ].join('\n');
    const parsed = importText('list.yaml', text);
    expect(parsed.format).toBe('red-trivia');
    const questions = questionsOf(parsed);
    expect(questions.map((q) => (q.type === 'short' ? [q.answer, ...q.accepted] : []))).toEqual([['router'], ['yes', '0x1F', '007']]);
    expect(parsed.result.warnings?.map(formatIssue)).toEqual(['list.yaml:3: question 1: answer 2 is 250 characters; the limit is 200, so it was left out']);
    expect(skippedOf(parsed)).toEqual([
      'list.yaml:5: question 2: answer 1 is 250 characters; the limit is 200',
      'list.yaml:7: question 3: answer 1 is a list; each answer must be one text, number or yes/no',
      'list.yaml:8: question 4: the list of answers is empty',
    ]);
  });

  it('keeps file order and lines for keys YAML reads as numbers, and skips a question asked twice', () => {
    const text = ['Name the router.:', '- router', '42:', '- the answer', 'Name the router.:', '- gate', 'Aliased: &answers [sparse, dense]', 'Again: *answers', ''].join('\n');
    const parsed = importText('list.yaml', text, 'red-trivia');
    const questions = questionsOf(parsed);
    expect(questions.map((q) => [q.prompt, q.type === 'short' ? [q.answer, ...q.accepted] : []])).toEqual([
      ['Name the router.', ['router']],
      ['42', ['the answer']],
      ['Aliased', ['sparse', 'dense']],
      ['Again', ['sparse', 'dense']],
    ]);
    expect(questions.map((_, i) => parsed.result.bank!.lineOf(i))).toEqual([1, 3, 7, 8]);
    expect(skippedOf(parsed)).toEqual(['list.yaml:5: question 3: the same prompt as question 1 (line 1)']);
  });

  it('refuses a file that is not a mapping, or that names object internals', () => {
    expect(importText('l.yaml', '- a\n- b\n', 'red-trivia').result.issues?.map(formatIssue)).toEqual([
      'l.yaml:1: a Red-DiscordBot trivia list is a mapping of each question to its list of answers',
    ]);
    expect(importText('l.yaml', 'AUTHOR: x\n__proto__:\n- a\nQ?:\n- b\n').result.issues?.[0]?.message).toMatch(/'__proto__' is not allowed/);
  });
});

describe('Open Trivia DB files', () => {
  it('reads multiple-choice and true/false questions with every entity decoded, category and difficulty as tags', () => {
    const parsed = importFixture('opentdb-mixed.json');
    expect(parsed.format).toBe('opentdb');
    const questions = questionsOf(parsed);
    expect(questions.map((q) => q.type)).toEqual(['single', 'true_false', 'single', 'true_false', 'single', 'single', 'true_false']);
    expectPlainText(questions);
    const [router, sparse, switchT, , cafe, portal, balance] = questions;
    expect(router!.prompt).toBe('In a Mixture-of-Experts layer, what does the "router" choose?');
    expect(router!.type === 'single' && router!.choices).toContain("The tokenizer's vocabulary");
    expect(router!.type === 'single' && router!.answer).toBe('Which experts process each token');
    expect(sparse!.type === 'true_false' && sparse!.answer).toBe(false);
    expect(switchT!.prompt).toBe('Which company released the “Switch Transformer” paper?');
    expect(switchT!.type === 'single' && switchT!.choices).toEqual(['Google', 'Meta', 'Mistral AI', 'AT&T']);
    expect(cafe!.prompt).toBe(`What is the French word for "coffee shop", as in 'café'?`);
    expect(cafe!.type === 'single' && cafe!.choices).toEqual(['Café', 'Boulangerie', 'Brasserie', 'Pâtisserie']);
    expect(router!.tags).toEqual(['science-computers', 'medium']);
    expect(portal!.tags).toEqual(['entertainment-video-games', 'medium']);
    expect(balance!.tags).toEqual(['science-nature', 'hard']);
    const { lineOf, bank } = parsed.result.bank!;
    expect(questions.map((_, i) => lineOf(i))).toEqual([4, 16, 26, 38, 48, 60, 72]);
    expect(bank.title).toBe('Opentdb mixed');
  });

  const result = (fields: Record<string, unknown>) => ({
    type: 'multiple',
    difficulty: 'easy',
    category: 'General Knowledge',
    question: 'What picks the experts?',
    correct_answer: 'The router',
    incorrect_answers: ['The tokenizer', 'The loss'],
    ...fields,
  });

  it('skips results that cannot be questions here, each with its line and why', () => {
    const results = [
      result({}),
      result({ type: 'matching', question: 'Match them.' }),
      result({ question: 'Which is long?', correct_answer: 'y'.repeat(80) }),
      result({ type: 'boolean', question: 'Is it?', correct_answer: 'Maybe', incorrect_answers: ['True'] }),
      result({ question: 'Seven choices?', incorrect_answers: ['a', 'b', 'c', 'd', 'e', 'f'] }),
    ];
    const parsed = importText('trivia.json', JSON.stringify({ response_code: 0, results }, null, 2));
    expect(parsed.format).toBe('opentdb');
    expect(questionsOf(parsed)).toHaveLength(1);
    const skipped = parsed.result.skipped ?? [];
    expect(skipped.map((s) => [s.question, s.line])).toEqual([
      [2, 15],
      [3, 26],
      [4, 37],
      [5, 47],
    ]);
    expect(skipped[0]!.message).toBe("unknown question type 'matching' (multiple or boolean)");
    expect(skipped[1]!.message).toBe('correct_answer is 80 characters; a Discord or Slack button holds at most 75');
    expect(skipped[2]!.message).toBe("a boolean question's correct_answer must be True or False, not 'Maybe'");
    expect(skipped[3]!.message).toBe('7 choices; at most 6 fit on Discord and Slack');
  });

  it('says what the database answered when the file holds no questions', () => {
    expect(importText('empty.json', '{"response_code":1,"results":[]}').result.issues?.map(formatIssue)).toEqual([
      'empty.json:1: the file holds no questions: the database answered 1, no results: the database had too few questions for the query',
    ]);
  });

  it('reads the base64 and URL encodings the database also sends', () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const encoded = { response_code: 0, results: [{ type: b64('boolean'), difficulty: b64('easy'), category: b64('Science: Computers'), question: b64('Is MoE "sparse"?'), correct_answer: b64('True'), incorrect_answers: [b64('False')] }] };
    const [q] = questionsOf(importText('b.json', JSON.stringify(encoded)));
    expect(q).toMatchObject({ type: 'true_false', prompt: 'Is MoE "sparse"?', answer: true, tags: ['science-computers', 'easy'] });
    const url = { response_code: 0, results: [result({ question: encodeURIComponent('What picks the experts?'), correct_answer: encodeURIComponent('The router'), incorrect_answers: ['The%20tokenizer'] })] };
    expect(questionsOf(importText('u.json', JSON.stringify(url)))[0]).toMatchObject({ prompt: 'What picks the experts?', choices: ['The router', 'The tokenizer'] });
  });
});

describe('Anki card exports', () => {
  it('takes the answer after <hr id=answer>, whatever its quoting, as plain text', () => {
    const parsed = importFixture('anki-card-export.txt');
    expect(parsed.format).toBe('anki');
    const questions = questionsOf(parsed);
    expectPlainText(questions);
    expect(questions.map((q) => [q.prompt, q.type === 'short' ? q.answer : undefined])).toEqual([
      ['What picks the experts for a token?', 'The router'],
      ['How many experts does Mixtral 8x7B route each token to?', 'two'],
      ['What does "top-k" routing keep?', 'the k highest-scoring experts'],
      ['Name the loss that keeps experts evenly used.', 'load balancing loss'],
      ['What is an expert in an MoE layer?\n(what kind of network)', 'a feed-forward network'],
      ['Who wrote “Outrageously Large Neural Networks” (2017)?', 'Shazeer et al. & Google Brain'],
      ['What limits how many tokens an expert takes?', 'capacity factor'],
      ['What is the token dropped when an expert is full called?', 'an overflow token'],
    ]);
  });

  it('skips an image-only note with its line and media, and imports the other 24', () => {
    const parsed = importFixture('anki-image-note.txt');
    const questions = questionsOf(parsed);
    expect(questions).toHaveLength(24);
    expectPlainText(questions);
    expect(questions[10]!.prompt).toBe('Do all experts run for every token in a sparse MoE?');
    expect(questions[0]!.tags).toEqual(['moe', 'routing']);
    expect(skippedOf(parsed)).toEqual(['anki-image-note.txt:16: question 13: image-only note (media: router-diagram.png): nothing to ask']);
  });

  it('skips notes with only a sound, with nothing, or with an answer too long to type', () => {
    const text = [
      '#separator:tab',
      '#html:true',
      'What picks the experts?\trouter',
      '[sound:router.mp3]\trouter',
      'How is it said?\t[sound:router.mp3]',
      '<div><br></div>\t&nbsp;',
      `Explain routing.\t${'word '.repeat(60)}`,
      // Older Anki versions leave HTML attributes' quotes as they are.
      'What is in the diagram?<img src="moe.png">\tthe router<br>and experts',
      '',
    ].join('\n');
    const parsed = importText('deck.txt', text);
    expect(questionsOf(parsed).map((q) => (q.type === 'short' ? q.answer : ''))).toEqual(['router', 'the router and experts']);
    expect(skippedOf(parsed)).toEqual([
      'deck.txt:4: question 2: sound-only note (media: router.mp3): nothing to ask',
      'deck.txt:5: question 3: the back is only sound (media: router.mp3): there is no answer to type',
      'deck.txt:6: question 4: empty note: nothing to ask',
      'deck.txt:7: question 5: the back is 299 characters; the limit is 200',
    ]);
  });
});

describe('detecting the new formats', () => {
  const red = readFileSync(dir + 'red-basic.yaml', 'utf8');
  const otdb = readFileSync(dir + 'opentdb-mixed.json', 'utf8');
  const native = 'id: team\ntitle: Team\nquestions:\n  - id: q1\n    type: short\n    prompt: Name the router.\n    answer: router\n    explanation: It routes.\n';

  it('tells them from native banks by their content, under any name', () => {
    expect(detectFormat('list.yaml', red)).toBe('red-trivia');
    expect(detectFormat('list.yml', red)).toBe('red-trivia');
    expect(detectFormat('list.txt', red)).toBe('red-trivia');
    expect(detectFormat('bank.yaml', native)).toBe('yaml');
    expect(detectFormat('trivia.json', otdb)).toBe('opentdb');
    expect(detectFormat('api-response', otdb)).toBe('opentdb');
    expect(detectFormat('bank.json', '{"id":"b","title":"B","questions":[]}')).toBe('json');
    expect(detectFormat('list.yaml', red, 'yaml')).toBe('yaml');
  });

  it('a file given as another format is refused with one sentence naming the format it looks like', () => {
    const asYaml = importFixture('red-basic.yaml', 'yaml');
    expect(asYaml.result.issues?.map(formatIssue)).toEqual([
      'red-basic.yaml: this looks like a Red-DiscordBot trivia list, not a question bank in YAML: give the format red-trivia (--format red-trivia)',
    ]);
    expect(importFixture('opentdb-mixed.json', 'json').result.issues?.map((i) => i.message)).toEqual([
      'this looks like Open Trivia DB questions, not a question bank in JSON: give the format opentdb (--format opentdb)',
    ]);
    expect(importText('bank.yaml', native, 'red-trivia').result.issues?.map((i) => i.message)).toEqual([
      'this looks like a question bank in YAML, not a Red-DiscordBot trivia list: give the format yaml (--format yaml)',
    ]);
  });

  it('points a headerless table of terms and definitions at the anki format', () => {
    const text = 'Sparse MoE\ta model where only a few experts run for each token\nGating network\tthe router\n';
    expect(importText('terms.tsv', text).result.issues?.map((i) => i.message)).toEqual([
      'this looks like flashcards (an Anki or Quizlet export), not a TSV table: give the format anki (--format anki)',
    ]);
    expect(questionsOf(importText('terms.tsv', text, 'anki'))).toHaveLength(2);
  });

  it('knows a trivia list by its structure when its text is written unusually', () => {
    const flow = '{"AUTHOR": "Al", "What is 2+2?": [4, "four"], "Name the router.": ["router"]}';
    expect(looksLike(flow, 'list.yaml')).toBe('red-trivia');
    expect(lookAlike(flow, 'list.yaml', 'yaml')).toMatch(/^this looks like a Red-DiscordBot trivia list/);
    // A JSON bank read as YAML is the same format: nothing to say.
    expect(lookAlike('{"id":"b","title":"B","questions":[{"x":1}]}', 'b.json', 'yaml')).toBeUndefined();
    expect(importText('list.yaml', flow).result.issues?.[0]?.message).toMatch(/red-trivia/);
  });
});
