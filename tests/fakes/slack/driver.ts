import { blockActions, slashCommand, viewSubmission, type ButtonPress } from './payloads.js';
import type { ResponseUrlReceiver } from './response-url.js';
import type { FakeSlackWebApi, RecordedCall } from './web-api.js';

/** Anything that can deliver a signed body to the bot's /slack/events and return its answer. */
export interface SignedSender {
  send(body: string, options?: { headers?: Record<string, string> }): Promise<{ status: number; text: string; json(): any }>;
}

let triggers = 0;

/**
 * Plays Slack's side of a conversation with the bot: slash commands, button presses and modal
 * submissions, each signed and with its own response_url, and returns what the bot answered.
 */
export class SlackDriver {
  constructor(
    readonly bot: SignedSender,
    readonly slack: FakeSlackWebApi,
    readonly hooks: ResponseUrlReceiver,
  ) {}

  /** `/quiz <text>`: the acknowledgement's message (undefined for an empty ack) and the response_url hook. */
  async command(text: string, userId: string, channelId = 'C0GENERAL'): Promise<{ hook: string; message: any }> {
    const { url, hook } = this.hooks.newUrl();
    const res = await this.bot.send(slashCommand({ text, userId, channelId, responseUrl: url }));
    if (res.status !== 200) throw new Error(`/quiz ${text} answered ${res.status}`);
    return { hook, message: res.text ? res.json() : undefined };
  }

  /** Presses a button (or picks from a select); returns the hook its answer goes to and the request body. */
  async press(press: Omit<ButtonPress, 'responseUrl'>, headers?: Record<string, string>): Promise<{ hook: string; body: string; triggerId: string }> {
    const { url, hook } = this.hooks.newUrl();
    const triggerId = press.triggerId ?? `${++triggers}.4444.press`;
    const body = blockActions({ ...press, responseUrl: url, triggerId });
    const res = await this.bot.send(body, headers ? { headers } : undefined);
    if (res.status !== 200 || res.text !== '') throw new Error(`pressing ${press.actionId} answered ${res.status} ${res.text}`);
    return { hook, body, triggerId };
  }

  /** Presses and waits for the answer posted to the action's response_url. */
  async pressAndWait(press: Omit<ButtonPress, 'responseUrl'>): Promise<any> {
    const { hook } = await this.press(press);
    const [post] = await this.hooks.waitFor(hook);
    return post!.body;
  }

  /** The modal the bot opened for a trigger. */
  openedView(triggerId: string): Promise<RecordedCall> {
    return this.slack.waitFor('views.open', (c) => c.params.trigger_id === triggerId);
  }

  /** Types text into the bot's one-field modal and submits it. */
  async submit(userId: string, opened: RecordedCall, text: string): Promise<void> {
    const view = opened.params.view;
    const input = view.blocks.find((b: any) => b.type === 'input');
    const body = viewSubmission({
      userId,
      view: { id: `V${++triggers}`, callback_id: view.callback_id, private_metadata: view.private_metadata },
      values: { [input.block_id]: { [input.element.action_id]: { type: 'plain_text_input', value: text } } },
    });
    const res = await this.bot.send(body);
    if (res.status !== 200 || res.text !== '') throw new Error(`submitting the modal answered ${res.status} ${res.text}`);
  }
}
