import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { vi } from 'vitest';
import { buttonsOf, textOf as discordText, type FakeDiscord, type FakeMessage, type FakeUser, type SentInteraction } from '../../fakes/discord/index.js';
import type { FakeChannel } from '../../fakes/discord/model.js';
import { postSigned as postSlackSigned } from '../../fakes/slack/bot.js';
import { blockActions, buttonsIn, eventCallback, fileShareInDm, slashCommand, textOf as slackText } from '../../fakes/slack/payloads.js';
import { NoAnswer, postSigned, settleDiscord, slackCommandText, type Button, type Client, type Platforms, type Seen } from './platforms.js';

/**
 * Users of more than one tenant against one bot: a client for the users of any Discord server
 * the fake knows (the test guild or one added with addGuild), one for the users of another Slack
 * workspace, and a way to collect everything a tenant's users were shown, so that a test can
 * check that nothing of another tenant is in it.
 */

/** Everything shown to one tenant's users, as raw JSON and as text. */
export class Seeing {
  readonly shown: string[] = [];
  /** When each answer arrived (performance.now()) and how long its acknowledgement took. */
  readonly acks: { at: number; ackMs: number }[] = [];

  add(seen: Seen): Seen {
    this.shown.push(seen.raw, seen.text);
    // Channel posts read back by the harness were not acknowledgements.
    if (seen.ackMs > 0) this.acks.push({ at: performance.now(), ackMs: seen.ackMs });
    return seen;
  }

  /** The slowest acknowledgement among answers that arrived between `from` and `to`. */
  maxAck(from: number, to: number): number {
    return this.acks.reduce((max, a) => (a.at >= from && a.at <= to ? Math.max(max, a.ackMs) : max), 0);
  }

  /**
   * Records every Seen a platform client returns from now on (the load harness's clients among
   * them), by wrapping that client object's methods.
   */
  watch(client: Client): void {
    const c = client as unknown as Record<'command' | 'press' | 'channelPost', (...args: unknown[]) => Promise<Seen | undefined>>;
    for (const name of ['command', 'press', 'channelPost'] as const) {
      const original = c[name].bind(client);
      c[name] = async (...args: unknown[]) => {
        const seen = await original(...args);
        if (seen) this.add(seen);
        return seen;
      };
    }
  }

  /** The strings among `texts` and what was shown that contain any of `needles` (case-insensitive). */
  leaks(needles: string[], texts: string[] = []): string[] {
    const lower = needles.map((n) => n.toLowerCase());
    return [...this.shown, ...texts].filter((t) => lower.some((n) => t.toLowerCase().includes(n))).map((t) => t.slice(0, 300));
  }
}

/** What every Discord message in these channels shows (responses, follow-ups and posts), as JSON. */
export function discordChannelTexts(fake: FakeDiscord, channels: FakeChannel[]): string[] {
  const ids = new Set(channels.map((c) => c.id));
  return [...fake.state.messages.values()].filter((m) => ids.has(m.channel_id)).map((m) => JSON.stringify(m));
}

/** What the bot sent to Slack (Web API calls, response_url posts) outside the excluded channels and hooks. */
export function slackTexts(platforms: Platforms, excluded: { channel: (id: string) => boolean; hook: (name: string) => boolean }): string[] {
  const calls = platforms.slack.calls.filter((c) => /^(chat\.|views\.|files\.)/.test(c.method) && !excluded.channel(String(c.params.channel ?? c.params.channel_id ?? '')));
  const posts = platforms.hooks.posts.filter((p) => !excluded.hook(p.hook));
  return [...calls.map((c) => JSON.stringify(c.params)), ...posts.map((p) => JSON.stringify(p.body))];
}

/** The bot's resident memory in MB, from /proc (Linux). */
export function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) / 1024;
}

/** The bot's /metrics (HTTP_PORT) as name → value, for the unlabelled series. */
export async function botMetrics(port: number): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
  const out = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    const m = /^([a-z_:][\w:]*) (\S+)$/i.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** Samples a process's RSS until stopped: the highest value seen and the last. */
export function sampleRss(pid: number, everyMs = 250): { stop(): { peakMb: number; lastMb: number } } {
  let peakMb = rssMb(pid);
  let lastMb = peakMb;
  const timer = setInterval(() => {
    try {
      lastMb = rssMb(pid);
      peakMb = Math.max(peakMb, lastMb);
    } catch {
      // The process is gone: the figures so far stand.
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return { peakMb, lastMb };
    },
  };
}

// ---- Discord: the users of one server ----

/** A file a user attaches to a slash command. */
export interface Upload {
  name: string;
  content: string | Buffer;
}

/**
 * Users of one Discord server (the fake's test guild, or a server added with addGuild) in that
 * server's channels. Names starting with "admin" have Manage Server.
 */
export class GuildClient {
  readonly platform = 'discord';
  private users = new Map<string, FakeUser>();

  constructor(
    readonly fake: FakeDiscord,
    readonly channels: FakeChannel[],
    private readonly seeing?: Seeing,
    private readonly nick?: (name: string) => string | undefined,
  ) {}

  user(name: string): FakeUser {
    let u = this.users.get(name);
    if (!u) {
      const nick = this.nick?.(name);
      this.users.set(name, (u = this.fake.user(name, { admin: name.startsWith('admin'), ...(nick ? { nick } : {}) })));
    }
    return u;
  }

  idOf(name: string): string {
    return this.user(name).id;
  }

  channel(n: number): FakeChannel {
    const c = this.channels[n];
    if (!c) throw new Error(`no channel ${n} (${this.channels.length} channels)`);
    return c;
  }

  private deliver(send: () => SentInteraction): SentInteraction {
    try {
      return send();
    } catch (err) {
      throw new NoAnswer((err as Error).message);
    }
  }

  private async settle(sent: SentInteraction, waitMs: number): Promise<Seen> {
    const seen = await settleDiscord(this.fake, sent, waitMs);
    return this.seeing ? this.seeing.add(seen) : seen;
  }


  /** `/quiz-admin import` with a file: `sub` as in the catalogue ('quiz-admin import'). */
  command(user: string, channel: number, sub: string, options: Record<string, string | number | boolean> = {}, extra: { file?: Upload; waitMs?: number } = {}): Promise<Seen> {
    const [name, subcommand] = sub.split(' ');
    const attachments = extra.file ? { file: this.fake.upload(extra.file.name, extra.file.content) } : undefined;
    const sent = this.deliver(() => this.fake.slash(this.user(user), name!, options, { channel: this.channel(channel), ...(subcommand ? { subcommand } : {}), ...(attachments ? { attachments } : {}) }));
    return this.settle(sent, extra.waitMs ?? 20_000);
  }

  press(user: string, seen: Seen, button: Button, waitMs = 20_000): Promise<Seen> {
    const sent = this.deliver(() => this.fake.press(this.user(user), seen.message as FakeMessage, button.id));
    return this.settle(sent, waitMs);
  }

  /**
   * Presses a button id taken from elsewhere (another server's message) in one of this server's
   * channels: the id is put on a message of the bot's there, since Discord delivers only presses
   * of buttons on messages.
   */
  pressId(user: string, channel: number, customId: string, waitMs = 20_000): Promise<Seen> {
    const carrier = this.fake.state.createMessage(this.channel(channel).id, { content: 'forwarded', components: [{ type: 1, components: [{ type: 2, style: 1, label: 'Go', custom_id: customId }] }] }, []);
    const sent = this.deliver(() => this.fake.press(this.user(user), carrier, customId));
    return this.settle(sent, waitMs);
  }

  /** The bot's latest post in a channel with a button whose id starts with `prefix`. */
  async channelPost(channel: number, prefix: string, waitMs = 20_000): Promise<Seen | undefined> {
    const find = () => this.fake.channelPosts(this.channel(channel)).findLast((m) => buttonsOf(m).some((b) => String(b.custom_id).startsWith(prefix)));
    const found = () => {
      const m = find();
      if (!m) throw new Error('not yet');
      return m;
    };
    const m = await vi.waitFor(found, { timeout: waitMs, interval: 20 }).catch(() => undefined);
    if (!m) return undefined;
    const message = structuredClone(m);
    const seen: Seen = { ackMs: 0, status: 200, text: discordText(message), buttons: buttonsOf(message).map((b) => ({ id: b.custom_id, label: b.label ?? '' })), message, raw: JSON.stringify(message) };
    return this.seeing ? this.seeing.add(seen) : seen;
  }
}

// ---- Slack: the users of another workspace ----

const eventAgent = new Agent({ keepAlive: true, maxSockets: 16 });

/** POSTs a signed Events API delivery (JSON) to the bot's /slack/events; a failed request is a NoAnswer. */
export function postSignedJson(port: number, body: string, timeoutMs = 20_000): Promise<{ status: number; text: string }> {
  return postSlackSigned(port, body, { agent: eventAgent, contentType: 'application/json', timeoutMs }).catch((err: Error) => {
    throw new NoAnswer(`Slack event failed: ${err.message}`);
  });
}

/**
 * Users of another Slack workspace (team id `teamId`) talking to the same bot: the fake's
 * payloads with that team, answers through response_urls named `<prefix>…`.
 */
export class SlackTeamClient {
  readonly platform = 'slack';
  private count = 0;

  constructor(
    private readonly p: Platforms,
    readonly teamId: string,
    /** Prefix of this team's response_url names, so their posts can be told apart. */
    readonly hookPrefix: string,
    private readonly seeing?: Seeing,
  ) {}

  private team(body: string): string {
    // The fake's payloads name its one team; this client's requests come from another.
    return body.replaceAll('T0TEAM', this.teamId);
  }

  private seen(blocks: any[] | undefined, text: string | undefined, ackMs: number, status: number, ts: string | undefined): Seen {
    const seen: Seen = {
      raw: JSON.stringify({ text, blocks }),
      ackMs,
      status,
      text: [text ?? '', slackText(blocks)].join('\n').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'),
      buttons: buttonsIn(blocks).map((b) => ({ id: b.action_id, label: b.text, value: b.value })),
      message: ts,
    };
    return this.seeing ? this.seeing.add(seen) : seen;
  }

  private async waitHook(hook: string, waitMs: number): Promise<any> {
    try {
      const [post] = await this.p.hooks.waitFor(hook, 1, waitMs);
      return post!.body;
    } catch (err) {
      throw new NoAnswer((err as Error).message);
    }
  }

  async command(userId: string, channelId: string, sub: string, options: Record<string, string | number> = {}, waitMs = 20_000): Promise<Seen> {
    const quoted = (v: string | number) => (typeof v === 'number' ? String(v) : `"${v.replace(/(["\\])/g, '\\$1')}"`);
    const text = [slackCommandText(sub), ...Object.entries(options).map(([k, v]) => `${k}:${quoted(v)}`)].filter(Boolean).join(' ');
    const { url, hook } = this.p.hooks.newUrl(`${this.hookPrefix}${++this.count}`);
    const res = await postSigned(this.p.slackPort, this.team(slashCommand({ text, userId, channelId, responseUrl: url })), undefined, waitMs);
    if (res.status !== 200) return this.seen(undefined, res.text, res.ms, res.status, undefined);
    const body = res.text ? JSON.parse(res.text) : undefined;
    if (body && !/Working on it/.test(JSON.stringify(body))) return this.seen(body.blocks, body.text, res.ms, res.status, undefined);
    const post = await this.waitHook(hook, waitMs);
    return this.seen(post.blocks, post.text, res.ms, res.status, undefined);
  }

  /** Presses a button (an action id, wherever it was taken from) in one of this team's channels. */
  async press(userId: string, channelId: string, button: Button, messageTs?: string, waitMs = 20_000): Promise<Seen> {
    const { url, hook } = this.p.hooks.newUrl(`${this.hookPrefix}${++this.count}`);
    const body = blockActions({ userId, actionId: button.id, value: button.value ?? button.id, channelId, responseUrl: url, ...(messageTs ? { messageTs } : {}) });
    const res = await postSigned(this.p.slackPort, this.team(body), undefined, waitMs);
    if (res.status !== 200) return this.seen(undefined, res.text, res.ms, res.status, undefined);
    const post = await this.waitHook(hook, waitMs);
    return this.seen(post.blocks, post.text, res.ms, res.status, messageTs);
  }

  /** A file shared with the bot in a direct message, named only by its id (Slack describes it on files.info). */
  shareFileInDm(userId: string, dmChannel: string, file: { id: string; name: string }): Promise<{ status: number; text: string }> {
    return postSignedJson(this.p.slackPort, this.team(eventCallback(fileShareInDm(userId, dmChannel, file))));
  }
}

/** Ends the keep-alive connections of the event poster. */
export function closeTenantAgents(): void {
  eventAgent.destroy();
}
