import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadContent } from '../src/core/content/load.js';
import { correctAnswers, type Question } from '../src/core/content/schema.js';
import { answerWords, matchesShortAnswer } from '../src/core/quiz/matching.js';
import { repoRoot } from './helpers/cli.js';

/**
 * Grading of typed answers: what is forgiven (case, accents, punctuation, articles, a plural, one
 * typo in a long word) and what never is (another number, a negation, a missing word), on examples
 * and on every short-answer question the content ships.
 */

describe('typed answers: what is never forgiven', () => {
  it('a negation, even when it is only two letters away', () => {
    const accepted = ['uneven', 'unbalanced', 'imbalanced'];
    expect(matchesShortAnswer('balanced', accepted)).toBe(false);
    expect(matchesShortAnswer('even', accepted)).toBe(false);
    expect(matchesShortAnswer('not sparse', ['sparse'])).toBe(false);
    expect(matchesShortAnswer('sparse', ['not sparse'])).toBe(false);
    expect(matchesShortAnswer('nonlinear', ['linear'])).toBe(false);
    expect(matchesShortAnswer('active', ['inactive'])).toBe(false);
    expect(matchesShortAnswer('symmetric', ['asymmetric'])).toBe(false);
    expect(matchesShortAnswer('denormalisation', ['renormalisation'])).toBe(false);
    expect(matchesShortAnswer('deactivated', ['activated'])).toBe(false);
    expect(matchesShortAnswer('overfitting', ['underfitting'])).toBe(false);
    // Both negations of one word are the same answer, typos included.
    expect(matchesShortAnswer('inbalanced', accepted)).toBe(true);
  });

  it('another number, however it is written', () => {
    expect(matchesShortAnswer('8 experts', ['6 experts'])).toBe(false);
    expect(matchesShortAnswer('eight experts', ['6 experts'])).toBe(false);
    expect(matchesShortAnswer('top-3', ['top-2'])).toBe(false);
    expect(matchesShortAnswer('Mixtral 8x22B', ['Mixtral 8x7B'])).toBe(false);
    expect(matchesShortAnswer('2.6', ['2.5'])).toBe(false);
    expect(matchesShortAnswer('25', ['2.5'])).toBe(false);
  });

  it('a word added or missing', () => {
    expect(matchesShortAnswer('sparse', ['sparse activation'])).toBe(false);
    expect(matchesShortAnswer('dense activation', ['sparse activation'])).toBe(false);
    expect(matchesShortAnswer('expert routing layer', ['expert routing'])).toBe(false);
  });

  it('a typo in a short word, where one letter makes another word', () => {
    expect(matchesShortAnswer('gaet', ['gate'])).toBe(false);
    expect(matchesShortAnswer('moe', ['mlp'])).toBe(false);
    expect(matchesShortAnswer('top', ['tap'])).toBe(false);
  });

  it('anything but the answer itself when the question asks for it exactly', () => {
    expect(matchesShortAnswer('routr', ['router'], { exact: true })).toBe(false);
    expect(matchesShortAnswer('routers', ['router'], { exact: true })).toBe(false);
    expect(matchesShortAnswer('The Router.', ['router'], { exact: true })).toBe(true);
  });
});

describe('typed answers: what is forgiven', () => {
  it('case, accents, punctuation, spacing and articles', () => {
    expect(matchesShortAnswer('  The ROUTÉR!! ', ['router'])).toBe(true);
    expect(matchesShortAnswer('an expert', ['expert'])).toBe(true);
    expect(matchesShortAnswer('load-balancing loss', ['load balancing loss'])).toBe(true);
    expect(matchesShortAnswer('loadbalancing', ['load balancing'])).toBe(true);
    expect(matchesShortAnswer("it's sparse", ['its sparse'])).toBe(true);
  });

  it('numbers written another way, compared as numbers', () => {
    expect(matchesShortAnswer('six experts', ['6 experts'])).toBe(true);
    expect(matchesShortAnswer('6.0', ['6'])).toBe(true);
    expect(matchesShortAnswer('2,5', ['2.5'])).toBe(true);
    expect(matchesShortAnswer('top 2', ['top-2'])).toBe(true);
  });

  it('one typo in a word of five letters or more, in each word, and a plural', () => {
    expect(matchesShortAnswer('sparse activaton', ['sparse activation'])).toBe(true);
    expect(matchesShortAnswer('sprase actviation', ['sparse activation'])).toBe(true);
    expect(matchesShortAnswer('rooter', ['router'])).toBe(true);
    expect(matchesShortAnswer('gates', ['gate'])).toBe(true);
    // Two typos in one word are another word.
    expect(matchesShortAnswer('activtoin', ['activation'])).toBe(false);
  });
});

/** Pairs that make the opposite answer; either way round. */
const ANTONYMS: [string, string][] = [
  ['more', 'less'], ['more', 'fewer'], ['higher', 'lower'], ['increase', 'decrease'], ['increases', 'decreases'],
  ['dense', 'sparse'], ['all', 'some'], ['many', 'few'], ['before', 'after'], ['input', 'output'],
  ['larger', 'smaller'], ['always', 'never'], ['shared', 'routed'], ['top', 'bottom'], ['total', 'active'],
  ['same', 'different'], ['even', 'uneven'], ['balanced', 'unbalanced'], ['early', 'late'], ['first', 'last'],
  ['softmax', 'sigmoid'], ['memory', 'compute'], ['cheaper', 'costlier'], ['fast', 'slow'], ['true', 'false'],
];
const NEGATIONS = ['un', 'in', 'im', 'non', 'dis', 'de'];
/** Prefixes that swap for one another to make another word. */
const SWAPPED_PREFIXES: [string, string][] = [['re', 'de'], ['over', 'under'], ['pre', 'post'], ['en', 'dis']];

/** Answers a careless grader would take for `answer`, each a different answer. */
function nearMisses(answer: string): string[] {
  const words = answer.toLowerCase().split(/\s+/);
  const out = new Set<string>();
  words.forEach((w, i) => {
    const swap = (replacement: string) => out.add([...words.slice(0, i), replacement, ...words.slice(i + 1)].join(' '));
    if (/^\p{L}{3,}$/u.test(w)) {
      for (const p of NEGATIONS) swap(p + w);
      swap(`not ${w}`);
      for (const p of NEGATIONS) if (w.startsWith(p) && w.length - p.length >= 4) swap(w.slice(p.length));
    }
    for (const [a, b] of SWAPPED_PREFIXES) {
      if (w.startsWith(a) && w.length - a.length >= 4) swap(b + w.slice(a.length));
      if (w.startsWith(b) && w.length - b.length >= 4) swap(a + w.slice(b.length));
    }
    for (const [a, b] of ANTONYMS) {
      if (w === a) swap(b);
      if (w === b) swap(a);
    }
    // Every digit moved by one either way.
    [...w].forEach((c, j) => {
      if (!/\d/.test(c)) return;
      for (const d of [(Number(c) + 1) % 10, (Number(c) + 9) % 10]) swap(w.slice(0, j) + d + w.slice(j + 1));
    });
  });
  if (words[0] !== 'not') out.add(`not ${answer}`);
  return [...out];
}

/** One typo in the longest word of five letters or more (two letters swapped, or one dropped). */
function typoOf(answer: string): string | undefined {
  const words = answer.split(/\s+/);
  const i = words.reduce((best, w, j) => (/^\p{L}+$/u.test(w) && w.length >= 5 && w.length > (words[best]?.length ?? 0) ? j : best), -1);
  if (i < 0) return undefined;
  const w = words[i]!;
  const mid = Math.floor(w.length / 2);
  const typo = w[mid] !== w[mid + 1] ? w.slice(0, mid) + w[mid + 1] + w[mid] + w.slice(mid + 2) : w.slice(0, mid) + w.slice(mid + 1);
  return [...words.slice(0, i), typo, ...words.slice(i + 1)].join(' ');
}

const shortQuestions = loadContent(join(repoRoot, 'content'))
  .banks.flatMap((b) => b.bank.questions)
  .filter((q): q is Question & { type: 'short' } => q.type === 'short');

describe('every short-answer question in the content', () => {
  it('exists (the table below is not empty)', () => {
    expect(shortQuestions.length).toBeGreaterThanOrEqual(5);
  });

  it.each(shortQuestions.map((q) => [q.id, q] as const))('%s: refuses its near misses and takes its answers with the forgiven slips', (_id, q) => {
    const accepted = correctAnswers(q);
    const same = (a: string, b: string) => answerWords(a).join(' ') === answerWords(b).join(' ');
    const refused: string[] = [];
    for (const answer of accepted) {
      for (const miss of nearMisses(answer)) {
        // A near miss that is itself accepted (both negations of one word, say) is not a miss.
        if (accepted.some((a) => same(a, miss))) continue;
        if (matchesShortAnswer(miss, accepted, { exact: q.exact === true })) refused.push(miss);
      }
      expect(matchesShortAnswer(answer.toUpperCase(), accepted, { exact: q.exact === true }), answer).toBe(true);
      expect(matchesShortAnswer(`the ${answer}.`, accepted, { exact: q.exact === true }), answer).toBe(true);
      const typo = typoOf(answer);
      if (typo && !q.exact) expect(matchesShortAnswer(typo, accepted), `${typo} for ${answer}`).toBe(true);
    }
    expect(refused, 'near misses graded right').toEqual([]);
  });
});
