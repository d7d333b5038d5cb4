import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the background thread folds the write-ahead log back into the database file. */
export const CHECKPOINT_INTERVAL_MS = 100;

/**
 * The main connection checkpoints by itself only when the log grows past this many pages (about
 * 40 MB): a safety net for when the background thread cannot keep up or has stopped.
 */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;

// Runs in the worker, with its own connection. PASSIVE never waits for or blocks the writer.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const timer = setInterval(() => {
  try {
    checkpoint.run();
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message), code: err && err.code });
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  stop(): void;
}

/**
 * Checkpoints a WAL database from a background thread, so a commit never pays for copying the
 * log into the database file (SQLite otherwise does it inside whichever commit crosses the
 * threshold, blocking every interaction queued behind it). Every failed attempt (a full disk) is
 * reported; the main connection's fallback threshold keeps the log bounded meanwhile.
 */
export function startCheckpointer(file: string, onError: (error: { message: string; code?: string }) => void): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, file, intervalMs: CHECKPOINT_INTERVAL_MS } });
  worker.on('message', (m: { error: string; code?: string }) => onError({ message: m.error, code: m.code }));
  worker.on('error', (err) => onError({ message: err.message }));
  // After the listeners: attaching one takes a reference again. The thread never keeps the bot alive.
  worker.unref();
  return {
    stop: () => worker.postMessage('stop'),
  };
}
