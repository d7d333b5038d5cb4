import { once } from 'node:events';
import { Client, DiscordAPIError, DiscordjsErrorCodes, Events, GatewayCloseCodes, GatewayDispatchEvents, GatewayIntentBits, Options, Routes, Status, type APIApplication, type APIInteraction, type REST } from 'discord.js';
import type { App } from '../../app.js';
import { ConfigError, type Config } from '../../config.js';
import type { Logger } from '../../logger.js';
import type { ShardStatus } from '../../ops/health.js';
import type { PlatformHandle } from '../platform.js';
import { discordPublicKey, INTERACTIONS_PATH, interactionsRoute } from './endpoint.js';
import { DiscordInteractions, loggableError, type InteractionOptions } from './interactions.js';
import { discordChannelCheck, discordPostSender } from './posts.js';
import { describeDiscordError, discordRest, registerSlashCommands } from './register.js';
import { callbackTransport } from './respond.js';

/**
 * Connects the bot to Discord in one of two ways. Over the gateway (the default): a discord.js
 * client (Guilds intent only: the bot reads no messages and needs no privileged intent), sharded
 * as DISCORD_SHARDS says. Over HTTP (DISCORD_PUBLIC_KEY set): no gateway connection at all;
 * Discord POSTs interactions to /discord/interactions on PORT. Either way interactions go into
 * the core, and the core's own posts (race rounds, daily quizzes) go out through REST. With
 * DISCORD_GUILD_ID set, the slash commands are registered in that server at start-up
 * (development); global registration is `quizbot discord register`.
 */

const TOKEN_REFUSED = 'Discord refused DISCORD_TOKEN (401). Reset the bot token in the Developer Portal.';

/** How long stopping waits for interactions still being answered. */
const STOP_GRACE_MS = 5000;

export async function startDiscord(app: App, logger: Logger, options: InteractionOptions = {}): Promise<PlatformHandle> {
  const config = app.services.config;
  const log = logger.child({ platform: 'discord' });
  return config.DISCORD_PUBLIC_KEY ? startHttp(app, log, config.DISCORD_PUBLIC_KEY, options) : startGateway(app, log, options);
}

/** Registers the commands in the development server, when one is set; a failure is logged, not fatal. */
async function registerInDevelopmentServer(config: Config, rest: REST, log: Logger): Promise<void> {
  if (!config.DISCORD_GUILD_ID) return;
  try {
    const { count } = await registerSlashCommands(config, rest);
    log.info({ guild: config.DISCORD_GUILD_ID, count }, 'slash commands registered in the development server');
  } catch (err) {
    log.warn({ error: loggableError(err) }, 'could not register slash commands; run `quizbot discord register`');
  }
}

async function startGateway(app: App, log: Logger, options: InteractionOptions): Promise<PlatformHandle> {
  const config = app.services.config;
  const shards = config.DISCORD_SHARDS;
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    rest: config.DISCORD_API_URL ? { api: config.DISCORD_API_URL } : {},
    allowedMentions: { parse: [] },
    // 'auto': as many shards as Discord recommends (GET /gateway/bot), all in this process.
    ...(shards === 'auto' ? { shards: 'auto' as const } : { shardCount: shards }),
    // Interactions carry everything the bot needs; caching messages and members only costs memory.
    makeCache: Options.cacheWithLimits({ ...Options.DefaultMakeCacheSettings, MessageManager: 0, GuildMemberManager: 0, UserManager: 1000 }),
  });
  const interactions = new DiscordInteractions(app, log, client.rest, options);
  // The raw payload, as the interactions endpoint receives it: one translation for both modes.
  client.ws.on(GatewayDispatchEvents.InteractionCreate, (data: APIInteraction) => void interactions.handle(data, callbackTransport(client.rest, data.id, data.token)));
  client.on(Events.Error, (err) => log.error({ error: loggableError(err) }, 'discord client error'));
  let stopping = false;
  let shardingRequired = false;
  client.on(Events.ShardDisconnect, (event, shard) => {
    if (event.code === GatewayCloseCodes.ShardingRequired) shardingRequired = true;
    log.warn({ code: event.code, shard }, 'discord gateway disconnected');
  });
  client.on(Events.ShardReconnecting, (shard) => stopping || log.info({ shard }, 'discord gateway reconnecting'));

  try {
    await client.login(config.DISCORD_TOKEN);
    // login() resolves on the gateway's READY; the client is ready once every shard's guilds have arrived.
    if (!client.isReady()) await once(client, Events.ClientReady);
  } catch (err) {
    await client.destroy();
    const code = (err as { code?: string }).code;
    if (code === DiscordjsErrorCodes.TokenInvalid) throw new ConfigError(TOKEN_REFUSED);
    if (shardingRequired) throw new ConfigError(`Discord requires more shards than DISCORD_SHARDS=${shards}. Leave DISCORD_SHARDS at auto (Discord's recommendation), or raise it.`);
    throw new ConfigError(`Cannot connect to Discord: ${describeDiscordError(err)}`);
  }

  await registerInDevelopmentServer(config, client.rest, log);
  app.services.outbox.register('discord', discordPostSender(client.rest, log), discordChannelCheck(client.rest, log));
  const shardStatus = (): ShardStatus[] => {
    // Servers per shard, counted in one pass over the servers.
    const guilds = new Map<number, number>();
    for (const g of client.guilds.cache.values()) guilds.set(g.shardId, (guilds.get(g.shardId) ?? 0) + 1);
    return [...client.ws.shards.values()].map((s) => ({
      id: s.id,
      status: Status[s.status]?.toLowerCase() ?? String(s.status),
      ping_ms: s.ping >= 0 ? s.ping : null,
      guilds: guilds.get(s.id) ?? 0,
    }));
  };
  log.info({ mode: 'gateway', user: client.user?.tag, shards: client.ws.shards.size, guilds: client.guilds.cache.size }, 'discord connected');
  return {
    name: 'discord',
    connected: () => client.ws.shards.size > 0 && client.ws.shards.every((s) => s.status === Status.Ready),
    shards: shardStatus,
    stop: async () => {
      stopping = true;
      app.services.outbox.unregister('discord');
      await interactions.settled(STOP_GRACE_MS);
      await client.destroy();
    },
  };
}

/**
 * Checks what the endpoint depends on before serving it: the token (GET /applications/@me) and
 * that DISCORD_PUBLIC_KEY is that application's key, so a mistyped key stops the bot at start-up
 * instead of failing every request.
 */
async function checkApplication(config: Config, rest: REST): Promise<void> {
  let application: APIApplication;
  try {
    application = (await rest.get(Routes.currentApplication())) as APIApplication;
  } catch (err) {
    if (err instanceof DiscordAPIError && err.status === 401) throw new ConfigError(TOKEN_REFUSED);
    throw new ConfigError(`Cannot reach Discord: ${describeDiscordError(err)}`);
  }
  if (application.id !== config.DISCORD_APPLICATION_ID) {
    throw new ConfigError(`DISCORD_TOKEN belongs to application ${application.id}, not DISCORD_APPLICATION_ID=${config.DISCORD_APPLICATION_ID}.`);
  }
  if (application.verify_key.toLowerCase() !== config.DISCORD_PUBLIC_KEY!.toLowerCase()) {
    throw new ConfigError('DISCORD_PUBLIC_KEY is not this application’s public key. Copy it from the Developer Portal (General Information → Public Key).');
  }
}

async function startHttp(app: App, log: Logger, publicKey: string, options: InteractionOptions): Promise<PlatformHandle> {
  const config = app.services.config;
  const rest = discordRest(config);
  await checkApplication(config, rest);
  await registerInDevelopmentServer(config, rest, log);
  const interactions = new DiscordInteractions(app, log, rest, options);
  app.services.outbox.register('discord', discordPostSender(rest, log), discordChannelCheck(rest, log));
  log.info({ mode: 'http', port: config.PORT, path: INTERACTIONS_PATH }, 'discord connected');
  return {
    name: 'discord',
    routes: [interactionsRoute(discordPublicKey(publicKey), interactions, log)],
    stop: async () => {
      app.services.outbox.unregister('discord');
      await interactions.settled(STOP_GRACE_MS);
    },
  };
}
