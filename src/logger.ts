import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/** The settings that hold secrets: redacted by key in log objects, and their values scrubbed from every line. */
const SECRET_SETTINGS = [
  'DISCORD_TOKEN',
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_CLIENT_SECRET',
  'SLACK_STATE_SECRET',
  'INSTALLATION_ENCRYPTION_KEY',
  'LLM_API_KEY',
  'MOE_API_TOKEN',
];

/** Keys whose values are secrets wherever they appear in a log object. */
const SECRET_KEYS = [
  'token',
  ...SECRET_SETTINGS,
  'signingSecret',
  'appToken',
  'botToken',
  'apiKey',
  'api_key',
  'password',
  'secret',
  'client_secret',
  'authorization',
  'Authorization',
  'cookie',
  'x-slack-signature',
];

const key = (k: string) => (/^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `["${k}"]`);

/** Paths that may carry secrets anywhere in a log object: never written. */
export const REDACT_PATHS = [
  ...SECRET_KEYS.flatMap((k) => [key(k).replace(/^\./, ''), `*${key(k)}`, `*.*${key(k)}`, `*.headers${key(k)}`]),
  'headers.authorization',
  'headers["x-slack-signature"]',
  'config',
  '*.config',
];

/** Slack tokens (bot, user, refresh, rotated, app-level) wherever they appear in a line. */
const SLACK_TOKEN = /\b(?:xox[a-z](?:\.xox[a-z])?|xapp)-[A-Za-z0-9-]+/g;

/** The secret values of a configuration, to scrub from any log line that would contain them. */
export function secretValues(config: Partial<Record<string, unknown>>): string[] {
  // Very short values would scrub ordinary words; real tokens are long.
  return SECRET_SETTINGS.map((n) => config[n]).filter((v): v is string => typeof v === 'string' && v.length >= 8);
}

export interface LoggerOptions {
  /** Human-readable lines (the terminal chat) instead of JSON. */
  prettyOutput?: boolean;
  /** Values never written, wherever they appear (in messages, URLs, error texts). */
  secrets?: string[];
  /** Where lines go (default: stderr). */
  destination?: NodeJS.WritableStream;
}

/**
 * JSON logs to stderr (stdout belongs to the terminal chat and to `--json` output). `prettyOutput`
 * gives human-readable lines for an interactive terminal. Secrets are removed twice: by key
 * (REDACT_PATHS) and by value (`secrets`), so a token inside an error message is caught too.
 */
export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const secrets = [...new Set(options.secrets ?? [])];
  // Tokens that are not in the configuration (each Slack workspace's own) are known by their shape.
  const scrub = (line: string) => secrets.reduce((text, secret) => text.split(secret).join('[redacted]'), line).replace(SLACK_TOKEN, '[redacted]');
  const base = {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    hooks: { streamWrite: scrub },
  };
  if (options.prettyOutput) {
    return pino(base, pretty({ destination: options.destination ?? 2, sync: true, colorize: !options.destination && process.stderr.isTTY, ignore: 'pid,hostname' }));
  }
  return pino(base, options.destination ?? pino.destination({ dest: 2, sync: true }));
}
