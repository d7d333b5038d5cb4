import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createDispatcher } from '../src/core/index.js';
import { telemetry } from '../src/core/telemetry.js';
import { createLogger } from '../src/logger.js';
import { checkHealth, databaseWritable } from '../src/ops/health.js';
import { opsRoutes, startOpsServer, type OpsServer } from '../src/ops/http.js';
import { BotMetrics, databaseBytes } from '../src/ops/metrics.js';
import { testActionSpecs } from './helpers/actions.js';
import { actor, as, buttons, makeApp } from './helpers/app.js';
import { freePort } from './fakes/loopback.js';
import { BotChild, burstEnv } from './helpers/ops.js';
import { repoRoot } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { startBot } from './fakes/slack/bot.js';
import { slashCommand } from './fakes/slack/payloads.js';
import { ResponseUrlReceiver } from './fakes/slack/response-url.js';
import { FakeSlackWebApi } from './fakes/slack/web-api.js';

/** The value of one sample line of a Prometheus exposition, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /healthz and GET /metrics of the running bot (terminal chat with HTTP_PORT, child process)', () => {
  it('serves health and metrics, and reports a database that cannot take writes with 503', async () => {
    const port = await freePort();
    const env = { ...burstEnv(tempDir(), 5), HTTP_PORT: String(port) };
    const bot = new BotChild(env);
    try {
      bot.write('/help\n/quiz\n1\n');
      await bot.waitFor((out) => /Not quite|Right!/.test(out), 'an answer');
      const base = `http://127.0.0.1:${port}`;

      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      expect(health.headers.get('content-type')).toBe('application/json; charset=utf-8');
      const report = (await health.json()) as Record<string, unknown>;
      expect(report).toEqual({ status: 'ok', database: 'writable', platforms: { terminal: 'connected' }, uptime_s: expect.any(Number) });

      const metrics = await fetch(`${base}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await metrics.text();
      expect(sample(text, 'quizbot_interactions_total{platform="terminal",kind="command"}')).toBe(2);
      expect(sample(text, 'quizbot_interactions_total{platform="terminal",kind="answer"}')).toBe(1);
      expect(sample(text, 'quizbot_interaction_duration_seconds_count{platform="terminal",kind="command"}')).toBe(2);
      expect(sample(text, 'quizbot_interaction_duration_seconds_bucket{le="+Inf",platform="terminal",kind="answer"}')).toBe(1);
      expect(text).toContain('# TYPE quizbot_interaction_duration_seconds histogram');
      expect(sample(text, 'quizbot_errors_total{platform="none",kind="unhandled"}')).toBe(0);
      expect(sample(text, 'quizbot_moe_endpoint_calls_total')).toBe(0);
      expect(sample(text, 'quizbot_moe_endpoint_failures_total')).toBe(0);
      expect(sample(text, 'quizbot_backups_total{outcome="ok"}')).toBe(0);
      expect(sample(text, 'quizbot_checkpoint_failures_total')).toBe(0);
      expect(sample(text, 'quizbot_due_cards')).toBe(0); // the one answered card is due later; the others are new
      const probe = new Database(env.DATABASE_PATH, { readonly: true });
      expect(sample(text, 'quizbot_database_bytes')).toBe(databaseBytes(probe));
      expect(text).toMatch(/^quizbot_process_resident_memory_bytes \d+/m);

      // Another process holds the write lock: the bot cannot write, and says so.
      const writer = new Database(env.DATABASE_PATH);
      writer.exec('BEGIN IMMEDIATE');
      try {
        const locked = await fetch(`${base}/healthz`);
        expect(locked.status).toBe(503);
        expect(await locked.json()).toMatchObject({ status: 'degraded', database: 'locked by another process' });
      } finally {
        writer.exec('ROLLBACK');
        writer.close();
        probe.close();
      }
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/nope`)).status).toBe(404);
      expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);

      // A month later the answered card is due.
      bot.write('/clock +30d\n');
      await bot.waitFor((out) => out.includes('It is now 2026-12-20'), 'the clock moved');
      expect(sample(await (await fetch(`${base}/metrics`)).text(), 'quizbot_due_cards')).toBe(1);
    } finally {
      expect(await bot.end()).toBe(0);
    }
  });
});

describe("Slack's HTTP mode on the same port (HTTP_PORT = PORT)", () => {
  it("serves /healthz and /metrics from Slack's server next to /slack/events, and stops on SIGTERM", async () => {
    const slack = await new FakeSlackWebApi().start();
    const hooks = await new ResponseUrlReceiver().start();
    slack.users.set('UALICE', { id: 'UALICE', name: 'alice' });
    const port = await freePort();
    const bot = await startBot({
      SLACK_BOT_TOKEN: slack.token,
      SLACK_API_URL: slack.url,
      CONTENT_DIR: join(repoRoot, 'content'),
      DATABASE_PATH: join(tempDir(), 'bot.sqlite'),
      PORT: String(port),
      HTTP_PORT: String(port),
    });
    try {
      const help = await bot.send(slashCommand({ userId: 'UALICE', text: 'help', responseUrl: hooks.newUrl().url }));
      expect(help.status).toBe(200);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', database: 'writable', platforms: { slack: 'connected' } });
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(sample(text, 'quizbot_interactions_total{platform="slack",kind="command"}')).toBe(1);
      expect(bot.logs()).toContain("serving /healthz and /metrics on Slack's HTTP server");
    } finally {
      expect(await bot.stop()).toBe(0);
      await slack.stop();
      await hooks.stop();
    }
  });
});

describe('the health check', () => {
  it('needs a writable database and connected platforms', () => {
    const { app, dbPath } = makeApp();
    const db = app.services.db.$client;
    const sources = { db, platforms: () => ({ discord: 'connected' as const }), startedAt: Date.now() - 5000 };
    expect(checkHealth(sources)).toEqual({ status: 'ok', database: 'writable', platforms: { discord: 'connected' }, uptime_s: 5 });
    expect(checkHealth({ ...sources, platforms: () => ({ discord: 'connected', slack: 'disconnected' }) })).toMatchObject({ status: 'degraded' });
    expect(checkHealth({ ...sources, platforms: () => ({ slack: 'connecting' }) })).toMatchObject({ status: 'degraded' });
    expect(checkHealth({ ...sources, stopping: () => true })).toMatchObject({ status: 'stopping' });

    const readonly = new Database(dbPath, { readonly: true });
    expect(checkHealth({ ...sources, db: readonly })).toMatchObject({ status: 'degraded', database: 'read-only connection' });
    readonly.close();
    expect(databaseWritable(readonly)).toBe('closed');
    // The probe leaves the bot's busy timeout as it was.
    expect(db.pragma('busy_timeout', { simple: true })).toBe(1000);
    app.close();
    expect(checkHealth(sources)).toMatchObject({ status: 'degraded', database: 'closed' });
  });
});

describe('metrics recorded in process', () => {
  let server: OpsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('counts failed interactions by platform and MoE endpoint calls and failures', async () => {
    const { app } = makeApp();
    const dispatcher = createDispatcher(app.services, [
      {
        actionSpecs: testActionSpecs('boom'),
        actions: {
          boom: () => {
            throw new TypeError('a bug in one handler');
          },
        },
      },
    ]);
    const bot = { ...app, dispatcher };
    const metrics = new BotMetrics({ db: app.services.db.$client, now: () => app.services.clock.now() }, { processMetrics: false });
    dispatcher.observe(metrics.observer);
    const logger = createLogger('silent');
    server = await startOpsServer(0, opsRoutes({ db: app.services.db.$client, platforms: () => ({}), startedAt: Date.now() }, metrics, logger), logger, '127.0.0.1');
    const scrape = async () => (await fetch(`http://127.0.0.1:${server!.port}/metrics`)).text();

    // A stale answer button is the user's problem; a bug in a handler is ours, counted as an error.
    const stale = await as(bot, actor('dora', false, 'discord')).action('qa:no-such-session:0:1');
    expect(stale.text).not.toMatch(/Something went wrong/);
    expect(buttons(await as(bot, actor('sam', false, 'slack')).command('quiz')).length).toBeGreaterThan(0);
    const broken = await as(bot, actor('sam', false, 'slack')).action('boom');
    expect(broken.text).toMatch(/Something went wrong on our side/);

    const before = await scrape();
    expect(sample(before, 'quizbot_interactions_total{platform="slack",kind="command"}')).toBe(1);
    expect(sample(before, 'quizbot_interactions_total{platform="slack",kind="action"}')).toBe(1);
    expect(sample(before, 'quizbot_interactions_total{platform="discord",kind="answer"}')).toBe(1);
    expect(sample(before, 'quizbot_errors_total{platform="slack",kind="interaction"}')).toBe(1);
    expect(sample(before, 'quizbot_errors_total{platform="discord",kind="interaction"}')).toBeUndefined(); // a stale button is the user's, not ours
    const calls = sample(before, 'quizbot_moe_endpoint_calls_total')!;
    const failures = sample(before, 'quizbot_moe_endpoint_failures_total')!;

    // Calls through the counted fetch: one good, one 500, one refused.
    const endpoint = createServer((req, res) => {
      res.writeHead(req.url === '/fail' ? 500 : 200);
      res.end('{}');
    });
    await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}`;
    const counted = telemetry.countedFetch(fetch);
    expect((await counted(`${url}/ok`)).status).toBe(200);
    expect((await counted(`${url}/fail`)).status).toBe(500);
    await new Promise<void>((r) => endpoint.close(() => r()));
    await expect(counted(`${url}/ok`)).rejects.toThrow();

    const after = await scrape();
    expect(sample(after, 'quizbot_moe_endpoint_calls_total')).toBe(calls + 3);
    expect(sample(after, 'quizbot_moe_endpoint_failures_total')).toBe(failures + 2);
    app.close();
  });
});

describe('the ops server', () => {
  it('names the variable when the port is taken', async () => {
    const logger = createLogger('silent');
    const first = await startOpsServer(0, [], logger, '127.0.0.1');
    try {
      await expect(startOpsServer(first.port, [], logger, '127.0.0.1')).rejects.toThrow(`Cannot serve /healthz and /metrics on HTTP_PORT=${first.port}: the port is in use.`);
    } finally {
      await first.close();
    }
  });
});
