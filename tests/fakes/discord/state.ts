import { EventEmitter } from 'node:events';
import {
  snowflake,
  userObject,
  type FakeGuild,
  type FakeMessage,
  type FakeUser,
  type Json,
  type RecordedRequest,
  type SentInteraction,
  type StoredFile,
} from './model.js';

/** Everything the fake Discord knows; emits 'change' whenever something was recorded. */
export class DiscordState extends EventEmitter {
  readonly messages = new Map<string, FakeMessage>();
  readonly interactions = new Map<string, SentInteraction>();
  readonly byToken = new Map<string, SentInteraction>();
  readonly globalCommands: Json[] = [];
  readonly guildCommands = new Map<string, Json[]>();
  readonly requests: RecordedRequest[] = [];
  /** Attachment id → file: what users uploaded and what the bot attached. */
  readonly files = new Map<string, StoredFile & { attachment: Json }>();
  baseUrl = '';
  /** When set, a callback later than this after dispatch gets 10062 Unknown interaction, as on Discord. */
  ackDeadlineMs: number | undefined;
  /** Shards GET /gateway/bot recommends (and the gateway requires). */
  shards = 1;
  /** The application's public key (hex), which signs interactions sent to an interactions endpoint. */
  verifyKey = '';

  constructor(
    readonly token: string,
    readonly applicationId: string,
    readonly bot: FakeUser,
    readonly guild: FakeGuild,
  ) {
    super();
    this.setMaxListeners(0);
  }

  /** Something was recorded; `interactionId` also wakes those waiting on that interaction alone. */
  changed(interactionId?: string): void {
    this.emit('change');
    if (interactionId) this.emit(`interaction:${interactionId}`);
  }

  /** Stores a file as an attachment object with a URL the fake serves. */
  attach(file: StoredFile, description?: string): Json {
    const id = snowflake();
    const url = `${this.baseUrl}/attachments/${id}/${encodeURIComponent(file.name)}`;
    const attachment = {
      id,
      filename: file.name,
      size: file.data.length,
      url,
      proxy_url: url,
      content_type: file.contentType,
      ...(description ? { description } : {}),
    };
    this.files.set(id, { ...file, attachment });
    return attachment;
  }

  /**
   * The attachments of a created or edited message. `attachments` in the body lists what to keep
   * (existing ids) and describes new files by their index in the upload; absent, an edit keeps all.
   */
  private attachmentsOf(body: Json, files: StoredFile[], existing: Json[]): Json[] {
    if (body.attachments === undefined) return [...existing, ...files.map((f) => this.attach(f))];
    const out: Json[] = [];
    for (const a of body.attachments as Json[]) {
      const kept = existing.find((e) => e.id === String(a.id));
      if (kept) out.push(kept);
      else if (files[Number(a.id)]) out.push(this.attach(files[Number(a.id)]!, a.description));
    }
    return out;
  }

  createMessage(channelId: string, body: Json, files: StoredFile[], extra: Json = {}): FakeMessage {
    const message: FakeMessage = {
      id: snowflake(),
      channel_id: channelId,
      guild_id: this.guild.id,
      author: userObject(this.bot),
      content: body.content ?? '',
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: this.attachmentsOf(body, files, []),
      embeds: body.embeds ?? [],
      reactions: [],
      pinned: false,
      type: 0,
      flags: body.flags ?? 0,
      components: body.components ?? [],
      // Not part of Discord's message object: what the bot asked for, kept for assertions.
      allowed_mentions: body.allowed_mentions,
      ...extra,
    };
    this.messages.set(message.id, message);
    return message;
  }

  editMessage(message: FakeMessage, body: Json, files: StoredFile[]): FakeMessage {
    if (body.content !== undefined) message.content = body.content ?? '';
    if (body.embeds !== undefined) message.embeds = body.embeds ?? [];
    if (body.components !== undefined) message.components = body.components ?? [];
    if (body.allowed_mentions !== undefined) message.allowed_mentions = body.allowed_mentions;
    message.attachments = this.attachmentsOf(body, files, message.attachments);
    message.edited_timestamp = new Date().toISOString();
    return message;
  }

  record(request: RecordedRequest): void {
    this.requests.push(request);
  }
}
