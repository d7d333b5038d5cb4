import { Worker } from 'node:worker_threads';
import { fromParseData, type ImportFile, type ParseData, type ParsedFile } from './parse.js';

/** How long reading a file may take before it is refused (IMPORT_PARSE_BUDGET_MS). */
export const DEFAULT_PARSE_BUDGET_MS = 3000;

/** What the worker is given: the file without its budget, the bytes as a copy. */
export type ParseRequest = Omit<ImportFile, 'bytes' | 'parseBudgetMs'> & { bytes: Uint8Array };

/**
 * The thread's compiled module. Under vitest this module runs from its .ts source, and a worker
 * thread has no TypeScript loader: it then runs the compiled twin in dist/, which the tests'
 * global setup brings up to date before any test runs.
 */
const WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('../../../dist/src/core/import/parse-worker.js', import.meta.url)
  : new URL('./parse-worker.js', import.meta.url);

function budgetText(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

/** Heap of a parser thread: a 5 MB file of 20,000 questions needs well under half of it. */
const PARSER_HEAP_MB = 512;

/**
 * Files read at once: one per owner (a tenant, or the command line) and two in all, so one
 * server's admin sending slow files keeps at most one core busy and never starves another's.
 */
const MAX_PARSES = 2;
const parsing = new Set<string>();

const refusedFile = (fileName: string, message: string): ParsedFile => ({ result: { issues: [{ file: fileName, message }] } });

/** How long a parser thread is kept for the next import (an admin who fixes a file imports it again). */
const IDLE_MS = 60_000;

let idle: { worker: Worker; timer: NodeJS.Timeout } | undefined;

/** The kept thread, or a new one. A thread starts in tens of milliseconds and runs cold code. */
function takeWorker(): Worker {
  if (idle) {
    const { worker, timer } = idle;
    idle = undefined;
    clearTimeout(timer);
    worker.ref();
    return worker;
  }
  // A file that makes the parser balloon ends the thread, not the bot.
  const worker = new Worker(WORKER_URL, { resourceLimits: { maxOldGenerationSizeMb: PARSER_HEAP_MB } });
  // An idle thread that fails is simply not reused; each parse listens for failures itself.
  worker.on('error', () => undefined);
  worker.on('exit', () => {
    if (idle?.worker === worker) {
      clearTimeout(idle.timer);
      idle = undefined;
    }
  });
  return worker;
}

/** Keeps one thread (never holding the process open) until IDLE_MS passes; stops any other. */
function keepWorker(worker: Worker): void {
  if (idle) {
    void worker.terminate();
    return;
  }
  worker.unref();
  const timer = setTimeout(() => void worker.terminate(), IDLE_MS);
  timer.unref();
  idle = { worker, timer };
}

/**
 * parseImportFile on a worker thread, so a file the grammar is slow on (GIFT backtracks) never
 * stalls the event loop and every other interaction, with a time budget (thread start included):
 * past it the thread is stopped and the file refused. The thread is kept a while after a parse,
 * so a run of imports does not pay for starting one and warming its code each time. Rejects only
 * when the thread itself fails.
 */
export async function parseImportFileOffThread(input: ImportFile, owner = 'operator'): Promise<ParsedFile> {
  if (parsing.has(owner)) return refusedFile(input.fileName, 'another file of this server is being read right now; import one file at a time');
  if (parsing.size >= MAX_PARSES) return refusedFile(input.fileName, 'the bot is reading other files right now; try again in a moment');
  parsing.add(owner);
  try {
    return await parseOnThread(input);
  } finally {
    parsing.delete(owner);
  }
}

function parseOnThread(input: ImportFile): Promise<ParsedFile> {
  const { bytes, parseBudgetMs = DEFAULT_PARSE_BUDGET_MS, ...rest } = input;
  // The thread gets a copy: the caller still hashes the bytes, and a small Buffer shares its memory.
  const copy = new Uint8Array(bytes);
  const request: ParseRequest = { ...rest, bytes: copy };
  return new Promise((resolve, reject) => {
    const worker = takeWorker();
    const done = (finish: () => void) => {
      clearTimeout(timer);
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      finish();
    };
    const onMessage = (data: ParseData) => {
      done(() => resolve(fromParseData(data)));
      keepWorker(worker);
    };
    const onError = (err: Error) =>
      done(() =>
        (err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? resolve(refusedFile(input.fileName, 'reading the file needed more memory than an import may use, so it was refused; split it into smaller files'))
          : reject(err),
      );
    const onExit = (code: number) => done(() => reject(new Error(`the import parser stopped without an answer (exit code ${code})`)));
    const timer = setTimeout(() => {
      done(() =>
        resolve({
          result: {
            issues: [{ file: input.fileName, message: `reading the file took longer than ${budgetText(parseBudgetMs)}, so it was refused; split it into smaller files` }],
          },
        }),
      );
      void worker.terminate();
    }, parseBudgetMs);
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    worker.postMessage(request, [copy.buffer]);
  });
}
