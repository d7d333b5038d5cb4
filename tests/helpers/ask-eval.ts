import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AbstainThresholds } from '../../src/core/ask/answer.js';
import { shouldAbstain } from '../../src/core/ask/answer.js';
import { retrieve } from '../../src/core/ask/retrieve.js';
import type { AskIndex } from '../../src/core/ask/search-index.js';
import { slugify } from '../../src/core/util/text.js';

/**
 * The /ask evaluation: retrieval figures (recall@1, recall@3, MRR) on in-scope questions, abstention
 * figures on both lists, and the calibration sweep that chooses the abstention thresholds.
 */

export const evalSetPath = fileURLToPath(new URL('../fixtures/ask-eval.json', import.meta.url));

export interface InScopeQuestion {
  q: string;
  lesson: string;
  section: string;
  /** Other sections that answer it as well: [lesson, section title]. */
  also?: [string, string][];
}

export interface EvalSet {
  inScope: InScopeQuestion[];
  outOfScope: { q: string }[];
}

export function loadEvalSet(path = evalSetPath): EvalSet {
  return JSON.parse(readFileSync(path, 'utf8')) as EvalSet;
}

/**
 * Every third question of each list is held out: the thresholds are chosen on the others, and the
 * held-out figures show how they do on questions the choice never saw.
 */
export function isHeldOut(position: number): boolean {
  return position % 3 === 2;
}

export interface EvalRow {
  q: string;
  inScope: boolean;
  heldOut: boolean;
  /** 0-based rank of the first section that answers it; -1 when none was found (in scope only). */
  rank: number;
  coverage: number;
  score: number;
  /** The retrieval, kept to decide abstention under other thresholds. */
  abstainsAt: (t: AbstainThresholds) => boolean;
}

export function runEval(index: AskIndex, set: EvalSet): EvalRow[] {
  const row = (q: string, inScope: boolean, heldOut: boolean, answers: [string, string][]): EvalRow => {
    const r = retrieve(index, q);
    const wanted = new Set(answers.map(([l, s]) => `${l}/${slugify(s)}`));
    const top = r.hits[0];
    return {
      q,
      inScope,
      heldOut,
      rank: inScope ? r.hits.findIndex((h) => wanted.has(`${h.section.lessonId}/${h.section.slug}`)) : -1,
      coverage: top?.coverage ?? 0,
      score: top?.sentenceScore ?? 0,
      abstainsAt: (t) => shouldAbstain(r, t),
    };
  };
  return [
    ...set.inScope.map((e, i) => row(e.q, true, isHeldOut(i), [[e.lesson, e.section], ...(e.also ?? [])])),
    ...set.outOfScope.map((e, i) => row(e.q, false, isHeldOut(i), [])),
  ];
}

export interface Figures {
  inScope: number;
  outOfScope: number;
  recallAt1: number;
  recallAt3: number;
  mrr: number;
  /** Of the abstentions, the share that were out-of-scope questions. */
  abstentionPrecision: number;
  /** Of the out-of-scope questions, the share answered with an abstention. */
  abstentionRecall: number;
  /** Of the in-scope questions, the share wrongly answered with an abstention. */
  falseAbstentionRate: number;
}

export function figures(rows: EvalRow[], t: AbstainThresholds): Figures {
  const ins = rows.filter((r) => r.inScope);
  const outs = rows.filter((r) => !r.inScope);
  const share = (n: number, d: number) => (d ? n / d : 0);
  const falseAbstentions = ins.filter((r) => r.abstainsAt(t)).length;
  const trueAbstentions = outs.filter((r) => r.abstainsAt(t)).length;
  return {
    inScope: ins.length,
    outOfScope: outs.length,
    recallAt1: share(ins.filter((r) => r.rank === 0).length, ins.length),
    recallAt3: share(ins.filter((r) => r.rank >= 0 && r.rank < 3).length, ins.length),
    mrr: share(ins.reduce((sum, r) => sum + (r.rank >= 0 ? 1 / (r.rank + 1) : 0), 0), ins.length),
    abstentionPrecision: share(trueAbstentions, trueAbstentions + falseAbstentions),
    abstentionRecall: share(trueAbstentions, outs.length),
    falseAbstentionRate: share(falseAbstentions, ins.length),
  };
}

/** The calibration criterion: abstain on out-of-scope questions, answer in-scope ones (Youden's J). */
export function objective(f: Figures): number {
  return f.abstentionRecall - f.falseAbstentionRate;
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
    `${label}: ${f.inScope} in scope, ${f.outOfScope} out of scope | recall@1 ${p(f.recallAt1)} recall@3 ${p(f.recallAt3)} ` +
    `MRR ${p(f.mrr)} | abstention precision ${p(f.abstentionPrecision)} recall ${p(f.abstentionRecall)} ` +
    `in-scope false abstentions ${p(f.falseAbstentionRate)}`
  );
}
