import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { questionSchema, type Bank, type Question } from '../src/core/content/schema.js';
import { serializeBank } from '../src/core/export/index.js';
import { questionHash } from '../src/core/import/diff.js';
import { parseImportFile, PARSERS } from '../src/core/import/parse.js';
import { recordStartLines } from '../src/core/import/table.js';
import { IMPORT_FORMATS, type ImportFormat, type ParseResult } from '../src/core/import/types.js';
import { hashValue } from '../src/core/util/hash.js';

/**
 * Every parser, fed random and mutated input, returns either a valid bank or a list of located
 * problems: it never throws and never hangs (the test's time-out would catch a hang).
 */

const RUNS = 200;

function expectWellFormed(result: ParseResult, text: string): void {
  if (result.bank) {
    expect(result.issues).toBeUndefined();
    expect(result.bank.bank.questions.length).toBeGreaterThan(0);
    for (const q of result.bank.bank.questions) expect(questionSchema.safeParse(q).success).toBe(true);
    return;
  }
  expect(result.issues.length).toBeGreaterThan(0);
  const lines = text.split('\n').length;
  for (const i of result.issues) {
    expect(typeof i.message).toBe('string');
    expect(i.message.length).toBeGreaterThan(0);
    if (i.line !== undefined) {
      expect(i.line).toBeGreaterThanOrEqual(1);
      expect(i.line).toBeLessThanOrEqual(lines + 1);
    }
  }
}

function run(format: ImportFormat, text: string): ParseResult {
  return PARSERS[format](text, `fuzz.${format}`, { defaultBankId: 'fuzz' });
}

const sample: Bank = {
  id: 'sample',
  title: 'Sample',
  questions: [
    { id: 's1', type: 'single', prompt: 'What picks the experts?', choices: ['The router', 'The tokenizer'], answer: 'The router', explanation: 'It scores experts.', tags: ['a'] },
    { id: 's2', type: 'multiple', prompt: 'Which are MoE?', choices: ['Mixtral', 'BERT', 'Qwen MoE'], answer: ['Mixtral', 'Qwen MoE'], explanation: 'Both route.', tags: [] },
    { id: 's3', type: 'true_false', prompt: 'MoE is sparse.', answer: true, explanation: 'A few experts run.', tags: [] },
    { id: 's4', type: 'short', prompt: 'Name the gate.', answer: 'router', accepted: ['gate'], explanation: 'Router.', tags: [], source: { lesson: 'moe-tradeoffs', section: 'Key terms' } },
    { id: 's5', type: 'numeric', prompt: 'How many experts run?', answer: 2, tolerance: 0.5, explanation: 'Top-2.', tags: [], accepted: [{ min: 7, max: 9 }] },
  ],
};

/** A valid file of each format, the seed of the mutations. */
const seeds: Record<ImportFormat, string> = {
  yaml: serializeBank(sample, 'yaml').text,
  json: serializeBank(sample, 'json').text,
  csv: serializeBank(sample, 'csv').text,
  tsv: serializeBank(sample, 'csv').text.replace(/,/g, '\t'),
  gift: serializeBank(sample, 'gift').text,
  aiken: serializeBank(sample, 'aiken').text,
  anki: '#separator:tab\n#html:true\n#tags column:3\nWhat <b>picks</b> experts?\trouter\tmoe\nName the gate.\tgate\t\n',
  'red-trivia': 'AUTHOR: Alice\nCONFIG:\n  max_score: 10\n"What is 2+2?":\n- 4\n- four\nWhat picks the experts?:\n- router\n- true\n',
  opentdb: JSON.stringify(
    {
      response_code: 0,
      results: [
        { type: 'multiple', difficulty: 'easy', category: 'Science: Computers', question: 'What picks the &quot;experts&quot;?', correct_answer: 'The router', incorrect_answers: ['The tokenizer', 'The optimizer'] },
        { type: 'boolean', difficulty: 'hard', category: 'General Knowledge', question: 'MoE layers are sparse.', correct_answer: 'True', incorrect_answers: ['False'] },
      ],
    },
    null,
    2,
  ),
};

/** Characters that mean something in at least one format. */
const special = fc.constantFrom('{', '}', '=', '~', '#', ':', '::', '\\', '"', ',', '\t', '\n', '\n\n', '|', '%', '->', '//', '&', '*', '- ', '[', ']', 'A. ', 'ANSWER: ', '$CATEGORY: ', '#separator:', "'", '__proto__: 1', 'constructor', '__proto__');
const fragment = fc.oneof(special, fc.string({ maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 4 }));

/** Deletes, inserts, duplicates or swaps pieces of a text. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fragment }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('duplicate-line' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap-lines' as const), at: fc.nat(), other: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(text: string, m: Mutation): string {
  const at = text.length ? m.at % (text.length + 1) : 0;
  const lines = text.split('\n');
  switch (m.kind) {
    case 'insert':
      return text.slice(0, at) + m.text + text.slice(at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + m.length);
    case 'duplicate-line': {
      const i = m.at % lines.length;
      lines.splice(i, 0, lines[i]!);
      return lines.join('\n');
    }
    case 'swap-lines': {
      const i = m.at % lines.length;
      const j = m.other % lines.length;
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      return lines.join('\n');
    }
  }
}

describe.each([...IMPORT_FORMATS])('the %s parser', (format) => {
  it('parses its own valid seed', () => {
    expect(run(format, seeds[format]).issues).toBeUndefined();
  });

  it('never throws on random text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 120 }), fc.array(fragment, { maxLength: 40 }).map((p) => p.join(''))), (text) => {
        expectWellFormed(run(format, text), text);
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws on mutations of a valid file', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        const text = mutations.reduce(mutate, seeds[format]);
        expectWellFormed(run(format, text), text);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('whole files', () => {
  it('random bytes under any name give a bank or problems, never an exception', () => {
    const names = fc.constantFrom('x.yaml', 'x.json', 'x.csv', 'x.tsv', 'x.gift', 'x.txt', 'x.bin', 'noext');
    fc.assert(
      fc.property(names, fc.uint8Array({ maxLength: 300 }), (name, bytes) => {
        const { result } = parseImportFile({ fileName: name, bytes: Buffer.from(bytes) });
        expect(Boolean(result.bank) !== Boolean(result.issues?.length)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('CSV line numbers', () => {
  it('the start line of every record matches what csv-parse reports', () => {
    const cell = fc.array(fc.constantFrom('a', 'b', ' ', ',', '"', '\n', ';', '\t', 'é'), { maxLength: 6 }).map((c) => c.join(''));
    const table = fc.array(fc.array(cell, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 });
    const blanks = fc.array(fc.nat(3), { minLength: 8, maxLength: 8 });
    fc.assert(
      fc.property(table, blanks, fc.constantFrom(',', ';', '\t'), (rows, gaps, delimiter) => {
        // Rows as a spreadsheet writes them, with empty lines between some of them.
        const text = rows.map((r, i) => '\n'.repeat(gaps[i] ?? 0) + stringify([r], { delimiter, record_delimiter: '\n' })).join('');
        const records = parse(text, { delimiter, relax_column_count: true, skip_empty_lines: true, info: true }) as unknown as { record: string[]; info: { lines: number } }[];
        const expected = records.map((r) => r.info.lines - r.record.join('').split('\n').length + 1);
        expect(recordStartLines(text, delimiter)).toEqual(expected);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('generated banks survive a round trip', () => {
  // Text as people write it: words, punctuation that every format escapes, single spaces.
  const word = fc.stringMatching(/^[A-Za-z0-9éß×{}=~#:\\"',;|%@+\-*?!.()<>&]{1,8}$/);
  const text = (max: number) => fc.array(word, { minLength: 1, maxLength: max }).map((w) => w.join(' '));
  const distinct = (n: number) => fc.uniqueArray(text(4), { minLength: n, maxLength: n, selector: (s) => s.toLowerCase() });
  const question = (i: number): fc.Arbitrary<Question> =>
    fc.oneof(
      fc.tuple(text(10), distinct(4), fc.nat(3), text(12)).map(([prompt, choices, k, explanation]): Question => ({ id: `g-${i}`, type: 'single', prompt, choices, answer: choices[k]!, explanation, tags: [] })),
      fc.tuple(text(10), distinct(5), fc.subarray([0, 1, 2, 3, 4], { minLength: 1 }), text(12)).map(([prompt, choices, picks, explanation]): Question => ({
        id: `g-${i}`,
        type: 'multiple',
        prompt,
        choices,
        answer: picks.map((k) => choices[k]!),
        explanation,
        tags: [],
      })),
      fc.tuple(text(10), fc.boolean(), text(12)).map(([prompt, answer, explanation]): Question => ({ id: `g-${i}`, type: 'true_false', prompt, answer, explanation, tags: [] })),
    );
  // Numbers of every size and sign a numeric answer holds, exponents of their text included.
  const number = fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.double({ min: -1e15, max: 1e15, noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)));
  const tolerance = fc.option(fc.double({ min: 0, max: 1e6, noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)), { nil: undefined });
  const numericAnswer = fc.oneof(
    fc.tuple(number, tolerance).map(([answer, t]) => ({ answer, ...(t !== undefined ? { tolerance: t } : {}) })),
    fc.tuple(number, number).map(([a, b]) => ({ min: Math.min(a, b), max: Math.max(a, b) })),
  );
  const numericQuestion = (i: number): fc.Arbitrary<Question> =>
    fc.tuple(text(10), fc.array(numericAnswer, { minLength: 1, maxLength: 3 }), text(12)).map(([prompt, [first, ...accepted], explanation]): Question => ({
      id: `g-${i}`,
      type: 'numeric',
      prompt,
      ...first!,
      accepted,
      explanation,
      tags: [],
    }));
  const withNumeric = (i: number) => fc.oneof(question(i), numericQuestion(i));
  const bankOf = (q: (i: number) => fc.Arbitrary<Question>) =>
    fc
      .tuple(q(1), q(2), q(3))
      .filter((qs) => new Set(qs.map((q) => q.prompt.toLowerCase().replace(/[^a-z0-9]/g, ''))).size === qs.length && qs.every((q) => /[a-z0-9]/i.test(q.prompt)))
      .map((questions): Bank => ({ id: 'generated', title: 'Generated', questions }));

  it.each(['yaml', 'json', 'csv', 'gift'] as const)('%s', (format) => {
    fc.assert(
      fc.property(bankOf(withNumeric), (b) => {
        const exported = serializeBank(b, format);
        fc.pre(exported.skipped.length === 0);
        const r = PARSERS[format](exported.text, `generated.${format}`, { defaultBankId: 'generated' });
        expect(r.issues).toBeUndefined();
        expect(r.bank!.bank.questions).toEqual(b.questions);
        for (const q of b.questions) expect(questionHash(q)).toBe(hashValue(q));
      }),
      { numRuns: 100 },
    );
  });
});
