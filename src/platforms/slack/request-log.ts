import type { Logger } from '../../logger.js';

/** Log lines of one delivery, tagged with its id. */
export interface RequestLog {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

/** Cheaper than a pino child per request (a child re-applies redaction to its bindings). */
export function requestLog(logger: Logger, rid: string): RequestLog {
  return {
    info: (fields, msg) => logger.info({ rid, ...fields }, msg),
    warn: (fields, msg) => logger.warn({ rid, ...fields }, msg),
    error: (fields, msg) => logger.error({ rid, ...fields }, msg),
  };
}
