import { join } from 'node:path';
import { answerFromLessons } from '../src/core/ask/ask.js';
import { buildAskIndex } from '../src/core/ask/search-index.js';
import { loadContent, type Lesson } from '../src/core/content/load.js';
import { packageRoot } from '../src/paths.js';
import { loadSplits } from '../tests/helpers/ask-eval.js';
import { median, percentile, round, type Benchmark } from './harness.js';

const SECTIONS = 500;
const ROUNDS = 15;

/** The repository's lessons, copied under new ids until there are `SECTIONS` sections. */
function lessonsRepeatedTo(sections: number): Lesson[] {
  const base = loadContent(join(packageRoot, 'content')).lessons;
  const out: Lesson[] = [];
  let count = 0;
  for (let copy = 0; count < sections; copy++) {
    for (const l of base) {
      if (count >= sections) break;
      const taken = l.sections.slice(0, sections - count);
      out.push({ ...l, id: `${l.id}-${copy}`, sections: taken });
      count += taken.length;
    }
  }
  return out;
}

/** The evaluation questions (in scope and out of scope, every split) that the tests use. */
function evalQuestions(): string[] {
  return Object.values(loadSplits()).flatMap((set) => [...set.inScope, ...set.outOfScope].map((e) => e.q));
}

/** Retrieval plus the extractive answer per question, over lessons repeated to 500 sections. */
export const askBenchmark: Benchmark = {
  name: 'ask',
  async run() {
    const lessons = lessonsRepeatedTo(SECTIONS);
    const built = performance.now();
    const index = buildAskIndex(lessons);
    const buildMs = performance.now() - built;
    const questions = evalQuestions();
    for (const q of questions) answerFromLessons(index, q); // warm-up
    // The build's garbage is not a question's cost (npm run bench runs node with --expose-gc).
    (globalThis as { gc?: () => void }).gc?.();
    // Each question runs ROUNDS times. ask_p95_ms is the p95 of every single run; the p95 of each
    // question's median is reported too (it shows the cost of a question without the moments the
    // machine was busy with other work).
    const runs = questions.map(() => [] as number[]);
    for (let r = 0; r < ROUNDS; r++) {
      questions.forEach((q, i) => {
        const started = performance.now();
        answerFromLessons(index, q);
        runs[i]!.push(performance.now() - started);
      });
    }
    const perQuestion = runs.map((t) => median(t));
    const p95 = round(percentile(perQuestion, 95), 3);
    const everyRun = round(percentile(runs.flat(), 95), 3);
    return {
      figures: { ask_p95_ms: everyRun, ask_question_median_p95_ms: p95, ask_index_build_ms: round(buildMs, 1) },
      rows: [
        [`/ask retrieval + answer, p95 of all ${runs.flat().length} runs (${questions.length} questions × ${ROUNDS}, ${index.sections.length} sections)`, `${everyRun} ms`, '< 5 ms'],
        [`/ask retrieval + answer, p95 of each question's median of ${ROUNDS} runs`, `${p95} ms`, ''],
        ['/ask retrieval + answer, median question', `${round(median(perQuestion), 3)} ms`, ''],
        [`/ask index build (${index.sections.length} sections, ${index.sentences.length} sentences)`, `${round(buildMs, 1)} ms`, ''],
      ],
    };
  },
};
