import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ABSTAIN } from '../src/core/ask/answer.js';
import { buildAskIndex } from '../src/core/ask/search-index.js';
import { findSection, loadContent } from '../src/core/content/load.js';
import { repoRoot } from './helpers/cli.js';
import { calibrateAbstention, figures, formatFigures, loadEvalSet, objective, runEval } from './helpers/ask-eval.js';

/**
 * The /ask evaluation against the real lessons in content/: retrieval and abstention figures, the
 * gates the product sets, and a check that the abstention thresholds in the code are still the ones
 * the calibration sweep would choose.
 */

const { lessons } = loadContent(join(repoRoot, 'content'));
const set = loadEvalSet();
const rows = runEval(buildAskIndex(lessons), set);
const calibration = rows.filter((r) => !r.heldOut);
const heldOut = rows.filter((r) => r.heldOut);

describe('/ask evaluation set', () => {
  it('has enough questions, and every expected section exists', () => {
    expect(set.inScope.length).toBeGreaterThanOrEqual(40);
    expect(set.outOfScope.length).toBeGreaterThanOrEqual(20);
    for (const q of set.inScope) {
      for (const [lessonId, section] of [[q.lesson, q.section], ...(q.also ?? [])] as [string, string][]) {
        const lesson = lessons.find((l) => l.id === lessonId);
        expect(lesson && findSection(lesson, section), `${q.q}: ${lessonId} / ${section}`).toBeTruthy();
      }
    }
  });

  it('meets the retrieval and abstention targets', () => {
    const all = figures(rows, ABSTAIN);
    console.log(
      [
        `thresholds: coverage >= ${ABSTAIN.minCoverage}, score >= ${ABSTAIN.minScore}`,
        formatFigures('all       ', all),
        formatFigures('calibration', figures(calibration, ABSTAIN)),
        formatFigures('held out  ', figures(heldOut, ABSTAIN)),
        ...rows
          .filter((r) => (r.inScope ? r.rank !== 0 || r.abstainsAt(ABSTAIN) : !r.abstainsAt(ABSTAIN)))
          .map(
            (r) =>
              `  ${r.inScope ? `in, answer at rank ${r.rank + 1}` : 'out of scope'}${r.heldOut ? ' (held out)' : ''}, ` +
              `coverage ${r.coverage.toFixed(2)}, ${r.abstainsAt(ABSTAIN) ? 'abstains' : 'answers'}: ${r.q}`,
          ),
      ].join('\n'),
    );
    expect(all.recallAt3).toBeGreaterThanOrEqual(0.9);
    expect(all.abstentionRecall).toBeGreaterThanOrEqual(0.9);
    expect(all.falseAbstentionRate).toBeLessThanOrEqual(0.1);
  });

  it('uses thresholds that the calibration sweep finds optimal on the calibration questions', () => {
    const sweep = calibrateAbstention(calibration);
    console.log(
      `calibration sweep: best objective ${sweep.objective.toFixed(3)} (abstention recall - false abstentions) at ` +
        `coverage ${sweep.thresholds.minCoverage}, score ${sweep.thresholds.minScore}; in code: coverage ${ABSTAIN.minCoverage}, score ${ABSTAIN.minScore}`,
    );
    expect(objective(figures(calibration, ABSTAIN))).toBeCloseTo(sweep.objective, 9);
    expect(sweep.optimal).toContainEqual({ minCoverage: ABSTAIN.minCoverage, minScore: ABSTAIN.minScore });
  });
});
