import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../src/paths.js';
import { postSigned, startBot, type RunningBot } from '../tests/fakes/slack/bot.js';
import { blockActions, buttonsIn, slashCommand } from '../tests/fakes/slack/payloads.js';
import { median, percentile, round, type Benchmark } from './harness.js';
import type { CapacityFakesReady, CapacityHookPost } from './capacity-slack-worker.js';

/**
 * Slack's HTTP mode under load: 200 users take the daily quiz at the same time, each pressing a
 * button about once a second (answer, Next, answer, Next, answer): 1,000 signed block_actions
 * requests at about 200 per second. Measured: from sending a request until the bot's HTTP
 * response, the acknowledgement Slack waits for (3 s deadline). The bot runs as its own process;
 * the fake Slack Web API and response_url receiver run in a worker thread. Three runs with fresh
 * users; the figures are the medians of the runs.
 */

const USERS = 200;
const PRESSES_PER_USER = 5;
/** Each user presses about once a second; users start spread over that second. */
const PRESS_INTERVAL_MS = 1000;
/** Separate runs (fresh users each): the figures are their medians, steadier on a shared machine. */
const RUNS = 3;

type Button = CapacityHookPost['buttons'][number];

const agent = new Agent({ keepAlive: true, maxSockets: USERS });

/** The answer (the first choice, or "I don't know") or Next button, whichever the message offers. */
function nextPress(buttons: Button[]): Button {
  const button = buttons.find((b) => b.id.startsWith('qn:')) ?? buttons.find((b) => b.id.startsWith('qa:'));
  if (!button) throw new Error(`no quiz button among ${buttons.map((b) => b.id).join(', ')}`);
  return button;
}

export const slackBenchmark: Benchmark = {
  name: 'slack',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'quizbot-bench-slack-'));
    const worker = new Worker(new URL('./capacity-slack-worker.js', import.meta.url));
    const waiting = new Map<string, (buttons: Button[]) => void>();
    const fakes = await new Promise<CapacityFakesReady>((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (m: CapacityFakesReady | CapacityHookPost) => (m.kind === 'ready' ? resolve(m) : waiting.get(m.hook)?.(m.buttons)));
    });
    let hookCount = 0;
    const newHook = () => {
      const hook = `b${++hookCount}`;
      const answered = new Promise<Button[]>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer at response_url ${hook} within 30 s`)), 30_000);
        waiting.set(hook, (buttons) => {
          clearTimeout(timer);
          resolve(buttons);
        });
      });
      return { url: `${fakes.hooksBase}/hooks/${hook}`, answered: answered.finally(() => waiting.delete(hook)) };
    };
    let bot: RunningBot | undefined;
    try {
      bot = await startBot({
        SLACK_BOT_TOKEN: fakes.token,
        SLACK_API_URL: fakes.apiUrl,
        CONTENT_DIR: join(packageRoot, 'content'),
        DATABASE_PATH: join(dir, 'bot.sqlite'),
      });
      const port = bot.port;

      /** One run: USERS fresh users open a quiz (not measured), then press PRESSES_PER_USER times each. */
      const run = async (runIndex: number): Promise<{ acks: number[]; perSecond: number }> => {
        const users = Array.from({ length: USERS }, (_, i) => ({ userId: `UR${runIndex}U${String(i).padStart(4, '0')}`, buttons: [] as Button[] }));
        for (const u of users) {
          const res = await postSigned(port, slashCommand({ text: '', userId: u.userId, responseUrl: `${fakes.hooksBase}/hooks/start-${u.userId}` }), { agent });
          u.buttons = buttonsIn(JSON.parse(res.text).blocks).map((b) => ({ id: b.action_id, value: b.value }));
        }
        const acks: number[] = [];
        let failures = 0;
        const started = performance.now();
        await Promise.all(
          users.map(async (u, i) => {
            for (let k = 0; k < PRESSES_PER_USER; k++) {
              const due = started + (i * PRESS_INTERVAL_MS) / USERS + k * PRESS_INTERVAL_MS;
              if (due > performance.now()) await sleep(due - performance.now());
              const button = nextPress(u.buttons);
              const hook = newHook();
              const body = blockActions({ userId: u.userId, actionId: button.id, value: button.value!, responseUrl: hook.url });
              const sent = performance.now();
              const res = await postSigned(port, body, { agent });
              acks.push(performance.now() - sent);
              if (res.status !== 200) failures++;
              u.buttons = await hook.answered;
            }
          }),
        );
        if (failures) throw new Error(`${failures} requests were not acknowledged with 200`);
        return { acks, perSecond: acks.length / ((performance.now() - started) / 1000) };
      };

      const runs = [];
      for (let r = 0; r < RUNS; r++) runs.push(await run(r));
      const p50s = runs.map((r) => percentile(r.acks, 50));
      const p99s = runs.map((r) => percentile(r.acks, 99));
      const p50 = round(median(p50s), 1);
      const p99 = round(median(p99s), 1);
      const rate = Math.round(median(runs.map((r) => r.perSecond)));
      return {
        figures: { slack_ack_p50_ms: p50, slack_ack_p99_ms: p99 },
        rows: [
          [`Slack ack of ${PRESSES_PER_USER * USERS} signed block_actions from ${USERS} users (${rate}/s), p50, median of ${RUNS} runs`, `${p50} ms`, ''],
          [`Slack ack, p99, median of ${RUNS} runs`, `${p99} ms`, '< 50 ms'],
          ['Slack ack, p99 of each run', p99s.map((v) => `${round(v, 1)} ms`).join(', '), ''],
        ],
      };
    } finally {
      agent.destroy();
      await bot?.stop();
      worker.postMessage('stop');
      await new Promise((resolve) => worker.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
