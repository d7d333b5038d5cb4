import { questionShown, rightLabels } from './answers.js';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cliPath, repoRoot } from './cli.js';
import { envWithoutPlatforms } from '../fakes/child-env.js';

/**
 * Drives the terminal chat as a real child process over piped standard input, one message at a
 * time: send() writes a line and resolves with what the bot printed until it went quiet.
 */
export class ChatDriver {
  private child: ChildProcessWithoutNullStreams;
  private buffer = '';
  private exited: Promise<number | null>;
  stderr = '';

  constructor(env: Record<string, string>, options: { cwd?: string } = {}) {
    const base = envWithoutPlatforms();
    delete base.LOG_LEVEL;
    this.child = spawn(process.execPath, [cliPath, 'chat'], { cwd: options.cwd ?? repoRoot, env: { ...base, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (d: Buffer) => (this.buffer += d.toString()));
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('close', resolve));
  }

  /** Sends one line; resolves with the output once nothing new arrived for `quietMs` (or after `waitMs` without any). */
  async send(line: string, quietMs = 60, waitMs = 10_000): Promise<string> {
    const start = this.buffer.length;
    this.child.stdin.write(line + '\n');
    const deadline = Date.now() + waitMs;
    let seen = start;
    let quietSince = Date.now();
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      if (this.buffer.length !== seen) {
        seen = this.buffer.length;
        quietSince = Date.now();
      } else if (seen > start && Date.now() - quietSince >= quietMs) break;
    }
    return this.buffer.slice(start);
  }

  /** Ends the input; resolves with the exit code. */
  async end(): Promise<number | null> {
    this.child.stdin.end();
    return this.exited;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

/** The numbered buttons of a printed reply: label → number. */
export function printedButtons(output: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const m of output.matchAll(/\[(\d+)\] ((?:(?!\s{2}\[\d+\]).)+)/g)) map.set(m[2]!.trim(), Number(m[1]));
  return map;
}

/** The question block printed last: from its title line to the end. */
export function lastQuestion(output: string): string {
  const titles = [...output.matchAll(/^.*question \d+ of \d+$/gm)];
  return output.slice(titles.at(-1)!.index);
}

/** Answers the question on screen in the terminal chat, rightly or not; returns the feedback printed. */
export async function answerOnScreen(chat: ChatDriver, screen: string, right: boolean): Promise<string> {
  const block = lastQuestion(screen);
  const prompt = block.split('\n').slice(1).join('\n').replace(/^Picking up where you left off\.\n\n/, '');
  const q = questionShown(prompt);
  const buttons = printedButtons(block);
  if (q.type === 'short') return chat.send(right ? q.answer : 'not a clue');
  // A numeric answer is typed as a number, a wrong one too (words are only asked for again).
  if (q.type === 'numeric') return chat.send(String(right ? (q.answer ?? q.min) : -999999));
  if (q.type === 'multiple') {
    const numbers = [...buttons].filter(([label]) => rightLabels(q).includes(label) === right && label !== "I don't know").map(([, n]) => n);
    return chat.send((right ? numbers : numbers.slice(0, 1)).join(','));
  }
  const pick = [...buttons].find(([label]) => label !== "I don't know" && rightLabels(q).includes(label) === right)!;
  return chat.send(String(pick[1]));
}
