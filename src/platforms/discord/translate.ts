import {
  ApplicationCommandOptionType,
  PermissionFlagsBits,
  type AutocompleteInteraction,
  type BaseInteraction,
  type ChatInputCommandInteraction,
  type CommandInteractionOption,
} from 'discord.js';
import type { AttachmentInput } from '../../core/catalogue.js';
import { UserError } from '../../core/errors.js';
import type { Actor, CommandInteraction, Place } from '../../core/interaction.js';
import { discordDmServer } from '../../core/tenant.js';
import { fromSlash } from './slash-commands.js';

/** Native Discord interactions → the core's Interaction. Nothing here decides anything about quizzes. */

/** Larger uploads are refused before download (imports are text files). */
export const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;

export function actorOf(i: BaseInteraction): Actor {
  const member = i.member as { nick?: string | null; nickname?: string | null } | null;
  const displayName = member?.nickname ?? member?.nick ?? i.user.globalName ?? i.user.username;
  return {
    platform: 'discord',
    userId: i.user.id,
    displayName,
    // has() also answers true for Administrator, which implies every permission.
    isAdmin: i.memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false,
  };
}

/** Outside a server (a direct message) each person is a tenant of their own: strangers never share a board. */
export function placeOf(i: BaseInteraction): Place {
  return { serverId: i.guildId ?? discordDmServer(i.user.id), channelId: i.channelId ?? discordDmServer(i.user.id) };
}

/** The catalogue key and the option list of a slash command (subcommand options unwrapped). */
export function commandPath(i: ChatInputCommandInteraction | AutocompleteInteraction): { key: string; options: readonly CommandInteractionOption[] } {
  const top = i.options.data;
  const sub = top.find((o) => o.type === ApplicationCommandOptionType.Subcommand);
  return sub ? { key: fromSlash({ command: i.commandName, subcommand: sub.name }), options: sub.options ?? [] } : { key: fromSlash({ command: i.commandName }), options: top };
}

async function download(name: string, url: string, size: number): Promise<Buffer> {
  if (size > MAX_ATTACHMENT_BYTES) {
    throw new UserError(`The file ${name} is too large (${Math.ceil(size / 1024)} KB; at most ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB).`);
  }
  const data = await fetch(url, { signal: AbortSignal.timeout(20_000) })
    .then(async (res) => (res.ok ? Buffer.from(await res.arrayBuffer()) : undefined))
    .catch(() => undefined);
  if (!data) throw new UserError(`Could not download ${name} from Discord. Please attach it again.`);
  if (data.length > MAX_ATTACHMENT_BYTES) throw new UserError(`The file ${name} is too large (at most ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB).`);
  return data;
}

/**
 * A slash command as the core's CommandInteraction. An attachment is handed over unread, with the
 * download as its loader: the core reads it only once the command may run (admin right, rate
 * limit, options), so a refused command never fetches a file.
 */
export function commandInteraction(i: ChatInputCommandInteraction): CommandInteraction {
  const { key, options } = commandPath(i);
  const values: Record<string, unknown> = {};
  for (const o of options) {
    if (o.type === ApplicationCommandOptionType.Attachment && o.attachment) {
      const a = o.attachment;
      values[o.name] = { name: a.name, url: a.url, size: a.size, load: () => download(a.name, a.url, a.size) } satisfies AttachmentInput;
    } else {
      values[o.name] = o.value;
    }
  }
  return { kind: 'command', id: i.id, actor: actorOf(i), place: placeOf(i), command: key, options: values };
}
