import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { parseEncryptionKey } from './db/encryption.js';

/**
 * Every setting comes from the environment (and an optional .env file, which never overrides a
 * variable that is already set). .env.example documents each one.
 */

const optionalString = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();

/** A whole number written as text, within bounds. */
const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const configSchema = z.object({
  DATABASE_PATH: z.string().trim().min(1).default('./data/quizbot.sqlite'),
  CONTENT_DIR: z.string().trim().min(1).default('./content'),
  LOG_LEVEL: logLevel.default('info'),
  DEFAULT_TIMEZONE: z
    .string()
    .default('UTC')
    .refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin'),
  NEW_CARDS_PER_DAY: z.coerce.number().int().min(0).max(200).default(5),
  QUIZ_MAX_CARDS: z.coerce.number().int().min(1).max(200).default(20),
  /** Reviews of due cards a learner gets per day; the rest wait for the following days. */
  MAX_REVIEWS_PER_DAY: z.coerce.number().int().min(1).max(500).default(50),
  /** The local hour a learner's day begins (for everyone): study before it counts for the day before. */
  DAY_STARTS_AT_HOUR: z.coerce.number().int().min(0).max(23).default(4),
  RACE_ROUND_SECONDS: z.coerce.number().int().min(1).max(600).default(20),
  /** Per-user click limit on Discord and Slack: a burst of this many, then RATE_LIMIT_PER_SECOND. */
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).max(10_000).default(20),
  RATE_LIMIT_PER_SECOND: z.coerce.number().positive().max(10_000).default(5),
  /** Longest an import file may take to read (parse) before it is refused. */
  IMPORT_PARSE_BUDGET_MS: z.coerce.number().int().min(100).max(600_000).default(3000),

  DISCORD_TOKEN: optionalString,
  DISCORD_APPLICATION_ID: optionalString,
  DISCORD_GUILD_ID: optionalString,
  DISCORD_API_URL: optionalString,
  /** The application's public key: set, Discord POSTs interactions to /discord/interactions on PORT (no gateway). */
  DISCORD_PUBLIC_KEY: optionalString.pipe(z.string().regex(/^[0-9a-fA-F]{64}$/, "must be the application's Public Key: 64 hex digits").optional()),
  /** Gateway shards: 'auto' (as many as Discord recommends) or a number, all run in this process. */
  DISCORD_SHARDS: optionalString
    .pipe(z.union([z.literal('auto'), wholeNumber(1, 4096)], { error: "must be 'auto' or a whole number from 1 to 4096" }).optional())
    .transform((v) => v ?? 'auto'),

  SLACK_BOT_TOKEN: optionalString,
  SLACK_APP_TOKEN: optionalString,
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_API_URL: optionalString,
  SLACK_ADMIN_USER_IDS: optionalString,
  /** Installs by OAuth (many workspaces, HTTP mode): the app's credentials, from its Basic Information page. */
  SLACK_CLIENT_ID: optionalString,
  SLACK_CLIENT_SECRET: optionalString,
  SLACK_STATE_SECRET: optionalString,
  /** Where Slack sends the installer back: https://<host>/slack/oauth_redirect (default: the app's only redirect URL). */
  SLACK_REDIRECT_URI: optionalString.pipe(z.url().optional()),
  /** 32 bytes, base64 or hex: seals each workspace's tokens in the database (AES-256-GCM). */
  INSTALLATION_ENCRYPTION_KEY: optionalString,
  PORT: port.default(3000),

  HTTP_PORT: port.optional(),

  LLM_BASE_URL: optionalString.pipe(z.url().optional()),
  LLM_MODEL: optionalString,
  LLM_API_KEY: optionalString,
  LLM_TIMEOUT_MS: positiveInt.default(8000),

  MOE_ENDPOINT_URL: optionalString.pipe(z.url().optional()),
  /** What serves the routing demos: the bot's own endpoint (deploy/moe-endpoint), vLLM or SGLang. */
  MOE_ENDPOINT_KIND: z.enum(['quizbot', 'vllm', 'sglang']).default('quizbot'),
  MOE_API_TOKEN: optionalString,
  /** vLLM/SGLang: the model to ask for (default: the first the server lists). */
  MOE_MODEL: optionalString,
  /** vLLM/SGLang: experts per MoE layer (default: the largest expert id seen + 1). */
  MOE_NUM_EXPERTS: optionalString.pipe(wholeNumber(1, 4096).optional()),
  /** SGLang: experts per token (default: inferred from the routed experts). */
  MOE_TOP_K: optionalString.pipe(wholeNumber(1, 64).optional()),
  MOE_TIMEOUT_MS: positiveInt.default(20000),
  MOE_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(600).default(6),

  BACKUP_DIR: optionalString,
  BACKUP_CRON: optionalString,
  BACKUP_KEEP: positiveInt.default(14),

  /** Start the bot's clock at this instant and let the terminal chat's /clock move it (demos, tests). */
  QUIZBOT_CLOCK: optionalString.pipe(z.iso.datetime({ offset: true }).optional()),
  /** Terminal chat users who may run admin commands (comma-separated names). */
  TERMINAL_ADMINS: z.string().default('you,admin'),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads KEY=value lines from a .env file without overriding variables already set. */
export function readDotEnv(path: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (!existsSync(path)) return env;
  const fromFile = parseEnv(readFileSync(path, 'utf8'));
  return { ...fromFile, ...env };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, dotEnvPath = '.env'): Config {
  const merged = readDotEnv(dotEnvPath, env);
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const name = String(issue.path[0] ?? 'configuration');
    const value = merged[name];
    const shown = value === undefined ? '' : ` (got "${name.match(/TOKEN|SECRET|KEY/) ? '***' : value}")`;
    throw new ConfigError(`Invalid ${name}${shown}: ${issue.message}. See .env.example.`);
  }
  const config = result.data;
  if (config.DISCORD_TOKEN && !config.DISCORD_APPLICATION_ID) {
    throw new ConfigError('DISCORD_APPLICATION_ID is required when DISCORD_TOKEN is set. See .env.example.');
  }
  if (config.DISCORD_PUBLIC_KEY && !config.DISCORD_TOKEN) {
    throw new ConfigError('DISCORD_PUBLIC_KEY (interactions over HTTP) needs DISCORD_TOKEN and DISCORD_APPLICATION_ID as well. See .env.example.');
  }
  if (config.SLACK_BOT_TOKEN && !config.SLACK_APP_TOKEN && !config.SLACK_SIGNING_SECRET) {
    throw new ConfigError(
      'SLACK_BOT_TOKEN needs SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode). See .env.example.',
    );
  }
  checkSlackOAuth(config);
  return config;
}

/** Installs by OAuth need all three app credentials, HTTP mode and a well-formed encryption key. */
function checkSlackOAuth(config: Config): void {
  const oauth = ['SLACK_CLIENT_ID', 'SLACK_CLIENT_SECRET', 'SLACK_STATE_SECRET'] as const;
  const given = oauth.filter((name) => config[name]);
  installationKey(config);
  if (given.length === 0) return;
  const missing = oauth.filter((name) => !config[name]);
  if (missing.length) throw new ConfigError(`Slack installs by OAuth need ${missing.join(' and ')} too (with ${given.join(', ')}). See .env.example.`);
  if (config.SLACK_BOT_TOKEN) {
    throw new ConfigError('Set either SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID with SLACK_CLIENT_SECRET (installs by OAuth, each workspace with its own token), not both. See .env.example.');
  }
  if (config.SLACK_APP_TOKEN || !config.SLACK_SIGNING_SECRET) {
    throw new ConfigError('Slack installs by OAuth run in HTTP mode: set SLACK_SIGNING_SECRET and unset SLACK_APP_TOKEN. See .env.example.');
  }
  if (config.SLACK_REDIRECT_URI && /[?#]/.test(config.SLACK_REDIRECT_URI)) {
    throw new ConfigError(`Invalid SLACK_REDIRECT_URI (got "${config.SLACK_REDIRECT_URI}"): the bot's redirect URL, e.g. https://quizbot.example.com/slack/oauth_redirect, without a query. See .env.example.`);
  }
  if (config.SLACK_STATE_SECRET!.length < 16) {
    throw new ConfigError('SLACK_STATE_SECRET must be at least 16 characters (openssl rand -hex 32). See .env.example.');
  }
  if (!config.INSTALLATION_ENCRYPTION_KEY) {
    throw new ConfigError('Slack installs by OAuth need INSTALLATION_ENCRYPTION_KEY, which seals each workspace\'s tokens in the database: generate one with `openssl rand -base64 32`. See .env.example.');
  }
}

/** INSTALLATION_ENCRYPTION_KEY as a key: undefined when unset, a ConfigError when malformed. */
export function installationKey(c: Config): Buffer | undefined {
  if (!c.INSTALLATION_ENCRYPTION_KEY) return undefined;
  const key = parseEncryptionKey(c.INSTALLATION_ENCRYPTION_KEY);
  if (!key) throw new ConfigError('Invalid INSTALLATION_ENCRYPTION_KEY: it must be 32 bytes written as base64 (openssl rand -base64 32) or as 64 hex digits. See .env.example.');
  return key;
}

/** Whether Slack workspaces install the app by OAuth (each with its own token) instead of one SLACK_BOT_TOKEN. */
export function slackOAuth(c: Config): boolean {
  return Boolean(c.SLACK_CLIENT_ID && c.SLACK_CLIENT_SECRET && c.SLACK_STATE_SECRET && c.SLACK_SIGNING_SECRET && c.INSTALLATION_ENCRYPTION_KEY);
}

/** Whether Slack connects over Socket Mode (SLACK_APP_TOKEN, one workspace) rather than serving HTTP on PORT. */
export function slackSocketMode(c: Config): boolean {
  return !slackOAuth(c) && Boolean(c.SLACK_APP_TOKEN);
}

export function discordConfigured(c: Config): boolean {
  return Boolean(c.DISCORD_TOKEN && c.DISCORD_APPLICATION_ID);
}

/** Whether Discord sends interactions to the bot's HTTP endpoint (on PORT) instead of the gateway. */
export function discordOverHttp(c: Config): boolean {
  return discordConfigured(c) && Boolean(c.DISCORD_PUBLIC_KEY);
}

export function slackConfigured(c: Config): boolean {
  return Boolean(c.SLACK_BOT_TOKEN && (c.SLACK_APP_TOKEN || c.SLACK_SIGNING_SECRET)) || slackOAuth(c);
}
