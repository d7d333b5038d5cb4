/**
 * The fake Discord's data: users, the test guild and its channels, messages, and interactions with
 * what the bot answered. Shapes follow Discord's documented API objects (API v10).
 */

export type Json = Record<string, any>;

const DISCORD_EPOCH = 1420070400000n;
let increment = 0n;

/**
 * A snowflake: milliseconds since Discord's epoch, shifted, plus a counter. With `shard`, a
 * guild id that shard `id` of `count` serves ((id >> 22) % count), a few milliseconds back.
 */
export function snowflake(shard?: { id: number; count: number }): string {
  increment = (increment + 1n) & 0xfffn;
  let ms = BigInt(Date.now()) - DISCORD_EPOCH;
  if (shard) ms -= (((ms - BigInt(shard.id)) % BigInt(shard.count)) + BigInt(shard.count)) % BigInt(shard.count);
  return String((ms << 22n) | (1n << 17n) | increment);
}

/** Permission bits used here (https://discord.com/developers/docs/topics/permissions). */
export const PERMISSIONS = {
  ADMINISTRATOR: 1n << 3n,
  MANAGE_GUILD: 1n << 5n,
  VIEW_CHANNEL: 1n << 10n,
  SEND_MESSAGES: 1n << 11n,
  EMBED_LINKS: 1n << 14n,
  ATTACH_FILES: 1n << 15n,
  READ_MESSAGE_HISTORY: 1n << 16n,
  USE_APPLICATION_COMMANDS: 1n << 31n,
} as const;

export const MEMBER_PERMISSIONS =
  PERMISSIONS.VIEW_CHANNEL | PERMISSIONS.SEND_MESSAGES | PERMISSIONS.EMBED_LINKS | PERMISSIONS.ATTACH_FILES | PERMISSIONS.READ_MESSAGE_HISTORY | PERMISSIONS.USE_APPLICATION_COMMANDS;

export interface FakeUser {
  id: string;
  username: string;
  globalName: string | null;
  nick: string | null;
  /** Extra permission bits in the guild (e.g. MANAGE_GUILD for an admin). */
  permissions: bigint;
  bot?: boolean;
}

export function userObject(u: FakeUser): Json {
  return {
    id: u.id,
    username: u.username,
    discriminator: '0',
    global_name: u.globalName,
    avatar: null,
    public_flags: 0,
    flags: 0,
    ...(u.bot ? { bot: true } : {}),
    avatar_decoration_data: null,
    collectibles: null,
    primary_guild: null,
  };
}

export function memberObject(u: FakeUser, guildJoinedAt: string): Json {
  return {
    user: userObject(u),
    nick: u.nick,
    avatar: null,
    banner: null,
    roles: [],
    joined_at: guildJoinedAt,
    premium_since: null,
    deaf: false,
    mute: false,
    flags: 0,
    pending: false,
    permissions: String(MEMBER_PERMISSIONS | u.permissions),
    communication_disabled_until: null,
  };
}

export interface FakeChannel {
  id: string;
  name: string;
  /** The bot may not post here (403 Missing Access). */
  forbidden?: boolean;
  /** A channel of another server the bot is in: GET /channels/{id} names that guild. */
  guildId?: string;
}

export function channelObject(c: FakeChannel, guildId: string, position: number): Json {
  return {
    id: c.id,
    type: 0,
    guild_id: guildId,
    name: c.name,
    position,
    permission_overwrites: [],
    nsfw: false,
    topic: null,
    last_message_id: null,
    rate_limit_per_user: 0,
    parent_id: null,
    flags: 0,
  };
}

export interface FakeGuild {
  id: string;
  name: string;
  ownerId: string;
  joinedAt: string;
  channels: FakeChannel[];
}

export function guildObject(g: FakeGuild, bot: FakeUser): Json {
  return {
    id: g.id,
    name: g.name,
    icon: null,
    splash: null,
    discovery_splash: null,
    owner_id: g.ownerId,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 1,
    explicit_content_filter: 0,
    roles: [
      { id: g.id, name: '@everyone', color: 0, colors: { primary_color: 0, secondary_color: null, tertiary_color: null }, hoist: false, icon: null, unicode_emoji: null, position: 0, permissions: String(MEMBER_PERMISSIONS), managed: false, mentionable: false, flags: 0 },
    ],
    emojis: [],
    stickers: [],
    features: [],
    mfa_level: 0,
    application_id: null,
    system_channel_id: null,
    system_channel_flags: 0,
    rules_channel_id: null,
    max_members: 500000,
    vanity_url_code: null,
    description: null,
    banner: null,
    premium_tier: 0,
    premium_subscription_count: 0,
    preferred_locale: 'en-US',
    public_updates_channel_id: null,
    nsfw_level: 0,
    premium_progress_bar_enabled: false,
    safety_alerts_channel_id: null,
    // GUILD_CREATE extras (https://discord.com/developers/docs/events/gateway-events#guild-create)
    joined_at: g.joinedAt,
    large: false,
    unavailable: false,
    member_count: 1,
    voice_states: [],
    members: [memberObject(bot, g.joinedAt)],
    channels: g.channels.map((c, i) => channelObject(c, g.id, i)),
    threads: [],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}

/** A message as the fake stores it: the API object plus who may see it and its files. */
export interface FakeMessage extends Json {
  id: string;
  channel_id: string;
  content: string;
  embeds: Json[];
  components: Json[];
  attachments: Json[];
  flags: number;
  deleted?: boolean;
}

export interface Callback {
  type: number;
  data?: Json;
  files: StoredFile[];
  at: number;
}

export interface StoredFile {
  name: string;
  contentType: string;
  data: Buffer;
}

/** One interaction the fake delivered, and every response the bot made to it. */
export interface SentInteraction {
  id: string;
  token: string;
  payload: Json;
  /** performance.now() when INTERACTION_CREATE went out (for latency figures). */
  dispatchedAt: number;
  callbacks: Callback[];
  /** The response message (types 4/5) or, for components, the message the component is on (types 6/7). */
  originalId?: string;
  followUpIds: string[];
  /** Number of PATCH …/messages/@original calls. */
  originalEdits: number;
  /** Over the gateway: the shard whose session got the interaction. */
  shard?: number;
  /** At an interactions endpoint: why the delivery got no usable answer (unreachable, refused, late). */
  deliveryError?: string;
  /** At an interactions endpoint: what re-deliveries of the interaction were answered with. */
  repeatResponses?: { status: number; body: string }[];
}

/** Every REST request the fake received, for assertions on what the bot sent. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: any;
  files: StoredFile[];
  authorized: boolean;
  status: number;
  at: number;
}

/** Interaction types and callback types (https://discord.com/developers/docs/interactions/receiving-and-responding). */
export const InteractionType = { PING: 1, APPLICATION_COMMAND: 2, MESSAGE_COMPONENT: 3, AUTOCOMPLETE: 4, MODAL_SUBMIT: 5 } as const;
export const CallbackType = {
  PONG: 1,
  CHANNEL_MESSAGE_WITH_SOURCE: 4,
  DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: 5,
  DEFERRED_UPDATE_MESSAGE: 6,
  UPDATE_MESSAGE: 7,
  AUTOCOMPLETE_RESULT: 8,
  MODAL: 9,
} as const;

export const EPHEMERAL = 1 << 6;
export const LOADING = 1 << 7;
