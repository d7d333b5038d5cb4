import { Agent } from 'node:http';
import { join } from 'node:path';
import { vi } from 'vitest';
import { repoRoot } from '../../helpers/cli.js';
import { FakeDiscord, buttonsOf, textOf as discordText, type FakeMessage, type FakeUser, type SentInteraction } from '../../fakes/discord/index.js';
import { freePort } from '../../fakes/loopback.js';
import { randomBytes } from 'node:crypto';
import { postSigned as postSlackSigned, SIGNING_SECRET } from '../../fakes/slack/bot.js';
import { installViaOAuth, oauthEnv } from '../../fakes/slack/oauth.js';
import { blockActions, buttonsIn, slashCommand, TEAM, textOf as slackText } from '../../fakes/slack/payloads.js';
import { ResponseUrlReceiver } from '../../fakes/slack/response-url.js';
import { FakeSlackWebApi } from '../../fakes/slack/web-api.js';

/**
 * Both chat platforms' fakes at once, and one client per platform that plays a user: run a
 * command or press a button, and come back with what the user saw and how long the platform
 * waited for the bot's acknowledgement (Discord over the gateway: dispatch → interaction callback;
 * Discord over HTTP and Slack: request → HTTP response). Both platforms drop an interaction not
 * acknowledged within 3 s. Discord reaches the bot over the gateway, or (`discord: 'http'`) as
 * signed POSTs to /discord/interactions on the bot's PORT, beside Slack's /slack/events.
 */

export const ACK_DEADLINE_MS = 3000;

/** Mentions, links and markdown a hostile user types (or puts in their display name). */
export const INJECTION = '@everyone @here <@123456789012345678> <@&42> <#1> <!channel> <!here> <@U0ALICE> **bold** [link](https://evil.example) <https://evil.example|click>';

export type PlatformName = 'discord' | 'slack';

/** How Discord delivers interactions to the bot. */
export type DiscordMode = 'gateway' | 'http';

export interface Button {
  id: string;
  label: string;
  value?: string;
}

/** What the user sees after one interaction. */
export interface Seen {
  /** Acknowledgement latency in ms. */
  ackMs: number;
  /** HTTP status of the acknowledgement (Slack) or 200 for a Discord callback. */
  status: number;
  text: string;
  buttons: Button[];
  /** Opaque handle to press a button of this message again (Discord message / Slack ts). */
  message: unknown;
  /** What the platform received, as JSON (for checks on escaping and mentions). */
  raw: string;
}

/** Thrown when the bot is unreachable or never answered: the user would try again. */
export class NoAnswer extends Error {}

export interface Client {
  platform: PlatformName;
  /** A slash command: `quiz` with `start` → `/quiz start` (Discord) or `/quiz` (Slack). */
  command(user: string, channel: number, sub: string, options?: Record<string, string | number>, waitMs?: number): Promise<Seen>;
  press(user: string, channel: number, seen: Seen, button: Button, waitMs?: number): Promise<Seen>;
  /** The bot's own latest post in a channel (a race round) with a button whose id starts with `prefix`. */
  channelPost(channel: number, prefix: string, waitMs?: number): Promise<Seen | undefined>;
}

/** What `find` gives once it gives something, or undefined when `waitMs` passes first. */
function waitForValue<T>(find: () => T | undefined, waitMs: number): Promise<T | undefined> {
  const found = () => {
    const value = find();
    if (value === undefined) throw new Error('not yet');
    return value;
  };
  return vi.waitFor(found, { timeout: waitMs, interval: 10 }).catch(() => undefined);
}

/** Slack workspaces that install the bot by OAuth (each with its own token), instead of one SLACK_BOT_TOKEN. */
export interface SlackOAuthOptions {
  /** Team ids; users and channels are spread over them (see Platforms.slackTeamOf). */
  teams: string[];
  /** Teams whose tokens rotate: their first token is due for a refresh at once. */
  rotating?: string[];
}

/** The second Slack workspace of the OAuth runs. */
export const SECOND_TEAM = 'T0SECOND';

export class Platforms {
  /** The Slack workspaces users are in: one (SLACK_BOT_TOKEN), or those installed by OAuth. */
  readonly slackTeams: string[];
  private readonly encryptionKey = randomBytes(32).toString('base64');

  private constructor(
    readonly discord: FakeDiscord,
    readonly slack: FakeSlackWebApi,
    readonly hooks: ResponseUrlReceiver,
    readonly slackPort: number,
    readonly channels: number,
    readonly slackOAuth: SlackOAuthOptions | undefined,
    readonly discordMode: DiscordMode,
  ) {
    this.slackTeams = slackOAuth?.teams ?? [TEAM.id];
  }

  /** `channels` channels on each platform (on Slack, in each workspace). */
  static async start(channels: number, options: { slackOAuth?: SlackOAuthOptions; discord?: DiscordMode } = {}): Promise<Platforms> {
    const discord = await FakeDiscord.start({ ackDeadlineMs: ACK_DEADLINE_MS, channels: Array.from({ length: channels - 1 }, (_, i) => ({ name: `c${i + 1}` })) });
    const slack = await new FakeSlackWebApi().start();
    const hooks = await new ResponseUrlReceiver().start();
    for (const team of options.slackOAuth?.teams ?? []) {
      slack.addWorkspace({ teamId: team, ...(options.slackOAuth?.rotating?.includes(team) ? { rotation: { firstExpiresIn: 3600, expiresIn: 12 * 3600 } } : {}) });
    }
    const port = await freePort();
    const mode = options.discord ?? 'gateway';
    // Over HTTP, Discord posts to the bot's PORT: the server of Slack's HTTP mode.
    if (mode === 'http') discord.sendInteractionsTo(`http://127.0.0.1:${port}/discord/interactions`);
    return new Platforms(discord, slack, hooks, port, channels, options.slackOAuth, mode);
  }

  /** A platform's name in reports: Discord says how it is reached. */
  label(platform: PlatformName): string {
    return platform === 'slack' ? 'Slack' : this.discordMode === 'http' ? 'Discord (HTTP)' : 'Discord';
  }

  /** The environment that connects one bot process to both fakes. */
  env(dbPath: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...this.discord.env({ DISCORD_GUILD_ID: this.discord.guildId, ...(this.discordMode === 'http' ? { DISCORD_PUBLIC_KEY: this.discord.publicKey } : {}) }),
      ...(this.slackOAuth ? oauthEnv(this.slack, this.encryptionKey) : { SLACK_BOT_TOKEN: this.slack.token, SLACK_API_URL: this.slack.url }),
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      PORT: String(this.slackPort),
      CONTENT_DIR: join(repoRoot, 'content'),
      DATABASE_PATH: dbPath,
      ...extra,
    };
  }

  /** OAuth runs: installs the bot in every workspace through its /slack/install and /slack/oauth_redirect pages. */
  async installSlack(): Promise<void> {
    for (const team of this.slackOAuth?.teams ?? []) {
      const done = await installViaOAuth(this.slackPort, this.slack, team);
      if (done.status !== 200) throw new Error(`installing the bot in ${team} answered ${done.status}: ${done.page.slice(0, 200)}`);
    }
  }

  /**
   * The workspace (index into slackTeams) a named Slack user is in: load users (`u<i>`) and race
   * players (`r<r>…`) alternate between workspaces journey by journey and race by race; any other
   * name by its letters. A user stays in one workspace for the whole run.
   */
  slackTeamOf(name: string): number {
    const n = this.slackTeams.length;
    if (n === 1) return 0;
    const numbered = /^[ur](\d+)/.exec(name);
    if (numbered) return (Number(numbered[1]) >> 1) % n;
    return [...name].reduce((sum, c) => sum + c.charCodeAt(0), 0) % n;
  }

  /** The Slack calls the bot made whose token was not that of the workspace they concern (channel or DM), and calls with no valid token. */
  slackTokenProblems(): string[] {
    const problems: string[] = [];
    for (const c of this.slack.calls) {
      if (c.method === 'oauth.v2.access') continue;
      if (c.team === undefined) {
        problems.push(`${c.method} with an invalid token`);
        continue;
      }
      const channel = String(c.params.channel ?? c.params.channel_id ?? '');
      const team = channel ? slackTeamOfChannel(channel, this.slackTeams) : undefined;
      if (team !== undefined && team !== c.team) problems.push(`${c.method} in ${channel} (${team}) with ${c.team}'s token`);
    }
    return problems;
  }

  async stop(): Promise<void> {
    slackAgent.destroy();
    await this.discord.stop();
    await this.slack.stop();
    await this.hooks.stop();
  }

  private clients: { discord?: DiscordClient; slack?: SlackClient } = {};

  client(platform: PlatformName): Client {
    if (platform === 'discord') return (this.clients.discord ??= new DiscordClient(this));
    return (this.clients.slack ??= new SlackClient(this));
  }

  /** The fake Discord's user of a name (the same one every time). */
  discordUser(name: string): FakeUser {
    return (this.client('discord') as DiscordClient).user(name);
  }

  /** A named user's id on the platform (the users.external_id the bot stores). */
  externalId(platform: PlatformName, name: string): string {
    return platform === 'discord' ? (this.client('discord') as DiscordClient).idOf(name) : slackUserId(name);
  }

  /**
   * The fake Discord's requests the bot made that Discord refused (late callbacks among them). A
   * webhook call that overtook the HTTP response it follows ("Unknown Webhook") and went through
   * when the bot tried it again is no refusal: Discord took that answer.
   */
  discordRefusals(): { path: string; status: number }[] {
    const requests = this.discord.state.requests;
    const takenLater = (i: number) => requests.slice(i + 1).some((later) => later.method === requests[i]!.method && later.path === requests[i]!.path && later.status < 400);
    return requests
      .filter((r, i) => r.status >= 400 && !(r.status === 404 && r.path.includes('/webhooks/') && takenLater(i)))
      .map((r) => ({ path: r.path, status: r.status }));
  }
}

// ---- Discord ----

class DiscordClient implements Client {
  readonly platform = 'discord';
  private users = new Map<string, FakeUser>();
  constructor(private readonly p: Platforms) {}

  user(name: string): FakeUser {
    let u = this.users.get(name);
    // Names starting with "admin" have Manage Server.
    // Names starting with "inj" carry a hostile nickname.
    if (!u) this.users.set(name, (u = this.p.discord.user(name, { admin: name.startsWith('admin'), ...(name.startsWith('inj') ? { nick: INJECTION } : {}) })));
    return u;
  }

  /** The Discord snowflake of a named user (its external id in the database). */
  idOf(name: string): string {
    return this.user(name).id;
  }

  private channel(n: number) {
    return this.p.discord.channel(n === 0 ? 'general' : `c${n}`);
  }

  private settle(sent: SentInteraction, waitMs: number): Promise<Seen> {
    return settleDiscord(this.p.discord, sent, waitMs);
  }


  private deliver(send: () => SentInteraction): SentInteraction {
    try {
      return send();
    } catch (err) {
      throw new NoAnswer((err as Error).message);
    }
  }

  command(user: string, channel: number, sub: string, options: Record<string, string | number> = {}, waitMs = 20_000): Promise<Seen> {
    const [name, subcommand] = sub.split(' ');
    const sent = this.deliver(() => this.p.discord.slash(this.user(user), name!, options, { channel: this.channel(channel), ...(subcommand ? { subcommand } : {}) }));
    return this.settle(sent, waitMs);
  }

  press(user: string, _channel: number, seen: Seen, button: Button, waitMs = 20_000): Promise<Seen> {
    const sent = this.deliver(() => this.p.discord.press(this.user(user), seen.message as FakeMessage, button.id));
    return this.settle(sent, waitMs);
  }

  channelPost(channel: number, prefix: string, waitMs = 20_000): Promise<Seen | undefined> {
    const find = () => this.p.discord.channelPosts(this.channel(channel)).findLast((m) => buttonsOf(m).some((b) => String(b.custom_id).startsWith(prefix)));
    return waitForValue(find, waitMs).then((m) => {
      if (!m) return undefined;
      const message = structuredClone(m);
      return { ackMs: 0, status: 200, text: discordText(message), buttons: buttonsOf(message).map((b) => ({ id: b.custom_id, label: b.label ?? '' })), message, raw: JSON.stringify(message) };
    });
  }
}

// ---- Slack ----

const slackAgent = new Agent({ keepAlive: true, maxSockets: 256 });

/** POSTs a signed body to the bot's /slack/events; a failed request is a NoAnswer. */
export function postSigned(port: number, body: string, headers?: Record<string, string>, timeoutMs = 20_000): Promise<{ status: number; text: string; ms: number }> {
  return postSlackSigned(port, body, { agent: slackAgent, ...(headers ? { headers } : {}), timeoutMs }).catch((err: Error) => {
    throw new NoAnswer(`Slack request failed: ${err.message}`);
  });
}

/** What follows `/quiz` on Slack for a catalogue key ('quiz start' → '', 'quiz-admin stats' → 'admin stats'). */
export function slackCommandText(key: string): string {
  if (key === 'quiz start' || key === 'quiz') return '';
  if (key.startsWith('quiz-admin ')) return 'admin ' + key.slice('quiz-admin '.length);
  if (key.startsWith('quiz ')) return key.slice('quiz '.length);
  return key;
}

export const slackUserId = (name: string) => `U${name.toUpperCase().replace(/[^A-Z0-9]/g, '')}`;
/** Channel `n` of the first workspace (`C0003`), or of another (`CW1X0003`). */
export const slackChannelId = (n: number, team = 0) => (team === 0 ? `C${String(n).padStart(4, '0')}` : `CW${team}X${String(n).padStart(4, '0')}`);

/** The workspace a channel of slackChannelId is in. */
function slackTeamOfChannel(channel: string, teams: string[]): string | undefined {
  if (/^C\d{4}$/.test(channel)) return teams[0];
  const m = /^CW(\d+)X\d{4}$/.exec(channel);
  return m ? teams[Number(m[1])] : undefined;
}

class SlackClient implements Client {
  readonly platform = 'slack';
  constructor(private readonly p: Platforms) {}

  private seen(blocks: any[] | undefined, text: string | undefined, ackMs: number, status: number, ts: string | undefined): Seen {
    return { raw: JSON.stringify({ text, blocks }), ackMs, status, text: [text ?? '', slackText(blocks)].join('\n').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'), buttons: buttonsIn(blocks).map((b) => ({ id: b.action_id, label: b.text, value: b.value })), message: ts };
  }

  async command(user: string, channel: number, sub: string, options: Record<string, string | number> = {}, waitMs = 20_000): Promise<Seen> {
    const quoted = (v: string | number) => (typeof v === 'number' ? String(v) : `"${v.replace(/(["\\])/g, '\\$1')}"`);
    const text = [slackCommandText(sub), ...Object.entries(options).map(([k, v]) => `${k}:${quoted(v)}`)].filter(Boolean).join(' ');
    const { url, hook } = this.p.hooks.newUrl();
    const team = this.p.slackTeamOf(user);
    const res = await postSigned(this.p.slackPort, slashCommand({ text, userId: slackUserId(user), channelId: slackChannelId(channel, team), responseUrl: url, teamId: this.p.slackTeams[team]! }), undefined, waitMs);
    if (res.status !== 200) return this.seen(undefined, res.text, res.ms, res.status, undefined);
    const body = res.text ? JSON.parse(res.text) : undefined;
    // A slow command is acknowledged with a placeholder; its answer comes to the response_url.
    if (body && !/Working on it/.test(JSON.stringify(body))) {
      return this.seen(body.blocks, body.text, res.ms, res.status, body.response_type === 'in_channel' ? '1700000100.000100' : undefined);
    }
    const post = await this.waitHook(hook, waitMs);
    return this.seen(post.blocks, post.text, res.ms, res.status, post.response_type === 'in_channel' ? '1700000100.000100' : undefined);
  }

  async press(user: string, channel: number, seen: Seen, button: Button, waitMs = 20_000): Promise<Seen> {
    const { url, hook } = this.p.hooks.newUrl();
    const team = this.p.slackTeamOf(user);
    const body = blockActions({ userId: slackUserId(user), actionId: button.id, value: button.value ?? button.id, channelId: slackChannelId(channel, team), responseUrl: url, teamId: this.p.slackTeams[team]!, ...(seen.message ? { messageTs: seen.message as string } : {}) });
    const res = await postSigned(this.p.slackPort, body, undefined, waitMs);
    if (res.status !== 200) return this.seen(undefined, res.text, res.ms, res.status, undefined);
    const post = await this.waitHook(hook, waitMs);
    // The answer replaces the message or comes as a new ephemeral one; either way its buttons are pressable.
    return this.seen(post.blocks, post.text, res.ms, res.status, seen.message as string | undefined);
  }

  async channelPost(channel: number, prefix: string, waitMs = 20_000): Promise<Seen | undefined> {
    // Channel `channel` of any workspace (the load gives each race a channel number of its own).
    const ids = new Set(this.p.slackTeams.map((_, team) => slackChannelId(channel, team)));
    const find = () => [...this.p.slack.messages.values()].findLast((m) => ids.has(m.channel) && buttonsIn(m.blocks).some((b) => b.action_id.startsWith(prefix)));
    const m = await waitForValue(find, waitMs);
    return m && this.seen(m.blocks, m.text, 0, 200, m.ts);
  }

  private async waitHook(hook: string, waitMs: number): Promise<any> {
    try {
      const [post] = await this.p.hooks.waitFor(hook, 1, waitMs);
      return post!.body;
    } catch (err) {
      throw new NoAnswer((err as Error).message);
    }
  }
}

/** What a Discord user saw of an interaction once the bot answered it (or NoAnswer). */
export async function settleDiscord(fake: FakeDiscord, sent: SentInteraction, waitMs: number): Promise<Seen> {
  let outcome;
  try {
    outcome = await fake.outcome(sent, { timeoutMs: waitMs });
    // A public deferral answered privately is first edited to "…", then the answer follows.
    if (outcome.message?.content === '…' && outcome.followUps.length === 0) outcome = await fake.outcome(sent, { timeoutMs: waitMs, followUps: 1 });
  } catch (err) {
    throw new NoAnswer(`no answer on Discord: ${(err as Error).message.split('\n')[0]}`);
  }
  // What the user saw at that moment: the fake updates its stored message in place later.
  const message = outcome.message && structuredClone(outcome.message);
  // A late ephemeral answer to a public deferral comes as a follow-up: the user reads both.
  const shown = [message, ...outcome.followUps.filter((f) => f.id !== message?.id)].filter((m) => m !== undefined);
  return {
    ackMs: outcome.callback.at - sent.dispatchedAt,
    status: 200,
    text: shown.map((m) => discordText(m)).join('\n').replace(/\\([^\sA-Za-z0-9])/g, '$1'),
    buttons: buttonsOf(message).map((b) => ({ id: b.custom_id, label: b.label ?? '' })),
    message,
    raw: JSON.stringify(shown),
  };
}