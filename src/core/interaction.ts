/**
 * The platform-neutral shapes that cross between adapters and the core. Adapters translate a
 * native event into an Interaction and a Reply into a native message; nothing else crosses.
 */

export type Platform = 'terminal' | 'discord' | 'slack';

export interface Actor {
  platform: Platform;
  /** The platform's user id (Discord snowflake, Slack U…, terminal name). */
  userId: string;
  displayName: string;
  /** The platform's admin right (Manage Server, workspace admin, TERMINAL_ADMINS). */
  isAdmin: boolean;
}

export interface Place {
  /** Discord guild, Slack team, or 'local' in the terminal. Leaderboards never mix servers. */
  serverId: string;
  channelId: string;
}

interface InteractionBase {
  /** The platform's id of this delivery; a retried delivery carries the same id. */
  id: string;
  actor: Actor;
  place: Place;
}

export interface CommandInteraction extends InteractionBase {
  kind: 'command';
  /** Catalogue key: 'help', 'quiz race', 'group create', … */
  command: string;
  /** Raw option values; the core validates them against the catalogue's schema. */
  options: Record<string, unknown>;
}

export interface ActionInteraction extends InteractionBase {
  kind: 'action';
  /** The encoded action id of the button or select (see actions.ts). */
  actionId: string;
  /** Selected values of a select menu. */
  values?: string[];
  /** Typed text (a modal's field, or the terminal's typed answer). */
  text?: string;
}

export type Interaction = CommandInteraction | ActionInteraction;

export type ButtonStyle = 'primary' | 'secondary' | 'success' | 'danger';

export interface Button {
  kind: 'button';
  label: string;
  actionId: string;
  style?: ButtonStyle;
  /** Open a text input; the typed text comes back as ActionInteraction.text. */
  input?: { title: string; label: string; placeholder?: string; maxLength?: number };
}

export interface LinkButton {
  kind: 'link';
  label: string;
  url: string;
}

export interface Select {
  kind: 'select';
  placeholder: string;
  actionId: string;
  options: { label: string; value: string; description?: string }[];
  maxValues?: number;
}

export type Component = Button | LinkButton | Select;

export interface Field {
  /** Markup. */
  name: string;
  /** Markup. */
  value: string;
  inline?: boolean;
}

export interface ReplyImage {
  filename: string;
  png: Buffer;
  alt: string;
}

export interface Reply {
  /** Markup (see markup.ts). */
  text: string;
  title?: string;
  fields?: Field[];
  /** Rows of components; each row holds up to five buttons or one select. */
  components?: Component[][];
  image?: ReplyImage;
  /** Ephemeral replies are seen only by the actor; public ones by the channel. */
  visibility: 'ephemeral' | 'public';
  /** For actions: replace the message the action came from instead of posting a new one. */
  replaceOriginal?: boolean;
  /** Whether user or role mentions in the text may notify anyone (never by default). */
  allowMentions?: boolean;
}

/** A message the core posts by itself (schedules, race rounds), not in answer to an interaction. */
export interface Post {
  platform: Platform;
  place: Place;
  reply: Reply;
  /** Key of a message to update in place instead of posting anew (races, standings). */
  updateKey?: string;
  /**
   * Only update the message posted under updateKey; never post it anew. For edits that make sense
   * only on the message itself (a closed race round losing its buttons): after a restart the
   * platform no longer knows which message that was, and a fresh copy would only repeat it.
   */
  updateOnly?: boolean;
}
