import { z } from 'zod';
import { CATALOGUE } from './commands.js';
import type { Platform } from './interaction.js';

/**
 * The command catalogue's vocabulary. Each command is declared once (see commands/index.ts):
 * Discord registers slash commands from it, Slack and the terminal parse text against it, /help
 * lists it, and the core validates options with the zod schema derived from it.
 */

export type OptionType = 'string' | 'integer' | 'boolean' | 'attachment';

export interface OptionSpec {
  name: string;
  description: string;
  type: OptionType;
  required?: boolean;
  choices?: readonly string[];
  /** Autocomplete source for the platforms that offer it. */
  autocomplete?: 'lesson' | 'bank';
  min?: number;
  max?: number;
  maxLength?: number;
  /** A free-text option that takes the rest of a text command line (e.g. /ask's question). */
  rest?: boolean;
}

export interface CommandSpec {
  /** 'help', or 'quiz race' for a subcommand of /quiz. */
  key: string;
  description: string;
  options: readonly OptionSpec[];
  /** Needs the platform's admin right. Checked in one place: the dispatcher. */
  admin?: boolean;
  /** May take longer than a platform's acknowledgement deadline: adapters defer first. */
  slow?: boolean;
  /** Default visibility of the reply. */
  visibility?: 'ephemeral' | 'public';
}

export const MAX_STRING_OPTION = 2000;

/**
 * An attached file as an adapter hands it over: described, not read. `load` downloads it (the
 * platform's own code, with its own limits and wording); only the dispatcher calls it, after the
 * admin check, the rate limit and the option checks, so no file is fetched for a refused command.
 */
export interface AttachmentInput {
  name: string;
  url?: string;
  /** Bytes, as the platform reports them (before any download). */
  size?: number;
  /** Throws a UserError worded for the person who attached the file when it cannot be read. */
  load?: () => Promise<Buffer>;
}

/** An attachment as a command handler receives it: read. */
export interface Attachment {
  name: string;
  url?: string;
  size?: number;
  content: Buffer;
}

const attachmentSchema = z.object({
  name: z.string().min(1).max(255),
  url: z.string().max(2000).optional(),
  size: z.number().int().min(0).optional(),
  load: z.custom<() => Promise<Buffer>>((v) => typeof v === 'function').optional(),
});

/** The words a typed boolean option takes (case-insensitive); its own name also means yes. */
export const BOOLEAN_WORDS: { yes: readonly string[]; no: readonly string[] } = { yes: ['yes', 'true', 'on'], no: ['no', 'false', 'off'] };

function optionSchema(o: OptionSpec): z.ZodType {
  let s: z.ZodType;
  switch (o.type) {
    case 'string': {
      if (o.choices) {
        s = z.enum(o.choices as [string, ...string[]], { error: `must be one of: ${o.choices.join(', ')}` });
      } else {
        s = z
          .string()
          .trim()
          .min(1, 'must not be empty')
          .max(o.maxLength ?? MAX_STRING_OPTION, `must be at most ${o.maxLength ?? MAX_STRING_OPTION} characters`);
      }
      break;
    }
    case 'integer': {
      let n = z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number');
      if (o.min !== undefined) n = n.min(o.min, `must be at least ${o.min}`);
      if (o.max !== undefined) n = n.max(o.max, `must be at most ${o.max}`);
      s = n;
      break;
    }
    case 'boolean':
      // Native on Discord; typed as text elsewhere: yes/no, true/false, on/off, or the option's
      // own name for yes (`weekly`), in any case.
      s = z.union([z.boolean(), z.string()]).transform((v, ctx) => {
        if (typeof v === 'boolean') return v;
        const word = v.trim().toLowerCase();
        if (word === o.name.toLowerCase() || BOOLEAN_WORDS.yes.includes(word)) return true;
        if (BOOLEAN_WORDS.no.includes(word)) return false;
        ctx.addIssue({ code: 'custom', message: `must be yes or no (or true/false, on/off), not "${v}"` });
        return z.NEVER;
      });
      break;
    case 'attachment':
      s = attachmentSchema;
      break;
  }
  return o.required ? s : s.optional();
}

const schemaCache = new WeakMap<CommandSpec, z.ZodType<Record<string, unknown>>>();

/** The zod schema of a command's options, derived from its declaration. */
export function optionsSchema(spec: CommandSpec): z.ZodType<Record<string, unknown>> {
  let schema = schemaCache.get(spec);
  if (!schema) {
    schema = z.strictObject(Object.fromEntries(spec.options.map((o) => [o.name, optionSchema(o)]))) as z.ZodType<
      Record<string, unknown>
    >;
    schemaCache.set(spec, schema);
  }
  return schema;
}

/**
 * How a command is typed on a platform: Slack has the one slash command /quiz (`/quiz leaderboard`,
 * `/quiz admin stats`), Discord needs a subcommand for the bare quiz (`/quiz start`), the terminal
 * types catalogue keys as they are.
 */
export function typedCommand(key: string, platform: Platform): string {
  if (platform === 'slack') {
    if (key === 'quiz') return '/quiz';
    if (key.startsWith('quiz-admin ')) return `/quiz admin ${key.slice('quiz-admin '.length)}`;
    if (key.startsWith('quiz ')) return `/${key}`;
    return `/quiz ${key}`;
  }
  if (platform === 'discord' && !key.includes(' ') && CATALOGUE.some((c) => c.key.startsWith(key + ' '))) return `/${key} ${BARE_SUBCOMMAND}`;
  return '/' + key;
}

/**
 * Discord cannot have `/quiz` with options next to `/quiz race` subcommands, so there a bare key
 * whose first word also has subcommands is typed as this subcommand: 'quiz' ⇄ `/quiz start`.
 */
export const BARE_SUBCOMMAND = 'start';

/** Usage line: `/quiz race [rounds] [lesson]`. */
export function usage(spec: CommandSpec, platform: Platform = 'terminal'): string {
  const parts = spec.options.map((o) => (o.required ? `<${o.name}>` : `[${o.name}]`));
  return [typedCommand(spec.key, platform), ...parts].join(' ');
}
