import { spawn, type ChildProcess } from 'node:child_process';
import { cliPath, jsonLogLines, repoRoot } from '../../helpers/cli.js';
import { envWithoutPlatforms } from '../child-env.js';

/** The compiled bot running as a real child process (`quizbot start`), with its logs collected. */
export class BotProcess {
  stdout = '';
  stderr = '';
  exitCode: number | null | undefined;
  private readonly child: ChildProcess;
  private readonly exitPromise: Promise<number | null>;

  constructor(env: Record<string, string>, args: string[] = ['start']) {
    const base = envWithoutPlatforms();
    this.child = spawn(process.execPath, [cliPath, ...args], { cwd: repoRoot, env: { ...base, LOG_LEVEL: 'debug', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exitPromise = new Promise((resolve) => this.child.on('close', (code) => resolve((this.exitCode = code))));
  }

  /** The JSON log lines the bot wrote to stderr. */
  logs(): Record<string, any>[] {
    return jsonLogLines(this.stderr);
  }

  /** Waits for a log line with this message; fails early if the bot exits. */
  waitForLog(msg: string, timeoutMs = 20_000): Promise<Record<string, any>> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = this.logs().find((l) => l.msg === msg);
        if (line) return finish(() => resolve(line));
        if (this.exitCode !== undefined) finish(() => reject(new Error(`the bot exited (${this.exitCode}) before logging "${msg}":\n${this.stderr}`)));
      };
      const finish = (then: () => void) => {
        clearInterval(poll);
        clearTimeout(timer);
        then();
      };
      const poll = setInterval(check, 20);
      const timer = setTimeout(() => finish(() => reject(new Error(`the bot did not log "${msg}":\n${this.stderr}`))), timeoutMs);
      check();
    });
  }

  /** The exit code, once the bot exits by itself. */
  exited(): Promise<number | null> {
    return this.exitPromise;
  }

  /** SIGTERM, then the exit code. */
  async stop(): Promise<number | null> {
    if (this.exitCode === undefined) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    const code = await this.exitPromise;
    clearTimeout(timer);
    return code;
  }
}
