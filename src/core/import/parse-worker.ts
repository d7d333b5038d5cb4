import { parentPort } from 'node:worker_threads';
import type { ParseRequest } from './parse-thread.js';
import { parseImportFile, toParseData } from './parse.js';

/** The parser thread of parseImportFileOffThread: one file per message, answered as plain data. */
parentPort?.on('message', ({ bytes, ...rest }: ParseRequest) => {
  parentPort!.postMessage(toParseData(parseImportFile({ ...rest, bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) })));
});
