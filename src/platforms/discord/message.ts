import {
  AllowedMentionsTypes,
  ButtonStyle as DiscordButtonStyle,
  ComponentType,
  type APIActionRowComponent,
  type APIComponentInMessageActionRow,
  type APIEmbed,
} from 'discord.js';
import type { Button, ButtonStyle, Component, Reply } from '../../core/interaction.js';
import { plainLabel, renderMarkdown, renderTitle } from './markdown.js';

/**
 * A core Reply as a Discord message: the one place that knows Discord's message limits. The
 * result feeds both interaction responses (discord.js) and channel posts (REST).
 */

export const LIMITS = {
  content: 2000,
  description: 4096,
  title: 256,
  fieldName: 256,
  fieldValue: 1024,
  fields: 25,
  rows: 5,
  buttonsPerRow: 5,
  label: 80,
  customId: 100,
  selectOptions: 25,
  optionText: 100,
  placeholder: 150,
  modalTitle: 45,
  inputLabel: 45,
} as const;

const EMBED_COLOR = 0x5865f2;

/** Prefix of a button's custom id that opens a form (a modal) instead of acting at once. */
export const FORM_MARK = '>';

export interface DiscordFile {
  name: string;
  data: Buffer;
  description?: string;
}

export interface DiscordMessage {
  content: string;
  embeds: APIEmbed[];
  components: APIActionRowComponent<APIComponentInMessageActionRow>[];
  files: DiscordFile[];
  /** `parse: []` pings nobody; only replies that mean to mention may notify users. */
  allowedMentions: { parse: AllowedMentionsTypes[] };
  ephemeral: boolean;
}

const STYLES: Record<ButtonStyle, DiscordButtonStyle.Primary | DiscordButtonStyle.Secondary | DiscordButtonStyle.Success | DiscordButtonStyle.Danger> = {
  primary: DiscordButtonStyle.Primary,
  secondary: DiscordButtonStyle.Secondary,
  success: DiscordButtonStyle.Success,
  danger: DiscordButtonStyle.Danger,
};

/** Forms a button opens, remembered by action id so the modal can carry the core's wording. */
export type FormSpec = NonNullable<Button['input']>;
export interface FormRegistry {
  set(actionId: string, form: FormSpec): unknown;
  get(actionId: string): FormSpec | undefined;
}

function buttonCustomId(button: Button, forms?: FormRegistry): string {
  if (!button.input) return button.actionId;
  forms?.set(button.actionId, button.input);
  // An id already at Discord's limit cannot carry the mark; the registry still knows it.
  return button.actionId.length < LIMITS.customId ? FORM_MARK + button.actionId : button.actionId;
}

function renderComponent(c: Component, forms?: FormRegistry): APIComponentInMessageActionRow {
  switch (c.kind) {
    case 'link':
      return { type: ComponentType.Button, style: DiscordButtonStyle.Link, label: plainLabel(c.label, LIMITS.label), url: c.url };
    case 'button':
      return {
        type: ComponentType.Button,
        style: STYLES[c.style ?? 'secondary'],
        label: plainLabel(c.label, LIMITS.label),
        custom_id: buttonCustomId(c, forms),
      };
    case 'select': {
      const options = c.options.slice(0, LIMITS.selectOptions).map((o) => ({
        label: plainLabel(o.label, LIMITS.optionText),
        value: o.value.slice(0, LIMITS.optionText),
        ...(o.description ? { description: plainLabel(o.description, LIMITS.optionText) } : {}),
      }));
      return {
        type: ComponentType.StringSelect,
        custom_id: c.actionId,
        placeholder: plainLabel(c.placeholder, LIMITS.placeholder),
        options,
        min_values: 1,
        max_values: Math.min(Math.max(c.maxValues ?? 1, 1), options.length),
      };
    }
  }
}

/** Rows of at most five buttons; a select takes a row of its own. Discord allows five rows. */
function renderRows(rows: Component[][], forms?: FormRegistry): DiscordMessage['components'] {
  const out: DiscordMessage['components'] = [];
  for (const row of rows) {
    let buttons: APIComponentInMessageActionRow[] = [];
    const flush = () => {
      if (buttons.length) out.push({ type: ComponentType.ActionRow, components: buttons });
      buttons = [];
    };
    for (const c of row) {
      if (c.kind === 'select') {
        flush();
        out.push({ type: ComponentType.ActionRow, components: [renderComponent(c, forms)] });
        continue;
      }
      if (buttons.length === LIMITS.buttonsPerRow) flush();
      buttons.push(renderComponent(c, forms));
    }
    flush();
  }
  return out.slice(0, LIMITS.rows);
}

/** `attachment://name` only resolves plain file names. */
function attachmentName(filename: string): string {
  const name = filename.replace(/[^A-Za-z0-9._-]/g, '_').slice(-64);
  return /\.png$/i.test(name) ? name : name + '.png';
}

/**
 * Short plain replies go out as message content; anything with a title, fields, an image or more
 * text than a message holds goes out as an embed.
 */
/** A message of plain text only that pings nobody, shown to the user alone. */
export function textMessage(content: string): DiscordMessage {
  return { content, embeds: [], components: [], files: [], allowedMentions: { parse: [] }, ephemeral: true };
}

export function renderReply(reply: Reply, forms?: FormRegistry): DiscordMessage {
  const text = renderMarkdown(reply.text);
  const useEmbed = Boolean(reply.title || reply.fields?.length || reply.image || text.length > LIMITS.content);
  const filename = reply.image ? attachmentName(reply.image.filename) : '';
  const files: DiscordFile[] = reply.image ? [{ name: filename, data: reply.image.png, description: plainLabel(reply.image.alt, 1024) }] : [];
  const message: DiscordMessage = {
    content: '',
    embeds: [],
    components: renderRows(reply.components ?? [], forms),
    files,
    allowedMentions: { parse: reply.allowMentions ? [AllowedMentionsTypes.User] : [] },
    ephemeral: reply.visibility === 'ephemeral',
  };
  if (!useEmbed) {
    message.content = text || '…';
    return message;
  }
  const embed: APIEmbed = { color: EMBED_COLOR };
  if (reply.title) embed.title = renderTitle(reply.title, LIMITS.title);
  const description = text.length <= LIMITS.description ? text : renderMarkdown(reply.text, LIMITS.description);
  if (description) embed.description = description;
  if (reply.fields?.length) {
    embed.fields = reply.fields.slice(0, LIMITS.fields).map((f) => ({
      name: renderMarkdown(f.name, LIMITS.fieldName) || '\u200b',
      value: renderMarkdown(f.value, LIMITS.fieldValue) || '\u200b',
      ...(f.inline ? { inline: true } : {}),
    }));
  }
  if (reply.image) embed.image = { url: `attachment://${filename}` };
  message.embeds = [embed];
  return message;
}
