import type { App as BoltApp, webApi } from '@slack/bolt';
import { contextServerId } from './tenant.js';
import type { AttachmentInput, CommandSpec, OptionSpec } from '../../core/catalogue.js';
import { parseCommandLine } from '../../core/command-line.js';
import { CATALOGUE } from '../../core/commands.js';
import { errorReply } from '../../core/dispatcher.js';
import { UserError } from '../../core/errors.js';
import type { CommandInteraction, Reply } from '../../core/interaction.js';
import { FILE_BLOCK, FILE_ELEMENT, FILE_MODAL, fileModal, parseFileModalMetadata } from './blocks.js';
import { deliverReply } from './deliver.js';
import { handleOnce } from './after-ack.js';
import { onModalSubmit } from './modal-submit.js';
import { FileDownloadError, type SlackFile } from './files.js';
import type { SlackBridge, Workspace } from './listeners.js';
import { requestLog } from './request-log.js';

/**
 * Commands that take a file (an admin's question bank import): the file comes from a form with a
 * file input (`/quiz admin import` without one), or is shared with the bot in a direct message.
 */

export function fileOption(spec: CommandSpec): OptionSpec | undefined {
  return spec.options.find((o) => o.type === 'attachment');
}

/** The required file option a parsed command line lacks, if any. */
export function missingFile(spec: CommandSpec, options: Record<string, unknown>): OptionSpec | undefined {
  const option = fileOption(spec);
  return option?.required && options[option.name] === undefined ? option : undefined;
}

/** The command a file shared in a direct message is for: the one catalogue command that takes a file. */
function directMessageCommand(): CommandSpec | undefined {
  return CATALOGUE.find((c) => fileOption(c));
}

function formTitle(spec: CommandSpec): string {
  const verb = spec.key.split(' ').at(-1)!;
  return `${verb[0]!.toUpperCase()}${verb.slice(1)} a file`;
}

export interface FileFormRequest {
  spec: CommandSpec;
  options: Record<string, unknown>;
  option: OptionSpec;
  triggerId: string;
  channelId: string;
  responseUrl?: string;
}

export async function openFileForm(web: webApi.WebClient, r: FileFormRequest): Promise<void> {
  const view = fileModal(formTitle(r.spec), r.option.description, {
    command: r.spec.key,
    options: r.options,
    fileOption: r.option.name,
    channelId: r.channelId,
    ...(r.responseUrl ? { responseUrl: r.responseUrl } : {}),
  });
  await web.views.open({ trigger_id: r.triggerId, view });
}

/**
 * The file as the command's attachment option, unread: the dispatcher calls `load` only once the
 * command may run (admin right, rate limit, options). Some events only name the file, so files.info
 * describes it first, within the same loader.
 */
function attachment(bridge: SlackBridge, workspace: Workspace, shared: SlackFile): AttachmentInput {
  return {
    name: shared.name || shared.title || shared.id,
    ...(shared.size !== undefined ? { size: shared.size } : {}),
    load: async () => {
      let file = shared;
      if (!file.url_private_download && !file.url_private) file = ((await workspace.web.files.info({ file: file.id })).file ?? file) as SlackFile;
      try {
        return (await bridge.download(file, workspace.token)).content;
      } catch (err) {
        // Worded for the person who shared the file: the core answers with it.
        if (err instanceof FileDownloadError) throw new UserError(err.message);
        throw err;
      }
    },
  };
}

function runWithFile(bridge: SlackBridge, workspace: Workspace, base: Omit<CommandInteraction, 'options'>, options: Record<string, unknown>, optionName: string, file: SlackFile): Promise<Reply> {
  return bridge.dispatcher.handle({ ...base, options: { ...options, [optionName]: attachment(bridge, workspace, file) } });
}

export function registerFileListeners(bolt: BoltApp, bridge: SlackBridge): void {
  const { users } = bridge;

  onModalSubmit(bolt, bridge, { callbackId: FILE_MODAL, kind: 'file form', parse: parseFileModalMetadata }, async ({ id, meta, actor, place, values, workspace }) => {
    const file = (values[FILE_BLOCK]?.[FILE_ELEMENT]?.files ?? [])[0] as SlackFile | undefined;
    if (!file) return errorReply('Choose a file to upload.');
    return runWithFile(bridge, workspace, { kind: 'command', id, actor, place, command: meta.command }, meta.options, meta.fileOption, file);
  });

  // A file shared with the bot in a direct message (message.im events).
  bolt.event('message', async ({ event, body, context, client: web }) => {
    if (event.subtype !== 'file_share' || event.channel_type !== 'im' || !event.files?.length) return;
    const spec = directMessageCommand();
    const option = spec && fileOption(spec);
    if (!spec || !option) return;
    const id = `event:${body.event_id as string}`;
    const log = requestLog(bridge.logger, id);
    await handleOnce(bridge, { key: id, kind: 'event', log, retry: context }, async () => {
      await bridge.ackFirst.turn();
      const file = event.files![0] as SlackFile;
      // Text sent with the file may carry options (`bank:team lesson:moe-tradeoffs`); other words are ignored.
      const typed = parseCommandLine(`${spec.key} ${event.text ?? ''}`);
      const options = typed.ok ? typed.options : {};
      const serverId = contextServerId({ ...context, teamId: context.teamId ?? body.team_id });
      const base = {
        kind: 'command' as const,
        id,
        actor: await users.actor(web, serverId, event.user),
        place: { serverId, channelId: event.channel },
        command: spec.key,
      };
      const reply = await runWithFile(bridge, { web, token: context.botToken }, base, options, option.name, file);
      // A direct message is private already: the answer is a normal message there.
      await deliverReply(web, log, { channelId: event.channel, userId: event.user }, { ...reply, visibility: 'public' });
    });
  });
}
