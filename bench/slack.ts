import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../src/paths.js';
import { startBot, type RunningBot } from '../tests/fakes/slack/bot.js';
import { blockActions, buttonsIn, slashCommand } from '../tests/fakes/slack/payloads.js';
import { percentile, round, type Benchmark } from './harness.js';
import type { FakesReady, HookPost } from './slack-fakes-worker.js';

/**
 * Slack's HTTP mode under load: 200 users take the daily quiz at the same time, each pressing a
 * button about once a second (answer, Next, answer, Next, answer): 1,000 signed block_actions
 * requests at about 200 per second. Measured: from sending a request until the bot's HTTP
 * response, the acknowledgement Slack waits for (3 s deadline). The bot runs as its own process;
 * the fake Slack Web API and response_url receiver run in a worker thread.
 */

const USERS = 200;
const PRESSES_PER_USER = 5;
/** Each user presses about once a second; users start spread over that second. */
const PRESS_INTERVAL_MS = 1000;

type Button = { action_id: string; value?: string };

/** The answer (the first choice, or "I don't know") or Next button, whichever the message offers. */
function nextPress(buttons: Button[]): Button {
  const button = buttons.find((b) => b.action_id.startsWith('qn:')) ?? buttons.find((b) => b.action_id.startsWith('qa:'));
  if (!button) throw new Error(`no quiz button among ${buttons.map((b) => b.action_id).join(', ')}`);
  return button;
}

export const slackBenchmark: Benchmark = {
  name: 'slack',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'quizbot-bench-slack-'));
    const worker = new Worker(new URL('./slack-fakes-worker.js', import.meta.url));
    const waiting = new Map<string, (buttons: Button[]) => void>();
    const fakes = await new Promise<FakesReady>((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (m: FakesReady | HookPost) => (m.kind === 'ready' ? resolve(m) : waiting.get(m.hook)?.(m.buttons)));
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
      const running = bot;
      const users = Array.from({ length: USERS }, (_, i) => ({ userId: `UB${String(i).padStart(5, '0')}`, buttons: [] as Button[] }));
      // Everyone opens a quiz first (not measured: a slash command answers with the question itself).
      for (const u of users) {
        const res = await running.send(slashCommand({ text: '', userId: u.userId, responseUrl: `${fakes.hooksBase}/hooks/start-${u.userId}` }));
        u.buttons = buttonsIn(res.json().blocks);
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
            const body = blockActions({ userId: u.userId, actionId: button.action_id, value: button.value!, responseUrl: hook.url });
            const sent = performance.now();
            const res = await running.send(body);
            acks.push(performance.now() - sent);
            if (res.status !== 200) failures++;
            u.buttons = await hook.answered;
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      if (failures) throw new Error(`${failures} requests were not acknowledged with 200`);
      const p50 = round(percentile(acks, 50), 1);
      const p99 = round(percentile(acks, 99), 1);
      return {
        figures: { slack_ack_p50_ms: p50, slack_ack_p99_ms: p99 },
        rows: [
          [`Slack ack of ${acks.length} signed block_actions from ${USERS} users (${Math.round(acks.length / seconds)}/s), p50`, `${p50} ms`, ''],
          ['Slack ack, p99', `${p99} ms`, '< 50 ms'],
        ],
      };
    } finally {
      await bot?.stop();
      worker.postMessage('stop');
      await new Promise((resolve) => worker.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
