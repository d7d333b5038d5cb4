import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeGateway } from './gateway.js';
import {
  CallbackType,
  EPHEMERAL,
  InteractionType,
  LOADING,
  MEMBER_PERMISSIONS,
  PERMISSIONS,
  channelObject,
  memberObject,
  guildObject,
  snowflake,
  userObject,
  type Callback,
  type FakeChannel,
  type FakeMessage,
  type FakeUser,
  type Json,
  type SentInteraction,
} from './model.js';
import { FakeRest, HttpError } from './rest.js';
import { DiscordState } from './state.js';
import { closeNow } from '../loopback.js';

export { CallbackType, EPHEMERAL, InteractionType, LOADING, PERMISSIONS, type FakeMessage, type FakeUser, type SentInteraction };

/**
 * A protocol-level fake Discord for end-to-end tests: one HTTP server on 127.0.0.1 serving the
 * REST API under /api/v10 and the gateway WebSocket, one guild with channels, and helpers that
 * act as users (run a slash command, press a button, fill in a modal) and wait for what the bot
 * answers. Point discord.js at it with `rest: { api: fake.apiUrl }`; it finds the gateway via
 * GET /gateway/bot. After `sendInteractionsTo(url)` interactions go to the bot's interactions
 * endpoint instead, as Ed25519-signed HTTP POSTs, and the HTTP response is the first response.
 */

export interface FakeDiscordOptions {
  heartbeatIntervalMs?: number;
  /** Reject callbacks later than this after dispatch (Discord's 3 s), off by default. */
  ackDeadlineMs?: number;
  /** Extra channels besides #general; `forbidden` ones refuse the bot's posts with 403. */
  channels?: Omit<FakeChannel, 'id'>[];
  /** Shards GET /gateway/bot recommends and the gateway requires (default 1). */
  shards?: number;
}

/** Where a slash command is run, and how (subcommand, the option being typed, attached files). */
export interface SlashWhere {
  channel?: FakeChannel;
  dm?: boolean;
  subcommand?: string;
  focused?: string;
  attachments?: Record<string, Json>;
}

/** What the bot did in answer to one interaction, once it has settled. */
export interface Outcome {
  callback: Callback;
  /** The message the user now sees: the reply, the edited deferred reply, or the updated message. */
  message?: FakeMessage;
  followUps: FakeMessage[];
}

export class FakeDiscord {
  readonly state: DiscordState;
  readonly gateway: FakeGateway;
  /** Servers besides the test guild that the bot is in, by id (see addGuild). */
  private readonly otherGuilds = new Map<string, { id: string; name: string; joinedAt: string; announced: boolean }>();
  private readonly rest: FakeRest;
  /** The application's key pair: its public half is what the bot's DISCORD_PUBLIC_KEY must be. */
  private readonly keys = generateKeyPairSync('ed25519');
  /** Where interactions go over HTTP (see sendInteractionsTo); undefined: over the gateway. */
  private endpoint: string | undefined;
  private constructor(
    private readonly server: Server,
    state: DiscordState,
    options: FakeDiscordOptions,
  ) {
    this.state = state;
    state.verifyKey = this.publicKey;
    const rest = (this.rest = new FakeRest(state, () => this.gatewayUrl));
    server.on('request', (req, res) => void rest.handle(req, res));
    this.gateway = new FakeGateway(server, {
      token: state.token,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
      url: () => this.gatewayUrl,
      ready: () => ({
        v: 10,
        user: { ...userObject(state.bot), verified: true, mfa_enabled: false, email: null },
        user_settings: {},
        private_channels: [],
        relationships: [],
        presences: [],
        guild_join_requests: [],
        geo_ordered_rtc_regions: [],
        application: { id: state.applicationId, flags: 0 },
      }),
      // Other guilds' channels (see addGuild) live in the same list but are never this guild's.
      guilds: () => [
        guildObject({ ...state.guild, channels: state.guild.channels.filter((c) => !this.otherGuilds.has(c.guildId ?? '')) }, state.bot),
        ...[...this.otherGuilds.values()]
          .filter((g) => g.announced)
          .map((g) => guildObject({ ...g, ownerId: state.guild.ownerId, channels: state.guild.channels.filter((c) => c.guildId === g.id) }, state.bot)),
      ],
      shards: () => state.shards,
      onEvent: () => state.changed(),
    });
  }

  static async start(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    const applicationId = snowflake();
    const bot: FakeUser = { id: applicationId, username: 'quizbot', globalName: 'Quizbot', nick: null, permissions: 0n, bot: true };
    const channels: FakeChannel[] = [{ id: snowflake(), name: 'general' }, ...(options.channels ?? []).map((c) => ({ ...c, id: snowflake() }))];
    // Sharded, the test guild is shard 0's.
    const guild = { id: snowflake(options.shards ? { id: 0, count: options.shards } : undefined), name: 'MoE study group', ownerId: snowflake(), joinedAt: new Date().toISOString(), channels };
    const token = `${Buffer.from(applicationId).toString('base64url')}.fake.${randomBytes(18).toString('base64url')}`;
    const state = new DiscordState(token, applicationId, bot, guild);
    state.ackDeadlineMs = options.ackDeadlineMs;
    state.shards = options.shards ?? 1;
    const server = createServer({ keepAlive: true });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fake = new FakeDiscord(server, state, options);
    state.baseUrl = fake.baseUrl;
    return fake;
  }

  get baseUrl(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }
  /** For DISCORD_API_URL / discord.js `rest.api`. */
  get apiUrl(): string {
    return `${this.baseUrl}/api`;
  }
  get gatewayUrl(): string {
    return this.baseUrl.replace(/^http/, 'ws');
  }
  get token(): string {
    return this.state.token;
  }
  get applicationId(): string {
    return this.state.applicationId;
  }
  get guildId(): string {
    return this.state.guild.id;
  }
  /** The application's Ed25519 public key, hex (Developer Portal → General Information → Public Key). */
  get publicKey(): string {
    return Buffer.from(this.keys.publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');
  }
  channel(name = 'general'): FakeChannel {
    const c = this.state.guild.channels.find((ch) => ch.name === name);
    if (!c) throw new Error(`no channel #${name}`);
    return c;
  }

  /**
   * Another server the bot is in (a second tenant). Its channels are served like the test guild's
   * (GET /channels/{id} names this guild), and interactions in them come from this guild. The
   * gateway does not announce it, so discord.js meets it as an uncached guild, as it would a
   * server whose GUILD_CREATE has not arrived.
   */
  addGuild(name: string, channelNames: string[], options: { shard?: number; announce?: boolean } = {}): { id: string; channels: FakeChannel[] } {
    // `shard`: an id that shard serves; `announce`: the gateway sends it to that shard at IDENTIFY.
    const id = options.shard === undefined ? snowflake() : snowflake({ id: options.shard, count: this.state.shards });
    this.otherGuilds.set(id, { id, name, joinedAt: new Date().toISOString(), announced: Boolean(options.announce) });
    const channels: FakeChannel[] = channelNames.map((n) => ({ id: snowflake(), name: n, guildId: id }));
    // The REST routes look channels up in this one list.
    this.state.guild.channels.push(...channels);
    return { id, channels };
  }

  /** The environment that points the bot at this fake. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return { DISCORD_TOKEN: this.token, DISCORD_APPLICATION_ID: this.applicationId, DISCORD_API_URL: this.apiUrl, ...extra };
  }

  user(username: string, options: { admin?: boolean; nick?: string } = {}): FakeUser {
    return { id: snowflake(), username, globalName: username[0]!.toUpperCase() + username.slice(1), nick: options.nick ?? null, permissions: options.admin ? PERMISSIONS.MANAGE_GUILD : 0n };
  }

  /** Resolves once a bot has identified on the gateway. */
  async connected(): Promise<void> {
    await this.waitFor(() => (this.gateway.connected && this.gateway.identifies.length ? true : undefined), 'the bot to identify on the gateway');
  }

  /**
   * Waits until `check` returns something, re-checking on every request the fake receives (or,
   * with `event`, only on those about one interaction).
   */
  waitFor<T>(check: () => T | undefined, what: string, timeoutMs = 15_000, event = 'change'): Promise<T> {
    return new Promise((resolve, reject) => {
      const tryNow = () => {
        let value: T | undefined;
        try {
          value = check();
        } catch (err) {
          done();
          reject(err);
          return;
        }
        if (value !== undefined) {
          done();
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        done();
        const recent = this.state.requests.slice(-8).map((r) => `${r.method} ${r.path} → ${r.status}`);
        reject(new Error(`gave up waiting for ${what}; last requests:\n  ${recent.join('\n  ')}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.state.off(event, tryNow);
      };
      this.state.on(event, tryNow);
      tryNow();
    });
  }

  // ---- Building and delivering interactions (documented INTERACTION_CREATE payloads) ----

  private base(user: FakeUser, type: number, data: Json, options: { channel?: FakeChannel; dm?: boolean }): Json {
    const id = snowflake();
    const token = `aW50ZXJhY3Rpb24${randomBytes(24).toString('base64url')}`;
    const common = {
      id,
      application_id: this.applicationId,
      type,
      data,
      token,
      version: 1,
      app_permissions: String(MEMBER_PERMISSIONS),
      locale: 'en-US',
      entitlements: [],
      attachment_size_limit: 10 * 1024 * 1024,
    };
    if (options.dm) {
      const channelId = snowflake();
      return {
        ...common,
        channel: { id: channelId, type: 1, last_message_id: null, flags: 0, recipients: [userObject(user)] },
        channel_id: channelId,
        user: userObject(user),
        authorizing_integration_owners: { '0': this.guildId },
        context: 1,
      };
    }
    const channel = options.channel ?? this.channel();
    const position = this.state.guild.channels.indexOf(channel);
    const other = this.otherGuildOf(channel);
    const guildId = other?.id ?? this.guildId;
    return {
      ...common,
      guild_id: guildId,
      guild: { id: guildId, locale: 'en-US', features: [] },
      guild_locale: 'en-US',
      channel: channelObject(channel, guildId, position),
      channel_id: channel.id,
      member: memberObject(user, other?.joinedAt ?? this.state.guild.joinedAt),
      authorizing_integration_owners: { '0': guildId },
      context: 0,
    };
  }

  /**
   * Delivers an interaction (INTERACTION_CREATE over the gateway, to the shard of its guild, or a
   * signed POST to the interactions endpoint) and tracks what the bot answers.
   */
  deliver(payload: Json): SentInteraction {
    let sent = this.state.interactions.get(payload.id);
    if (!sent) {
      sent = { id: payload.id, token: payload.token, payload, dispatchedAt: 0, callbacks: [], followUpIds: [], originalEdits: 0 };
      this.state.interactions.set(sent.id, sent);
      this.state.byToken.set(sent.token, sent);
    }
    sent.dispatchedAt = performance.now();
    if (this.endpoint) {
      void this.postInteraction(sent, false);
      return sent;
    }
    const reached = this.gateway.dispatch('INTERACTION_CREATE', payload);
    if (reached.length === 0) throw new Error('no bot is connected to the fake gateway');
    sent.shard = reached[0];
    return sent;
  }

  /** Discord re-delivering an interaction it already sent (same id and token). */
  redeliver(sent: SentInteraction): Promise<void> {
    if (this.endpoint) return this.postInteraction(sent, true);
    if (this.gateway.dispatch('INTERACTION_CREATE', sent.payload).length === 0) throw new Error('no bot is connected to the fake gateway');
    return Promise.resolve();
  }

  // ---- The interactions endpoint (https://discord.com/developers/docs/interactions/overview#configuring-an-interactions-endpoint-url) ----

  /** From now on, interactions go to the bot's endpoint at `url` as signed HTTP POSTs. */
  sendInteractionsTo(url: string): void {
    this.endpoint = url;
  }

  /** The signature headers Discord sends: Ed25519 over timestamp + body, by the application's key (or `key`). */
  signatureHeaders(body: string, options: { timestamp?: number; key?: KeyObject } = {}): Record<string, string> {
    const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
    const signature = sign(null, Buffer.from(timestamp + body), options.key ?? this.keys.privateKey).toString('hex');
    return { 'x-signature-ed25519': signature, 'x-signature-timestamp': timestamp };
  }

  /** Connections to the bot's endpoint are kept open, as Discord keeps them. */
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });

  /**
   * POSTs a signed delivery; the answer's time is when its headers arrived. Past `timeoutMs` the
   * request is abandoned, as Discord abandons it at 3 s.
   */
  private post(body: string, timeoutMs: number): Promise<{ status: number; contentType: string; text: string; arrivedAt: number }> {
    return new Promise((resolve, reject) => {
      const req = request(
        this.endpoint!,
        {
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'Discord-Interactions/1.0 (+https://discord.com)', ...this.signatureHeaders(body) },
        },
        (res) => {
          const arrivedAt = performance.now();
          clearTimeout(timer);
          const parts: Buffer[] = [];
          res.on('data', (d: Buffer) => parts.push(d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? '', text: Buffer.concat(parts).toString('utf8'), arrivedAt }));
          res.on('error', reject);
        },
      );
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      req.on('error', (err) => {
        clearTimeout(timer);
        // A kept-alive connection the bot closed just as it was reused (Node's documented race): send again.
        if (req.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET') this.post(body, timeoutMs).then(resolve, reject);
        else reject(err);
      });
      req.end(body);
    });
  }

  /** A raw POST to the endpoint, with whatever headers: what an attacker (or Discord's own URL check) sends. */
  async postToEndpoint(body: string, headers: Record<string, string>, url = this.endpoint): Promise<{ status: number; text: string; contentType: string }> {
    if (!url) throw new Error('no interactions endpoint set (sendInteractionsTo)');
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal: AbortSignal.timeout(20_000) });
    return { status: res.status, text: await res.text(), contentType: res.headers.get('content-type') ?? '' };
  }

  /**
   * Sends an interaction to the endpoint. The HTTP response, within the deadline (Discord's 3 s
   * with ackDeadlineMs, else 10 s), is the first response and is checked like a callback; a
   * re-delivery's response is only recorded. Anything else is the request failing, as Discord
   * would show it ("This interaction failed"): recorded as a refusal and as `deliveryError`.
   */
  private async postInteraction(sent: SentInteraction, repeat: boolean): Promise<void> {
    const body = JSON.stringify(sent.payload);
    const refuse = (status: number, why: string) => {
      if (!repeat) sent.deliveryError = why;
      this.state.record({ method: 'RESPONSE', path: `/discord/interactions (${why})`, query: new URLSearchParams(), body: undefined, files: [], authorized: true, status, at: performance.now() });
    };
    try {
      let res: { status: number; contentType: string; text: string; arrivedAt: number };
      try {
        res = await this.post(body, this.state.ackDeadlineMs ?? 10_000);
      } catch (err) {
        // Unreachable or too slow: no answer at all (not a refusal of something the bot sent).
        if (!repeat) sent.deliveryError = `the interactions endpoint did not answer: ${(err as Error).message}`;
        return;
      }
      const { text, arrivedAt } = res;
      if (repeat) {
        (sent.repeatResponses ??= []).push({ status: res.status, body: text });
        return;
      }
      if (res.status !== 200) return refuse(res.status, `HTTP ${res.status} ${text.slice(0, 60).trim()}`);
      if (!res.contentType.startsWith('application/json')) return refuse(400, `not JSON (${res.contentType})`);
      let response: Json;
      try {
        response = JSON.parse(text);
      } catch {
        return refuse(400, 'invalid JSON');
      }
      try {
        this.rest.acknowledge(sent, response, [], false, arrivedAt);
        this.state.record({ method: 'RESPONSE', path: '/discord/interactions', query: new URLSearchParams(), body: response, files: [], authorized: true, status: 200, at: arrivedAt });
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        refuse(err.status, `${err.message}${err.errors ? ': ' + err.errors.join('; ') : ''}`);
      }
    } finally {
      this.state.changed(sent.id);
    }
  }

  /** The registered command (guild first, then global) with this name, as the bot registered it. */
  registeredCommand(name: string): Json | undefined {
    return [...(this.state.guildCommands.get(this.guildId) ?? []), ...this.state.globalCommands].find((c) => c.name === name);
  }

  /**
   * A user runs `/command [subcommand] options…`. Option types come from the registered command
   * when there is one (as Discord would); otherwise they are inferred from the values.
   */
  slash(user: FakeUser, command: string, options: Record<string, string | number | boolean> = {}, where: SlashWhere = {}): SentInteraction {
    return this.deliver(this.slashPayload(user, command, options, where));
  }

  /** The payload of a slash command (see slash), built but not delivered. */
  slashPayload(user: FakeUser, command: string, options: Record<string, string | number | boolean> = {}, where: SlashWhere = {}): Json {
    const registered = this.registeredCommand(command);
    const specs: Json[] = (where.subcommand ? registered?.options?.find((o: Json) => o.name === where.subcommand)?.options : registered?.options) ?? [];
    const typeOf = (name: string, value: unknown) =>
      specs.find((o) => o.name === name)?.type ?? (typeof value === 'boolean' ? 5 : typeof value === 'number' ? 4 : 3);
    const list: Json[] = Object.entries(options).map(([name, value]) => ({ name, type: typeOf(name, value), value, ...(where.focused === name ? { focused: true } : {}) }));
    const resolved: Json = {};
    for (const [name, attachment] of Object.entries(where.attachments ?? {})) {
      list.push({ name, type: 11, value: attachment.id });
      resolved.attachments = { ...(resolved.attachments ?? {}), [attachment.id]: attachment };
    }
    const data: Json = {
      id: registered?.id ?? snowflake(),
      name: command,
      type: 1,
      // A guild command belongs to its guild; in another server the same name is another command.
      ...(registered?.guild_id && !this.otherGuildOf(where.channel) ? { guild_id: registered.guild_id } : {}),
      options: where.subcommand ? [{ name: where.subcommand, type: 1, options: list }] : list,
      ...(Object.keys(resolved).length ? { resolved } : {}),
    };
    const type = where.focused ? InteractionType.AUTOCOMPLETE : InteractionType.APPLICATION_COMMAND;
    return this.base(user, type, data, where);
  }

  /** A file a user attached: served by the fake, described as Discord's resolved attachment. */
  upload(name: string, content: string | Buffer, contentType = 'text/plain'): Json {
    return this.state.attach({ name, contentType, data: Buffer.isBuffer(content) ? content : Buffer.from(content) });
  }

  /** A user presses the button whose label matches (or whose custom id equals `which`). */
  press(user: FakeUser, message: FakeMessage, which: string | RegExp): SentInteraction {
    return this.deliver(this.pressPayload(user, message, which));
  }

  /** The payload of a button press (see press), built but not delivered. */
  pressPayload(user: FakeUser, message: FakeMessage, which: string | RegExp): Json {
    const button = buttonsOf(message).find((b) => (typeof which === 'string' ? b.label === which || b.custom_id === which : which.test(b.label ?? '')));
    if (!button) throw new Error(`no button ${String(which)} on the message; buttons: ${buttonsOf(message).map((b) => b.label).join(', ')}`);
    const payload = this.base(user, InteractionType.MESSAGE_COMPONENT, { custom_id: button.custom_id, component_type: 2 }, this.whereOf(message));
    return { ...payload, message: structuredClone(message) };
  }

  /** A user picks values in the message's select menu. */
  select(user: FakeUser, message: FakeMessage, values: string[]): SentInteraction {
    const menu = message.components.flatMap((r) => r.components as Json[]).find((c) => c.type === 3);
    if (!menu) throw new Error('no select menu on the message');
    const payload = this.base(user, InteractionType.MESSAGE_COMPONENT, { custom_id: menu.custom_id, component_type: 3, values }, this.whereOf(message));
    return this.deliver({ ...payload, message: structuredClone(message) });
  }

  /** A user fills in the modal the bot opened in answer to `opened` and submits it. */
  submitModal(user: FakeUser, opened: SentInteraction, text: string): SentInteraction {
    const modal = opened.callbacks.find((c) => c.type === CallbackType.MODAL)?.data;
    if (!modal) throw new Error('the bot did not open a modal');
    const components = (modal.components as Json[]).map((c, n) =>
      c.type === 18
        ? { type: 18, id: n * 2 + 1, component: { type: 4, id: n * 2 + 2, custom_id: c.component.custom_id, value: text } }
        : { type: 1, id: n * 2 + 1, components: [{ type: 4, id: n * 2 + 2, custom_id: c.components[0].custom_id, value: text }] },
    );
    const source = opened.payload.message as FakeMessage | undefined;
    const payload = this.base(user, InteractionType.MODAL_SUBMIT, { custom_id: modal.custom_id, components }, source ? this.whereOf(source) : {});
    return this.deliver(source ? { ...payload, message: structuredClone(this.state.messages.get(source.id) ?? source) } : payload);
  }

  /** The server added with addGuild that a channel belongs to, if any. */
  private otherGuildOf(channel: FakeChannel | undefined): { id: string; joinedAt: string } | undefined {
    return channel?.guildId === undefined ? undefined : this.otherGuilds.get(channel.guildId);
  }

  private whereOf(message: FakeMessage): { channel?: FakeChannel } {
    return { channel: this.state.guild.channels.find((c) => c.id === message.channel_id) };
  }

  // ---- Waiting for the bot's answers ----

  /** The first interaction callback for `sent`. */
  callback(sent: SentInteraction, timeoutMs?: number): Promise<Callback> {
    return this.waitFor(
      () => {
        if (sent.deliveryError && !sent.callbacks.length) throw new Error(`interaction ${sent.id} failed: ${sent.deliveryError}`);
        return sent.callbacks[0];
      },
      `a callback for interaction ${sent.id}`,
      timeoutMs,
      `interaction:${sent.id}`,
    );
  }

  /**
   * Waits until the bot has settled its answer: an immediate reply or update, or a deferral
   * followed by an edit of the original response or a follow-up.
   */
  async outcome(sent: SentInteraction, options: { followUps?: number; timeoutMs?: number } = {}): Promise<Outcome> {
    const callback = await this.callback(sent, options.timeoutMs);
    const want = options.followUps ?? 0;
    return this.waitFor(() => {
      const followUps = sent.followUpIds.map((id) => this.state.messages.get(id)!);
      const original = sent.originalId ? this.state.messages.get(sent.originalId) : undefined;
      const message = original && !original.deleted ? original : undefined;
      const deferred = callback.type === CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE || callback.type === CallbackType.DEFERRED_UPDATE_MESSAGE;
      if (followUps.length < want) return undefined;
      if (deferred && sent.originalEdits === 0 && followUps.length === 0) return undefined;
      // What the user sees: the response (edited or updated), or the follow-up that took its place.
      return { callback, message: message && (sent.originalEdits || !deferred) ? message : followUps[0], followUps };
    }, `the bot's answer to interaction ${sent.id}`, options.timeoutMs, `interaction:${sent.id}`);
  }

  /** Messages the bot posted in a channel by itself (not as an interaction response). */
  channelPosts(channel: FakeChannel): FakeMessage[] {
    return [...this.state.messages.values()].filter((m) => m.channel_id === channel.id && !m.interaction_metadata && !m.deleted);
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    await this.gateway.close();
    await closeNow(this.server);
  }
}

/** Everything a user reads in a message: content, embed titles, descriptions and fields. */
export function textOf(message: FakeMessage | undefined): string {
  if (!message) return '';
  const parts = [message.content];
  for (const e of message.embeds) parts.push(e.title ?? '', e.description ?? '', ...((e.fields ?? []) as Json[]).flatMap((f) => [f.name, f.value]));
  return parts.filter(Boolean).join('\n');
}

/** Discord markdown back to the words a user reads: escaped punctuation unescaped, zero-width spaces gone. */
export function plainTextOf(text: string): string {
  return text.replace(/\\([^\sA-Za-z0-9])/g, '$1').replace(/\u200b/g, '');
}

export function buttonsOf(message: FakeMessage | undefined): Json[] {
  return (message?.components ?? []).flatMap((row) => (row.components as Json[]).filter((c) => c.type === 2));
}

export function isEphemeral(message: FakeMessage | undefined): boolean {
  return Boolean((message?.flags ?? 0) & EPHEMERAL);
}
