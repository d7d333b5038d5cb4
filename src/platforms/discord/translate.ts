import {
  ApplicationCommandOptionType,
  PermissionFlagsBits,
  PermissionsBitField,
  type APIApplicationCommandAutocompleteInteraction,
  type APIApplicationCommandInteractionDataBasicOption,
  type APIChatInputApplicationCommandInteraction,
  type APIInteraction,
  type APIMessageComponentInteraction,
  type APIModalSubmitInteraction,
  type APIUser,
} from 'discord.js';
import type { AttachmentInput } from '../../core/catalogue.js';
import { UserError } from '../../core/errors.js';
import type { Actor, CommandInteraction, Place } from '../../core/interaction.js';
import { discordDmServer } from '../../core/tenant.js';
import { fromSlash } from './slash-commands.js';

/**
 * Discord interactions (the documented INTERACTION_CREATE payload, the same whether it came over
 * the gateway or to the interactions endpoint) → the core's Interaction. Nothing here decides
 * anything about quizzes.
 */

/** Larger uploads are refused before download (imports are text files). */
export const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;

type CommandLike = APIChatInputApplicationCommandInteraction | APIApplicationCommandAutocompleteInteraction;

/** Who acted: the member in a server, the user in a direct message. */
function userOf(i: APIInteraction): APIUser {
  const user = i.member?.user ?? i.user;
  if (!user) throw new UserError('Discord sent an interaction without a user.');
  return user;
}

export function actorOf(i: APIInteraction): Actor {
  const user = userOf(i);
  const permissions = i.member?.permissions;
  return {
    platform: 'discord',
    userId: user.id,
    displayName: i.member?.nick ?? user.global_name ?? user.username,
    // has() also answers true for Administrator, which implies every permission.
    isAdmin: permissions ? new PermissionsBitField(BigInt(permissions)).has(PermissionFlagsBits.ManageGuild) : false,
  };
}

/** Outside a server (a direct message) each person is a tenant of their own: strangers never share a board. */
export function placeOf(where: { guildId?: string | null; channelId?: string | null; user: { id: string } }): Place {
  return { serverId: where.guildId ?? discordDmServer(where.user.id), channelId: where.channelId ?? discordDmServer(where.user.id) };
}

export function placeOfInteraction(i: APIInteraction): Place {
  return placeOf({ guildId: i.guild_id, channelId: i.channel?.id ?? i.channel_id, user: userOf(i) });
}

/** The catalogue key and the option list of a slash command (subcommand options unwrapped). */
export function commandPath(i: CommandLike): { key: string; options: APIApplicationCommandInteractionDataBasicOption[] } {
  const top = i.data.options ?? [];
  const sub = top.find((o) => o.type === ApplicationCommandOptionType.Subcommand);
  if (sub) return { key: fromSlash({ command: i.data.name, subcommand: sub.name }), options: sub.options ?? [] };
  return { key: fromSlash({ command: i.data.name }), options: top as APIApplicationCommandInteractionDataBasicOption[] };
}

/** The option the user is typing in, for autocomplete. */
export function focusedOption(i: APIApplicationCommandAutocompleteInteraction): { name: string; value: string } | undefined {
  const focused = commandPath(i).options.find((o) => 'focused' in o && o.focused);
  return focused && 'value' in focused ? { name: focused.name, value: String(focused.value) } : undefined;
}

/**
 * A text field (`value`, `label`) of the component with this custom id, wherever it sits in a
 * component tree: in action rows (`components`), labels (`component`) or sections (`accessory`).
 */
function componentField(components: unknown, customId: string, field: 'value' | 'label'): string | undefined {
  const find = (node: unknown): string | undefined => {
    if (!node || typeof node !== 'object') return undefined;
    const n = node as { custom_id?: unknown; component?: unknown; components?: unknown; accessory?: unknown } & Record<typeof field, unknown>;
    if (n.custom_id === customId && typeof n[field] === 'string') return n[field];
    for (const child of [n.component, n.accessory, ...(Array.isArray(n.components) ? n.components : [])]) {
      const found = find(child);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return find({ components });
}

/** The value a modal's text input with this custom id was submitted with (in a label or an action row). */
export function modalText(i: APIModalSubmitInteraction, customId: string): string {
  const text = componentField(i.data.components, customId, 'value');
  if (text === undefined) throw new UserError('The form came back without its answer. Please try again.');
  return text;
}

/** The label of the pressed button, as shown on its message. */
export function buttonLabel(i: APIMessageComponentInteraction): string | undefined {
  return componentField(i.message.components, i.data.custom_id, 'label');
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
 * A slash command as the core's CommandInteraction. An attachment (its id in the options, the
 * file in `resolved.attachments`) is handed over unread, with the download as its loader: the
 * core reads it only once the command may run (admin right, rate limit, options), so a refused
 * command never fetches a file.
 */
export function commandInteraction(i: APIChatInputApplicationCommandInteraction): CommandInteraction {
  const { key, options } = commandPath(i);
  const values: Record<string, unknown> = {};
  for (const o of options) {
    if (o.type === ApplicationCommandOptionType.Attachment) {
      const a = i.data.resolved?.attachments?.[o.value];
      if (a) values[o.name] = { name: a.filename, url: a.url, size: a.size, load: () => download(a.filename, a.url, a.size) } satisfies AttachmentInput;
    } else {
      values[o.name] = o.value;
    }
  }
  return { kind: 'command', id: i.id, actor: actorOf(i), place: placeOfInteraction(i), command: key, options: values };
}
