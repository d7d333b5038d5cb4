import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/** Paths that may carry secrets anywhere in a log object: never written. */
export const REDACT_PATHS = [
  '*.token',
  '*.DISCORD_TOKEN',
  '*.SLACK_BOT_TOKEN',
  '*.SLACK_APP_TOKEN',
  '*.SLACK_SIGNING_SECRET',
  '*.LLM_API_KEY',
  '*.MOE_API_TOKEN',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  'headers["x-slack-signature"]',
  'config',
];

/**
 * JSON logs to stderr (stdout belongs to the terminal chat and to `--json` output). `prettyOutput`
 * gives human-readable lines for an interactive terminal.
 */
export function createLogger(level: string, options: { prettyOutput?: boolean } = {}): Logger {
  const base = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (options.prettyOutput) {
    return pino(base, pretty({ destination: 2, sync: true, colorize: process.stderr.isTTY, ignore: 'pid,hostname' }));
  }
  return pino(base, pino.destination({ dest: 2, sync: true }));
}
