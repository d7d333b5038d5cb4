import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';

/** Tables an import may touch, and the progress that must survive one. */
const TABLES = ['banks', 'questions', 'imports', 'import_drafts', 'cards'];

export interface DbSnapshot {
  questions: number;
  /** sha256 of every row of the tables above, in primary-key order. */
  rowsHash: string;
  /** sha256 of the database file and its write-ahead log, byte for byte. */
  filesHash: string;
}

/** What a rejected import must leave exactly as it was (read through a second connection). */
export function snapshotDb(path: string): DbSnapshot {
  const files = createHash('sha256');
  for (const p of [path, `${path}-wal`]) if (existsSync(p)) files.update(readFileSync(p));
  const db = new Database(path, { readonly: true });
  try {
    const rows = createHash('sha256');
    for (const t of TABLES) rows.update(t + JSON.stringify(db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()));
    const questions = (db.prepare('SELECT count(*) AS n FROM questions').get() as { n: number }).n;
    return { questions, rowsHash: rows.digest('hex'), filesHash: files.digest('hex') };
  } finally {
    db.close();
  }
}
