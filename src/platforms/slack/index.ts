import { App as BoltApp, HTTPReceiver, type CustomRoute } from '@slack/bolt';
import type { App } from '../../app.js';
import { ConfigError } from '../../config.js';
import type { Logger } from '../../logger.js';
import type { PlatformHandle } from '../platform.js';
import { AckFirst } from './ack-first.js';
import { boltLevel, boltLogger } from './bolt-logger.js';
import { errorInfo } from './errors.js';
import { downloadFile } from './files.js';
import { registerListeners } from './listeners.js';
import { slackChannelCheck, slackPostSender } from './outbox.js';
import { SeenDeliveries } from './seen.js';
import { SlackUsers } from './users.js';

export interface SlackStartOptions {
  /** More routes on the bot's HTTP server (HTTP mode: the PORT of /slack/events). */
  customRoutes?: CustomRoute[];
}

/** How long stopping waits for work that continues after an ack. */
const STOP_GRACE_MS = 5000;

/**
 * Connects to Slack: Socket Mode with SLACK_APP_TOKEN (no public URL needed), otherwise HTTP mode
 * with SLACK_SIGNING_SECRET on PORT at /slack/events, where Bolt verifies every request's
 * signature and rejects forged or stale ones with 401.
 */
export async function startSlack(app: App, logger: Logger, options: SlackStartOptions = {}): Promise<PlatformHandle> {
  const config = app.services.config;
  const token = config.SLACK_BOT_TOKEN;
  if (!token || (!config.SLACK_APP_TOKEN && !config.SLACK_SIGNING_SECRET)) {
    throw new ConfigError('Slack needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode). See .env.example.');
  }
  let apiOrigin: string | undefined;
  try {
    apiOrigin = config.SLACK_API_URL ? new URL(config.SLACK_API_URL).origin : undefined;
  } catch {
    throw new ConfigError(`Invalid SLACK_API_URL (got "${config.SLACK_API_URL}"): must be a URL such as https://slack.com/api/. See .env.example.`);
  }
  const log = logger.child({ platform: 'slack' });
  const socketMode = Boolean(config.SLACK_APP_TOKEN);
  const customRoutes = options.customRoutes ?? [];
  const bLogger = boltLogger(log);
  const bolt = new BoltApp({
    token,
    logger: bLogger,
    logLevel: boltLevel(log.level),
    deferInitialization: true,
    // Bolt's conversation store is not used: the core keeps its own state.
    convoStore: false,
    clientOptions: {
      ...(config.SLACK_API_URL ? { slackApiUrl: config.SLACK_API_URL } : {}),
      // A few quick retries; the default policy can wait half an hour.
      retryConfig: { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 4000 },
      timeout: 15_000,
    },
    ...(socketMode
      ? { socketMode: true, appToken: config.SLACK_APP_TOKEN, port: config.PORT, customRoutes }
      : {
          receiver: new HTTPReceiver({
            signingSecret: config.SLACK_SIGNING_SECRET!,
            endpoints: '/slack/events',
            port: config.PORT,
            customRoutes,
            logger: bLogger,
          }),
        }),
  });

  const inflight = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    inflight.add(work);
    void work.finally(() => inflight.delete(work));
  };
  // The bot token is sent only to Slack's file host (and the Web API's own origin, when moved).
  const fileOrigins = new Set(['https://files.slack.com', ...(apiOrigin ? [apiOrigin] : [])]);
  const adminIds = new Set((config.SLACK_ADMIN_USER_IDS ?? '').split(',').map((s) => s.trim()).filter(Boolean));
  registerListeners(bolt, {
    dispatcher: app.dispatcher,
    web: bolt.client,
    users: new SlackUsers(bolt.client, adminIds, log),
    seen: new SeenDeliveries(),
    logger: log,
    track,
    ackFirst: new AckFirst(),
    download: (file) => downloadFile(file, token, fileOrigins),
  });
  bolt.error(async (err) => {
    log.error({ err: errorInfo(err) }, 'slack listener failed');
  });

  try {
    await bolt.init(); // auth.test: a wrong token stops here with a clear message
  } catch (err) {
    const info = errorInfo(err);
    throw new ConfigError(`Slack did not accept SLACK_BOT_TOKEN (${info.slackError ?? info.message}).`);
  }
  try {
    await (socketMode ? bolt.start() : bolt.start(config.PORT));
  } catch (err) {
    const info = errorInfo(err);
    if (info.code === 'EADDRINUSE') throw new ConfigError(`Cannot serve Slack's HTTP mode on PORT=${config.PORT}: the port is in use.`);
    if (socketMode) throw new ConfigError(`Slack Socket Mode did not connect with SLACK_APP_TOKEN (${info.slackError ?? info.message}).`);
    throw err;
  }
  app.services.outbox.register('slack', slackPostSender(bolt.client, log), slackChannelCheck(bolt.client, log));
  log.info({ mode: socketMode ? 'socket' : 'http', ...(socketMode ? {} : { port: config.PORT, path: '/slack/events' }) }, 'slack connected');

  return {
    name: 'slack',
    async stop() {
      app.services.outbox.unregister('slack');
      await bolt.stop().catch((err: unknown) => log.warn({ err: errorInfo(err) }, 'slack stop failed'));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...inflight]), new Promise((resolve) => (timer = setTimeout(resolve, STOP_GRACE_MS)))]);
      clearTimeout(timer);
    },
  };
}
