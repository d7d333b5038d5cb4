import { describe, expect, it } from 'vitest';
import { formatIssue } from '../src/core/content/issues.js';
import type { Bank } from '../src/core/content/schema.js';
import { serializeBank } from '../src/core/export/index.js';
import { protectCell } from '../src/core/export/csv.js';
import { deriveQuestionId } from '../src/core/import/build.js';
import { detectFormat } from '../src/core/import/detect.js';
import { parseImportFile, PARSERS } from '../src/core/import/parse.js';
import type { ImportFormat, ParseOptions } from '../src/core/import/types.js';

const options: ParseOptions = { defaultBankId: 'imported' };

function parse(format: ImportFormat, text: string, extra: Partial<ParseOptions> = {}): Bank {
  const r = PARSERS[format](text, `bank.${format}`, { ...options, ...extra });
  if (r.issues) throw new Error(r.issues.map(formatIssue).join('\n'));
  return r.bank.bank;
}

/** Every problem a parser reports: of questions it skipped, and of the file when it refused it. */
function issues(format: ImportFormat, text: string, extra: Partial<ParseOptions> = {}): string[] {
  const r = PARSERS[format](text, `bank.${format}`, { ...options, ...extra });
  return [...(r.skipped ?? []), ...(r.issues ?? [])].map(formatIssue).filter((line) => !/: none of the \d+ questions could be imported$/.test(line));
}


describe('CSV and TSV', () => {
  it('reads a spreadsheet export: quoted fields, embedded newlines, any header case, every answer style', () => {
    const csv = [
      'ID,Type,Question,Choice_A,Choice_B,Choice_C,ANSWER,Accepted,Explanation,Lesson,Section,Tags',
      'r1,single,"What does the router do,\nfor each token?",Picks experts,Sorts tokens,"Says ""hi""",A,,"It picks, per token.",moe-tradeoffs,Key terms,routing|basics',
      'r2,,Which two are MoE models?,Mixtral,DeepSeek-V3,Llama 2,1|B,,Both route tokens.,,,',
      'r3,single,Pick by text,one,two,three,Two,,By text.,,,',
      'r4,,MoE layers are sparse.,,,,TRUE,,Only some experts run.,,,',
      'r5,short,What picks the experts?,,,,router,the router|gating network,The router.,,,"a, b"',
    ].join('\r\n');
    const bank = parse('csv', '\uFEFF' + csv + '\r\n');
    expect(bank.questions.map((q) => q.type)).toEqual(['single', 'multiple', 'single', 'true_false', 'short']);
    expect(bank.questions[0]).toEqual({
      id: 'r1',
      type: 'single',
      prompt: 'What does the router do,\nfor each token?',
      choices: ['Picks experts', 'Sorts tokens', 'Says "hi"'],
      answer: 'Picks experts',
      explanation: 'It picks, per token.',
      source: { lesson: 'moe-tradeoffs', section: 'Key terms' },
      tags: ['routing', 'basics'],
    });
    expect(bank.questions[1]).toMatchObject({ answer: ['Mixtral', 'DeepSeek-V3'] });
    expect(bank.questions[2]).toMatchObject({ answer: 'two' });
    expect(bank.questions[3]).toMatchObject({ answer: true });
    expect(bank.questions[4]).toMatchObject({ answer: 'router', accepted: ['the router', 'gating network'], tags: ['a', 'b'] });
  });

  it('takes option_1 … option_6, a choices column, semicolons and tabs', () => {
    const options16 = parse('csv', 'question,option_1,option_2,option_3,answer\nWhich?,x,y,z,3\n');
    expect(options16.questions[0]).toMatchObject({ choices: ['x', 'y', 'z'], answer: 'z' });
    const piped = parse('csv', 'question;choices;answer\nWhich?;x | y | z;y\n');
    expect(piped.questions[0]).toMatchObject({ choices: ['x', 'y', 'z'], answer: 'y' });
    const tsv = parse('tsv', 'question\tanswer\tcolumn note\n'.replace('\tcolumn note', '') + 'Which layer, of all, is sparse?\tMoE\n');
    expect(tsv.questions[0]).toMatchObject({ type: 'short', prompt: 'Which layer, of all, is sparse?', answer: 'MoE' });
  });

  it('gives id-less questions a stable id from the bank and the normalised prompt', () => {
    const a = parse('csv', 'question,answer\nWhat picks the experts?,router\n');
    const b = parse('csv', 'question,answer\n"  what picks the EXPERTS  ",router\n');
    expect(a.questions[0]!.id).toBe(deriveQuestionId('imported', 'What picks the experts?'));
    expect(b.questions[0]!.id).toBe(a.questions[0]!.id);
    expect(parse('csv', 'question,answer\nWhat picks the experts?,router\n', { bankId: 'other' }).questions[0]!.id).not.toBe(a.questions[0]!.id);
  });

  it('names the start line of a multi-line row and lists every problem of the file', () => {
    const csv = 'question,choice_a,choice_b,answer\n"Line one\nline two\nline three",a,b,C\nok?,a,b,A\nbad type,a,b,A|B|Q\n';
    const found = issues('csv', csv);
    expect(found).toEqual([
      "bank.csv:2: question 1: answer 'C' but there is no choice C (choices: A, B)",
      "bank.csv:6: question 3: answer 'Q' is not a choice letter, a choice number or the text of a choice",
    ]);
  });

  it('undoes the formula protection its own export adds', () => {
    const bank = parse('csv', "question,answer\n'=1+1 is what?,'-2\n");
    expect(bank.questions[0]).toMatchObject({ prompt: '=1+1 is what?', answer: '-2' });
  });

  it('treats columns and types named like object internals as unknown', () => {
    const proto = PARSERS.csv('question,answer,__proto__\nq,a,b\n', 'bank.csv', options);
    expect(proto.bank?.bank.questions).toHaveLength(1);
    expect(proto.warnings?.map(formatIssue)).toEqual(['bank.csv:1: ignored columns: __proto__']);
    expect(issues('csv', 'question,type,answer\nq,constructor,a\n')[0]).toContain("type 'constructor' is not a question type");
    expect(issues('anki', '#separator:__proto__\nq\ta\n')[0]).toContain("unknown #separator '__proto__'");
  });

  it('caps the number of problems listed', () => {
    const rows = Array.from({ length: 30 }, (_, i) => `Question ${i}?,,`);
    const found = issues('csv', 'question,answer,type\n' + rows.join('\n') + '\n', { limits: { maxIssues: 5 } });
    expect(found).toHaveLength(6);
    expect(found[5]).toBe('bank.csv: … and 25 more problems');
    expect(found[0]).toBe('bank.csv:2: question 1: answer is empty');
  });
});

describe('GIFT', () => {
  const gift = `// Exported from Moodle
$CATEGORY: $course$/Top/MoE basics

// [id:router-q] [tag:routing] [tag:basics]
// [lesson:moe-tradeoffs] [section:Key terms]
::Q1:: What does the router do? {
  =Picks experts #Right!
  ~Sorts tokens #No
  ####The router picks the experts for each token.
}

::Q2:: Each token goes to every expert. {FALSE#That would be dense.#Right: only a few.}

::Q3:: Which component picks experts? {=router =the router =gating network}

::Q4:: Pick the MoE models. {~%50%Mixtral ~%50%DeepSeek-V3 ~%-100%Llama 2}

::Q5::[html]<p>Is <b>this</b> &amp; that <i>sparse</i>?</p>{T}

Escaped \\: \\{ \\} \\= \\~ \\# and a\\nline break {TRUE}
`;

  it('maps multiple choice, true/false, short answer and weighted multiple answers', () => {
    const bank = parse('gift', gift);
    expect(bank.title).toBe('MoE basics');
    expect(bank.questions[0]).toEqual({
      id: 'router-q',
      type: 'single',
      prompt: 'What does the router do?',
      choices: ['Picks experts', 'Sorts tokens'],
      answer: 'Picks experts',
      explanation: 'The router picks the experts for each token.',
      source: { lesson: 'moe-tradeoffs', section: 'Key terms' },
      tags: ['routing', 'basics'],
    });
    expect(bank.questions[1]).toMatchObject({ type: 'true_false', answer: false, explanation: 'Right: only a few.' });
    expect(bank.questions[2]).toMatchObject({ type: 'short', answer: 'router', accepted: ['the router', 'gating network'] });
    expect(bank.questions[3]).toMatchObject({ type: 'multiple', choices: ['Mixtral', 'DeepSeek-V3', 'Llama 2'], answer: ['Mixtral', 'DeepSeek-V3'] });
    expect(bank.questions[4]).toMatchObject({ type: 'true_false', prompt: 'Is this & that sparse?' });
    expect(bank.questions[5]).toMatchObject({ prompt: 'Escaped : { } = ~ # and a\nline break', answer: true });
  });

  it('reports unsupported question types and broken ones, each with its own line, and keeps going', () => {
    const found = issues('gift', `::A:: How many experts? {#2}\n\n::B:: Match. {=a -> b =c -> d}\n\n::C:: Right. {T}\n\n::D:: Two right {=a =b ~c}\n\n::E:: Open {=a ~b\n`);
    expect(found).toEqual([
      'bank.gift:3: question 2: matching questions are not supported (multiple choice, true/false, short answer and numerical are)',
      'bank.gift:7: question 4: has two correct answers (=): a single-choice question has one; for several, give each a weight such as ~%50%',
      "bank.gift:9:12: question 5: the answer block '{' opened here is not closed with '}' before the blank line that ends the question",
    ]);
  });
});

describe('Aiken', () => {
  it('reads questions with A. and A) options and a multi-line prompt', () => {
    const bank = parse('aiken', 'What is\nthe router for?\nA) Picking experts\nB) Sorting\nANSWER: A\n\nWhich is sparse?\nA. Dense\nB. MoE\nANSWER: b\n');
    expect(bank.questions.map((q) => [q.type, q.prompt, q.type === 'single' && q.answer])).toEqual([
      ['single', 'What is\nthe router for?', 'Picking experts'],
      ['single', 'Which is sparse?', 'MoE'],
    ]);
    expect(bank.questions[0]!.explanation).toBe('Correct answer: Picking experts');
  });
});

describe('Anki text export', () => {
  it('honours the header lines: separator, html, tags column and deck', () => {
    const text = '#separator:Semicolon\n#html:true\n#deck:Languages::MoE terms\n#tags column:3\nWhat <b>picks</b> experts?;router;moe routing\n"Top-k; what is k?";the number of experts per token;moe\n';
    const bank = parse('anki', text);
    expect(bank.title).toBe('MoE terms');
    expect(bank.questions).toHaveLength(2);
    expect(bank.questions[0]).toMatchObject({ type: 'short', prompt: 'What picks experts?', answer: 'router', tags: ['moe', 'routing'] });
    expect(bank.questions[1]).toMatchObject({ prompt: 'Top-k; what is k?', answer: 'the number of experts per token' });
  });

  it('reads a plain tab-separated export without headers', () => {
    const bank = parse('anki', 'What picks experts?\trouter\nWhich layer is sparse?\tthe MoE layer\n');
    expect(bank.questions.map((q) => q.type === 'short' && q.answer)).toEqual(['router', 'the MoE layer']);
  });
});

describe('native YAML and JSON', () => {
  const bank: Bank = {
    id: 'native',
    title: 'Native',
    questions: [{ id: 'n1', type: 'short', prompt: 'What picks experts?', answer: 'router', accepted: [], explanation: 'The router.', tags: [] }],
  };

  it('reads the same bank from YAML and from JSON, and --bank / --lesson override the file', () => {
    const yaml = serializeBank(bank, 'yaml').text;
    const json = serializeBank(bank, 'json').text;
    expect(parse('yaml', yaml)).toEqual(bank);
    expect(parse('json', json)).toEqual(bank);
    expect(parse('json', json, { bankId: 'renamed', lessonId: 'moe-tradeoffs' })).toEqual({ ...bank, id: 'renamed', lesson: 'moe-tradeoffs' });
  });

  it('locates schema problems in JSON by line and column', () => {
    const json = serializeBank(bank, 'json').text.replace('"answer": "router"', '"answer": 42');
    expect(issues('json', json)).toEqual(['bank.json:9:17: question 1: answer must be a string']);
  });

  it('refuses prototype keys without polluting anything', () => {
    const found = issues('json', '{"id": "p", "title": "P", "questions": [], "constructor": {"prototype": {"polluted": 1}}}');
    expect(found[0]).toContain("the key 'constructor' is not allowed");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('checks before parsing', () => {
  const file = (name: string, bytes: Buffer | string, extra: object = {}) => parseImportFile({ fileName: name, bytes: Buffer.from(bytes), ...extra });

  it('detects formats from the extension, then from the content', () => {
    expect(detectFormat('x.yml', '')).toBe('yaml');
    expect(detectFormat('x.TSV', '')).toBe('tsv');
    expect(detectFormat('x.txt', '::T:: Q {=a ~b}\n')).toBe('gift');
    expect(detectFormat('x.txt', 'Q?\nA. a\nB. b\nANSWER: A\n')).toBe('aiken');
    expect(detectFormat('x.txt', '#separator:tab\nfront\tback\n')).toBe('anki');
    expect(detectFormat('x.txt', 'front\tback\n')).toBe('anki');
    expect(detectFormat('export', 'Question,Answer\nq,a\n')).toBe('csv');
    expect(detectFormat('x.txt', 'anything', 'gift')).toBe('gift');
  });

  it('enforces the size and question limits', () => {
    const csv = 'question,answer\nA?,a\nB?,b\nC?,c\n';
    expect(file('big.csv', csv, { limits: { maxBytes: 10 } }).result.issues?.[0]?.message).toMatch(/^the file is 0 MB; the limit is 0 MB$/);
    expect(file('many.csv', csv, { limits: { maxQuestions: 2 } }).result.issues?.[0]?.message).toBe('the file has more than 2 questions; the limit is 2');
    expect(file('many.yaml', serializeBank({ id: 'm', title: 'M', questions: [1, 2, 3].map((i) => ({ id: `m${i}`, type: 'true_false', prompt: `P${i}`, answer: true, explanation: 'e', tags: [] })) }, 'yaml').text, { limits: { maxQuestions: 2 } }).result.issues?.[0]?.message).toBe(
      'the file has 3 questions; the limit is 2',
    );
  });

  it('accepts a byte-order mark and CRLF line ends', () => {
    const r = file('crlf.csv', '\uFEFFquestion,answer\r\nWhat picks experts?,router\r\n');
    expect(r.result.bank?.bank.questions[0]).toMatchObject({ prompt: 'What picks experts?', answer: 'router' });
  });
});

describe('exports that cannot carry everything', () => {
  const bank: Bank = {
    id: 'mixed',
    title: 'Mixed',
    questions: [
      { id: 'm1', type: 'single', prompt: '=HYPERLINK("http://evil")', choices: ['+1', '-1', '@sum', 'plain'], answer: 'plain', explanation: 'e', tags: [] },
      { id: 'm2', type: 'true_false', prompt: 'Sparse?', answer: true, explanation: 'e', tags: [] },
    ],
  };

  it('Aiken leaves out everything but single choice, and says so', () => {
    const out = serializeBank(bank, 'aiken');
    expect(out.skipped).toEqual([{ id: 'm2', reason: 'Aiken holds only single-choice questions, not true/false' }]);
    expect(out.text).toContain('ANSWER: D');
  });

  it('CSV neutralises cells that a spreadsheet would run as formulas', () => {
    const out = serializeBank(bank, 'csv').text;
    expect(out).toContain(`m1,single,"'=HYPERLINK(""http://evil"")",'+1,'-1,'@sum,plain`);
    expect(protectCell("'=x")).toBe("''=x");
    expect(parse('csv', out).questions).toEqual(bank.questions);
  });
});
