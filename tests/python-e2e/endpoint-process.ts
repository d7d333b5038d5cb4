import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { repoRoot } from '../helpers/cli.js';

/**
 * The real MoE endpoint (deploy/moe-endpoint) as a child process: `python -m moe_endpoint` on a
 * port the system picks (`--port 0`; the port is read from its "listening on" log line), with a
 * bearer token, ready once `/v1/health` answers 200. A failed start rejects with what went wrong
 * and the end of the endpoint's stderr.
 */

export interface RealEndpoint {
  url: string;
  token: string;
  /** Everything the endpoint wrote to stderr so far (its log). */
  stderr(): string;
  /** GET or POST with the token; the parsed JSON body. */
  call<T>(path: string, body?: unknown): Promise<T>;
  /** SIGTERM, then SIGKILL after 5 s; resolves with the exit code (null when killed). */
  stop(): Promise<number | null>;
}

export interface StartOptions {
  python: string;
  args: string[];
  timeoutMs: number;
}

const endpointDir = join(repoRoot, 'deploy', 'moe-endpoint');

/** The interpreter the e2e runs the endpoint with: the script's virtual environment. */
export function endpointPython(): string {
  const python = process.env.MOE_ENDPOINT_PYTHON;
  if (!python) {
    throw new Error('MOE_ENDPOINT_PYTHON is not set: these tests run through `bash scripts/python-endpoint-tests.sh`, which builds the endpoint\'s environment and sets it.');
  }
  return python;
}

function tail(text: string, lines = 40): string {
  const all = text.trimEnd().split('\n');
  return (all.length > lines ? [`… (${all.length - lines} earlier lines)`, ...all.slice(-lines)] : all).join('\n');
}

export async function startEndpoint(options: StartOptions): Promise<RealEndpoint> {
  const token = randomBytes(24).toString('hex');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('MOE_')) env[k] = v;
  Object.assign(env, { MOE_API_TOKEN: token, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1', HF_HUB_DISABLE_TELEMETRY: '1', PYTHONUNBUFFERED: '1' });
  const child: ChildProcess = spawn(options.python, ['-m', 'moe_endpoint', '--host', '127.0.0.1', '--port', '0', ...options.args], {
    cwd: endpointDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', (err) => {
      spawnError = err;
      resolve(null);
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      resolve(code);
    });
  });

  const stop = async (): Promise<number | null> => {
    if (!exit && !spawnError) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    return exit?.code ?? null;
  };
  const fail = async (why: string): Promise<never> => {
    await stop();
    throw new Error(`The MoE endpoint (${options.python} -m moe_endpoint ${options.args.join(' ')}) ${why}\n--- its stderr ---\n${tail(stderr) || '(empty)'}`);
  };

  const started = Date.now();
  let url: string | undefined;
  let last = 'no answer yet';
  let ready = false;
  while (!ready && Date.now() - started < options.timeoutMs) {
    if (spawnError) return fail(`could not be started: ${spawnError.message}.`);
    if (exit) return fail(`exited with ${exit.code ?? exit.signal} before it was ready.`);
    const listening = /listening on (http:\/\/[\d.]+:\d+)/.exec(stderr);
    if (!url && listening) url = listening[1]!;
    if (url) {
      try {
        const res = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(2000) });
        const body = (await res.json()) as { status?: string; error?: string };
        if (res.status === 200 && body.status === 'ok') {
          ready = true;
          break;
        }
        if (body.status === 'error') return fail(`failed to load its model: ${JSON.stringify(body)}.`);
        last = `${res.status} ${JSON.stringify(body)}`;
      } catch (err) {
        last = (err as Error).message;
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  if (!ready) {
    return fail(`was not ready within ${(options.timeoutMs / 1000).toFixed(options.timeoutMs < 10_000 ? 1 : 0)} s (${url ? `last /v1/health: ${last}` : 'it never logged "listening on"'}).`);
  }

  const base = url!;
  return {
    url: base,
    token,
    stderr: () => stderr,
    async call<T>(path: string, body?: unknown): Promise<T> {
      const res = await fetch(`${base}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const json = (await res.json()) as T;
      if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    },
    stop,
  };
}
