import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../src/paths.js';
import { FakeDiscord, buttonsOf, textOf, type FakeMessage, type FakeUser, type SentInteraction } from '../tests/fakes/discord/index.js';
import type { FakeChannel } from '../tests/fakes/discord/model.js';
import { envWithoutPlatforms } from '../tests/fakes/child-env.js';
import { freePort } from '../tests/fakes/loopback.js';
import { DEADLINE_MS, failureIn, findCapacity, UserPool, type Driver, type LoadUser, type PlatformCapacity, type SearchOptions, type Seen, type Step } from './capacity-load.js';
import { processCpuMs, stopChild } from './harness.js';

/**
 * Discord at increasing rates: the bot (`quizbot start`, real discord.js) as a process of its
 * own, and the fake Discord in this process, which delivers each user's interaction either over
 * the gateway (INTERACTION_CREATE on the WebSocket; the bot answers with a REST callback) or as
 * an Ed25519-signed POST to the bot's /discord/interactions (DISCORD_PUBLIC_KEY set; the HTTP
 * response is the answer), and takes the bot's edits on its REST API. The fake refuses a
 * callback, and gives up on a POST, later than 3 s after dispatch, as Discord does.
 */

const cli = fileURLToPath(new URL('../src/cli.js', import.meta.url));
/** How long a user waits for an answer before counting it lost (the deadline has passed by then). */
const ANSWER_TIMEOUT_MS = DEADLINE_MS + 2000;

export function startDiscordBot(env: Record<string, string>): Promise<ChildProcess> {
  const base = envWithoutPlatforms();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'start'], { cwd: packageRoot, env: { ...base, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const onData = (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('"msg":"bot started"')) {
        child.stderr!.off('data', onData);
        child.stderr!.resume();
        child.off('close', onClose);
        resolve(child);
      }
    };
    const onClose = (code: number | null) => reject(new Error(`the bot exited (${code}) before connecting:\n${stderr}`));
    child.stderr!.on('data', onData);
    child.on('error', reject);
    child.on('close', onClose);
  });
}

/** The fake's servers: the test guild's #general, then one channel in each added guild. */
export function discordServers(fake: FakeDiscord, count: number): FakeChannel[] {
  const channels = [fake.channel('general')];
  for (let g = 1; g < count; g++) channels.push(fake.addGuild(`Study group ${g}`, ['general']).channels[0]!);
  return channels;
}

/** The users of the load as Discord users, and the steps as their interactions. */
export class DiscordDriver implements Driver {
  private users = new Map<number, FakeUser>();
  private settled: SentInteraction[] = [];

  constructor(
    private readonly fake: FakeDiscord,
    private readonly channels: FakeChannel[],
    private readonly bot: ChildProcess,
  ) {}

  private user(u: LoadUser): FakeUser {
    let user = this.users.get(u.index);
    if (!user) this.users.set(u.index, (user = this.fake.user(`learner${u.index}`)));
    return user;
  }

  async send(u: LoadUser, step: Step): Promise<Seen> {
    const user = this.user(u);
    const channel = this.channels[u.server]!;
    let sent: SentInteraction;
    if (step.kind === 'answer' || step.kind === 'next') sent = this.fake.press(user, u.message as FakeMessage, step.actionId);
    else if (step.kind === 'start') sent = this.fake.slash(user, 'quiz', {}, { channel, subcommand: 'start' });
    else sent = this.fake.slash(user, step.kind, {}, { channel });
    try {
      let outcome = await this.fake.outcome(sent, { timeoutMs: ANSWER_TIMEOUT_MS });
      // A public deferral answered privately is first edited to "…", then the answer follows.
      if (outcome.message?.content === '…' && outcome.followUps.length === 0) outcome = await this.fake.outcome(sent, { timeoutMs: ANSWER_TIMEOUT_MS, followUps: 1 });
      const answerMs = performance.now() - sent.dispatchedAt;
      const message = outcome.message;
      this.forget(u, step, message);
      return { ackMs: outcome.callback.at - sent.dispatchedAt, answerMs, buttons: buttonsOf(message).map((b) => ({ id: String(b.custom_id) })), message, ...failureIn(textOf(message)) };
    } catch (err) {
      return { ackMs: NaN, answerMs: NaN, buttons: [], failure: (err as Error).message.split('\n')[0] };
    } finally {
      this.settled.push(sent);
    }
  }

  /** Drops messages no user will press again, so the fake's store stays small over a long run. */
  private forget(u: LoadUser, step: Step, message: FakeMessage | undefined): void {
    if (!message) return;
    const quizStep = step.kind !== 'leaderboard' && step.kind !== 'stats';
    const previous = u.message as FakeMessage | undefined;
    if (!quizStep) this.fake.state.messages.delete(message.id);
    else if (previous && previous.id !== message.id) this.fake.state.messages.delete(previous.id);
  }

  afterTrial(): void {
    // Forget settled interactions and requests: the fake would otherwise grow with every trial.
    const state = this.fake.state;
    for (const s of this.settled) {
      state.interactions.delete(s.id);
      state.byToken.delete(s.token);
    }
    this.settled = [];
    state.requests.length = 0;
  }

  botCpuMs(): number | undefined {
    return processCpuMs(this.bot.pid);
  }
}

/** Discord's capacity over the gateway or the interactions endpoint: a fresh database, `servers` guilds, and the rate search. */
export async function discordCapacity(mode: 'gateway' | 'http', dir: string, servers: number, search: SearchOptions): Promise<PlatformCapacity> {
  const fake = await FakeDiscord.start({ ackDeadlineMs: DEADLINE_MS });
  let bot: ChildProcess | undefined;
  try {
    const channels = discordServers(fake, servers);
    const port = await freePort();
    const http: Record<string, string> = mode === 'http' ? { DISCORD_PUBLIC_KEY: fake.publicKey, PORT: String(port) } : {};
    bot = await startDiscordBot(fake.env({ CONTENT_DIR: join(packageRoot, 'content'), DATABASE_PATH: join(dir, `discord-${mode}.sqlite`), DISCORD_GUILD_ID: fake.guildId, ...http }));
    if (mode === 'http') fake.sendInteractionsTo(`http://127.0.0.1:${port}/discord/interactions`);
    const capacity = await findCapacity(new DiscordDriver(fake, channels, bot), new UserPool(servers), search);
    return { capacity, servers };
  } finally {
    await stopChild(bot);
    await fake.stop();
  }
}
