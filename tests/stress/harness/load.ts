import { ACK_DEADLINE_MS, NoAnswer, type Button, type Client, type PlatformName, type Platforms, type Seen } from './platforms.js';

/**
 * A busy morning: users in many channels take their daily quiz (open it, answer, Next, answer, …)
 * while races run in other channels, on Discord and Slack at once, with a bounded number of users
 * mid-journey. Every answer the user saw confirmed is recorded, so a crash test can check that
 * each one is in the database exactly once.
 */

export interface LoadPlan {
  users: number;
  /** Channels per platform the users are spread over. */
  channels: number;
  races: number;
  /** Users who answer each race. */
  raceClickers: number;
  /** Interactions per user: /quiz, then answer/Next presses. */
  steps: number;
  /** Journeys in flight at once. */
  concurrency: number;
  /** How long to wait for an answer before the user tries again. */
  waitMs: number;
  /** Tries per interaction before it counts as an error (crash runs retry through restarts). */
  attempts: number;
}

/** A personal-quiz answer the user saw graded. */
export interface QuizAck {
  platform: PlatformName;
  user: string;
  sessionId: string;
  position: number;
  points: number;
}

/** A race answer the user saw accepted. */
export interface RaceAck {
  platform: PlatformName;
  user: string;
  raceId: string;
  round: number;
  points: number;
  /** Promised for the round's close, which pays it only once the race has two players. */
  pending?: boolean;
}

export interface LoadResult {
  interactions: number;
  seconds: number;
  ackMs: Record<PlatformName, number[]>;
  /** Answers that were not 200, said "something went wrong", or never came after every try. */
  errors: string[];
  /** Tries that got no answer (the bot was down) and were made again. */
  retries: number;
  deadlineMisses: number;
  /** Presses answered "you already answered": a retried answer that had been saved before the crash. */
  alreadyAnswered: number;
  rateLimited: number;
  quizAcks: QuizAck[];
  raceAcks: RaceAck[];
  /** Users on each platform, by name, who took part. */
  userNames: Record<PlatformName, string[]>;
}

const FEEDBACK = /✅ Right!(?: \+(\d+) points)?|❌ Not quite|Here's the answer — it'll come back soon/;
// "… +15 points when the round closes": paid then only if a second player has joined the race.
const RACE_FEEDBACK = /Right, and first! \+(\d+) points|Right! \+(\d+) points|Answer locked in/;
const PENDING = /points when the round closes/;

export async function pool<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await run(items[next++]!);
    }),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runLoad(platforms: Platforms, plan: LoadPlan, onInteraction: (done: number) => void = () => {}): Promise<LoadResult> {
  const idOf = (p: PlatformName, name: string) => platforms.externalId(p, name);
  const clients: Record<PlatformName, Client> = { discord: platforms.client('discord'), slack: platforms.client('slack') };
  const result: LoadResult = {
    interactions: 0,
    seconds: 0,
    ackMs: { discord: [], slack: [] },
    errors: [],
    retries: 0,
    deadlineMisses: 0,
    alreadyAnswered: 0,
    rateLimited: 0,
    quizAcks: [],
    raceAcks: [],
    userNames: { discord: [], slack: [] },
  };

  /** One interaction, tried again while the bot is unreachable. */
  const interact = async (client: Client, what: string, act: () => Promise<Seen>): Promise<Seen | undefined> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const seen = await act();
        result.interactions++;
        onInteraction(result.interactions);
        result.ackMs[client.platform].push(seen.ackMs);
        if (seen.ackMs > ACK_DEADLINE_MS) result.deadlineMisses++;
        if (seen.status !== 200 || /Something went wrong/.test(seen.text)) result.errors.push(`${client.platform} ${what}: ${seen.status} ${seen.text.slice(0, 120)}`);
        if (/Slow down a little/.test(seen.text)) result.rateLimited++;
        return seen;
      } catch (err) {
        if (!(err instanceof NoAnswer)) throw err;
        if (attempt >= plan.attempts) {
          result.errors.push(`${client.platform} ${what}: ${err.message.slice(0, 160)}`);
          return undefined;
        }
        result.retries++;
        await sleep(300 + Math.random() * 400);
      }
    }
  };

  const journey = async (i: number) => {
    const platform: PlatformName = i % 2 ? 'slack' : 'discord';
    const client = clients[platform];
    const name = `u${i}`;
    const channel = (i >> 1) % plan.channels;
    result.userNames[platform].push(name);
    let seen = await interact(client, '/quiz', () => client.command(name, channel, 'quiz start', {}, plan.waitMs));
    for (let step = 1; step < plan.steps && seen; step++) {
      const next = seen.buttons.find((b) => b.id.startsWith('qn:'));
      const answers = seen.buttons.filter((b) => b.id.startsWith('qa:'));
      const button: Button | undefined = next ?? answers[Math.floor(Math.random() * answers.length)];
      if (!button) return; // all caught up, or the quiz is over
      const from = seen;
      const after: Seen | undefined = await interact(client, button.id.split(':')[0]!, () => client.press(name, channel, from, button, plan.waitMs));
      if (!after) return;
      if (button.id.startsWith('qa:')) {
        const graded = FEEDBACK.exec(after.text);
        const [, sessionId, position] = button.id.split(':');
        if (graded) result.quizAcks.push({ platform, user: idOf(platform, name), sessionId: sessionId!, position: Number(position), points: Number(graded[1] ?? 0) });
        else if (/already answered/.test(after.text)) result.alreadyAnswered++;
      }
      // "Already answered" comes as a new message with only Next; carry on from whatever was shown.
      seen = after.buttons.length ? after : seen;
    }
  };

  const race = async (r: number) => {
    const platform: PlatformName = r % 2 ? 'slack' : 'discord';
    const client = clients[platform];
    // Races get channels of their own, after the quiz channels.
    const channel = plan.channels + (r >> 1);
    const starter = `r${r}s`;
    result.userNames[platform].push(starter);
    const started = await interact(client, '/quiz race', () => client.command(starter, channel, 'quiz race', { rounds: 1 }, plan.waitMs));
    if (!started || /already running/.test(started.text)) return;
    // The round is the bot's own post in the channel.
    const start = /race is on/.test(started.text) ? await client.channelPost(channel, 'ra:', plan.waitMs) : undefined;
    const choices = start?.buttons.filter((b) => b.id.startsWith('ra:')) ?? [];
    if (!start || choices.length === 0) {
      result.errors.push(`${platform} race ${r}: no race message: ${started.text.slice(0, 120)}`);
      return;
    }
    const clickers = Array.from({ length: plan.raceClickers }, (_, k) => `r${r}c${k}`);
    result.userNames[platform].push(...clickers);
    await pool(clickers, 8, async (name) => {
      const button = choices[Math.floor(Math.random() * choices.length)]!;
      const after = await interact(client, 'ra', () => client.press(name, channel, start, button, plan.waitMs));
      const [, raceId, round] = button.id.split(':');
      const accepted = after && RACE_FEEDBACK.exec(after.text);
      if (accepted) result.raceAcks.push({ platform, user: idOf(platform, name), raceId: raceId!, round: Number(round), points: Number(accepted[1] ?? accepted[2] ?? 0), pending: PENDING.test(after.text) });
      else if (after && /already answered this round/.test(after.text)) result.alreadyAnswered++;
    });
  };

  // Races are spread among the quiz journeys, so both kinds of traffic overlap all along.
  const every = Math.max(1, Math.floor(plan.users / Math.max(1, plan.races)));
  const tasks: (() => Promise<void>)[] = [];
  for (let i = 0, r = 0; i < plan.users; i++) {
    if (i % every === 0 && r < plan.races) tasks.push(((n) => () => race(n))(r++));
    tasks.push(() => journey(i));
  }
  const started = performance.now();
  await pool(tasks, plan.concurrency, (t) => t());
  result.seconds = (performance.now() - started) / 1000;
  return result;
}
