import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AbstainThresholds, AskAnswer } from '../../src/core/ask/answer.js';
import { extractiveAnswer, shouldAbstain } from '../../src/core/ask/answer.js';
import { retrieve } from '../../src/core/ask/retrieve.js';
import type { AskIndex } from '../../src/core/ask/search-index.js';
import { packageRoot } from '../../src/paths.js';
import { slugify } from '../../src/core/util/text.js';

/**
 * The /ask evaluation. Four splits: calibration (tests/fixtures/ask-eval.json), on which thresholds
 * and other settings are chosen; earlier (ask-eval-earlier.json), the first held-out split, on
 * which settings may now be chosen too; dev and test (ask-eval-dev.json, ask-eval-test.json), the
 * two halves of a second held-out set written by someone who saw neither the code nor the other
 * splits: settings may be chosen on dev, never on test. The figure that matters is whether the
 * answer's quoted text comes from a section that answers the question; retrieval recall and the
 * abstention figures are reported beside it.
 */

// From the package root, so that the benchmark (compiled to dist/) reads the same files.
const fixture = (name: string) => join(packageRoot, 'tests', 'fixtures', name);
export const splitPaths = {
  calibration: fixture('ask-eval.json'),
  earlier: fixture('ask-eval-earlier.json'),
  dev: fixture('ask-eval-dev.json'),
  test: fixture('ask-eval-test.json'),
} as const;

export interface InScopeQuestion {
  q: string;
  lesson: string;
  section: string;
  /** Other sections that answer it as well: [lesson, section title]. */
  also?: [string, string][];
}

export interface EvalSet {
  inScope: InScopeQuestion[];
  /** kind: 'near-miss' or 'off-topic', where the split records it. */
  outOfScope: { q: string; kind?: string }[];
}

export type Split = keyof typeof splitPaths;

export function loadEvalSet(path: string): EvalSet {
  return JSON.parse(readFileSync(path, 'utf8')) as EvalSet;
}

export function loadSplits(): Record<Split, EvalSet> {
  return Object.fromEntries(Object.entries(splitPaths).map(([split, path]) => [split, loadEvalSet(path)])) as Record<Split, EvalSet>;
}

export interface EvalRow {
  q: string;
  inScope: boolean;
  split: Split;
  /** 0-based rank of the first section that answers it; -1 when none was found (in scope only). */
  rank: number;
  coverage: number;
  score: number;
  /** Whether the answer (when it answers) quotes mostly sentences of sections that answer the question. */
  fromAnsweringSection: boolean;
  /** The answer under the code's thresholds. */
  answer: AskAnswer;
  /** Whether it abstains under other thresholds (the answer's own checks, then the thresholds). */
  abstainsAt: (t: AbstainThresholds) => boolean;
}

/** Settings passed through to retrieval and answering (the ablation switches). */
export type EvalOptions = Parameters<typeof extractiveAnswer>[3] & Parameters<typeof retrieve>[2];

const NEVER: AbstainThresholds = { minCoverage: 0, minScore: -Infinity };

export function runEval(index: AskIndex, set: EvalSet, split: Split, options: EvalOptions = {}): EvalRow[] {
  const row = (q: string, inScope: boolean, answers: [string, string][]): EvalRow => {
    const r = retrieve(index, q, options);
    const wanted = new Set(answers.map(([l, s]) => `${l}/${slugify(s)}`));
    const top = r.hits[0];
    // The answer with no thresholds: it abstains only by its own checks (nothing quotable, the wrong kind of sentence).
    const unthresholded = extractiveAnswer(index, r, NEVER, options);
    const abstainsAt = (t: AbstainThresholds) => unthresholded.abstained || shouldAbstain(r, t);
    const answer = extractiveAnswer(index, r, undefined, options);
    const fromAnswering = answer.parts.filter((p) => {
      const c = answer.citations[p.citation - 1]!;
      return wanted.has(`${c.lessonId}/${slugify(c.section)}`);
    }).length;
    return {
      q,
      inScope,
      split,
      rank: inScope ? r.hits.findIndex((h) => wanted.has(`${h.section.lessonId}/${h.section.slug}`)) : -1,
      coverage: top?.coverage ?? 0,
      score: top?.sentenceScore ?? 0,
      fromAnsweringSection: !unthresholded.abstained && unthresholded.parts.length > 0 && 2 * fromAnswering >= unthresholded.parts.length,
      answer,
      abstainsAt,
    };
  };
  return [
    ...set.inScope.map((e) => row(e.q, true, [[e.lesson, e.section], ...(e.also ?? [])])),
    ...set.outOfScope.map((e) => row(e.q, false, [])),
  ];
}

export interface Figures {
  inScope: number;
  outOfScope: number;
  /** Of the in-scope questions, the share answered (not refused) with text mostly from a section that answers them. */
  answerFromSection: number;
  recallAt1: number;
  recallAt3: number;
  mrr: number;
  /** Of the in-scope questions, the share wrongly refused. */
  inScopeRefused: number;
  /** Of the out-of-scope questions, the share answered anyway. */
  outOfScopeAnswered: number;
}

export function figures(rows: EvalRow[], t: AbstainThresholds): Figures {
  const ins = rows.filter((r) => r.inScope);
  const outs = rows.filter((r) => !r.inScope);
  const share = (n: number, d: number) => (d ? n / d : 0);
  return {
    inScope: ins.length,
    outOfScope: outs.length,
    answerFromSection: share(ins.filter((r) => !r.abstainsAt(t) && r.fromAnsweringSection).length, ins.length),
    recallAt1: share(ins.filter((r) => r.rank === 0).length, ins.length),
    recallAt3: share(ins.filter((r) => r.rank >= 0 && r.rank < 3).length, ins.length),
    mrr: share(ins.reduce((sum, r) => sum + (r.rank >= 0 ? 1 / (r.rank + 1) : 0), 0), ins.length),
    inScopeRefused: share(ins.filter((r) => r.abstainsAt(t)).length, ins.length),
    outOfScopeAnswered: share(outs.filter((r) => !r.abstainsAt(t)).length, outs.length),
  };
}

/** The calibration criterion: refuse out-of-scope questions, answer in-scope ones (Youden's J). */
export function objective(f: Figures): number {
  return 1 - f.outOfScopeAnswered - f.inScopeRefused;
}

export interface Calibration {
  thresholds: AbstainThresholds;
  objective: number;
  /** Every pair of thresholds that reaches the best objective. */
  optimal: AbstainThresholds[];
}

/**
 * Sweeps coverage (0 to 1 by 0.01) and score (0 to the highest seen, by 0.5) thresholds on the
 * calibration rows and keeps those with the best objective. Of those, it takes the lowest score
 * threshold (raw scores shift with the size of the lessons; coverage does not) and, at that
 * score, the middle of the range of best coverage thresholds: the farthest from both kinds of error.
 */
export function calibrateAbstention(rows: EvalRow[]): Calibration {
  const maxScore = Math.max(0, ...rows.map((r) => r.score));
  let best = -Infinity;
  let optimal: AbstainThresholds[] = [];
  for (let s = 0; s <= maxScore + 0.5; s += 0.5) {
    for (let c = 0; c <= 100; c++) {
      const t = { minCoverage: c / 100, minScore: s };
      const j = objective(figures(rows, t));
      if (j > best + 1e-12) {
        best = j;
        optimal = [t];
      } else if (Math.abs(j - best) <= 1e-12) {
        optimal.push(t);
      }
    }
  }
  const lowestScore = Math.min(...optimal.map((t) => t.minScore));
  const atLowest = optimal.filter((t) => t.minScore === lowestScore).map((t) => t.minCoverage);
  const middle = atLowest[Math.floor((atLowest.length - 1) / 2)]!;
  return { thresholds: { minCoverage: middle, minScore: lowestScore }, objective: best, optimal };
}

export function formatFigures(label: string, f: Figures): string {
  const p = (x: number) => x.toFixed(3);
  return (
    `${label}: ${f.inScope} in scope, ${f.outOfScope} out of scope | answer from an answering section ${p(f.answerFromSection)} | ` +
    `recall@1 ${p(f.recallAt1)} recall@3 ${p(f.recallAt3)} MRR ${p(f.mrr)} | in-scope refused ${p(f.inScopeRefused)} ` +
    `out-of-scope answered ${p(f.outOfScopeAnswered)}`
  );
}
