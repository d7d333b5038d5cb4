import { spawn, type ChildProcess } from 'node:child_process';
import { request, type Agent } from 'node:http';
import { join } from 'node:path';
import { packageRoot } from '../../../src/paths.js';
import { envWithoutPlatforms } from '../child-env.js';
import { freePort } from '../loopback.js';
import { signedRequest } from './signing.js';

// Found from the package root, so this works from tests/ and compiled into dist/ (benchmarks).
const cliPath = join(packageRoot, 'dist', 'src', 'cli.js');

export const SIGNING_SECRET = 'test-signing-secret-8f2c1d';

export interface SendOptions {
  secret?: string;
  timestamp?: number;
  headers?: Record<string, string>;
}

export interface SignedResponse {
  status: number;
  text: string;
  json(): any;
}

/** POSTs a body to the bot's /slack/events with Slack's signature headers. */
export async function sendSigned(port: number, body: string, options: SendOptions = {}): Promise<SignedResponse> {
  const signed = signedRequest(body, options.secret ?? SIGNING_SECRET, options.timestamp);
  const res = await fetch(`http://127.0.0.1:${port}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...signed.headers, ...options.headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) };
}

export interface PostSignedOptions {
  /** A keep-alive agent whose connections the requests reuse. */
  agent: Agent;
  /** The signature headers; by default the body signed with SIGNING_SECRET now. */
  headers?: Record<string, string>;
  /** By default a form body, as slash commands and block_actions come. */
  contentType?: string;
  /** A connection idle this long fails the request; by default none does. */
  timeoutMs?: number;
}

/**
 * POSTs a signed body to the bot's /slack/events over `agent`'s kept-alive connections; resolves
 * with the status, the body and the milliseconds from sending to the end of the response. A
 * kept-alive socket the server closed just as it was reused (Node's documented race, not the
 * bot's doing) makes the request go again, as an HTTP client would.
 */
export function postSigned(port: number, body: string, options: PostSignedOptions): Promise<{ status: number; text: string; ms: number }> {
  const { agent, timeoutMs } = options;
  const headers = options.headers ?? signedRequest(body, SIGNING_SECRET).headers;
  const started = performance.now();
  const attempt = (): Promise<{ status: number; text: string; ms: number }> =>
    new Promise<{ status: number; text: string; ms: number }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/slack/events', method: 'POST', agent, ...(timeoutMs ? { timeout: timeoutMs } : {}), headers: { ...headers, 'content-type': options.contentType ?? 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (d: Buffer) => parts.push(d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8'), ms: performance.now() - started }));
          res.on('error', reject);
        },
      );
      if (timeoutMs) req.on('timeout', () => req.destroy(new Error(`no acknowledgement within ${timeoutMs / 1000} s`)));
      req.on('error', (err) => {
        if (req.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET') attempt().then(resolve, reject);
        else reject(err);
      });
      req.end(body);
    });
  return attempt();
}

export interface RunningBot {
  port: number;
  child: ChildProcess;
  /** Everything the bot wrote to stderr (its JSON logs). */
  logs(): string;
  /** POSTs a Slack-signed body to /slack/events. */
  send(body: string, options?: SendOptions): Promise<SignedResponse>;
  stop(): Promise<number | null>;
}

/**
 * Starts the compiled bot (`node dist/src/cli.js start`) as a child process in Slack's HTTP mode
 * and waits until it says it is connected. Other platform credentials of the environment are
 * removed so a developer's tokens are never used.
 */
export async function startBot(env: Record<string, string>): Promise<RunningBot> {
  const port = Number(env.PORT ?? (await freePort()));
  const childEnv = envWithoutPlatforms();
  Object.assign(childEnv, { LOG_LEVEL: 'info', SLACK_SIGNING_SECRET: SIGNING_SECRET, ...env, PORT: String(port) });
  const child = spawn(process.execPath, [cliPath, 'start'], { cwd: packageRoot, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout!.on('data', (d: Buffer) => (logs += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the bot did not connect:\n${logs}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      logs += d.toString();
      if (logs.includes('"bot started"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the bot exited (${code}) before connecting:\n${logs}`));
    });
  });
  return {
    port,
    child,
    logs: () => logs,
    send: (body, options) => sendSigned(port, body, options),
    stop() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      });
    },
  };
}
