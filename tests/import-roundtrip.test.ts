import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue } from '../src/core/content/issues.js';
import { loadContent } from '../src/core/content/load.js';
import type { Bank } from '../src/core/content/schema.js';
import { serializeBank, type ExportFormat } from '../src/core/export/index.js';
import { questionHash } from '../src/core/import/diff.js';
import { PARSERS } from '../src/core/import/parse.js';
import { hashValue } from '../src/core/util/hash.js';
import { repoRoot } from './helpers/cli.js';

/** A bank that exercises every character each format has to escape. */
const trickyBank: Bank = {
  id: 'tricky',
  title: 'Tricky: {escapes} = ~ # and "quotes", commas',
  lesson: 'moe-tradeoffs',
  questions: [
    {
      id: 'tricky-single',
      type: 'single',
      prompt: '=SUM(A1) looks like a formula; what about {braces}, ~tilde, #hash, back\\slash and a: colon?',
      choices: ['-1 expert', '+2 experts', '@all experts', '%50 of them'],
      answer: '%50 of them',
      explanation: 'Line one, with a comma.\nLine two: "quoted" and ünïcödé — Mixtral 8×7B 🚀',
      source: { lesson: 'moe-tradeoffs', section: 'Key terms' },
      tags: ['escapes', 'unicode'],
    },
    {
      id: 'tricky-multiple',
      type: 'multiple',
      prompt: '[Not a format] Which three are MoE models?',
      choices: ['Mixtral', 'DeepSeek-V3', 'Llama 2 7B', 'Qwen MoE', 'BERT'],
      answer: ['Mixtral', 'DeepSeek-V3', 'Qwen MoE'],
      explanation: 'They route tokens to experts; see http://example.org/moe for more.',
      tags: [],
    },
    {
      id: 'tricky-letters',
      type: 'single',
      prompt: 'Which option is labelled B?',
      choices: ['B', 'A', 'C'],
      answer: 'B',
      explanation: 'The first one reads B.',
      tags: [],
    },
    { id: 'tricky-true', type: 'true_false', prompt: 'MoE layers are sparse.', answer: true, explanation: 'Only a few experts run.', tags: ['basics'] },
    { id: 'tricky-false', type: 'true_false', prompt: 'Every token visits every expert.', answer: false, explanation: 'Top-k picks a few.', tags: [] },
    {
      id: 'tricky-short',
      type: 'short',
      prompt: 'What picks the experts; the "gate"?',
      answer: 'the router',
      accepted: ['router', 'gating network', 'gate = router'],
      explanation: 'The router scores experts.',
      source: { lesson: 'moe-tradeoffs', section: 'The premise' },
      tags: [],
    },
    {
      id: 'tricky-numeric',
      type: 'numeric',
      prompt: 'How many experts does Mixtral route each token to: {#2} or =2?',
      answer: 2,
      explanation: 'Top-2 of 8: the router keeps #1 and #2.',
      tags: ['numbers'],
      accepted: [],
    },
    {
      id: 'tricky-numeric-tolerance',
      type: 'numeric',
      prompt: 'A tolerance of zero, written out: what is -0.5 + 0?',
      answer: -0.5,
      tolerance: 0,
      explanation: 'Exactly -0.5.',
      source: { lesson: 'moe-tradeoffs', section: 'Key terms' },
      tags: [],
      accepted: [],
    },
    {
      id: 'tricky-numeric-many',
      type: 'numeric',
      prompt: 'Name a tiny number, a negative one from -5 to -1, or a quadrillion.',
      answer: 1e-7,
      tolerance: 5e-8,
      explanation: 'Any of them.',
      tags: [],
      accepted: [{ min: -5, max: -1 }, { answer: 1e15 }, { answer: 3, tolerance: 0.5 }],
    },
    {
      id: 'tricky-numeric-range',
      type: 'numeric',
      prompt: 'What share of the parameters is active: a fraction or a percent?',
      min: 0.25,
      max: 0.31,
      explanation: 'About 13B of 47B.',
      tags: [],
      accepted: [{ answer: 28, tolerance: 3 }],
    },
  ],
};

const contentBanks = loadContent(join(repoRoot, 'content')).banks.map((b) => b.bank);
const banks: [string, Bank][] = [...contentBanks.map((b): [string, Bank] => [b.id, b]), ['tricky', trickyBank]];

function reimport(bank: Bank, format: ExportFormat): Bank {
  const exported = serializeBank(bank, format);
  const parser = PARSERS[format];
  const r = parser(exported.text, `${bank.id}.${format}`, { defaultBankId: 'from-file-name', bankId: bank.id, ...(bank.lesson ? { lessonId: bank.lesson } : {}) });
  if (r.issues) throw new Error(`${format}:\n${r.issues.map(formatIssue).join('\n')}\n---\n${exported.text}`);
  return r.bank.bank;
}

describe('import(export(bank)) gives the same bank', () => {
  describe.each(banks)('%s', (_name, bank) => {
    it.each(['yaml', 'json'] as const)('%s carries all of it', (format) => {
      expect(serializeBank(bank, format).skipped).toEqual([]);
      expect(reimport(bank, format)).toEqual(bank);
    });

    it('gift carries every question, the title (as its category) and the sources', () => {
      expect(serializeBank(bank, 'gift').skipped).toEqual([]);
      const back = reimport(bank, 'gift');
      expect(back.questions).toEqual(bank.questions);
      expect(back.title).toBe(bank.title);
    });

    it('csv carries every question', () => {
      expect(serializeBank(bank, 'csv').skipped).toEqual([]);
      expect(reimport(bank, 'csv').questions).toEqual(bank.questions);
    });

    it('aiken carries the single-choice questions and reports the others', () => {
      const singles = bank.questions.filter((q) => q.type === 'single');
      const exported = serializeBank(bank, 'aiken');
      expect(exported.skipped.map((s) => s.id)).toEqual(bank.questions.filter((q) => q.type !== 'single').map((q) => q.id));
      const back = reimport(bank, 'aiken');
      const essence = (qs: Bank['questions']) => qs.map((q) => q.type === 'single' && { prompt: q.prompt, choices: q.choices, answer: q.answer });
      expect(essence(back.questions)).toEqual(essence(singles));
    });
  });
});

describe('the fast question hash of a re-import', () => {
  it('equals the content hash the database stores', () => {
    for (const [, bank] of banks) for (const q of bank.questions) expect(questionHash(q)).toBe(hashValue(q));
  });
});

describe('a short answer that must be typed exactly', () => {
  const exactBank: Bank = {
    id: 'exact',
    title: 'Exact answers',
    questions: [
      { id: 'exact-gate', type: 'short', prompt: 'Which activation does DeepSeek-V3 use for its affinity scores?', answer: 'sigmoid', accepted: [], exact: true, explanation: 'Sigmoid, not softmax.', tags: [] },
    ],
  };
  it.each(['yaml', 'json', 'csv', 'gift'] as const)('keeps its exact flag through %s', (format) => {
    expect(reimport(exactBank, format).questions).toEqual(exactBank.questions);
  });
});
