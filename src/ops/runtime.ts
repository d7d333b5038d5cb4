import type { App } from '../app.js';
import type { Logger } from '../logger.js';
import type { PlatformState } from './health.js';
import { opsRoutes, startOpsServer, type HttpRoute } from './http.js';
import { BotMetrics } from './metrics.js';

export interface OpsHttp {
  /** The routes, for Slack's server to serve when it shares the port (empty otherwise). */
  slackRoutes: HttpRoute[];
  close(): Promise<void>;
}

/**
 * Metrics (fed by the dispatcher) and GET /healthz + GET /metrics on HTTP_PORT. When Slack's HTTP
 * mode listens on the same port, its server serves the routes and no second server is opened.
 * Loaded only when HTTP_PORT is set, so the terminal chat never pays for prom-client.
 */
export async function startOpsHttp(
  app: App,
  logger: Logger,
  options: { port: number; shareWithSlack: boolean; platforms: () => Record<string, PlatformState>; stopping: () => boolean },
): Promise<OpsHttp> {
  const db = app.services.db.$client;
  const metrics = new BotMetrics({ db, now: () => app.services.clock.now() });
  app.dispatcher.observe(metrics.observer);
  const routes = opsRoutes({ db, platforms: options.platforms, stopping: options.stopping, startedAt: Date.now() }, metrics, logger);
  if (options.shareWithSlack) {
    logger.info({ port: options.port }, "serving /healthz and /metrics on Slack's HTTP server");
    return { slackRoutes: routes, close: async () => {} };
  }
  const server = await startOpsServer(options.port, routes, logger);
  return { slackRoutes: [], close: () => server.close() };
}
