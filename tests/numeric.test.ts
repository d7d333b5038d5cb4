import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { formatNumber, formatNumericAnswer, parseNumber, parseNumericAnswers, type NumericAnswer } from '../src/core/content/numeric.js';
import { correctAnswers, questionSchema, type Question } from '../src/core/content/schema.js';
import type { Reply } from '../src/core/interaction.js';
import { plainText } from '../src/core/markup.js';
import { matchesNumericAnswer } from '../src/core/quiz/matching.js';
import { gradeAnswer } from '../src/core/quiz/questions.js';
import { rightAnswerText } from '../src/core/quiz/render.js';
import { actor, as, buttons, makeApp } from './helpers/app.js';
import { demoLesson } from './helpers/content.js';
import { tempDir, writeFiles } from './helpers/tmp.js';

const numeric = (fields: Record<string, unknown>): Question =>
  questionSchema.parse({ id: 'n', type: 'numeric', prompt: 'How many?', explanation: 'Because.', ...fields });

describe('typed numbers', () => {
  it.each([
    ['3', 3],
    ['3.0', 3],
    ['3,0', 3],
    ['+3', 3],
    [' 3 ', 3],
    ['-2.5', -2.5],
    ['\u22122,5', -2.5],
    ['.5', 0.5],
    [',5', 0.5],
    ['3.', 3],
    ['1e3', 1000],
    ['2.5E-1', 0.25],
    ['1,234.5', 1234.5],
    ['1.234,5', 1234.5],
    ['1,000,000', 1_000_000],
    ['1.000.000', 1_000_000],
  ])('reads %j as %d', (text, value) => {
    expect(parseNumber(text)).toBe(value);
  });

  it.each(['', ' ', '3 experts', 'three', '50%', '3 3', '3..5', '1,2,3', '1,23,456', '1.2.3', '--3', '+-3', '3-', '0x10', 'Infinity', 'NaN', '1e400', '.', '3,0.5', '1,234,5'])(
    'rejects %j',
    (text) => {
      expect(parseNumber(text)).toBeUndefined();
    },
  );

  it('writes numbers without exponents and ranges with an en dash', () => {
    expect(formatNumber(1e-7)).toBe('0.0000001');
    expect(formatNumber(1.5e-7)).toBe('0.00000015');
    expect(formatNumber(1e21)).toBe('1000000000000000000000');
    expect(formatNumber(-1.25e22)).toBe('-12500000000000000000000');
    expect(formatNumber(-0)).toBe('0');
    expect(formatNumber(0.1)).toBe('0.1');
    for (const n of [1e-7, 1.5e-7, 1e21, 123.456, -0.001]) expect(Number(formatNumber(n))).toBe(n);
    expect(formatNumericAnswer({ answer: 3 })).toBe('3');
    expect(formatNumericAnswer({ answer: 3, tolerance: 0 })).toBe('3');
    expect(formatNumericAnswer({ answer: 3, tolerance: 0.5 })).toBe('3 ± 0.5');
    expect(formatNumericAnswer({ min: 1, max: 5 })).toBe('1–5');
    expect(formatNumericAnswer({ min: -5, max: -1 }, 'cell')).toBe('-5..-1');
    expect(formatNumericAnswer({ answer: 3, tolerance: 0 }, 'cell')).toBe('3 ± 0');
  });

  it('reads the answer cells a table writes', () => {
    expect(parseNumericAnswers('3')).toEqual({ answers: [{ answer: 3 }] });
    expect(parseNumericAnswers('3 ± 0.5 | 4:1 | 10 +/- 2 | 1..5 | -5–-1')).toEqual({
      answers: [{ answer: 3, tolerance: 0.5 }, { answer: 4, tolerance: 1 }, { answer: 10, tolerance: 2 }, { min: 1, max: 5 }, { min: -5, max: -1 }],
    });
    expect(parseNumericAnswers('3 experts')).toEqual({ problem: "'3 experts' is not a number" });
    expect(parseNumericAnswers('1..many')).toHaveProperty('problem');
  });
});

describe('grading a numeric question', () => {
  const grade = (q: Question, text: string) => gradeAnswer(q, [], { kind: 'text', text });

  it('is right within the tolerance of the answer, and exact without one', () => {
    const exact = numeric({ answer: 3 });
    expect(['3', '3.0', '3,0', '+3', ' 3 ', '3.000'].map((t) => grade(exact, t).correct)).toEqual([true, true, true, true, true, true]);
    expect(['3.01', '2.99', '-3', '30'].map((t) => grade(exact, t).correct)).toEqual([false, false, false, false]);
    const within = numeric({ answer: 0.3, tolerance: 0.1 });
    // 0.4 - 0.3 is 0.10000000000000003 in doubles: still within the tolerance.
    expect(['0.2', '0.4', '0,35', '.3'].map((t) => grade(within, t).correct)).toEqual([true, true, true, true]);
    expect(['0.19', '0.41'].map((t) => grade(within, t).correct)).toEqual([false, false]);
  });

  it('takes every number of a range, ends included', () => {
    const range = numeric({ min: 1, max: 5 });
    expect(['1', '3.3', '5', '5,0'].map((t) => grade(range, t).correct)).toEqual([true, true, true, true]);
    expect(['0.99', '5.01', '-3'].map((t) => grade(range, t).correct)).toEqual([false, false, false]);
  });

  it('takes any one of several right answers', () => {
    const several = numeric({ answer: 3, accepted: [{ answer: 4 }, { answer: 10, tolerance: 1 }, { min: 20, max: 30 }] });
    expect(['3', '4', '9', '11', '25'].map((t) => grade(several, t).correct)).toEqual([true, true, true, true, true]);
    expect(['3.5', '8.9', '12', '19'].map((t) => grade(several, t).correct)).toEqual([false, false, false, false]);
    expect(correctAnswers(several)).toEqual(['3', '4', '10 ± 1', '20–30']);
    expect(plainText(rightAnswerText(several))).toBe('3 or 4 or 10 ± 1 or 20–30');
  });

  it('refuses what is not a single number instead of counting it wrong', () => {
    const q = numeric({ answer: 3 });
    for (const text of ['3 experts', 'three', '3, 4', '50%']) {
      expect(matchesNumericAnswer(text, [{ answer: 3 }] as NumericAnswer[])).toBeUndefined();
      expect(() => grade(q, text)).toThrow(/Type just a number/);
    }
    expect(() => gradeAnswer(q, [], { kind: 'choice', display: 0 })).toThrow(/not answered with one button/);
    expect(gradeAnswer(q, [], { kind: 'unknown' }).correct).toBe(false);
  });
});

describe('the numeric question schema', () => {
  const problems = (fields: Record<string, unknown>) => {
    const r = questionSchema.safeParse({ id: 'n', type: 'numeric', prompt: 'How many?', explanation: 'Because.', ...fields });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('holds an answer with a tolerance, a range, and more right answers', () => {
    expect(problems({ answer: 3 })).toEqual([]);
    expect(problems({ answer: -3.5, tolerance: 0.5 })).toEqual([]);
    expect(problems({ min: 1, max: 5 })).toEqual([]);
    expect(problems({ answer: 3, accepted: [{ answer: 4, tolerance: 0 }, { min: 10, max: 20 }] })).toEqual([]);
    expect(numeric({ answer: 3 })).toEqual({ id: 'n', type: 'numeric', prompt: 'How many?', answer: 3, explanation: 'Because.', tags: [], accepted: [] });
  });

  it('refuses what is not one of those shapes', () => {
    expect(problems({})).toEqual(['answer: answer is required: a number (or min and max for a range)']);
    expect(problems({ answer: 3, min: 1, max: 5 })).toEqual(['min: give either answer (with an optional tolerance) or min and max, not both']);
    expect(problems({ min: 1 })).toEqual(['max: max is required with min']);
    expect(problems({ min: 5, max: 1 })).toEqual(['max: min 5 is more than max 1']);
    expect(problems({ min: 1, max: 5, tolerance: 1 })).toEqual(['tolerance: a range (min and max) takes no tolerance']);
    expect(problems({ answer: 3, tolerance: -1 })).toHaveLength(1);
    expect(problems({ answer: '3' })).toHaveLength(1);
    expect(problems({ answer: 1e16 })).toHaveLength(1);
    expect(problems({ answer: 3, accepted: [{ tolerance: 1 }] })).toEqual(['accepted.0.answer: accepted answer 1: answer is required: a number (or min and max for a range)']);
    expect(problems({ answer: 3, choices: ['3', '4'] })).toHaveLength(1);
  });
});

describe('a numeric question in the quiz', () => {
  const apps: App[] = [];
  afterEach(() => {
    while (apps.length) apps.pop()!.close();
  });

  function setup() {
    const dir = tempDir();
    writeFiles(dir, {
      'lessons/demo.md': demoLesson,
      'banks/numbers.yaml': `id: numbers
title: Numbers
lesson: demo
questions:
  - id: top-k
    type: numeric
    prompt: How many experts does Mixtral route each token to?
    answer: 2
    explanation: Mixtral picks the top 2 of its 8 experts for each token.
    source: { lesson: demo, section: Key terms }
  - id: share
    type: numeric
    prompt: About what share of Mixtral's parameters are active per token, in percent?
    answer: 28
    tolerance: 3
    accepted:
      - { min: 0.25, max: 0.31 }
    explanation: About 13 of 47 billion parameters are active.
    source: { lesson: demo, section: The premise }
`,
    });
    const made = makeApp({ CONTENT_DIR: dir, NEW_CARDS_PER_DAY: '5' });
    apps.push(made.app);
    return made.app;
  }

  const typeButton = (reply: Reply) => (reply.components ?? []).flat().find((c) => c.kind === 'button' && c.input) as { actionId: string; input: { placeholder?: string } } | undefined;
  const next = (reply: Reply) => buttons(reply).find((b) => b.label === 'Next ▶' || b.label === 'See my results')!.actionId;

  it('is answered by typing a number; a non-number is asked again, not counted', async () => {
    const app = setup();
    const ann = as(app, actor('ann'));
    let reply = await ann.command('quiz');
    const seen: string[] = [];
    while (reply.title?.includes('question')) {
      const text = plainText(reply.text);
      expect(text).toContain('(Type a number.)');
      const input = typeButton(reply);
      expect(input?.input.placeholder).toMatch(/number/);
      // Only the typed answer and "I don't know": no choice buttons.
      expect(buttons(reply).map((b) => b.label)).toEqual(['Type your answer', "I don't know"]);
      const refused = await ann.action(input!.actionId, { text: '2 experts' });
      expect(refused.visibility).toBe('ephemeral');
      expect(plainText(refused.text)).toMatch(/Type just a number/);
      let feedback: Reply;
      if (text.startsWith('How many experts')) {
        seen.push('top-k');
        feedback = await ann.action(input!.actionId, { text: ' 2,0 ' });
        expect(feedback.title).toMatch(/^✅ Right! \+10 points/);
        expect(plainText(feedback.text)).toContain('Your answer: 2,0\nRight answer: 2\n');
      } else {
        seen.push('share');
        feedback = await ann.action(input!.actionId, { text: '32' });
        expect(feedback.title).toBe('❌ Not quite');
        expect(plainText(feedback.text)).toContain('Your answer: 32\nRight answer: 28 ± 3 or 0.25–0.31\n');
      }
      reply = await ann.action(next(feedback));
    }
    expect(seen.sort()).toEqual(['share', 'top-k']);
    expect(plainText(reply.text)).toMatch(/You got 1 of 2 right and earned 10 points/);
  });

  it('stays out of races, which ask only single-choice and true/false questions', async () => {
    const app = setup();
    const reply = await as(app, actor('ann')).command('quiz race', { rounds: 1 });
    expect(plainText(reply.text)).toBe('There are no questions for a race yet.');
  });
});
