import {
  ComponentType,
  DiscordAPIError,
  MessageFlags,
  TextInputStyle,
  type AutocompleteInteraction,
  type BaseInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type InteractionReplyOptions,
  type InteractionUpdateOptions,
  type MessageComponentInteraction,
  type ModalSubmitInteraction,
} from 'discord.js';
import type { App } from '../../app.js';
import { findCommand } from '../../core/commands.js';
import { UserError } from '../../core/errors.js';
import type { ActionInteraction, Reply } from '../../core/interaction.js';
import { bankChoices } from '../../core/quiz/banks.js';
import type { Logger } from '../../logger.js';
import { LruMap } from '../../core/util/lru-map.js';
import { tenantOf, type Tenant } from '../../core/tenant.js';
import { escapeDiscord, plainLabel } from './markdown.js';
import { FORM_MARK, LIMITS, renderReply, type DiscordMessage, type FormSpec } from './message.js';
import { actorOf, commandInteraction, commandPath, placeOf } from './translate.js';

/**
 * Discord interactions in, core replies out. Every interaction is acknowledged within Discord's
 * three seconds: slow commands are deferred first, anything else is deferred when the core has
 * not answered by `ackDeadlineMs`, and the reply then edits the deferred response.
 */

export interface InteractionOptions {
  /** When to defer a reply that is not ready yet (Discord drops unacknowledged interactions at 3 s). */
  ackDeadlineMs?: number;
  /** How many recent interaction ids to remember, so a re-delivered interaction is handled once. */
  rememberIds?: number;
}

type Acknowledgement = { kind: 'none' } | { kind: 'deferred-reply'; ephemeral: boolean } | { kind: 'deferred-update' };

type Respondable = ChatInputCommandInteraction | MessageComponentInteraction | ModalSubmitInteraction;

const FAILURE = 'Something went wrong on our side. Please try again in a moment.';
const FORM_FIELD = 'text';

/** What a log line may say about a failure (under `error`, not pino's `err`): no request URLs (they hold interaction tokens), no bodies. */
export function loggableError(err: unknown): Record<string, unknown> {
  if (err instanceof DiscordAPIError) return { type: 'DiscordAPIError', status: err.status, code: err.code, message: err.message, method: err.method };
  if (err instanceof Error) return { type: err.name, message: err.message, stack: err.stack };
  return { message: String(err) };
}

function replyOptions(m: DiscordMessage): InteractionReplyOptions {
  return {
    ...(m.content ? { content: m.content } : {}),
    embeds: m.embeds,
    components: m.components,
    files: m.files.map((f) => ({ attachment: f.data, name: f.name, description: f.description })),
    allowedMentions: m.allowedMentions,
    ...(m.ephemeral ? { flags: MessageFlags.Ephemeral as const } : {}),
  };
}

/** An edit replaces everything: old text, embeds and attachments go unless sent again. */
function editOptions(m: DiscordMessage): InteractionUpdateOptions {
  return {
    content: m.content,
    embeds: m.embeds,
    components: m.components,
    files: m.files.map((f) => ({ attachment: f.data, name: f.name, description: f.description })),
    attachments: [],
    allowedMentions: m.allowedMentions,
  };
}

export class DiscordInteractions {
  private readonly seen: LruMap<string, true>;
  private readonly forms: LruMap<string, FormSpec>;
  private readonly ackDeadlineMs: number;

  constructor(
    private readonly app: App,
    private readonly logger: Logger,
    options: InteractionOptions = {},
  ) {
    this.ackDeadlineMs = options.ackDeadlineMs ?? 2000;
    this.seen = new LruMap(options.rememberIds ?? 10_000);
    this.forms = new LruMap(5_000);
  }

  /** Entry point for every INTERACTION_CREATE. Never throws: failures become an ephemeral message. */
  async handle(i: BaseInteraction): Promise<void> {
    if (this.seen.has(i.id)) {
      this.logger.debug({ interaction: i.id }, 'repeated interaction delivery ignored');
      return;
    }
    this.seen.set(i.id, true);
    try {
      if (i.isAutocomplete()) await this.autocomplete(i);
      else if (i.isChatInputCommand()) await this.command(i);
      else if (i.isButton()) await this.button(i);
      else if (i.isStringSelectMenu()) await this.action(i, { actionId: i.customId, values: i.values });
      else if (i.isModalSubmit()) await this.action(i, { actionId: i.customId, text: i.fields.getTextInputValue(FORM_FIELD) });
      else throw new UserError('The bot does not handle this kind of interaction.');
    } catch (err) {
      await this.fail(i, err);
    }
  }

  private async command(i: ChatInputCommandInteraction): Promise<void> {
    const spec = findCommand(commandPath(i).key);
    const ephemeral = (spec?.visibility ?? 'ephemeral') === 'ephemeral';
    const deferral: Acknowledgement = { kind: 'deferred-reply', ephemeral };
    const defer = () => i.deferReply(ephemeral ? { flags: MessageFlags.Ephemeral } : {});
    if (spec?.slow) {
      await defer();
      const reply = await this.app.dispatcher.handle(commandInteraction(i));
      return this.deliver(i, reply, deferral);
    }
    const work = this.app.dispatcher.handle(commandInteraction(i));
    const { reply, ack } = await this.withinDeadline(work, defer, deferral);
    await this.deliver(i, reply, ack);
  }

  private async button(i: ButtonInteraction): Promise<void> {
    const actionId = i.customId.startsWith(FORM_MARK) ? i.customId.slice(FORM_MARK.length) : i.customId;
    const form = this.forms.get(actionId);
    if (!form && actionId === i.customId) return this.action(i, { actionId });
    // The form's wording is remembered from when the button was sent; after a restart the label stands in.
    const spec: FormSpec = form ?? { title: (i.component as { label?: string }).label ?? 'Your answer', label: 'Your answer' };
    const maxLength = Math.min(spec.maxLength ?? 400, 4000);
    await i.showModal({
      custom_id: actionId,
      title: plainLabel(spec.title, LIMITS.modalTitle),
      components: [
        {
          type: ComponentType.Label,
          label: plainLabel(spec.label, LIMITS.inputLabel),
          component: {
            type: ComponentType.TextInput,
            custom_id: FORM_FIELD,
            style: maxLength > 200 ? TextInputStyle.Paragraph : TextInputStyle.Short,
            required: true,
            max_length: maxLength,
            ...(spec.placeholder ? { placeholder: plainLabel(spec.placeholder, 100) } : {}),
          },
        },
      ],
    });
  }

  private async action(i: MessageComponentInteraction | ModalSubmitInteraction, what: Pick<ActionInteraction, 'actionId' | 'values' | 'text'>): Promise<void> {
    const interaction: ActionInteraction = { kind: 'action', id: i.id, actor: actorOf(i), place: placeOf(i), ...what };
    const work = this.app.dispatcher.handle(interaction);
    const { reply, ack } = await this.withinDeadline(work, () => i.deferUpdate(), { kind: 'deferred-update' });
    await this.deliver(i, reply, ack);
  }

  /** Waits for the core up to the deadline; past it, acknowledges with `defer` and keeps waiting. */
  private async withinDeadline(work: Promise<Reply>, defer: () => Promise<unknown>, deferred: Acknowledgement): Promise<{ reply: Reply; ack: Acknowledgement }> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), this.ackDeadlineMs)));
    try {
      const first = await Promise.race([work, late]);
      if (first !== 'late') return { reply: first, ack: { kind: 'none' } };
    } finally {
      clearTimeout(timer);
    }
    await defer();
    return { reply: await work, ack: deferred };
  }

  private async deliver(i: Respondable, reply: Reply, ack: Acknowledgement): Promise<void> {
    const message = renderReply(reply, this.forms);
    const fromMessage = i.isMessageComponent() || (i.isModalSubmit() && i.isFromMessage());
    const replace = Boolean(reply.replaceOriginal && fromMessage);
    switch (ack.kind) {
      case 'none':
        if (replace) await (i as MessageComponentInteraction).update(editOptions(message));
        else await i.reply(replyOptions(message));
        return;
      case 'deferred-update':
        if (replace) await i.editReply(editOptions(message));
        else await i.followUp(replyOptions(message));
        return;
      case 'deferred-reply':
        if (message.ephemeral === ack.ephemeral) {
          await i.editReply(editOptions(message));
          return;
        }
        await this.replacePlaceholder(i);
        await i.followUp(replyOptions(message));
    }
  }

  /**
   * A deferred response keeps the visibility it was deferred with, and Discord gives the first
   * follow-up that same visibility while the "thinking…" placeholder is unresolved. So resolve
   * the placeholder with an edit and remove it; the follow-up then shows to whom it should.
   */
  private async replacePlaceholder(i: Respondable): Promise<void> {
    await i.editReply({ content: '…', embeds: [], components: [], allowedMentions: { parse: [] } });
    await i.deleteReply().catch(() => undefined);
  }

  private async autocomplete(i: AutocompleteInteraction): Promise<void> {
    const spec = findCommand(commandPath(i).key);
    const focused = i.options.getFocused(true);
    const source = spec?.options.find((o) => o.name === focused.name)?.autocomplete;
    await i.respond(source ? this.suggestions(source, String(focused.value), tenantOf('discord', placeOf(i))) : []);
  }

  /** Up to 25 ids whose id or title contains what the user typed so far (banks: those this server sees). */
  private suggestions(source: 'lesson' | 'bank', typed: string, tenant: Tenant): { name: string; value: string }[] {
    const needle = typed.trim().toLowerCase();
    const items =
      source === 'lesson'
        ? this.app.services.lessons.all().map((l) => ({ id: l.id, title: l.title }))
        : bankChoices(this.app.services, tenant);
    return items
      .filter((x) => !needle || x.id.toLowerCase().includes(needle) || x.title.toLowerCase().includes(needle))
      .slice(0, 25)
      .map((x) => ({ name: plainLabel(`${x.title} (${x.id})`, 100), value: x.id.slice(0, 100) }));
  }

  /** A failure is never silent: the user gets a short ephemeral message, the log gets the details. */
  private async fail(i: BaseInteraction, err: unknown): Promise<void> {
    const expected = err instanceof UserError;
    if (!expected) this.logger.error({ error: loggableError(err), interaction: i.id }, 'discord interaction failed');
    try {
      if (i.isAutocomplete()) {
        if (!i.responded) await i.respond([]);
        return;
      }
      if (!i.isRepliable()) return;
      const payload = {
        content: escapeDiscord(expected ? err.message : FAILURE),
        flags: MessageFlags.Ephemeral as const,
        allowedMentions: { parse: [] },
      };
      if (i.isChatInputCommand() && i.deferred && !i.replied) {
        // Replace the "thinking…" placeholder rather than leave it spinning.
        if (i.ephemeral) return void (await i.editReply({ content: payload.content, allowedMentions: payload.allowedMentions }));
        await this.replacePlaceholder(i);
      }
      if (i.deferred || i.replied) await i.followUp(payload);
      else await i.reply(payload);
    } catch (second) {
      this.logger.warn({ error: loggableError(second), interaction: i.id }, 'could not report a failure to the user');
    }
  }
}
