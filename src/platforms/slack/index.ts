import { App as BoltApp, ErrorCode, HTTPReceiver, type CodedError, type CustomRoute, type webApi } from '@slack/bolt';
import type { App } from '../../app.js';
import { ConfigError, installationKey, slackConfigured, slackOAuth, slackSocketMode } from '../../config.js';
import { within } from '../../core/util/within.js';
import { SecretBox } from '../../db/encryption.js';
import type { Logger } from '../../logger.js';
import type { PlatformHandle } from '../platform.js';
import { AckFirst } from './ack-first.js';
import { boltLevel, boltLogger } from './bolt-logger.js';
import { errorInfo } from './errors.js';
import { downloadFile } from './files.js';
import { SlackInstallations } from './installations.js';
import { registerListeners } from './listeners.js';
import { slackChannelCheck, slackPostSender, type WorkspaceClient } from './outbox.js';
import { SeenDeliveries } from './seen.js';
import { registerUninstallListeners } from './uninstall.js';
import { SlackUsers } from './users.js';
import { BOT_SCOPES, installedWorkspaceClient, oneAtATime } from './workspaces.js';

export interface SlackStartOptions {
  /** More routes on the bot's HTTP server (HTTP mode: the PORT of /slack/events). */
  customRoutes?: CustomRoute[];
}

/** How long stopping waits for work that continues after an ack. */
const STOP_GRACE_MS = 5000;

/**
 * Connects to Slack, in one of three ways:
 * - one workspace, Socket Mode: SLACK_BOT_TOKEN and SLACK_APP_TOKEN (no public URL needed);
 * - one workspace, HTTP mode: SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET, on PORT at /slack/events;
 * - any number of workspaces, installed by OAuth (HTTP mode): SLACK_CLIENT_ID, SLACK_CLIENT_SECRET,
 *   SLACK_STATE_SECRET, SLACK_SIGNING_SECRET and INSTALLATION_ENCRYPTION_KEY. /slack/install is the
 *   "Add to Slack" page, /slack/oauth_redirect stores the installation (sealed, in the database),
 *   and every request, post and download uses the token of the workspace it concerns.
 * In HTTP mode Bolt verifies every request's signature and rejects forged or stale ones with 401.
 */
export async function startSlack(app: App, logger: Logger, options: SlackStartOptions = {}): Promise<PlatformHandle> {
  const config = app.services.config;
  const token = config.SLACK_BOT_TOKEN;
  const oauth = slackOAuth(config);
  if (!slackConfigured(config)) {
    throw new ConfigError('Slack needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode), or installs by OAuth (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_STATE_SECRET, SLACK_SIGNING_SECRET, INSTALLATION_ENCRYPTION_KEY). See .env.example.');
  }
  let apiOrigin: string | undefined;
  try {
    apiOrigin = config.SLACK_API_URL ? new URL(config.SLACK_API_URL).origin : undefined;
  } catch {
    throw new ConfigError(`Invalid SLACK_API_URL (got "${config.SLACK_API_URL}"): must be a URL such as https://slack.com/api/. See .env.example.`);
  }
  const log = logger.child({ platform: 'slack' });
  const socketMode = slackSocketMode(config);
  const customRoutes = options.customRoutes ?? [];
  const bLogger = boltLogger(log);
  const clientOptions: webApi.WebClientOptions = {
    ...(config.SLACK_API_URL ? { slackApiUrl: config.SLACK_API_URL } : {}),
    // A few quick retries; the default policy can wait half an hour.
    retryConfig: { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 4000 },
    timeout: 15_000,
    logger: bLogger,
  };

  let installations: SlackInstallations | undefined;
  if (oauth) {
    // slackOAuth() holds only with a key set; installationKey() refuses a malformed one.
    installations = new SlackInstallations(app.services.db, new SecretBox(installationKey(config)!), log);
    const unreadable = installations.unreadable();
    if (unreadable.length) {
      throw new ConfigError(
        `INSTALLATION_ENCRYPTION_KEY does not open the stored Slack installations of ${unreadable.slice(0, 5).join(', ')}${unreadable.length > 5 ? ` and ${unreadable.length - 5} more` : ''}: they were sealed with another key. Start with the key they were stored with (or remove them with \`quizbot slack uninstall <team> --yes\` and install the app there again).`,
      );
    }
  }

  const receiver = socketMode
    ? undefined
    : new HTTPReceiver({
        signingSecret: config.SLACK_SIGNING_SECRET!,
        endpoints: '/slack/events',
        port: config.PORT,
        customRoutes,
        logger: bLogger,
        ...(installations
          ? {
              clientId: config.SLACK_CLIENT_ID!,
              clientSecret: config.SLACK_CLIENT_SECRET!,
              stateSecret: config.SLACK_STATE_SECRET!,
              scopes: [...BOT_SCOPES],
              installationStore: installations,
              ...(config.SLACK_REDIRECT_URI ? { redirectUri: config.SLACK_REDIRECT_URI } : {}),
              installerOptions: {
                installPath: '/slack/install',
                redirectUriPath: config.SLACK_REDIRECT_URI ? new URL(config.SLACK_REDIRECT_URI).pathname : '/slack/oauth_redirect',
                // The "Add to Slack" page sets the state cookie the redirect checks.
                directInstall: false,
                stateVerification: true,
                clientOptions,
                // Slack's authorize page lives beside its Web API (a test points both at a fake).
                ...(config.SLACK_API_URL ? { authorizationUrl: new URL('../oauth/v2/authorize', config.SLACK_API_URL).toString() } : {}),
              },
            }
          : {}),
      });
  const installer = receiver?.installer;
  // Concurrent requests of a workspace whose token is due for rotation refresh it once.
  const authorize = installer ? (installer.authorize = oneAtATime(installer.authorize)) : undefined;

  const bolt = new BoltApp({
    ...(token && !oauth ? { token } : {}),
    logger: bLogger,
    logLevel: boltLevel(log.level),
    deferInitialization: true,
    // Bolt's conversation store is not used: the core keeps its own state.
    convoStore: false,
    clientOptions,
    ...(socketMode ? { socketMode: true, appToken: config.SLACK_APP_TOKEN, port: config.PORT, customRoutes } : { receiver: receiver! }),
  });

  const inflight = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    inflight.add(work);
    void work.finally(() => inflight.delete(work));
  };
  // A bot token is sent only to Slack's file host (and the Web API's own origin, when moved).
  const fileOrigins = new Set(['https://files.slack.com', ...(apiOrigin ? [apiOrigin] : [])]);
  const adminIds = new Set((config.SLACK_ADMIN_USER_IDS ?? '').split(',').map((s) => s.trim()).filter(Boolean));
  registerListeners(bolt, {
    dispatcher: app.dispatcher,
    users: new SlackUsers(adminIds, log),
    seen: new SeenDeliveries(),
    logger: log,
    track,
    ackFirst: new AckFirst(),
    download: (file, fileToken) => {
      if (!fileToken) throw new Error('no bot token to download a file with');
      return downloadFile(file, fileToken, fileOrigins);
    },
  });
  if (installations) registerUninstallListeners(bolt, installations, log);
  bolt.error(async (err) => {
    // A request from a workspace the app is not installed in (any more): refused with 401.
    if ((err as CodedError).code === ErrorCode.AuthorizationError) {
      log.warn({ err: errorInfo(err) }, 'slack: request refused: the app is not installed in its workspace');
      throw err;
    }
    log.error({ err: errorInfo(err) }, 'slack listener failed');
  });

  try {
    await bolt.init(); // one workspace: auth.test, so a wrong token stops here with a clear message
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
  // Posts the core makes by itself go out with the token of their own workspace.
  const clientOf: WorkspaceClient = installations && authorize ? installedWorkspaceClient(installations, authorize, clientOptions) : async () => bolt.client;
  app.services.outbox.register('slack', slackPostSender(clientOf, log), slackChannelCheck(clientOf, log));
  log.info(
    {
      mode: socketMode ? 'socket' : 'http',
      ...(socketMode ? {} : { port: config.PORT, path: '/slack/events' }),
      ...(installations ? { installs: 'oauth', installPath: '/slack/install', workspaces: installations.list().length } : {}),
    },
    'slack connected',
  );

  return {
    name: 'slack',
    async stop() {
      app.services.outbox.unregister('slack');
      await bolt.stop().catch((err: unknown) => log.warn({ err: errorInfo(err) }, 'slack stop failed'));
      await within(Promise.allSettled([...inflight]), STOP_GRACE_MS);
    },
  };
}
