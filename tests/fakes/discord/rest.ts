import type { IncomingMessage, ServerResponse } from 'node:http';
import { CallbackType, EPHEMERAL, InteractionType, LOADING, snowflake, userObject, type FakeMessage, type Json, type SentInteraction, type StoredFile } from './model.js';
import type { DiscordState } from './state.js';
import { autocompleteProblems, commandProblems, messageProblems, modalProblems } from './validate.js';

/**
 * The fake REST API (https://discord.com/developers/docs/reference), under /api/v10: the routes
 * discord.js calls for a bot that answers interactions and posts in channels. Errors use
 * Discord's JSON error shape and codes.
 */

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly errors?: string[],
  ) {
    super(message);
  }
}

const unknownInteraction = () => new HttpError(404, 10062, 'Unknown interaction');
const unknownWebhook = () => new HttpError(404, 10015, 'Unknown Webhook');
const unknownMessage = () => new HttpError(404, 10008, 'Unknown Message');

function invalid(problems: string[]): void {
  if (problems.length) throw new HttpError(400, 50035, 'Invalid Form Body', problems);
}

interface Parsed {
  body: any;
  files: StoredFile[];
}

/** JSON, or multipart/form-data with `payload_json` and `files[n]` parts. */
async function parseBody(req: IncomingMessage): Promise<Parsed> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const type = req.headers['content-type'] ?? '';
  if (raw.length === 0) return { body: undefined, files: [] };
  if (type.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
    const files: StoredFile[] = [];
    let body: any;
    for (const [name, value] of form.entries()) {
      if (name === 'payload_json') body = JSON.parse(String(value));
      const match = /^files\[(\d+)\]$/.exec(name);
      if (match && typeof value !== 'string') {
        files[Number(match[1])] = { name: value.name, contentType: value.type || 'application/octet-stream', data: Buffer.from(await value.arrayBuffer()) };
      }
    }
    return { body, files };
  }
  try {
    return { body: JSON.parse(raw.toString('utf8')), files: [] };
  } catch {
    throw new HttpError(400, 50109, 'The request body contains invalid JSON.');
  }
}

export class FakeRest {
  constructor(
    private readonly state: DiscordState,
    private readonly gatewayUrl: () => string,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // When the request arrived, before its body is read: what latency figures measure to.
    const arrivedAt = performance.now();
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const authorized = req.headers.authorization === `Bot ${this.state.token}`;
    let status = 200;
    let parsed: Parsed = { body: undefined, files: [] };
    let result: unknown;
    try {
      parsed = await parseBody(req);
      result = await this.route(method, url, parsed, authorized, arrivedAt);
      if (result === undefined) status = 204;
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, 0, String((err as Error)?.message ?? err));
      status = e.status;
      result = { message: e.message, code: e.code, ...(e.errors ? { errors: e.errors } : {}) };
    }
    this.state.record({ method, path: url.pathname, query: url.searchParams, body: parsed.body, files: parsed.files, authorized, status, at: arrivedAt });
    if (result instanceof Buffer) {
      res.writeHead(status, { 'content-type': 'application/octet-stream', 'content-length': result.length });
      res.end(result);
    } else if (status === 204) {
      res.writeHead(204);
      res.end();
    } else {
      const text = JSON.stringify(result);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    }
    this.state.changed(this.interactionOf(url.pathname));
  }

  /** The interaction a callback or webhook request belongs to, if any. */
  private interactionOf(path: string): string | undefined {
    const m = /^\/api\/v10\/(?:interactions\/(\d+)\/|webhooks\/\d+\/([^/]+))/.exec(path);
    if (!m) return undefined;
    return m[1] ?? this.state.byToken.get(m[2]!)?.id;
  }

  private needAuth(authorized: boolean): void {
    if (!authorized) throw new HttpError(401, 0, '401: Unauthorized');
  }

  private async route(method: string, url: URL, { body, files }: Parsed, authorized: boolean, arrivedAt: number): Promise<unknown> {
    // discord.js sends `@original` percent-encoded; Discord accepts both spellings.
    const path = url.pathname.replace(/%40/gi, '@');
    const s = this.state;
    let m: RegExpExecArray | null;

    if ((m = /^\/attachments\/(\d+)\/[^/]+$/.exec(path)) && method === 'GET') {
      const file = s.files.get(m[1]!);
      if (!file) throw new HttpError(404, 0, 'Not Found');
      return file.data;
    }
    if (!path.startsWith('/api/v10/')) throw new HttpError(404, 0, '404: Not Found');
    const route = path.slice('/api/v10'.length);

    if ((m = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(route)) && method === 'POST') {
      const i = this.state.interactions.get(m[1]!);
      if (!i || i.token !== m[2]) throw unknownInteraction();
      return this.acknowledge(i, body, files, url.searchParams.get('with_response') === 'true', arrivedAt);
    }
    if ((m = /^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/(@original|\d+))?$/.exec(route))) {
      return this.webhook(method, m[1]!, m[2]!, m[3], body, files);
    }

    if (route === '/gateway' && method === 'GET') return { url: this.gatewayUrl() };
    this.needAuth(authorized);
    if (route === '/gateway/bot' && method === 'GET') {
      // Big bots may identify several shards at once (max_concurrency): so may this one's.
      return { url: this.gatewayUrl(), shards: s.shards, session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: s.shards } };
    }
    if (route === '/users/@me' && method === 'GET') return userObject(s.bot);
    if (route === '/applications/@me' && method === 'GET') {
      return { id: s.applicationId, name: 'Quizbot', icon: null, description: '', bot_public: true, bot_require_code_grant: false, verify_key: s.verifyKey, flags: 0, bot: userObject(s.bot) };
    }
    if ((m = /^\/applications\/(\d+)\/(?:guilds\/(\d+)\/)?commands$/.exec(route))) {
      if (m[1] !== s.applicationId) throw new HttpError(403, 50001, 'Missing Access');
      const guildId = m[2];
      if (guildId && guildId !== s.guild.id) throw new HttpError(403, 50001, 'Missing Access');
      const list = guildId ? (s.guildCommands.get(guildId) ?? []) : s.globalCommands;
      if (method === 'GET') return list;
      if (method === 'PUT') {
        invalid(commandProblems(body));
        const stored = (body as Json[]).map((c) => ({
          id: snowflake(),
          application_id: s.applicationId,
          version: snowflake(),
          type: 1,
          default_member_permissions: null,
          nsfw: false,
          ...(guildId ? { guild_id: guildId } : {}),
          ...c,
        }));
        if (guildId) s.guildCommands.set(guildId, stored);
        else s.globalCommands.splice(0, s.globalCommands.length, ...stored);
        return stored;
      }
    }
    if ((m = /^\/channels\/(\d+)(?:\/messages(?:\/(\d+))?)?$/.exec(route))) {
      return this.channel(method, m[1]!, route.includes('/messages'), m[2], body, files);
    }
    throw new HttpError(404, 0, '404: Not Found');
  }

  private channel(method: string, channelId: string, messages: boolean, messageId: string | undefined, body: Json, files: StoredFile[]): unknown {
    const s = this.state;
    const index = s.guild.channels.findIndex((c) => c.id === channelId);
    const channel = s.guild.channels[index];
    if (!channel) throw new HttpError(404, 10003, 'Unknown Channel');
    if (channel.forbidden) throw new HttpError(403, 50001, 'Missing Access');
    if (!messages && method === 'GET') return { id: channel.id, type: 0, guild_id: channel.guildId ?? s.guild.id, name: channel.name, position: index, permission_overwrites: [], nsfw: false };
    if (messages && !messageId && method === 'POST') {
      invalid(messageProblems(body, { create: true, fileCount: files.length }));
      return s.createMessage(channelId, { ...body, flags: (body?.flags ?? 0) & 4 }, files);
    }
    if (messageId) {
      const message = s.messages.get(messageId);
      if (!message || message.deleted || message.channel_id !== channelId) throw unknownMessage();
      if (method === 'GET') return message;
      if (method === 'PATCH') {
        invalid(messageProblems(body, { create: false, fileCount: files.length }));
        return s.editMessage(message, body ?? {}, files);
      }
      if (method === 'DELETE') {
        message.deleted = true;
        return undefined;
      }
    }
    throw new HttpError(405, 0, '405: Method Not Allowed');
  }

  private interactionMetadata(i: SentInteraction): Json {
    const user = i.payload.member?.user ?? i.payload.user;
    return { id: i.id, type: i.payload.type, user, authorizing_integration_owners: i.payload.authorizing_integration_owners };
  }

  private responseMessage(i: SentInteraction, data: Json, files: StoredFile[], flags: number): FakeMessage {
    return this.state.createMessage(i.payload.channel_id, { ...data, flags }, files, {
      type: i.payload.type === InteractionType.APPLICATION_COMMAND ? 20 : 19,
      application_id: this.state.applicationId,
      webhook_id: this.state.applicationId,
      interaction_metadata: this.interactionMetadata(i),
    });
  }

  /**
   * The first response to an interaction, as POST /interactions/{id}/{token}/callback or, at the
   * bot's interactions endpoint, as the HTTP response: checked and applied the same way.
   */
  acknowledge(i: SentInteraction, body: Json, files: StoredFile[], withResponse: boolean, arrivedAt: number): unknown {
    if (this.state.ackDeadlineMs !== undefined && arrivedAt - i.dispatchedAt > this.state.ackDeadlineMs) throw unknownInteraction();
    if (i.callbacks.length) throw new HttpError(400, 40060, 'Interaction has already been acknowledged.');
    const kind: number = i.payload.type;
    const type: number = body?.type;
    const data: Json = body?.data ?? {};
    const fromMessage = Boolean(i.payload.message);
    const allowed: Record<number, boolean> = {
      [CallbackType.CHANNEL_MESSAGE_WITH_SOURCE]: kind !== InteractionType.AUTOCOMPLETE,
      [CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE]: kind !== InteractionType.AUTOCOMPLETE,
      [CallbackType.DEFERRED_UPDATE_MESSAGE]: fromMessage,
      [CallbackType.UPDATE_MESSAGE]: fromMessage,
      [CallbackType.AUTOCOMPLETE_RESULT]: kind === InteractionType.AUTOCOMPLETE,
      [CallbackType.MODAL]: kind === InteractionType.APPLICATION_COMMAND || kind === InteractionType.MESSAGE_COMPONENT,
    };
    if (!allowed[type]) throw new HttpError(400, 50035, 'Invalid Form Body', [`type: callback type ${type} is not valid for interaction type ${kind}`]);
    let message: FakeMessage | undefined;
    switch (type) {
      case CallbackType.CHANNEL_MESSAGE_WITH_SOURCE:
        invalid(messageProblems(data, { create: true, fileCount: files.length }));
        message = this.responseMessage(i, data, files, (data.flags ?? 0) & (EPHEMERAL | 4 | 4096));
        i.originalId = message.id;
        break;
      case CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE:
        message = this.responseMessage(i, {}, [], ((data.flags ?? 0) & EPHEMERAL) | LOADING);
        i.originalId = message.id;
        break;
      case CallbackType.DEFERRED_UPDATE_MESSAGE:
        i.originalId = i.payload.message.id;
        break;
      case CallbackType.UPDATE_MESSAGE: {
        invalid(messageProblems(data, { create: false, fileCount: files.length }));
        const source = this.state.messages.get(i.payload.message.id);
        if (!source) throw unknownMessage();
        message = this.state.editMessage(source, data, files);
        i.originalId = source.id;
        break;
      }
      case CallbackType.AUTOCOMPLETE_RESULT:
        invalid(autocompleteProblems(data));
        break;
      case CallbackType.MODAL:
        invalid(modalProblems(data));
        break;
    }
    i.callbacks.push({ type, data, files, at: arrivedAt });
    if (!withResponse) return undefined;
    return {
      interaction: { id: i.id, type: i.payload.type, activity_instance_id: null, response_message_id: message?.id ?? null, response_message_loading: type === 5, response_message_ephemeral: Boolean((message?.flags ?? 0) & EPHEMERAL) },
      resource: message ? { type, message } : { type },
    };
  }

  private webhook(method: string, appId: string, token: string, messageId: string | undefined, body: Json, files: StoredFile[]): unknown {
    const i = this.state.byToken.get(token);
    if (appId !== this.state.applicationId || !i || !i.callbacks.length) throw unknownWebhook();
    if (!messageId) {
      if (method !== 'POST') throw new HttpError(405, 0, '405: Method Not Allowed');
      invalid(messageProblems(body, { create: true, fileCount: files.length }));
      let flags = (body?.flags ?? 0) & (EPHEMERAL | 4 | 4096);
      const original = i.originalId ? this.state.messages.get(i.originalId) : undefined;
      if (original && original.flags & LOADING) {
        // Documented rule: the first follow-up to a deferred response that is still loading
        // resolves it, and its flags are ignored: it is ephemeral exactly when the deferral was.
        flags = (flags & ~EPHEMERAL) | (original.flags & EPHEMERAL);
        if (!original.deleted) {
          this.state.editMessage(original, { ...body, components: body?.components ?? [], embeds: body?.embeds ?? [] }, files);
          original.flags = (original.flags & ~LOADING) | flags;
          i.followUpIds.push(original.id);
          return original;
        }
        original.flags &= ~LOADING;
      }
      const message = this.responseMessage(i, body ?? {}, files, flags);
      i.followUpIds.push(message.id);
      return message;
    }
    const id = messageId === '@original' ? i.originalId : messageId;
    const message = id && (id === i.originalId || i.followUpIds.includes(id)) ? this.state.messages.get(id) : undefined;
    if (!message || message.deleted) throw unknownMessage();
    if (method === 'GET') return message;
    if (method === 'DELETE') {
      message.deleted = true;
      return undefined;
    }
    if (method === 'PATCH') {
      invalid(messageProblems(body, { create: false, fileCount: files.length }));
      this.state.editMessage(message, body ?? {}, files);
      message.flags &= ~LOADING;
      if (messageId === '@original') i.originalEdits++;
      return message;
    }
    throw new HttpError(405, 0, '405: Method Not Allowed');
  }
}
