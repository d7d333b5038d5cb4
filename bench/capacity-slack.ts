import { Agent } from 'node:http';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../src/paths.js';
import { postSigned, startBot, type RunningBot } from '../tests/fakes/slack/bot.js';
import { blockActions, buttonsIn, slashCommand, TEAM, textOf } from '../tests/fakes/slack/payloads.js';
import { DEADLINE_MS, failureIn, findCapacity, UserPool, type Driver, type LoadUser, type PlatformCapacity, type SearchOptions, type Seen, type Step } from './capacity-load.js';
import { processCpuMs } from './harness.js';
import type { CapacityFakesReady, CapacityHookPost } from './capacity-slack-worker.js';

/**
 * Slack's HTTP mode at increasing rates: the bot (`quizbot start`, real Bolt) as a process of its
 * own; signed slash commands and block_actions POSTed to its /slack/events from this process;
 * the fake Web API and the response_url receiver in a worker thread. A command's answer comes in
 * its acknowledgement; a button's comes to its response_url after the empty acknowledgement.
 * Users belong to many workspaces (team ids), all served by the one bot.
 */

/** How long a user waits for an answer before counting it lost (the deadline has passed by then). */
const ANSWER_TIMEOUT_MS = DEADLINE_MS + 2000;

const agent = new Agent({ keepAlive: true, maxSockets: 1024 });

const teamOf = (server: number) => `T${String(server).padStart(5, '0')}`;
const userOf = (index: number) => `UL${index.toString(36).toUpperCase()}`;

export class SlackDriver implements Driver {
  private waiting = new Map<string, (post: CapacityHookPost) => void>();
  private hooks = 0;

  constructor(
    worker: Worker,
    private readonly fakes: CapacityFakesReady,
    private readonly bot: RunningBot,
  ) {
    worker.on('message', (m: CapacityFakesReady | CapacityHookPost) => {
      if (m.kind === 'post') this.waiting.get(m.hook)?.(m);
    });
  }

  /** A fresh response_url and the first post it receives. */
  private hook(): { url: string; answered: Promise<CapacityHookPost> } {
    const name = `c${++this.hooks}`;
    const answered = new Promise<CapacityHookPost>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer at the response_url within ${ANSWER_TIMEOUT_MS / 1000} s`)), ANSWER_TIMEOUT_MS);
      this.waiting.set(name, (p) => {
        clearTimeout(timer);
        resolve(p);
      });
    }).finally(() => this.waiting.delete(name));
    // Nobody may be waiting yet when it fails: the rejection is handled where it is awaited.
    answered.catch(() => undefined);
    return { url: `${this.fakes.hooksBase}/hooks/${name}`, answered };
  }

  async send(u: LoadUser, step: Step): Promise<Seen> {
    const team = teamOf(u.server);
    const userId = userOf(u.index);
    const channelId = `C${team.slice(1)}`;
    const hook = this.hook();
    const body =
      step.kind === 'answer' || step.kind === 'next'
        ? blockActions({ userId, actionId: step.actionId, value: step.value ?? step.actionId, channelId, responseUrl: hook.url })
        : slashCommand({ text: step.kind === 'start' ? '' : step.kind, userId, channelId, responseUrl: hook.url });
    const sent = performance.now();
    try {
      const res = await postSigned(this.bot.port, body.replaceAll(TEAM.id, team), { agent, timeoutMs: ANSWER_TIMEOUT_MS });
      const ackMs = performance.now() - sent;
      if (res.status !== 200) return { ackMs, answerMs: ackMs, buttons: [], failure: `HTTP ${res.status}` };
      if (ackMs > DEADLINE_MS) return { ackMs, answerMs: ackMs, buttons: [], failure: `acknowledged after ${Math.round(ackMs)} ms` };
      const acked = res.text ? (JSON.parse(res.text) as { text?: string; blocks?: any[] }) : undefined;
      // A command answered in its acknowledgement; a button (or a command not done within Slack's budget) answers at the response_url.
      if (acked?.blocks && !/Working on it/.test(acked.text ?? '')) {
        const text = `${acked.text ?? ''}\n${textOf(acked.blocks)}`;
        const buttons = buttonsIn(acked.blocks).map((b) => ({ id: b.action_id, ...(b.value !== undefined ? { value: b.value } : {}) }));
        return { ackMs, answerMs: ackMs, buttons, ...failureIn(text) };
      }
      const answer = await hook.answered;
      const answerMs = performance.now() - sent;
      return { ackMs, answerMs, buttons: answer.buttons, ...failureIn(answer.text) };
    } catch (err) {
      return { ackMs: NaN, answerMs: NaN, buttons: [], failure: (err as Error).message.split('\n')[0] };
    }
  }

  botCpuMs(): number | undefined {
    return processCpuMs(this.bot.child.pid);
  }
}

/** Slack's HTTP-mode capacity: a fresh database, `servers` workspaces, and the rate search. */
export async function slackCapacity(dir: string, servers: number, search: SearchOptions): Promise<PlatformCapacity> {
  const worker = new Worker(new URL('./capacity-slack-worker.js', import.meta.url));
  let bot: RunningBot | undefined;
  try {
    const fakes = await new Promise<CapacityFakesReady>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', (m: CapacityFakesReady) => resolve(m));
    });
    bot = await startBot({ SLACK_BOT_TOKEN: fakes.token, SLACK_API_URL: fakes.apiUrl, CONTENT_DIR: join(packageRoot, 'content'), DATABASE_PATH: join(dir, 'slack.sqlite') });
    const capacity = await findCapacity(new SlackDriver(worker, fakes, bot), new UserPool(servers), search);
    return { capacity, servers };
  } finally {
    await bot?.stop();
    worker.postMessage('stop');
    await new Promise((resolve) => worker.once('exit', resolve));
  }
}
