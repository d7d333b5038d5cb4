import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { envWithoutPlatforms } from '../fakes/child-env.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const cliPath = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url));

/** The JSON log lines in what the bot wrote to stderr; other lines are skipped. */
export function jsonLogLines(text: string): Record<string, any>[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, any>];
      } catch {
        return [];
      }
    });
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the compiled CLI as a real child process with piped standard input. */
export function runCli(args: string[], options: { input?: string; env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    // Never pick up a developer's platform credentials.
    const env = envWithoutPlatforms();
    delete env.LOG_LEVEL;
    for (const [k, v] of Object.entries(options.env ?? {})) if (v === undefined) delete env[k];
    else env[k] = v;
    const child = spawn(process.execPath, [cliPath, ...args], { cwd: options.cwd ?? repoRoot, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`CLI timed out: ${args.join(' ')}\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}
