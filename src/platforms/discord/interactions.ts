import {
  ApplicationCommandType,
  ComponentType,
  DiscordAPIError,
  InteractionType,
  TextInputStyle,
  type APIApplicationCommandAutocompleteInteraction,
  type APIChatInputApplicationCommandInteraction,
  type APIInteraction,
  type APIInteractionResponse,
  type APIMessageComponentInteraction,
  type APIModalSubmitInteraction,
  type REST,
} from 'discord.js';
import type { App } from '../../app.js';
import { findCommand } from '../../core/commands.js';
import { UserError } from '../../core/errors.js';
import type { ActionInteraction, Reply } from '../../core/interaction.js';
import { bankChoices } from '../../core/quiz/banks.js';
import type { Logger } from '../../logger.js';
import { LruMap } from '../../core/util/lru-map.js';
import { within } from '../../core/util/within.js';
import { tenantOf, type Tenant } from '../../core/tenant.js';
import { escapeDiscord, plainLabel } from './markdown.js';
import { FORM_MARK, LIMITS, renderReply, textMessage, type FormSpec } from './message.js';
import { Responder, type Transport } from './respond.js';
import { actorOf, buttonLabel, commandInteraction, commandPath, focusedOption, modalText, placeOfInteraction } from './translate.js';

/**
 * Discord interactions in, core replies out, whether they came over the gateway or to the
 * interactions endpoint. Every interaction is acknowledged within Discord's three seconds: slow
 * commands are deferred first, anything else is deferred when the core has not answered by
 * `ackDeadlineMs`, and the reply then edits the deferred response.
 */

export interface InteractionOptions {
  /** When to defer a reply that is not ready yet (Discord drops unacknowledged interactions at 3 s). */
  ackDeadlineMs?: number;
  /** How many recent interaction ids to remember, so a re-delivered interaction is handled once. */
  rememberIds?: number;
}

type Repliable = APIChatInputApplicationCommandInteraction | APIMessageComponentInteraction | APIModalSubmitInteraction;

const FAILURE = 'Something went wrong on our side. Please try again in a moment.';
const FORM_FIELD = 'text';

/** What a log line may say about a failure (under `error`, not pino's `err`): no request URLs (they hold interaction tokens), no bodies. */
export function loggableError(err: unknown): Record<string, unknown> {
  if (err instanceof DiscordAPIError) return { type: 'DiscordAPIError', status: err.status, code: err.code, message: err.message, method: err.method };
  if (err instanceof Error) return { type: err.name, message: err.message, stack: err.stack };
  return { message: String(err) };
}

/** Whether the interaction came from a message (a component, or a modal opened by one). */
function fromMessage(i: Repliable): boolean {
  return i.type !== InteractionType.ApplicationCommand && Boolean(i.message);
}

export class DiscordInteractions {
  /** Interaction id → what its first delivery was answered with. */
  private readonly seen: LruMap<string, Promise<APIInteractionResponse | undefined>>;
  private readonly forms: LruMap<string, FormSpec>;
  private readonly ackDeadlineMs: number;
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly app: App,
    private readonly logger: Logger,
    private readonly rest: REST,
    options: InteractionOptions = {},
  ) {
    this.ackDeadlineMs = options.ackDeadlineMs ?? 2000;
    this.seen = new LruMap(options.rememberIds ?? 10_000);
    this.forms = new LruMap(5_000);
  }

  /**
   * Entry point for every interaction (the raw payload Discord sent) with the way its first
   * response travels. Never throws: failures become an ephemeral message.
   */
  handle(i: APIInteraction, transport: Transport): Promise<void> {
    const first = this.seen.get(i.id);
    if (first) {
      this.logger.debug({ interaction: i.id }, 'repeated interaction delivery ignored');
      transport.repeated?.(first);
      return Promise.resolve();
    }
    const responder = new Responder(this.rest, i.application_id, i.token, transport);
    this.seen.set(i.id, responder.initial);
    const work = this.run(i, responder).finally(() => {
      responder.done();
      this.inflight.delete(work);
    });
    this.inflight.add(work);
    return work;
  }

  /** Resolves once the interactions being answered now are answered, or after `ms`. */
  async settled(ms: number): Promise<void> {
    await within(Promise.allSettled([...this.inflight]), ms);
  }

  private async run(i: APIInteraction, r: Responder): Promise<void> {
    try {
      switch (i.type) {
        case InteractionType.ApplicationCommandAutocomplete:
          return await this.autocomplete(i, r);
        case InteractionType.ApplicationCommand:
          if (i.data.type === ApplicationCommandType.ChatInput) return await this.command(i as APIChatInputApplicationCommandInteraction, r);
          break;
        case InteractionType.MessageComponent:
          if (i.data.component_type === ComponentType.Button) return await this.button(i, r);
          if (i.data.component_type === ComponentType.StringSelect) return await this.action(i, r, { actionId: i.data.custom_id, values: i.data.values });
          break;
        case InteractionType.ModalSubmit:
          return await this.action(i, r, { actionId: i.data.custom_id, text: modalText(i, FORM_FIELD) });
      }
      throw new UserError('The bot does not handle this kind of interaction.');
    } catch (err) {
      await this.fail(i, r, err);
    }
  }

  private async command(i: APIChatInputApplicationCommandInteraction, r: Responder): Promise<void> {
    const spec = findCommand(commandPath(i).key);
    const ephemeral = (spec?.visibility ?? 'ephemeral') === 'ephemeral';
    const defer = () => r.deferReply(ephemeral);
    if (spec?.slow) {
      await defer();
      const reply = await this.app.dispatcher.handle(commandInteraction(i));
      return this.deliver(i, r, reply);
    }
    const work = this.app.dispatcher.handle(commandInteraction(i));
    await this.deliver(i, r, await this.withinDeadline(work, defer));
  }

  private async button(i: APIMessageComponentInteraction, r: Responder): Promise<void> {
    const customId = i.data.custom_id;
    const actionId = customId.startsWith(FORM_MARK) ? customId.slice(FORM_MARK.length) : customId;
    const form = this.forms.get(actionId);
    if (!form && actionId === customId) return this.action(i, r, { actionId });
    // The form's wording is remembered from when the button was sent; after a restart the label stands in.
    const spec: FormSpec = form ?? { title: buttonLabel(i) ?? 'Your answer', label: 'Your answer' };
    const maxLength = Math.min(spec.maxLength ?? 400, 4000);
    await r.showModal({
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

  private async action(i: APIMessageComponentInteraction | APIModalSubmitInteraction, r: Responder, what: Pick<ActionInteraction, 'actionId' | 'values' | 'text'>): Promise<void> {
    const interaction: ActionInteraction = { kind: 'action', id: i.id, actor: actorOf(i), place: placeOfInteraction(i), ...what };
    const work = this.app.dispatcher.handle(interaction);
    // A modal submitted from a slash command has no message to update: it is deferred as a reply.
    const defer = fromMessage(i) ? () => r.deferUpdate() : () => r.deferReply(true);
    await this.deliver(i, r, await this.withinDeadline(work, defer));
  }

  /** Waits for the core up to the deadline; past it, acknowledges with `defer` and keeps waiting. */
  private async withinDeadline(work: Promise<Reply>, defer: () => Promise<unknown>): Promise<Reply> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), this.ackDeadlineMs)));
    try {
      const first = await Promise.race([work, late]);
      if (first !== 'late') return first;
    } finally {
      clearTimeout(timer);
    }
    await defer();
    return work;
  }

  /** Sends the reply the way the interaction's acknowledgement so far (`r.ack`) calls for. */
  private async deliver(i: Repliable, r: Responder, reply: Reply): Promise<void> {
    const message = renderReply(reply, this.forms);
    const replace = Boolean(reply.replaceOriginal && fromMessage(i));
    switch (r.ack.kind) {
      case 'none':
        if (replace) await r.update(message);
        else await r.reply(message);
        return;
      case 'deferred-update':
        if (replace) await r.editReply(message);
        else await r.followUp(message);
        return;
      case 'deferred-reply':
        if (message.ephemeral === r.ack.ephemeral) {
          await r.editReply(message);
          return;
        }
        await this.replacePlaceholder(r);
        await r.followUp(message);
    }
  }

  /**
   * A deferred response keeps the visibility it was deferred with, and Discord gives the first
   * follow-up that same visibility while the "thinking…" placeholder is unresolved. So resolve
   * the placeholder with an edit and remove it; the follow-up then shows to whom it should.
   */
  private async replacePlaceholder(r: Responder): Promise<void> {
    await r.editReply(textMessage('…'));
    await r.deleteReply().catch(() => undefined);
  }

  private async autocomplete(i: APIApplicationCommandAutocompleteInteraction, r: Responder): Promise<void> {
    const spec = findCommand(commandPath(i).key);
    const focused = focusedOption(i);
    const source = focused && spec?.options.find((o) => o.name === focused.name)?.autocomplete;
    await r.suggest(source ? this.suggestions(source, focused.value, tenantOf('discord', placeOfInteraction(i))) : []);
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
  private async fail(i: APIInteraction, r: Responder, err: unknown): Promise<void> {
    const expected = err instanceof UserError;
    if (!expected) this.logger.error({ error: loggableError(err), interaction: i.id }, 'discord interaction failed');
    try {
      if (i.type === InteractionType.ApplicationCommandAutocomplete) {
        if (r.ack.kind === 'none') await r.suggest([]);
        return;
      }
      const message = textMessage(escapeDiscord(expected ? err.message : FAILURE));
      if (r.ack.kind === 'deferred-reply') {
        // Replace the "thinking…" placeholder rather than leave it spinning.
        if (r.ack.ephemeral) return await r.editReply(message);
        await this.replacePlaceholder(r);
      }
      if (r.ack.kind === 'none') await r.reply(message);
      else await r.followUp(message);
    } catch (second) {
      this.logger.warn({ error: loggableError(second), interaction: i.id }, 'could not report a failure to the user');
    }
  }
}
