import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, percentile, round, type Benchmark } from './harness.js';

const cli = fileURLToPath(new URL('../src/cli.js', import.meta.url));

/** Milliseconds from spawning the compiled bot until the terminal chat answers its first message. */
function oneStart(dbPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [cli, 'chat'], {
      env: { ...process.env, DATABASE_PATH: dbPath, DISCORD_TOKEN: '', SLACK_BOT_TOKEN: '' },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    child.stdout.once('data', () => {
      resolve(performance.now() - started);
      child.stdin.end();
    });
    child.on('error', reject);
    child.on('close', (code) => reject(new Error(`the bot exited (${code}) before answering`)));
    child.stdin.write('/help\n');
  });
}

export const startupBenchmark: Benchmark = {
  name: 'startup',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'quizbot-bench-'));
    try {
      const db = join(dir, 'bot.sqlite');
      await oneStart(db); // first start creates and migrates the database
      const times: number[] = [];
      for (let i = 0; i < 7; i++) times.push(await oneStart(db));
      const ms = round(median(times), 0);
      return {
        figures: { startup_ms: ms },
        rows: [
          ['start-up to first chat reply (median of 7)', `${ms} ms`, '< 1500 ms'],
          ['start-up, slowest of 7', `${round(percentile(times, 100), 0)} ms`, ''],
        ],
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
