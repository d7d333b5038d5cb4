import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../config.js';
import type { Logger } from '../logger.js';
import { checkHealth, type HealthSources } from './health.js';
import type { BotMetrics } from './metrics.js';

/**
 * A plain route: the same shape as Bolt's customRoutes, so Slack's HTTP server can serve these
 * when it shares the port, and the bot's own server serves them otherwise.
 */
export interface HttpRoute {
  path: string;
  method: string;
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}

/** Answers a request with `body`; resolves once it is sent, or once the client has gone. */
export function send(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): Promise<void> {
  return new Promise((resolve) => {
    if (res.headersSent || res.destroyed) return resolve();
    res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
    res.end(body, () => resolve());
    // A request the client gave up on closes without a 'finish'.
    res.once('close', () => resolve());
  });
}

/** GET /healthz (JSON, 200 when ok, 503 otherwise) and GET /metrics (Prometheus text). */
export function opsRoutes(health: HealthSources, metrics: BotMetrics, logger: Logger): HttpRoute[] {
  return [
    {
      path: '/healthz',
      method: 'GET',
      handler: (_req, res) => {
        const report = checkHealth(health);
        void send(res, report.status === 'ok' ? 200 : 503, JSON.stringify(report) + '\n', 'application/json; charset=utf-8');
      },
    },
    {
      path: '/metrics',
      method: 'GET',
      handler: (_req, res) => {
        void metrics.text().then(
          (text) => send(res, 200, text, metrics.contentType),
          (err: unknown) => {
            logger.error({ err }, 'metrics collection failed');
            return send(res, 500, 'metrics collection failed\n');
          },
        );
      },
    },
  ];
}

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

/** What a server is for, in its log line and its start-up errors. */
interface ServerPurpose {
  serves: string;
  setting: 'HTTP_PORT' | 'PORT';
}

/** Serves the routes on their own HTTP server (when Slack's server does not already). */
export async function startOpsServer(
  port: number,
  routes: HttpRoute[],
  logger: Logger,
  host?: string,
  purpose: ServerPurpose = { serves: '/healthz and /metrics', setting: 'HTTP_PORT' },
): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const matching = routes.filter((r) => r.path === path);
    const route = matching.find((r) => r.method === req.method || (req.method === 'HEAD' && r.method === 'GET'));
    if (route) return route.handler(req, res);
    if (matching.length) {
      res.setHeader('Allow', [...new Set(matching.map((r) => r.method))].join(', '));
      return void send(res, 405, 'method not allowed\n');
    }
    void send(res, 404, 'not found\n');
  });
  // Health checks and scrapes are short: do not let an idle keep-alive connection hold up shutdown.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') throw new ConfigError(`Cannot serve ${purpose.serves} on ${purpose.setting}=${port}: the port is in use.`);
    if (err.code === 'EACCES') throw new ConfigError(`Cannot serve ${purpose.serves} on ${purpose.setting}=${port}: permission denied.`);
    throw err;
  });
  server.on('error', (err) => logger.error({ err }, 'ops http server error'));
  const bound = (server.address() as AddressInfo).port;
  logger.info({ port: bound }, `serving ${purpose.serves}`);
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
