import {
  DiscordAPIError,
  InteractionResponseType,
  MessageFlags,
  RESTJSONErrorCodes,
  Routes,
  type APIApplicationCommandOptionChoice,
  type APIInteractionResponse,
  type APIModalInteractionResponseCallbackData,
  type RawFile,
  type REST,
} from 'discord.js';
import type { DiscordMessage } from './message.js';
import { restMessage } from './posts.js';

/**
 * Answering one interaction. Everything after the first response goes through the interaction's
 * webhook (REST, the same in both modes); the first response is the one thing that travels
 * differently: over the gateway it is a REST call (POST /interactions/{id}/{token}/callback), at
 * the interactions endpoint it is the HTTP response to Discord's request.
 */

/** How the first response to an interaction reaches Discord. */
export interface Transport {
  /** 'http': the first response is the HTTP response, which Discord takes as JSON only (no files). */
  readonly kind: 'gateway' | 'http';
  send(response: APIInteractionResponse, files: RawFile[]): Promise<void>;
  /**
   * The same interaction delivered again; `first` resolves to what the first delivery was
   * answered with (undefined when it got no answer). Over the gateway a repeat needs no answer.
   */
  repeated?(first: Promise<APIInteractionResponse | undefined>): void;
}

/** The gateway's transport: the first response is a REST call. */
export function callbackTransport(rest: REST, id: string, token: string): Transport {
  return {
    kind: 'gateway',
    send: async (response, files) => {
      await rest.post(Routes.interactionCallback(id, token), { body: response, files, auth: false });
    },
  };
}

/** Where the interaction stands: unanswered, answered, or acknowledged with a deferral. */
export type Acknowledgement = { kind: 'none' } | { kind: 'replied' } | { kind: 'deferred-reply'; ephemeral: boolean } | { kind: 'deferred-update' };

/** A response's message data: the rendered message as REST wants it, with the ephemeral flag. */
function messageData(m: DiscordMessage, edit = false) {
  const { body, files } = restMessage(m, edit);
  return { data: { ...body, ...(m.ephemeral && !edit ? { flags: MessageFlags.Ephemeral } : {}) }, files };
}

/** How often, and after how long, a webhook call is tried again while Discord does not know the interaction yet. */
const WEBHOOK_RETRIES_MS = [100, 250, 500];

export class Responder {
  ack: Acknowledgement = { kind: 'none' };
  /** What the first response was, once sent (undefined when none was). */
  readonly initial: Promise<APIInteractionResponse | undefined>;
  private settleInitial!: (response: APIInteractionResponse | undefined) => void;

  constructor(
    private readonly rest: REST,
    private readonly applicationId: string,
    private readonly token: string,
    private readonly transport: Transport,
  ) {
    this.initial = new Promise((resolve) => (this.settleInitial = resolve));
  }

  private async first(response: APIInteractionResponse, files: RawFile[] = []): Promise<void> {
    if (this.ack.kind !== 'none') throw new Error('The interaction was already acknowledged.');
    await this.transport.send(response, files);
    this.settleInitial(response);
  }

  /** Called when handling ends: a repeat delivery waiting for the first answer learns there was none. */
  done(): void {
    this.settleInitial(undefined);
  }

  /** A new message in answer (type 4). Over HTTP, a message with files is deferred and edited in. */
  async reply(m: DiscordMessage): Promise<void> {
    if (m.files.length && this.transport.kind === 'http') {
      await this.deferReply(m.ephemeral);
      return this.editReply(m);
    }
    const { data, files } = messageData(m);
    await this.first({ type: InteractionResponseType.ChannelMessageWithSource, data }, files);
    this.ack = { kind: 'replied' };
  }

  /** Replaces the message the component is on (type 7). */
  async update(m: DiscordMessage): Promise<void> {
    if (m.files.length && this.transport.kind === 'http') {
      await this.deferUpdate();
      return this.editReply(m);
    }
    const { data, files } = messageData(m, true);
    await this.first({ type: InteractionResponseType.UpdateMessage, data }, files);
    this.ack = { kind: 'replied' };
  }

  /** "Thinking…" (type 5): the answer edits the deferred response later. */
  async deferReply(ephemeral: boolean): Promise<void> {
    await this.first({ type: InteractionResponseType.DeferredChannelMessageWithSource, data: { flags: ephemeral ? MessageFlags.Ephemeral : (0 as MessageFlags) } });
    this.ack = { kind: 'deferred-reply', ephemeral };
  }

  /** Acknowledges a component without a visible change (type 6). */
  async deferUpdate(): Promise<void> {
    await this.first({ type: InteractionResponseType.DeferredMessageUpdate });
    this.ack = { kind: 'deferred-update' };
  }

  async showModal(data: APIModalInteractionResponseCallbackData): Promise<void> {
    await this.first({ type: InteractionResponseType.Modal, data });
    this.ack = { kind: 'replied' };
  }

  async suggest(choices: APIApplicationCommandOptionChoice[]): Promise<void> {
    await this.first({ type: InteractionResponseType.ApplicationCommandAutocompleteResult, data: { choices } });
    this.ack = { kind: 'replied' };
  }

  /** Edits the response (or, after a deferred update, the component's message): everything in it is replaced. */
  async editReply(m: DiscordMessage): Promise<void> {
    const { body, files } = restMessage(m, true);
    await this.webhook(() => this.rest.patch(Routes.webhookMessage(this.applicationId, this.token, '@original'), { body, files, auth: false }));
  }

  async followUp(m: DiscordMessage): Promise<void> {
    const { data, files } = messageData(m);
    await this.webhook(() => this.rest.post(Routes.webhook(this.applicationId, this.token), { body: data, files, auth: false }));
  }

  async deleteReply(): Promise<void> {
    await this.webhook(() => this.rest.delete(Routes.webhookMessage(this.applicationId, this.token, '@original'), { auth: false }));
  }

  /**
   * A webhook call right after the first response went out as an HTTP response may reach Discord
   * before it has taken that response in ("Unknown Webhook"): such a call is tried again shortly.
   */
  private async webhook(call: () => Promise<unknown>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await call();
        return;
      } catch (err) {
        const early = err instanceof DiscordAPIError && err.code === RESTJSONErrorCodes.UnknownWebhook && this.transport.kind === 'http';
        if (!early || attempt >= WEBHOOK_RETRIES_MS.length) throw err;
        await new Promise((r) => setTimeout(r, WEBHOOK_RETRIES_MS[attempt]));
      }
    }
  }
}
