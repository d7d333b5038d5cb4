import { resolve } from 'node:path';
import { createApp, type App } from './app.js';
import { discordConfigured, discordOverHttp, slackConfigured, slackSocketMode, type Config } from './config.js';
import { DatabaseOpenError } from './db/connection.js';
import { telemetry } from './core/telemetry.js';
import { within } from './core/util/within.js';
import { createLogger, secretValues, type Logger } from './logger.js';
import { backupSettings, scheduleBackups, type BackupSchedule } from './ops/backup-schedule.js';
import type { PlatformState, ShardStatus } from './ops/health.js';
import type { HttpRoute, OpsServer } from './ops/http.js';
import { acquireLock, LockError, type DatabaseLock } from './ops/lock.js';
import type { OpsHttp } from './ops/runtime.js';
import type { PlatformExtras, PlatformHandle } from './platforms/platform.js';
import { TerminalChat } from './platforms/terminal/chat.js';

type PlatformStarter = (app: App, logger: Logger, extras: PlatformExtras) => Promise<PlatformHandle>;

/**
 * The platforms that connect when their credentials are set. Adapters are imported lazily, so
 * the terminal chat never loads discord.js or Bolt.
 */
function configuredPlatforms(config: Config): { name: string; start: PlatformStarter }[] {
  const list: { name: string; start: PlatformStarter }[] = [];
  if (discordConfigured(config)) {
    list.push({ name: 'discord', start: async (app, logger) => (await import('./platforms/discord/index.js')).startDiscord(app, logger) });
  }
  if (slackConfigured(config)) {
    list.push({
      name: 'slack',
      start: async (app, logger, extras) => (await import('./platforms/slack/index.js')).startSlack(app, logger, { customRoutes: extras.routes }),
    });
  }
  return list;
}

/** How long shutdown waits for interactions in flight before it closes anyway. */
const DRAIN_MS = 10_000;

/**
 * A stray error (a promise nobody awaited, a throw in a timer) is logged and counted, never
 * fatal: interactions fail one by one in the dispatcher, and one bad event must not stop the bot.
 */
function logStrayErrors(logger: Logger): () => void {
  const onRejection = (reason: unknown) => {
    telemetry.unhandledErrors++;
    logger.error({ err: reason }, 'unhandled promise rejection');
  };
  const onException = (err: Error) => {
    telemetry.unhandledErrors++;
    logger.error({ err }, 'uncaught exception');
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}

/**
 * Takes the database's lock, held while the bot runs so that a second bot or a restore never
 * touches the database under it. A `:memory:` database is the process's own: no lock.
 */
function lockDatabase(config: Config): DatabaseLock | undefined {
  if (config.DATABASE_PATH === ':memory:') return undefined;
  try {
    return acquireLock(config.DATABASE_PATH, 'bot', { foreignHost: 'stale' });
  } catch (err) {
    // The lock lives beside the database: a location that cannot take it cannot take the database.
    if (err instanceof LockError && err.cannotOpen) {
      throw new DatabaseOpenError(`Cannot open the database at DATABASE_PATH=${config.DATABASE_PATH}: ${err.cannotOpen}.`);
    }
    throw err;
  }
}

/**
 * Composition root: config → database lock → database → content → core → platforms. Starts
 * every configured platform; with none configured (or with forceTerminal) the terminal chat runs
 * in the foreground.
 * With HTTP_PORT set it serves /healthz and /metrics (in any mode); with BACKUP_DIR and
 * BACKUP_CRON it takes scheduled backups. SIGTERM/SIGINT stop it gracefully: new interactions
 * are refused, those in flight finish (up to DRAIN_MS), then background jobs, platforms, the
 * HTTP server and the database close, and the process exits 0.
 */
export async function startPlatforms(config: Config, options: { forceTerminal?: boolean } = {}): Promise<void> {
  const platforms = options.forceTerminal ? [] : configuredPlatforms(config);
  const terminal = platforms.length === 0;
  const interactive = terminal && Boolean(process.stdin.isTTY);
  const logger = createLogger(terminal && !process.env.LOG_LEVEL ? 'warn' : config.LOG_LEVEL, { prettyOutput: terminal, secrets: secretValues(config) });
  const backups = backupSettings(config);
  // Before anything opens, migrates or syncs the database: a refused second bot changes nothing.
  const lock = lockDatabase(config);
  const releaseLock = () => lock?.release();
  process.once('exit', releaseLock);
  let app: App;
  try {
    app = createApp(config, logger);
  } catch (err) {
    releaseLock();
    process.off('exit', releaseLock);
    throw err;
  }
  const stopLoggingStrayErrors = logStrayErrors(logger);

  let stopping = false;
  const states = new Map<string, () => PlatformState>(platforms.map((p) => [p.name, () => 'connecting' as const]));
  if (terminal) states.set('terminal', () => 'connected');
  const handles: PlatformHandle[] = [];
  let http: OpsHttp | undefined;
  let portServer: OpsServer | undefined;
  let backupJob: BackupSchedule | undefined;

  /** Closes everything in order: background jobs, platforms, the HTTP servers, the database. */
  const close = async () => {
    backupJob?.stop();
    await Promise.allSettled(handles.map((h) => h.stop()));
    await portServer?.close();
    await http?.close();
    app.close();
    stopLoggingStrayErrors();
    releaseLock();
    process.off('exit', releaseLock);
  };

  // One HTTP server on PORT serves every route there: Slack's (HTTP mode) when Slack runs, else the bot's own.
  const slackServesPort = platforms.some((p) => p.name === 'slack') && !slackSocketMode(config);
  const discordNeedsPort = platforms.some((p) => p.name === 'discord') && discordOverHttp(config);
  const portRoutes: HttpRoute[] = [];
  try {
    if (config.HTTP_PORT) {
      const { startOpsHttp } = await import('./ops/runtime.js');
      http = await startOpsHttp(app, logger, {
        port: config.HTTP_PORT,
        ...(config.HTTP_PORT === config.PORT && (slackServesPort || discordNeedsPort)
          ? { sharedWith: slackServesPort ? "Slack's HTTP server" : "the server of Discord's interactions endpoint" }
          : {}),
        platforms: () => Object.fromEntries([...states].map(([name, state]) => [name, state()])),
        shards: () => Object.fromEntries(handles.flatMap((h): [string, ShardStatus[]][] => (h.shards ? [[h.name, h.shards()]] : []))),
        stopping: () => stopping,
      });
      portRoutes.push(...http.portRoutes);
    }
    // Discord starts before Slack, so Slack's server already knows Discord's route.
    for (const p of platforms) {
      const handle = await p.start(app, logger, { routes: slackServesPort ? portRoutes : [] });
      handles.push(handle);
      portRoutes.push(...(handle.routes ?? []));
      states.set(p.name, () => ((handle.connected?.() ?? true) ? 'connected' : 'disconnected'));
    }
    if (discordNeedsPort && !slackServesPort) {
      const { startOpsServer } = await import('./ops/http.js');
      portServer = await startOpsServer(config.PORT, portRoutes, logger, undefined, { serves: portRoutes.map((r) => r.path).join(', '), setting: 'PORT' });
    }
    if (backups) {
      backupJob = scheduleBackups(app.services.db.$client, { ...backups, timezone: config.DEFAULT_TIMEZONE }, logger);
      // A simulated clock (QUIZBOT_CLOCK) takes the backups its /clock moves over.
      if (config.QUIZBOT_CLOCK) app.addMinuteTimer(backupJob);
    }
  } catch (err) {
    await close();
    throw err;
  }

  let chat: TerminalChat | undefined;
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const signalled = new Promise<NodeJS.Signals>((resolveSignal) => {
    onSignal = (signal) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal, inflight: app.dispatcher.inflight.size }, 'shutting down');
      app.dispatcher.inflight.close();
      chat?.stop();
      resolveSignal(signal);
    };
  });
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  app.startBackground();

  let signal: NodeJS.Signals | undefined;
  try {
    if (terminal) {
      if (!options.forceTerminal) {
        process.stderr.write('No Discord or Slack credentials set (DISCORD_TOKEN, SLACK_BOT_TOKEN): opening the terminal chat. Type /help.\n');
      }
      chat = new TerminalChat(app, {
        input: process.stdin,
        output: process.stdout,
        interactive,
        imageDir: resolve('data', 'images'),
      });
      const ended = chat.run();
      signal = await Promise.race([ended.then(() => undefined), signalled]);
      // The line being handled when the signal came finishes and is printed.
      if (signal && !(await within(ended, DRAIN_MS))) logger.warn('the terminal chat did not finish its last line in time');
    } else {
      logger.info({ platforms: handles.map((h) => h.name) }, 'bot started');
      signal = await signalled;
    }
    if (!(await app.dispatcher.inflight.settled(DRAIN_MS))) {
      logger.warn({ inflight: app.dispatcher.inflight.size }, 'interactions still running at shutdown; closing anyway');
    }
    if (!(await within(app.services.outbox.settled(), DRAIN_MS))) logger.warn('posts still being sent at shutdown; closing anyway');
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await close();
  }
  if (signal) {
    logger.info({ signal }, 'stopped');
    // A library that left a handle open must not keep a stopped bot alive.
    setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
  }
}
