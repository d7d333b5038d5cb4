import type { App as BoltApp, BlockAction, BlockElementAction, webApi } from '@slack/bolt';
import { payloadServerId, slackServerId } from './tenant.js';
import type { Dispatcher } from '../../core/dispatcher.js';
import { errorReply } from '../../core/dispatcher.js';
import type { ActionInteraction, Place, Reply } from '../../core/interaction.js';
import { md } from '../../core/markup.js';
import type { Logger } from '../../logger.js';
import type { AckFirst } from './ack-first.js';
import { INPUT_BLOCK, INPUT_ELEMENT, INPUT_MODAL, inputModal, inputOfValue, parseModalMetadata } from './blocks.js';
import { parseSlackCommand } from './command-text.js';
import { handleOnce } from './after-ack.js';
import { onModalSubmit } from './modal-submit.js';
import { deliverImage, deliverReply, responseBody, responseUrlPoster, type Destination } from './deliver.js';
import { errorInfo } from './errors.js';
import { missingFile, openFileForm, registerFileListeners } from './file-commands.js';
import type { SlackFile } from './files.js';
import { requestLog } from './request-log.js';
import type { SeenDeliveries } from './seen.js';
import type { SlackUsers } from './users.js';

/**
 * The Slack listeners: payload → Interaction → dispatcher → Reply → Slack. Every listener
 * acknowledges within Slack's 3 seconds; work that takes longer answers through the response_url.
 */

export interface SlackBridge {
  dispatcher: Dispatcher;
  users: SlackUsers;
  seen: SeenDeliveries;
  logger: Logger;
  /** Keeps work that continues after an ack, so stopping can wait for it. */
  track(work: Promise<unknown>): void;
  /** Lets acknowledgements of waiting requests go before work that continues after an ack. */
  ackFirst: AckFirst;
  /** Downloads a file shared with the bot (with the bot token of its workspace, from Slack only). */
  download(file: SlackFile, token: string | undefined): Promise<{ name: string; content: Buffer }>;
}

/**
 * The workspace a request came from, as Bolt authorized it: the Web API client with that
 * workspace's own token (every call made for the request goes through it) and the token itself
 * (for file downloads).
 */
export interface Workspace {
  web: webApi.WebClient;
  token: string | undefined;
}

/** A fast command answers in its acknowledgement; one that is not done by then answers later. */
const ACK_BUDGET_MS = 2000;

const failure = (): Reply => errorReply('Something went wrong on our side. Please try again in a moment.');

function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function actionValues(action: BlockElementAction): string[] | undefined {
  if (action.type === 'static_select') return [action.selected_option.value];
  if (action.type === 'multi_static_select') return action.selected_options.map((o) => o.value);
  return undefined;
}

function actionPlace(body: BlockAction): Place {
  const channelId = body.channel?.id ?? (body.container?.channel_id as string | undefined) ?? body.user.id;
  return { serverId: payloadServerId(body), channelId };
}

export function registerListeners(bolt: BoltApp, bridge: SlackBridge): void {
  const { dispatcher, users, seen } = bridge;

  // Every slash command of this app is /quiz (whatever it was renamed to in the manifest).
  bolt.command(/.*/, async ({ command: body, ack, context, client: web }) => {
    const log = requestLog(bridge.logger, body.trigger_id);
    // A retried delivery carries the same trigger_id.
    if (!seen.firstTime(`command:${body.trigger_id}`)) {
      log.info({ retryNum: context.retryNum, retryReason: context.retryReason }, 'slack: repeated delivery acknowledged, not handled again');
      return ack();
    }
    const parsed = parseSlackCommand(body.text ?? '');
    if (!parsed.ok) return ack(responseBody(errorReply(md`${parsed.error}`)));
    const dest: Destination = { channelId: body.channel_id, userId: body.user_id, respond: responseUrlPoster(body.response_url) };
    const serverId = slackServerId({ enterprise: body.enterprise_id, team: body.team_id, orgInstall: body.is_enterprise_install === 'true' });
    const actor = () => users.actor(web, serverId, body.user_id, body.user_name);
    const run = async (): Promise<Reply> => {
      try {
        return await dispatcher.handle({
          kind: 'command',
          id: body.trigger_id,
          actor: await actor(),
          place: { serverId, channelId: body.channel_id },
          command: parsed.spec.key,
          options: parsed.options,
        });
      } catch (err) {
        log.error({ err: errorInfo(err) }, 'slack command failed');
        return failure();
      }
    };
    const answerLater = async (work: Promise<Reply>) => {
      const late = work.then((reply) => deliverReply(web, log, dest, reply)).catch((err) => log.error({ err: errorInfo(err) }, 'slack reply failed'));
      bridge.track(late);
      await late;
    };

    const fileWanted = missingFile(parsed.spec, parsed.options);
    if (fileWanted) {
      // A command that needs a file opens a form to upload it; one the user may not run is refused as usual.
      await ack();
      if (parsed.spec.admin && !(await actor()).isAdmin) return answerLater(run());
      const form = { spec: parsed.spec, options: parsed.options, option: fileWanted, triggerId: body.trigger_id, channelId: body.channel_id, responseUrl: body.response_url };
      return openFileForm(web, form).catch((err) => log.error({ err: errorInfo(err) }, 'slack file form did not open'));
    }
    if (parsed.spec.slow) {
      await ack({ response_type: 'ephemeral', text: 'Working on it…' });
      return answerLater(run());
    }
    const work = run();
    const reply = await within(work, ACK_BUDGET_MS);
    if (!reply) {
      await ack();
      return answerLater(work);
    }
    await ack(responseBody(reply));
    if (reply.image) bridge.track(deliverImage(web, dest, reply).catch((err) => log.warn({ err: errorInfo(err) }, 'slack image upload failed')));
  });

  bolt.action<BlockAction>({ type: 'block_actions' }, async ({ body, action, ack, client: web }) => {
    await ack();
    // Link buttons open their URL in Slack; the click is only reported.
    if (action.type === 'button' && action.url) return;
    const id = `${action.action_ts}:${body.user.id}`;
    const log = requestLog(bridge.logger, id);
    const place = actionPlace(body);
    await handleOnce(bridge, { key: `action:${id}`, kind: 'action', log }, async () => {
      const input = action.type === 'button' ? inputOfValue(action.value) : undefined;
      if (input) {
        // At once: the trigger_id that opens a modal expires 3 s after the click.
        const view = inputModal(input, { actionId: action.action_id, channelId: place.channelId, responseUrl: body.response_url });
        await web.views.open({ trigger_id: body.trigger_id, view });
        return;
      }
      await bridge.ackFirst.turn();
      const values = actionValues(action);
      const interaction: ActionInteraction = {
        kind: 'action',
        id,
        actor: await users.actor(web, place.serverId, body.user.id, body.user.name ?? body.user.username),
        place,
        actionId: action.action_id,
        ...(values ? { values } : {}),
      };
      const reply = await dispatcher.handle(interaction);
      const ephemeralSource = body.container?.is_ephemeral === true;
      const dest: Destination = { channelId: place.channelId, userId: body.user.id, ...(ephemeralSource ? {} : { sourceTs: body.message?.ts }) };
      await deliverReply(web, log, body.response_url ? { ...dest, respond: responseUrlPoster(body.response_url) } : dest, reply);
    });
  });

  registerFileListeners(bolt, bridge);

  onModalSubmit(bolt, bridge, { callbackId: INPUT_MODAL, kind: 'form submission', parse: parseModalMetadata }, ({ id, meta, actor, place, values }) =>
    dispatcher.handle({ kind: 'action', id, actor, place, actionId: meta.actionId, text: values[INPUT_BLOCK]?.[INPUT_ELEMENT]?.value ?? '' }),
  );
}
