import type { App } from '../app.js';
import type { Logger } from '../logger.js';
import type { PlatformState, ShardStatus } from './health.js';
import { opsRoutes, startOpsServer, type HttpRoute } from './http.js';
import { BotMetrics } from './metrics.js';

export interface OpsHttp {
  /** The routes, for the server on PORT to serve when HTTP_PORT is PORT (empty otherwise). */
  portRoutes: HttpRoute[];
  close(): Promise<void>;
}

/**
 * Metrics (fed by the dispatcher) and GET /healthz + GET /metrics on HTTP_PORT. When the bot
 * serves PORT anyway (Slack's HTTP mode, Discord's interactions endpoint) and HTTP_PORT is the
 * same port, that server serves the routes and no second server is opened.
 * Loaded only when HTTP_PORT is set, so the terminal chat never pays for prom-client.
 */
export async function startOpsHttp(
  app: App,
  logger: Logger,
  options: {
    port: number;
    /** The server already on this port, when HTTP_PORT is PORT (Slack's, or the bot's own for Discord). */
    sharedWith?: string;
    platforms: () => Record<string, PlatformState>;
    shards: () => Record<string, ShardStatus[]>;
    stopping: () => boolean;
  },
): Promise<OpsHttp> {
  const db = app.services.db.$client;
  const metrics = new BotMetrics({ db, now: () => app.services.clock.now(), shards: options.shards });
  app.dispatcher.observe(metrics.observer);
  const routes = opsRoutes({ db, platforms: options.platforms, shards: options.shards, stopping: options.stopping, startedAt: Date.now() }, metrics, logger);
  if (options.sharedWith) {
    logger.info({ port: options.port }, `serving /healthz and /metrics on ${options.sharedWith}`);
    return { portRoutes: routes, close: async () => {} };
  }
  const server = await startOpsServer(options.port, routes, logger);
  return { portRoutes: [], close: () => server.close() };
}
