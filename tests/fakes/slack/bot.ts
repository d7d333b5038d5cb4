import { spawn, type ChildProcess } from 'node:child_process';
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
