import Database from 'better-sqlite3';
import { loadContent } from '../../src/core/content/load.js';
import type { Question } from '../../src/core/content/schema.js';

/** Rows of a query on a running bot's database, opened read-only for that one query. */
export function queryDb<T>(dbPath: string, sql: string, ...args: unknown[]): T[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...args) as T[];
  } finally {
    db.close();
  }
}

/** Every question of a content folder, by id. */
export function questionsById(contentDir: string): Map<string, Question> {
  return new Map(
    loadContent(contentDir)
      .banks.flatMap((b) => b.bank.questions)
      .map((q) => [q.id, q]),
  );
}

/** The question a race shows in a round, from the race's row in the bot's database. */
export function raceQuestion(dbPath: string, questions: Map<string, Question>, raceId: string, round: number): Question {
  const [row] = queryDb<{ ids: string }>(dbPath, 'SELECT question_ids ids FROM races WHERE id = ?', raceId);
  return questions.get(JSON.parse(row!.ids)[round])!;
}

/**
 * A question bank of one true/false question ("An MoE layer runs every expert for every token":
 * false) on the moe-tradeoffs lesson, as the YAML file an admin uploads.
 */
export function oneQuestionBankYaml(bankId: string, title: string, questionId: string): string {
  return [
    `id: ${bankId}`,
    `title: ${title}`,
    'lesson: moe-tradeoffs',
    'questions:',
    `  - id: ${questionId}`,
    '    type: true_false',
    '    prompt: An MoE layer runs every expert for every token.',
    '    answer: false',
    '    explanation: Only the experts the router picks run for a token.',
    '    source: { lesson: moe-tradeoffs, section: Key terms }',
    '',
  ].join('\n');
}
