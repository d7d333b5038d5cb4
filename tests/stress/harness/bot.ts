import { spawn, type ChildProcess } from 'node:child_process';
import { cliPath, jsonLogLines, repoRoot } from '../../helpers/cli.js';

/**
 * The compiled bot as a child process (`quizbot start`) that the stress suite may SIGKILL and
 * start again on the same database and port. `wrap` runs it under a shell prefix (e.g. a file
 * size limit) when a fault needs one.
 */
export class StressBot {
  /** Everything every incarnation wrote to stderr (JSON logs), in order. */
  logText = '';
  starts = 0;
  private child: ChildProcess | undefined;
  private exit: Promise<number | null> | undefined;

  constructor(
    private readonly env: Record<string, string>,
    private readonly wrap?: string,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts an incarnation and waits for "bot started" (and, with Discord, the gateway session). */
  async start(timeoutMs = 60_000): Promise<void> {
    const base: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(DISCORD|SLACK)_|^LOG_LEVEL$/.test(k)) base[k] = v;
    const env = { ...base, LOG_LEVEL: 'info', ...this.env };
    const mark = this.logText.length;
    this.starts++;
    const child = this.wrap
      ? spawn('bash', ['-c', `${this.wrap}; exec "$0" "$@"`, process.execPath, cliPath, 'start'], { cwd: repoRoot, env, stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(process.execPath, [cliPath, 'start'], { cwd: repoRoot, env, stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    child.stderr!.on('data', (d: Buffer) => (this.logText += d.toString()));
    this.exit = new Promise((resolve) => child.once('close', (code) => resolve(code)));
    const deadline = Date.now() + timeoutMs;
    while (!this.logText.slice(mark).includes('"msg":"bot started"')) {
      if (!this.running) throw new Error(`the bot exited before starting:\n${this.logText.slice(mark)}`);
      if (Date.now() > deadline) throw new Error(`the bot did not start within ${timeoutMs} ms:\n${this.logText.slice(mark)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Kills the process outright: no drain, no cleanup, as a crash or OOM kill would. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGKILL');
    await this.exit;
  }

  /** SIGTERM and the exit code (SIGKILL after 15 s). */
  async stop(): Promise<number | null> {
    if (!this.child) return null;
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 15_000);
    const code = await this.exit!;
    clearTimeout(timer);
    return code;
  }

  /** Parsed JSON log lines of every incarnation. */
  logs(): Record<string, any>[] {
    return jsonLogLines(this.logText);
  }
}
