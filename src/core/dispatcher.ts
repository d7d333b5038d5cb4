import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  ACTION_CATALOGUE,
  INVALID_ACTION_TEXT,
  UNKNOWN_ACTION_TEXT,
  userKey,
  type ActionName,
  type AnyActionSpec,
  type ArgsOf,
  type Press,
  type ValuesOf,
} from './action-catalogue.js';
import { optionsSchema, typedCommand, type Attachment, type AttachmentInput, type CommandSpec } from './catalogue.js';
import { CATALOGUE, findCommand } from './commands.js';
import { decodeAction, MAX_ACTION_ID } from './actions.js';
import { UserError } from './errors.js';
import { InFlight } from './inflight.js';
import { assertAdmin } from './permissions.js';
import { InteractionRateLimit, SLOW_DOWN_TEXT } from './rate-limit.js';
import type { ActionInteraction, CommandInteraction, Interaction, Reply } from './interaction.js';
import { escapeMarkup, md } from './markup.js';
import type { Services } from './services.js';
import { tenantOf } from './tenant.js';

export interface CommandContext<O = Record<string, unknown>> {
  services: Services;
  interaction: CommandInteraction;
  spec: CommandSpec;
  options: O;
  now: Date;
}

/** What an action handler gets: its spec's checks passed, its args, text and values parsed. */
export interface ActionContext<A = readonly string[], V = string> {
  services: Services;
  interaction: ActionInteraction;
  args: A;
  /** The typed text, trimmed (present when the spec requires it). */
  text?: string;
  /** The picked values, parsed by the spec (empty when none were picked). */
  values: V[];
  now: Date;
}

export type CommandHandler = (ctx: CommandContext<any>) => Reply | Promise<Reply>;
export type ActionHandler<A = any, V = any> = (ctx: ActionContext<A, V>) => Reply | Promise<Reply>;

/** Handlers of catalogue actions get their args typed by name; other names need a spec of their own. */
export type ActionHandlers = { [N in ActionName]?: ActionHandler<ArgsOf<N>, ValuesOf<N>> } & { [name: string]: ActionHandler | undefined };

export interface Capability {
  commands?: Record<string, CommandHandler>;
  /** Keyed by action name (the part of the action id before the first ':'). */
  actions?: ActionHandlers;
  /** Specs of actions outside the catalogue (a plug-in's, a test's), keyed by name like `actions`. */
  actionSpecs?: Record<string, AnyActionSpec>;
}

/** Disk full, read-only, locked or failing storage: the write was rolled back as a whole. */
function isStorageFault(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^SQLITE_(FULL|READONLY|BUSY|LOCKED|IOERR|CANTOPEN)/.test(code);
}

export function errorReply(message: string): Reply {
  return { text: message, visibility: 'ephemeral' };
}

/** The answer to an interaction that arrives while the bot shuts down. */
export const RESTARTING_TEXT = 'The bot is restarting, try again in a moment.';

/**
 * Told about every handled interaction: the reply, how long it took (ms), and the error when it
 * failed on our side (a UserError is the user's, not a failure). Metrics hook in here.
 */
export type HandledObserver = (interaction: Interaction, reply: Reply, ms: number, error?: unknown) => void;

/** Formats the first option problem: "Option 'rounds' must be at most 10. Usage: …". */
function optionError(spec: CommandSpec, error: z.ZodError, given: Record<string, unknown>): string {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    return `/${spec.key} has no option ${issue.keys.map((k) => `'${k}'`).join(', ')}.`;
  }
  const name = String(issue.path[0] ?? '');
  const missing = given[name] === undefined;
  return `Option '${name}' ${missing ? 'is required' : issue.message}.`;
}

/**
 * The core's single entry point: validates, checks the admin right, runs the handler, and turns
 * failures into replies. Adapters call handle() and render what comes back.
 */
export class Dispatcher {
  private commands = new Map<string, CommandHandler>();
  private actions = new Map<string, ActionHandler>();
  private actionSpecs = new Map<string, AnyActionSpec>(ACTION_CATALOGUE);
  private observers: HandledObserver[] = [];
  /** Interactions being handled; closed at shutdown so new ones get RESTARTING_TEXT. */
  readonly inflight = new InFlight();
  private readonly rateLimit: InteractionRateLimit;

  constructor(
    readonly services: Services,
    capabilities: Capability[],
  ) {
    for (const cap of capabilities) {
      for (const [key, h] of Object.entries(cap.commands ?? {})) {
        if (!findCommand(key)) throw new Error(`handler for unknown command "${key}"`);
        this.commands.set(key, h);
      }
      for (const [name, spec] of Object.entries(cap.actionSpecs ?? {})) {
        if (ACTION_CATALOGUE.has(name)) throw new Error(`action "${name}" is declared in the action catalogue already`);
        this.actionSpecs.set(name, spec);
      }
    }
    for (const cap of capabilities) {
      for (const [name, h] of Object.entries(cap.actions ?? {})) {
        if (!h) continue;
        if (!this.actionSpecs.has(name)) throw new Error(`handler for undeclared action "${name}"`);
        this.actions.set(name, h);
      }
    }
    this.rateLimit = new InteractionRateLimit(services.config.RATE_LIMIT_BURST, services.config.RATE_LIMIT_PER_SECOND);
    const missing = CATALOGUE.filter((c) => !this.commands.has(c.key)).map((c) => c.key);
    if (missing.length) throw new Error(`no handler for: ${missing.join(', ')}`);
    const missingActions = [...this.actionSpecs.keys()].filter((name) => !this.actions.has(name));
    if (missingActions.length) throw new Error(`no handler for the actions: ${missingActions.join(', ')}`);
  }

  observe(observer: HandledObserver): void {
    this.observers.push(observer);
  }

  async handle(interaction: Interaction): Promise<Reply> {
    if (!this.inflight.enter()) return errorReply(RESTARTING_TEXT);
    const started = performance.now();
    // A child logger per interaction costs more than most handlers: build it only when logging.
    const log = () =>
      this.services.logger.child({
        rid: interaction.id,
        platform: interaction.actor.platform,
        ...(interaction.kind === 'command' ? { command: interaction.command } : { action: interaction.actionId.split(':')[0] }),
      });
    let failure: unknown;
    let reply: Reply;
    try {
      // The terminal is one local person (and scripts piping lines in): only chat users are limited.
      const limited = interaction.actor.platform !== 'terminal' && !this.rateLimit.take(`${interaction.actor.platform}:${interaction.actor.userId}`);
      if (limited) reply = errorReply(SLOW_DOWN_TEXT);
      else reply = interaction.kind === 'command' ? await this.runCommand(interaction) : await this.runAction(interaction);
    } catch (err) {
      // A UserError's message is plain text, possibly quoting the user: escaped, never markup.
      if (err instanceof UserError) reply = errorReply(escapeMarkup(err.message));
      else {
        failure = err;
        const ref = randomUUID().slice(0, 8);
        log().error({ err, ref }, 'interaction failed');
        reply = errorReply(
          isStorageFault(err)
            ? md`The bot cannot save right now (a storage problem; ref ${ref}), so nothing was recorded. Please try again in a moment.`
            : md`Something went wrong on our side (ref ${ref}). Please try again in a moment.`,
        );
      }
    } finally {
      this.inflight.leave();
    }
    const ms = performance.now() - started;
    if (this.services.logger.isLevelEnabled('debug')) log().debug({ ms: Math.round(ms) }, 'handled');
    for (const observer of this.observers) {
      try {
        observer(interaction, reply, ms, failure);
      } catch (err) {
        log().warn({ err }, 'interaction observer failed');
      }
    }
    return reply;
  }

  private async runCommand(i: CommandInteraction): Promise<Reply> {
    const spec = findCommand(i.command);
    const handler = this.commands.get(i.command);
    const help = typedCommand('help', i.actor.platform);
    if (!spec || !handler) return errorReply(md`Unknown command /${i.command}. Try ${help}.`);
    if (spec.admin) assertAdmin(i.actor, `/${spec.key}`);
    const parsed = optionsSchema(spec).safeParse(i.options);
    if (!parsed.success) return errorReply(md`${optionError(spec, parsed.error, i.options)} Try ${help} ${spec.key.split(' ')[0]!}.`);
    const options = await this.loadAttachments(i, spec, parsed.data);
    return handler({ services: this.services, interaction: i, spec, options, now: this.services.clock.now() });
  }

  /**
   * Reads the command's attached files, now that the command may run: adapters hand over a loader
   * and never download before the admin check, the rate limit and the option checks.
   */
  private async loadAttachments(i: CommandInteraction, spec: CommandSpec, options: Record<string, unknown>): Promise<Record<string, unknown>> {
    const files = spec.options.filter((o) => o.type === 'attachment' && options[o.name] !== undefined);
    if (files.length === 0) return options;
    const loaded = { ...options };
    for (const o of files) {
      const { load, ...file } = options[o.name] as AttachmentInput;
      if (!load) throw new UserError('The attached file could not be downloaded. Attach it again.');
      let content: Buffer;
      try {
        content = await load();
      } catch (err) {
        if (err instanceof UserError) throw err;
        this.services.logger.warn({ err, rid: i.id, command: i.command }, 'attachment download failed');
        throw new UserError(`The attached file ${file.name} could not be downloaded. Attach it again.`);
      }
      loaded[o.name] = { ...file, content } satisfies Attachment;
    }
    return loaded;
  }

  /**
   * An action runs only when its id parses against its spec, the presser may press it (admin,
   * owner) from where they are (the tenant of the thing it names), and what it needs was typed
   * or picked. Each refusal is a short ephemeral reply; the handler never sees the press.
   */
  private async runAction(i: ActionInteraction): Promise<Reply> {
    if (i.actionId.length > MAX_ACTION_ID) return errorReply(INVALID_ACTION_TEXT);
    const { name, args: rawArgs } = decodeAction(i.actionId);
    const spec = this.actionSpecs.get(name);
    const handler = this.actions.get(name);
    if (!spec || !handler) return errorReply(UNKNOWN_ACTION_TEXT);
    if (spec.admin) assertAdmin(i.actor, spec.description);
    const parsed = spec.args.safeParse(rawArgs);
    if (!parsed.success) return errorReply(INVALID_ACTION_TEXT);
    const args = parsed.data;

    let text: string | undefined;
    if (spec.text) {
      text = i.text?.trim();
      if (!text) return errorReply(md`${spec.text.missing}`);
      if (text.length > spec.text.maxLength) return errorReply(md`That is too long: at most ${spec.text.maxLength} characters.`);
    }
    let values: unknown[] = i.values ?? [];
    if (spec.values) {
      if (values.length === 0) return errorReply(md`${spec.values.missing}`);
      const picked = z.array(spec.values.item).max(spec.values.max).safeParse(values);
      if (!picked.success) return errorReply(INVALID_ACTION_TEXT);
      values = picked.data;
    }

    const press: Press = { actor: i.actor, place: i.place, tenant: tenantOf(i.actor.platform, i.place) };
    const gone = (): Reply => (typeof spec.gone === 'object' ? spec.gone : errorReply(md`${spec.gone ?? INVALID_ACTION_TEXT}`));
    if (spec.tenant) {
      const tenant = spec.tenant(this.services, args);
      // Another tenant's thing does not exist from here: the same answer as a missing one.
      if (tenant === undefined || (tenant !== null && tenant !== press.tenant)) return gone();
    }
    if (spec.owner) {
      const owner = spec.owner(this.services, args, press);
      if (!owner) return gone();
      if (owner.key !== userKey(i.actor.platform, i.actor.userId)) return errorReply(md`${owner.refusal()}`);
    }
    return handler({ services: this.services, interaction: i, args, ...(text !== undefined ? { text } : {}), values, now: this.services.clock.now() });
  }
}
