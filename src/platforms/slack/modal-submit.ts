import type { App as BoltApp, ViewOutput } from '@slack/bolt';
import { payloadServerId } from './tenant.js';
import type { Actor, Place, Reply } from '../../core/interaction.js';
import { handleOnce } from './after-ack.js';
import { deliverReply, responseUrlPoster } from './deliver.js';
import type { SlackBridge, Workspace } from './listeners.js';
import { requestLog } from './request-log.js';

/** What every modal of the bot carries in its private_metadata: where it was opened from. */
export interface ModalOrigin {
  channelId: string;
  /** The response_url of the message whose button opened the modal. */
  responseUrl?: string;
}

export interface SubmittedModal<M extends ModalOrigin> {
  /** The interaction id of the submission (`view:<view id>`), the same on Slack's retries. */
  id: string;
  meta: M;
  actor: Actor;
  place: Place;
  values: ViewOutput['state']['values'];
  /** The workspace the submission came from (its client and token). */
  workspace: Workspace;
}

/**
 * Listens for one modal's submissions: acknowledged at once, run once (see handleOnce), and the
 * reply delivered where the modal was opened from (through its response_url when it has one).
 * A submission whose metadata is unreadable is acknowledged, logged and dropped.
 */
export function onModalSubmit<M extends ModalOrigin>(
  bolt: BoltApp,
  bridge: SlackBridge,
  modal: { callbackId: string; kind: string; parse: (privateMetadata: string) => M | undefined },
  run: (submitted: SubmittedModal<M>) => Promise<Reply>,
): void {
  bolt.view(modal.callbackId, async ({ ack, body, view, client: web, context }) => {
    await ack();
    const meta = modal.parse(view.private_metadata);
    const id = `view:${view.id}`;
    const log = requestLog(bridge.logger, id);
    if (!meta) {
      log.warn({ callbackId: modal.callbackId }, `slack: ${modal.kind} with unreadable metadata dropped`);
      return;
    }
    await handleOnce(bridge, { key: id, kind: modal.kind, log }, async () => {
      await bridge.ackFirst.turn();
      const place = { serverId: payloadServerId(body), channelId: meta.channelId };
      const actor = await bridge.users.actor(web, place.serverId, body.user.id, body.user.name);
      const reply = await run({ id, meta, actor, place, values: view.state.values, workspace: { web, token: context.botToken } });
      const respond = meta.responseUrl ? responseUrlPoster(meta.responseUrl) : undefined;
      await deliverReply(web, log, { channelId: meta.channelId, userId: body.user.id, ...(respond ? { respond } : {}) }, reply);
    });
  });
}
