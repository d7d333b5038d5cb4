import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  InteractionContextType,
  PermissionFlagsBits,
  type APIApplicationCommandBasicOption,
  type APIApplicationCommandSubcommandOption,
  type RESTPutAPIApplicationCommandsJSONBody,
} from 'discord.js';
import { BARE_SUBCOMMAND, type CommandSpec, type OptionSpec } from '../../core/catalogue.js';
import { CATALOGUE } from '../../core/commands.js';

/**
 * Slash commands from the core's catalogue. Catalogue keys are one or two words ('help',
 * 'quiz race'); the first word is the slash command and the second its subcommand.
 */


export interface SlashPath {
  command: string;
  subcommand?: string;
}

function hasSubcommands(name: string, catalogue: readonly CommandSpec[]): boolean {
  return catalogue.some((c) => c.key.startsWith(name + ' '));
}

/**
 * The one mapping between catalogue keys and slash commands, both directions:
 * toSlash('quiz') → /quiz start, toSlash('quiz race') → /quiz race, toSlash('help') → /help;
 * fromSlash reverses it.
 */
export function toSlash(key: string, catalogue: readonly CommandSpec[] = CATALOGUE): SlashPath {
  const [command = key, subcommand] = key.split(' ');
  if (subcommand) return { command, subcommand };
  return hasSubcommands(command, catalogue) ? { command, subcommand: BARE_SUBCOMMAND } : { command };
}

export function fromSlash(path: SlashPath, catalogue: readonly CommandSpec[] = CATALOGUE): string {
  if (!path.subcommand) return path.command;
  const key = `${path.command} ${path.subcommand}`;
  if (path.subcommand === BARE_SUBCOMMAND && !catalogue.some((c) => c.key === key)) return path.command;
  return key;
}

/** Discord allows 1–100 characters of description. */
function description(text: string): string {
  const t = text.trim() || '—';
  return t.length <= 100 ? t : t.slice(0, 99) + '…';
}

function slashOption(o: OptionSpec): APIApplicationCommandBasicOption {
  const base = { name: o.name, description: description(o.description), required: Boolean(o.required) };
  switch (o.type) {
    case 'string':
      return {
        ...base,
        type: ApplicationCommandOptionType.String,
        ...(o.choices
          ? { choices: o.choices.slice(0, 25).map((c) => ({ name: c, value: c })) }
          : { autocomplete: Boolean(o.autocomplete), ...(o.maxLength ? { max_length: Math.min(o.maxLength, 6000) } : {}) }),
      };
    case 'integer':
      return {
        ...base,
        type: ApplicationCommandOptionType.Integer,
        ...(o.min !== undefined ? { min_value: o.min } : {}),
        ...(o.max !== undefined ? { max_value: o.max } : {}),
      };
    case 'boolean':
      return { ...base, type: ApplicationCommandOptionType.Boolean };
    case 'attachment':
      return { ...base, type: ApplicationCommandOptionType.Attachment };
  }
}

/** Discord wants required options before optional ones; the order is otherwise the catalogue's. */
function slashOptions(spec: CommandSpec): APIApplicationCommandBasicOption[] {
  const options = spec.options.map(slashOption);
  return [...options.filter((o) => o.required), ...options.filter((o) => !o.required)];
}

const MANAGE_SERVER = String(PermissionFlagsBits.ManageGuild);

/**
 * The bulk-overwrite body for PUT applications/{app}/commands. Admin commands carry
 * `default_member_permissions` (Manage Server) so Discord hides them from other members; the
 * dispatcher checks the right again on every use.
 */
export function slashCommandsFromCatalogue(catalogue: readonly CommandSpec[] = CATALOGUE): RESTPutAPIApplicationCommandsJSONBody {
  const groups = new Map<string, CommandSpec[]>();
  for (const spec of catalogue) {
    const name = toSlash(spec.key, catalogue).command;
    groups.set(name, [...(groups.get(name) ?? []), spec]);
  }
  return [...groups].map(([name, specs]) => {
    const admin = specs.every((s) => s.admin);
    const common = {
      type: ApplicationCommandType.ChatInput,
      name,
      default_member_permissions: admin ? MANAGE_SERVER : null,
      contexts: [InteractionContextType.Guild, InteractionContextType.BotDM],
      integration_types: [ApplicationIntegrationType.GuildInstall],
    };
    const only = specs[0]!;
    if (specs.length === 1 && !toSlash(only.key, catalogue).subcommand) {
      return { ...common, description: description(only.description), options: slashOptions(only) };
    }
    const subcommands: APIApplicationCommandSubcommandOption[] = specs.map((s) => ({
      type: ApplicationCommandOptionType.Subcommand,
      name: toSlash(s.key, catalogue).subcommand!,
      description: description(s.description + (s.admin && !admin ? ' (admins)' : '')),
      options: slashOptions(s),
    }));
    const summary = subcommands.map((s) => s.name).join(', ');
    return { ...common, description: description(`${name}: ${summary}`), options: subcommands };
  });
}
