import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyImport, prepareImport, type ImportServices } from '../src/core/import/apply.js';
import { LessonLibrary, systemClock } from '../src/core/services.js';
import { openDatabase } from '../src/db/connection.js';
import { median, round, type Benchmark } from './harness.js';

const QUESTIONS = 10_000;
const RUNS = 5;
const actor = { platform: 'cli', userId: 'bench', displayName: 'bench', tenant: null };

/** A spreadsheet export of 10,000 questions of every type, as an admin would upload it. */
export function generatedCsv(n = QUESTIONS): Buffer {
  const rows = ['id,type,question,choice_a,choice_b,choice_c,choice_d,answer,accepted,explanation,tags'];
  for (let i = 0; i < n; i++) {
    const e = (k: number) => `Expert ${(i + k) % 64}`;
    switch (i % 4) {
      case 0:
        rows.push(`gen-${i},single,"Question ${i}: which expert does the router pick for token ${i}?",${e(0)},${e(1)},${e(2)},${e(3)},B,,"The router scores every expert; ${e(1)} wins for token ${i}.",generated|t${i % 10}`);
        break;
      case 1:
        rows.push(`gen-${i},multiple,"Question ${i}: which two experts share token ${i}?",${e(0)},${e(1)},${e(2)},${e(3)},A|C,,"Top-2 routing sends token ${i} to two experts.",generated`);
        break;
      case 2:
        rows.push(`gen-${i},true_false,"Statement ${i}: token ${i} visits every expert.",,,,,false,,"Only the top-k experts run for token ${i}.",generated`);
        break;
      default:
        rows.push(`gen-${i},short,"Question ${i}: what picks the experts for token ${i}?",,,,,router,the router|gate ${i},"The router (gate) picks them.",generated`);
    }
  }
  return Buffer.from(rows.join('\n') + '\n');
}

function freshServices(dir: string, run: number): ImportServices & { close(): void } {
  const db = openDatabase(join(dir, `import-${run}.sqlite`));
  return { db, lessons: new LessonLibrary([]), clock: systemClock, close: () => db.$client.close() };
}

/** Import (parse, check, diff, write) of a 10k-question file into a fresh database, then the same file again. */
export const importBenchmark: Benchmark = {
  name: 'import',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'quizbot-bench-import-'));
    const bytes = generatedCsv();
    const first: number[] = [];
    const again: number[] = [];
    try {
      for (let run = 0; run < RUNS; run++) {
        const services = freshServices(dir, run);
        try {
          let started = performance.now();
          const prepared = await prepareImport(services, { fileName: 'generated.csv', bytes, actor });
          if (!prepared.ok || !prepared.draftId) throw new Error(`the generated bank was refused: ${JSON.stringify(prepared.ok || prepared.issues.slice(0, 3))}`);
          const applied = applyImport(services, prepared.draftId, actor);
          first.push(performance.now() - started);
          if (applied.status !== 'applied' || applied.counts.added !== QUESTIONS) throw new Error(`unexpected import result: ${JSON.stringify(applied)}`);

          started = performance.now();
          const noop = await prepareImport(services, { fileName: 'generated.csv', bytes, actor });
          again.push(performance.now() - started);
          if (!noop.ok || !noop.diff.noop) throw new Error('re-importing the same file was not a no-op');
        } finally {
          services.close();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const importMs = round(median(first), 0);
    const reimportMs = round(median(again), 0);
    return {
      figures: { import_10k_ms: importMs, reimport_10k_ms: reimportMs },
      rows: [
        [`import of ${QUESTIONS.toLocaleString('en')} questions (CSV, fresh database, median of ${RUNS})`, `${importMs} ms`, '< 1000 ms'],
        [`re-import of the same file (no-op, median of ${RUNS})`, `${reimportMs} ms`, '< 500 ms'],
      ],
    };
  },
};
