import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../paths.js';

export type ApplierRequest = 'wake' | 'stop';
export type ApplierMessage =
  | { kind: 'applied'; applied: number; failed: { seq: number; error: string }[] }
  | { kind: 'error'; message: string };

/** Entries applied per transaction: short enough that the bot's own writes wait at most a few ms. */
export const APPLY_BATCH = 256;
/** How long stopping waits for the thread to finish its batch and close its connection. */
const STOP_WAIT_MS = 10_000;

/**
 * The compiled worker script. Tests run the TypeScript sources, and a worker thread cannot load
 * those, so they use the build (`npm test` builds first).
 */
function workerScript(): URL | string {
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith('.ts')) return new URL('./answer-log-worker.js', import.meta.url);
  const built = join(packageRoot, 'dist', 'src', 'db', 'answer-log-worker.js');
  if (!existsSync(built)) throw new Error(`the answer log thread needs the build: run npm run build (${built} is missing)`);
  return built;
}

export interface ApplierThread {
  /** Asks the thread to apply what was appended. */
  wake(): void;
  /** Stops the thread and waits (blocking) until its connection is closed. */
  stop(): void;
}

export function startApplierThread(
  databaseFile: string,
  busyTimeoutMs: number,
  onMessage: (m: ApplierMessage) => void,
  onExit: (error?: Error) => void,
): ApplierThread {
  const stopFlag = new SharedArrayBuffer(4);
  const worker = new Worker(workerScript(), { workerData: { file: databaseFile, busyTimeoutMs, batch: APPLY_BATCH, stopFlag } });
  let stopping = false;
  let exited = false;
  let failure: Error | undefined;
  worker.on('message', onMessage);
  worker.on('error', (err) => (failure = err));
  worker.on('exit', () => {
    exited = true;
    if (!stopping) onExit(failure ?? new Error('the answer log thread exited'));
  });
  // The thread never keeps the bot alive by itself.
  worker.unref();
  return {
    wake: () => worker.postMessage('wake' satisfies ApplierRequest),
    stop: () => {
      if (stopping || exited) return;
      stopping = true;
      worker.postMessage('stop' satisfies ApplierRequest);
      Atomics.wait(new Int32Array(stopFlag), 0, 0, STOP_WAIT_MS);
    },
  };
}
