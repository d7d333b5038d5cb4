import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { cliPath, repoRoot } from './cli.js';
import { demoLesson } from './content.js';
import { writeFiles } from './tmp.js';
import { envWithoutPlatforms } from '../fakes/child-env.js';

/**
 * Content for answer bursts: `count` single-choice questions, so that in the terminal chat "1"
 * always answers the question on screen and "1" again presses "Next ▶" (or "See my results").
 */
export function writeBurstContent(dir: string, count: number): void {
  const questions = Array.from(
    { length: count },
    (_, i) => `  - id: burst-${String(i).padStart(3, '0')}
    type: single
    prompt: Burst question number ${i}?
    choices: [Alpha, Beta, Gamma]
    answer: Alpha
    explanation: Alpha it is.
    source: { lesson: demo, section: Key terms }
`,
  ).join('');
  writeFiles(dir, { 'lessons/demo.md': demoLesson, 'banks/demo.yaml': `id: demo\ntitle: Burst bank\nlesson: demo\nquestions:\n${questions}` });
}

/** The environment of a bot that serves a daily quiz of `count` burst questions. */
export function burstEnv(dir: string, count: number): Record<string, string> & { DATABASE_PATH: string; CONTENT_DIR: string } {
  writeBurstContent(join(dir, 'content'), count);
  return {
    CONTENT_DIR: join(dir, 'content'),
    DATABASE_PATH: join(dir, 'bot.sqlite'),
    QUIZBOT_CLOCK: '2026-11-20T08:00:00Z',
    NEW_CARDS_PER_DAY: String(count),
    QUIZ_MAX_CARDS: String(count),
  };
}

/** Answers the bot acknowledged: the feedback it printed. */
export function acknowledged(output: string): number {
  return output.match(/^(✅ Right!|❌ Not quite)/gm)?.length ?? 0;
}

/** The terminal chat as a child process whose input the test writes at will. */
export class BotChild {
  private child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  readonly pid: number;

  constructor(env: Record<string, string>, args = ['chat']) {
    const base = envWithoutPlatforms();
    delete base.LOG_LEVEL;
    this.child = spawn(process.execPath, [cliPath, ...args], { cwd: repoRoot, env: { ...base, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.pid = this.child.pid!;
    this.child.stdout.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    // Writing after the bot stopped reading is expected in these tests.
    this.child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => this.child.on('close', resolve));
  }

  write(text: string): void {
    if (this.child.stdin.writable) this.child.stdin.write(text);
  }

  /** Waits until `ready` holds for what the bot printed; fails with its output after `timeoutMs`. */
  async waitFor(ready: (stdout: string) => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ready(this.stdout)) {
      if (Date.now() > deadline) throw new Error(`bot never printed ${what}\nstdout: ${this.stdout.slice(-2000)}\nstderr: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  end(): Promise<number | null> {
    this.child.stdin.end();
    return this.exited;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

