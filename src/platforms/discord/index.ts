import { once } from 'node:events';
import { Client, DiscordjsErrorCodes, Events, GatewayIntentBits, Options } from 'discord.js';
import type { App } from '../../app.js';
import { ConfigError } from '../../config.js';
import type { Logger } from '../../logger.js';
import type { PlatformHandle } from '../platform.js';
import { DiscordInteractions, loggableError, type InteractionOptions } from './interactions.js';
import { discordChannelCheck, discordPostSender } from './posts.js';
import { describeDiscordError, registerSlashCommands } from './register.js';

/**
 * Connects the bot to Discord: a discord.js client on the gateway (Guilds intent only: the bot
 * reads no messages and needs no privileged intent), interactions into the core, and the core's
 * own posts out through the Outbox. With DISCORD_GUILD_ID set, the slash commands are registered
 * in that server at start-up (development); global registration is `quizbot discord register`.
 */
export async function startDiscord(app: App, logger: Logger, options: InteractionOptions = {}): Promise<PlatformHandle> {
  const config = app.services.config;
  const log = logger.child({ platform: 'discord' });
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    rest: config.DISCORD_API_URL ? { api: config.DISCORD_API_URL } : {},
    allowedMentions: { parse: [] },
    // Interactions carry everything the bot needs; caching messages and members only costs memory.
    makeCache: Options.cacheWithLimits({ ...Options.DefaultMakeCacheSettings, MessageManager: 0, GuildMemberManager: 0, UserManager: 1000 }),
  });
  const interactions = new DiscordInteractions(app, log, options);
  client.on(Events.InteractionCreate, (i) => void interactions.handle(i));
  client.on(Events.Error, (err) => log.error({ error: loggableError(err) }, 'discord client error'));
  let stopping = false;
  client.on(Events.ShardDisconnect, (event, shard) => log.warn({ code: event.code, shard }, 'discord gateway disconnected'));
  client.on(Events.ShardReconnecting, (shard) => stopping || log.info({ shard }, 'discord gateway reconnecting'));

  try {
    await client.login(config.DISCORD_TOKEN);
    // login() resolves on the gateway's READY; the client is ready once the guilds have arrived.
    if (!client.isReady()) await once(client, Events.ClientReady);
  } catch (err) {
    await client.destroy();
    const code = (err as { code?: string }).code;
    if (code === DiscordjsErrorCodes.TokenInvalid) throw new ConfigError('Discord refused DISCORD_TOKEN (401). Reset the bot token in the Developer Portal.');
    throw new ConfigError(`Cannot connect to Discord: ${describeDiscordError(err)}`);
  }

  if (config.DISCORD_GUILD_ID) {
    try {
      const { count } = await registerSlashCommands(config, client.rest);
      log.info({ guild: config.DISCORD_GUILD_ID, count }, 'slash commands registered in the development server');
    } catch (err) {
      log.warn({ error: loggableError(err) }, 'could not register slash commands; run `quizbot discord register`');
    }
  }

  app.services.outbox.register('discord', discordPostSender(client.rest, log), discordChannelCheck(client.rest, log));
  log.info({ user: client.user?.tag, guilds: client.guilds.cache.size }, 'discord connected');
  return {
    name: 'discord',
    stop: async () => {
      stopping = true;
      app.services.outbox.unregister('discord');
      await client.destroy();
    },
  };
}
