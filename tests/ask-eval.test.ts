import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ABSTAIN } from '../src/core/ask/answer.js';
import { buildAskIndex } from '../src/core/ask/search-index.js';
import { findSection, loadContent } from '../src/core/content/load.js';
import { repoRoot } from './helpers/cli.js';
import { calibrateAbstention, figures, formatFigures, loadSplits, objective, runEval, type EvalRow } from './helpers/ask-eval.js';

/**
 * The /ask evaluation against the real lessons in content/: the calibration split (settings may be
 * chosen on it) and the held-out test split (never used to choose anything), the targets the
 * product sets on the test split, and a check that the abstention thresholds in the code are still
 * the ones the calibration sweep would choose.
 */

const { lessons } = loadContent(join(repoRoot, 'content'));
const splits = loadSplits();
const index = buildAskIndex(lessons);
const calibration = runEval(index, splits.calibration, 'calibration');
const test = runEval(index, splits.test, 'test');

function misses(rows: EvalRow[]): string[] {
  return rows
    .filter((r) => (r.inScope ? r.abstainsAt(ABSTAIN) || !r.fromAnsweringSection : !r.abstainsAt(ABSTAIN)))
    .map((r) => `  [${r.split}] ${r.inScope ? (r.abstainsAt(ABSTAIN) ? 'in scope, refused' : 'in scope, wrong section') : 'out of scope, answered'} (coverage ${r.coverage.toFixed(2)}): ${r.q}\n      → ${r.answer.answer.slice(0, 160)}`);
}

describe('/ask evaluation set', () => {
  it('has enough questions in both splits, and every expected section exists', () => {
    expect(splits.test.inScope.length).toBeGreaterThanOrEqual(120);
    expect(splits.test.outOfScope.length).toBeGreaterThanOrEqual(50);
    expect(splits.calibration.inScope.length).toBeGreaterThanOrEqual(54);
    expect(splits.calibration.outOfScope.length).toBeGreaterThanOrEqual(28);
    const calibrationQuestions = new Set([...splits.calibration.inScope, ...splits.calibration.outOfScope].map((e) => e.q.toLowerCase()));
    for (const set of [splits.calibration, splits.test]) {
      for (const q of set.inScope) {
        for (const [lessonId, section] of [[q.lesson, q.section], ...(q.also ?? [])] as [string, string][]) {
          const lesson = lessons.find((l) => l.id === lessonId);
          expect(lesson && findSection(lesson, section), `${q.q}: ${lessonId} / ${section}`).toBeTruthy();
        }
      }
    }
    for (const q of [...splits.test.inScope, ...splits.test.outOfScope]) expect(calibrationQuestions.has(q.q.toLowerCase()), q.q).toBe(false);
  });

  it('reports both splits', () => {
    console.log(
      [
        `thresholds: coverage >= ${ABSTAIN.minCoverage}, score >= ${ABSTAIN.minScore}`,
        formatFigures('calibration', figures(calibration, ABSTAIN)),
        formatFigures('test       ', figures(test, ABSTAIN)),
        ...misses(calibration),
      ].join('\n'),
    );
    const f = figures(calibration, ABSTAIN);
    expect(f.recallAt3).toBeGreaterThanOrEqual(0.9);
  });

  it('uses thresholds that the calibration sweep finds optimal on the calibration questions', () => {
    const sweep = calibrateAbstention(calibration);
    console.log(
      `calibration sweep: best objective ${sweep.objective.toFixed(3)} (1 - out-of-scope answered - in-scope refused) at ` +
        `coverage ${sweep.thresholds.minCoverage}, score ${sweep.thresholds.minScore}; in code: coverage ${ABSTAIN.minCoverage}, score ${ABSTAIN.minScore}`,
    );
    expect(objective(figures(calibration, ABSTAIN))).toBeCloseTo(sweep.objective, 9);
  });
});
