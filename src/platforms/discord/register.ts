import { DiscordAPIError, REST, Routes } from 'discord.js';
import type { Config } from '../../config.js';
import { ConfigError } from '../../config.js';
import { slashCommandsFromCatalogue } from './slash-commands.js';

/** The REST client for the configured API (DISCORD_API_URL points tests at a local fake). */
export function discordRest(config: Config): REST {
  if (!config.DISCORD_TOKEN || !config.DISCORD_APPLICATION_ID) {
    throw new ConfigError('Discord needs DISCORD_TOKEN and DISCORD_APPLICATION_ID. See README: Discord.');
  }
  return new REST(config.DISCORD_API_URL ? { api: config.DISCORD_API_URL } : {}).setToken(config.DISCORD_TOKEN);
}

export interface Registration {
  count: number;
  scope: 'guild' | 'global';
}

/**
 * Replaces the application's slash commands with the catalogue's (bulk overwrite): in one server
 * when DISCORD_GUILD_ID is set (instant, for development), otherwise globally.
 */
export async function registerSlashCommands(config: Config, rest: REST = discordRest(config)): Promise<Registration> {
  const app = config.DISCORD_APPLICATION_ID!;
  const guild = config.DISCORD_GUILD_ID;
  const route = guild ? Routes.applicationGuildCommands(app, guild) : Routes.applicationCommands(app);
  const body = slashCommandsFromCatalogue();
  try {
    const registered = (await rest.put(route, { body })) as unknown[];
    return { count: registered.length, scope: guild ? 'guild' : 'global' };
  } catch (err) {
    throw new ConfigError(`Could not register the slash commands: ${describeDiscordError(err)}`);
  }
}

/** A one-line reason for a failed Discord call, without tokens or stack traces. */
export function describeDiscordError(err: unknown): string {
  if (err instanceof DiscordAPIError) {
    const hint = err.status === 401 ? ' Check DISCORD_TOKEN.' : err.status === 403 || err.status === 404 ? ' Check DISCORD_APPLICATION_ID and DISCORD_GUILD_ID, and that the bot was invited with the applications.commands scope.' : '';
    return `${err.message} (HTTP ${err.status}, code ${err.code}).${hint}`;
  }
  const e = err as { message?: string; code?: string; cause?: { code?: string } };
  return `${e?.cause?.code ?? e?.code ?? e?.message ?? String(err)}. Check DISCORD_API_URL and the network.`;
}
