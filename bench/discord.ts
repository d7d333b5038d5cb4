import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { packageRoot } from '../src/paths.js';
import { FakeDiscord, buttonsOf, type FakeMessage, type FakeUser } from '../tests/fakes/discord/index.js';
import { startDiscordBot } from './capacity-discord.js';
import { percentile, processCpuMs, round, stopChild, type Benchmark } from './harness.js';

/**
 * Discord under load: 200 users take the daily quiz at the same time, each pressing a button about
 * once a second, and answer five questions each (answer, Next, answer, …): 1,000 answers among
 * 1,800 INTERACTION_CREATE events over the fake gateway, at about 200 per second. Measured for
 * each answer: from the dispatch until the bot's interaction callback arrives at the fake REST
 * API, the acknowledgement Discord waits for (3 s deadline). The bot runs as its own process with
 * the real discord.js.
 */

const USERS = 200;
const ANSWERS_PER_USER = 5;
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
      bot = await startDiscordBot(fake.env({ CONTENT_DIR: join(packageRoot, 'content'), DATABASE_PATH: join(dir, 'bot.sqlite') }));
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
      let presses = 0;
      /** One press: Next when offered, else an answer (the first choice, or "I don't know"); answers are timed. */
      const press = async (p: Player): Promise<boolean> => {
        const buttons = buttonsOf(p.message);
        const next = buttons.find((b) => b.custom_id.startsWith('qn:'));
        const button = next ?? buttons.find((b) => b.custom_id.startsWith('qa:'));
        if (!button) throw new Error(`no button to press for ${p.user.username}`);
        const sent = fake.press(p.user, p.message, button.custom_id);
        const outcome = await fake.outcome(sent, { timeoutMs: 30_000 });
        presses++;
        if (!next) latencies.push(outcome.callback.at - sent.dispatchedAt);
        p.message = outcome.message!;
        return !next;
      };
      const cpuBefore = processCpuMs(bot.pid);
      const start = performance.now();
      await Promise.all(
        players.map(async (p, i) => {
          const offset = (i * PRESS_INTERVAL_MS) / USERS;
          for (let k = 0, answered = 0; answered < ANSWERS_PER_USER; k++) {
            const wait = start + offset + k * PRESS_INTERVAL_MS - performance.now();
            if (wait > 0) await sleep(wait);
            if (await press(p)) answered++;
          }
        }),
      );
      const seconds = (performance.now() - start) / 1000;
      const cpuAfter = processCpuMs(bot.pid);
      const load = loadavg()[0]!;
      const refused = fake.state.requests.filter((r) => r.status >= 400).length;
      if (refused) throw new Error(`the fake Discord refused ${refused} requests`);

      const p50 = round(percentile(latencies, 50), 1);
      const p99 = round(percentile(latencies, 99), 1);
      return {
        figures: { discord_interaction_p50_ms: p50, discord_interaction_p99_ms: p99 },
        rows: [
          [`Discord answer → callback: ${latencies.length} answers from ${USERS} users (${presses} presses, ${Math.round(presses / seconds)}/s), p50`, `${p50} ms`, ''],
          ['Discord answer → callback, p99', `${p99} ms`, '< 50 ms'],
          ...(cpuBefore !== undefined && cpuAfter !== undefined
            ? [[`Discord bot CPU per press (load average ${round(load, 1)} on ${cpus().length} cores while measuring)`, `${round((cpuAfter - cpuBefore) / presses, 2)} ms`, ''] as [string, string, string]]
            : []),
        ],
      };
    } finally {
      await stopChild(bot);
      await fake.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
