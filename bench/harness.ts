import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Small helpers shared by the benchmarks: timing, percentiles, the result shape, and child processes. */

export interface BenchResult {
  /** Figures for `npm run bench -- --json`, keyed as the README documents them. */
  figures: Record<string, number>;
  /** Human-readable rows for the table: [what, value, target]. */
  rows: [string, string, string][];
}

export interface Benchmark {
  name: string;
  run(): Promise<BenchResult>;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export const median = (values: number[]) => percentile(values, 50);

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Bytes in MiB. */
export const mb = (bytes: number) => bytes / 1024 / 1024;

/** A full garbage collection (the process runs with --expose-gc). */
export function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  // Twice: objects with finalizers (Intl formatters among them) go in a second pass.
  gc();
  gc();
}

/**
 * Runs `node --expose-gc <script> ...args` (with `env`, else this process's environment) and
 * resolves with the JSON object on the last line of its stdout; its stderr goes to ours. Rejects,
 * naming the `label` benchmark, when it exits with an error or prints no such line.
 */
export function runJsonChild<T>(script: string, args: string[], label: string, env?: NodeJS.ProcessEnv): Promise<T> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--expose-gc', script, ...args], { ...(env ? { env } : {}), stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.on('error', reject);
    proc.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`the ${label} benchmark's process exited with ${code}: ${out.slice(-500)}`));
      else resolve(JSON.parse(line) as T);
    });
  });
}

/** CPU milliseconds a process has used so far (Linux /proc; undefined elsewhere). */
export function processCpuMs(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** Stops a child process: SIGTERM, then SIGKILL if it has not exited within 15 s. */
export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('close', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
