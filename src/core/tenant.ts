import type { Place, Platform } from './interaction.js';

/**
 * A tenant is one installation of the bot: a Discord server, one person's Discord direct messages,
 * a Slack workspace (or an Enterprise Grid organisation that installed it org-wide), or the
 * terminal. Banks imported in chat, boards, schedules, groups, seasons and reports belong to one
 * tenant and are never seen from another.
 *
 * The key is `<platform>:<server>` (the same string leaderboards have always used). It is a
 * branded type made only here, so a query that needs a tenant cannot be handed any other string.
 */
export type Tenant = string & { readonly __tenant: unique symbol };

export function tenantOf(platform: Platform | string, place: Pick<Place, 'serverId'>): Tenant {
  return `${platform}:${place.serverId}` as Tenant;
}

/** The platform a tenant is on. */
export function tenantPlatform(tenant: Tenant): string {
  return tenant.slice(0, tenant.indexOf(':'));
}

/** The server (Discord guild, Slack workspace) a tenant is, on its platform. */
export function tenantServer(tenant: Tenant): string {
  return tenant.slice(tenant.indexOf(':') + 1);
}

/** A tenant named on the command line (`--tenant discord:123`); undefined when malformed. */
export function parseTenant(text: string): Tenant | undefined {
  const m = /^(discord|slack|terminal):([\w.:-]{1,100})$/.exec(text.trim());
  return m ? (`${m[1]}:${m[2]}` as Tenant) : undefined;
}

/** The server id of a Discord direct-message conversation: each person's DMs are a tenant of their own. */
export function discordDmServer(userId: string): string {
  return `dm-${userId}`;
}
