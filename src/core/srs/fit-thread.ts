import { Worker } from 'node:worker_threads';
import type { PackedHistories } from './history.js';

/** What the fitting thread is asked. */
export interface FitRequest {
  /** The card histories (packed: handed over without a copy). */
  histories: PackedHistories;
  /** Learner days [from, to) of the reviews to fit to; left out: all. */
  trainDays?: [number, number];
  /** Learner days [from, to) of the reviews to evaluate on; left out: those fitted to. */
  evalDays?: [number, number];
  /** Parameter sets to evaluate (null: fsrs-rs's FSRS-6 defaults). */
  evaluate: (readonly number[] | null)[];
  /** Whether to fit: then the fitted set is evaluated last. */
  fit: boolean;
}

export interface Metrics {
  logLoss: number;
  rmseBins: number;
}

export interface FitResponse {
  fitted: number[] | undefined;
  /** One per evaluated set, in order, the fitted one last. */
  metrics: Metrics[];
}

/**
 * The thread's compiled module. Under vitest this module runs from its .ts source, and a worker
 * thread has no TypeScript loader: it then runs the compiled twin in dist/, which the tests'
 * global setup brings up to date before any test runs.
 */
const WORKER_URL = import.meta.url.endsWith('.ts') ? new URL('../../../dist/src/core/srs/fit-worker.js', import.meta.url) : new URL('./fit-worker.js', import.meta.url);

/**
 * A thread that fits and evaluates FSRS parameters, one request at a time, so neither the fitting
 * (already off the main thread in the binding) nor the evaluation (synchronous in the binding)
 * ever holds up an answer. Closed when a fitting pass ends.
 */
export class FitThread {
  private worker: Worker | undefined;
  private next = 0;
  private pending = new Map<number, { resolve: (r: FitResponse) => void; reject: (e: Error) => void }>();

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_URL);
    worker.on('message', (msg: { id: number; res?: FitResponse; error?: string }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error !== undefined) p.reject(new Error(msg.error));
      else p.resolve(msg.res!);
    });
    const fail = (err: Error) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      this.worker = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the fitting thread stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }

  run(req: FitRequest): Promise<FitResponse> {
    const worker = this.start();
    const id = ++this.next;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const h = req.histories;
      worker.postMessage({ id, req }, [h.ratings.buffer, h.days.buffer, h.starts.buffer] as ArrayBuffer[]);
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}
