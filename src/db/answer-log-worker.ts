import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { AnswerLogApplier } from './answer-log.js';
import type { ApplierMessage, ApplierRequest } from './answer-log-thread.js';

/**
 * The background thread that applies the answer log, on its own connection: woken after each
 * appended group, it applies batches until the log is caught up, reporting after each batch.
 */
const { file, busyTimeoutMs, batch, stopFlag } = workerData as { file: string; busyTimeoutMs: number; batch: number; stopFlag: SharedArrayBuffer };
const port = parentPort!;
const post = (m: ApplierMessage) => port.postMessage(m);
const db = new Database(file, { fileMustExist: true });
db.pragma(`busy_timeout = ${busyTimeoutMs}`);
db.pragma('temp_store = MEMORY');
const applier = new AnswerLogApplier(db);

let running = false;
let again = false;
let stopped = false;

function step(): void {
  if (stopped) return;
  let count = 0;
  try {
    const done = applier.applyBatch(batch);
    count = done.count;
    post({ kind: 'applied', applied: done.applied, failed: done.failed });
  } catch (err) {
    // Busy past the timeout, or a full disk: tell, and try again on the next wake.
    post({ kind: 'error', message: (err as Error).message });
    running = false;
    return;
  }
  // Yield between batches, so a stop request is seen while a long backlog is applied.
  if (count === batch || again) {
    again = false;
    setImmediate(step);
  } else running = false;
}

port.on('message', (m: ApplierRequest) => {
  if (m === 'stop') {
    stopped = true;
    db.close();
    const flag = new Int32Array(stopFlag);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    port.close();
    return;
  }
  if (running) again = true;
  else {
    running = true;
    setImmediate(step);
  }
});
