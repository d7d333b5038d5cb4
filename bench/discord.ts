import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../src/paths.js';
import { FakeDiscord, buttonsOf, type FakeMessage, type FakeUser } from '../tests/fakes/discord/index.js';
import { percentile, round, type Benchmark } from './harness.js';

/**
 * Discord under load: 200 users take the daily quiz at the same time, each pressing a button about
 * once a second (answer, Next, answer, Next, answer): 1,000 INTERACTION_CREATE events over the
 * fake gateway at about 200 per second. Measured: from the dispatch until the bot's interaction
 * callback arrives at the fake REST API, the acknowledgement Discord waits for (3 s deadline). The
 * bot runs as its own process with the real discord.js.
 */

const cli = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const USERS = 200;
const PRESSES_PER_USER = 5;
/** Each user presses about once a second; users start spread over that second. */
const PRESS_INTERVAL_MS = 1000;
/** Quiz starts in flight at once while everyone opens a quiz (not measured). */
const STARTING = 16;

async function pool<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await run(items[next++]!);
    }),
  );
}

function startBot(env: Record<string, string>): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'start'], { env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const onData = (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('"msg":"discord connected"')) {
        child.stderr!.off('data', onData);
        child.stderr!.resume();
        resolve(child);
      }
    };
    child.stderr!.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => reject(new Error(`the bot exited (${code}) before connecting:\n${stderr}`)));
  });
}

interface Player {
  user: FakeUser;
  message: FakeMessage;
}

export const discordBenchmark: Benchmark = {
  name: 'discord',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'quizbot-bench-discord-'));
    // Discord's own rule: an interaction not acknowledged within 3 s is gone.
    const fake = await FakeDiscord.start({ ackDeadlineMs: 3000 });
    let bot: ChildProcess | undefined;
    try {
      bot = await startBot(fake.env({ CONTENT_DIR: join(packageRoot, 'content'), DATABASE_PATH: join(dir, 'bot.sqlite') }));
      const players: Player[] = [];
      // Everyone opens a quiz first (not measured).
      await pool(
        Array.from({ length: USERS }, (_, i) => fake.user(`user${i}`)),
        STARTING,
        async (user) => {
          const outcome = await fake.outcome(fake.slash(user, 'quiz', {}, { subcommand: 'start' }), { timeoutMs: 30_000 });
          players.push({ user, message: outcome.message! });
        },
      );

      const latencies: number[] = [];
      /** One press: Next when offered, else an answer (the first choice, or "I don't know"). */
      const press = async (p: Player) => {
        const buttons = buttonsOf(p.message);
        const button = buttons.find((b) => b.custom_id.startsWith('qn:')) ?? buttons.find((b) => b.custom_id.startsWith('qa:'));
        if (!button) throw new Error(`no button to press for ${p.user.username}`);
        const sent = fake.press(p.user, p.message, button.custom_id);
        const outcome = await fake.outcome(sent, { timeoutMs: 30_000 });
        latencies.push(outcome.callback.at - sent.dispatchedAt);
        p.message = outcome.message!;
      };
      const start = performance.now();
      await Promise.all(
        players.map(async (p, i) => {
          const offset = (i * PRESS_INTERVAL_MS) / USERS;
          for (let k = 0; k < PRESSES_PER_USER; k++) {
            const wait = start + offset + k * PRESS_INTERVAL_MS - performance.now();
            if (wait > 0) await sleep(wait);
            await press(p);
          }
        }),
      );
      const seconds = (performance.now() - start) / 1000;
      const refused = fake.state.requests.filter((r) => r.status >= 400).length;
      if (refused) throw new Error(`the fake Discord refused ${refused} requests`);

      const p50 = round(percentile(latencies, 50), 1);
      const p99 = round(percentile(latencies, 99), 1);
      return {
        figures: { discord_interaction_p50_ms: p50, discord_interaction_p99_ms: p99 },
        rows: [
          [`Discord interaction → callback of ${latencies.length} presses from ${USERS} users (${Math.round(latencies.length / seconds)}/s), p50`, `${p50} ms`, ''],
          ['Discord interaction → callback, p99', `${p99} ms`, '< 50 ms'],
        ],
      };
    } finally {
      if (bot && bot.exitCode === null) {
        const exited = new Promise((resolve) => bot!.once('close', resolve));
        bot.kill('SIGTERM');
        await exited;
      }
      await fake.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
