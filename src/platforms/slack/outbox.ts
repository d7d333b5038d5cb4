import type { webApi } from '@slack/bolt';
import type { Post } from '../../core/interaction.js';
import type { ChannelCheck, PostSender } from '../../core/services.js';
import type { Logger } from '../../logger.js';
import { renderMessage } from './blocks.js';
import { errorInfo, isChannelUnavailable } from './errors.js';
import { uploadImage } from './files.js';
import { LruMap } from '../../core/util/lru-map.js';

const REMEMBERED_POSTS = 5_000;

/** The Web API client with the token of a tenant's workspace (its server id); throws when the app is not installed there. */
export type WorkspaceClient = (serverId: string) => Promise<webApi.WebClient>;

/** A conversation id as typed or picked: `C123`, `<#C123|general>`, `#C123`. */
const CONVERSATION_ID = /^(?:<#|#)?([A-Za-z0-9]{2,30})(?:\|[^>]*)?>?$/;

/**
 * Whether a conversation is in a workspace, asked of Slack (conversations.info): it must be the
 * workspace's own, or shared with it (Slack Connect). A direct message with the bot counts as the
 * workspace's. Anything Slack will not describe is not the workspace's.
 */
export function slackChannelCheck(clientOf: WorkspaceClient, logger: Logger): ChannelCheck {
  let warned = false;
  return async (teamId, channel) => {
    const id = CONVERSATION_ID.exec(channel.trim())?.[1];
    if (!id) return undefined;
    const web = await clientOf(teamId);
    let info: { context_team_id?: string; shared_team_ids?: string[]; internal_team_ids?: string[]; is_im?: boolean } | undefined;
    try {
      info = (await web.conversations.info({ channel: id })).channel as typeof info;
    } catch (err) {
      const code = errorInfo(err).slackError;
      // An app installed before it asked for channels:read: its token reaches only its own
      // workspace's conversations anyway, so it keeps posting, and the admin is told once.
      if (code === 'missing_scope') {
        if (!warned) logger.warn('slack: add the channels:read, groups:read and im:read scopes (deploy/slack-manifest.yaml) and reinstall, so the bot can check the channels it is asked to post in');
        warned = true;
        return id;
      }
      if (code === 'channel_not_found') {
        logger.warn({ channel: id, err: errorInfo(err) }, 'slack: cannot post in this channel (invite the bot, or check the channel id)');
        throw new Error(`Slack post failed: cannot post in channel ${id}`);
      }
      if (code) return undefined;
      throw err;
    }
    if (!info) return undefined;
    const teams = [info.context_team_id, ...(info.shared_team_ids ?? []), ...(info.internal_team_ids ?? [])];
    return info.is_im || teams.includes(teamId) ? id : undefined;
  };
}

/**
 * Sends the messages the core posts by itself (race rounds, daily quizzes, standings) with
 * chat.postMessage, with the token of the post's own workspace; a post with an updateKey that was
 * posted before is edited in place with chat.update. A channel the bot cannot post in is a
 * warning, and the post counts as not sent; so is a post for a workspace that uninstalled the app.
 */
export function slackPostSender(clientOf: WorkspaceClient, logger: Logger): PostSender {
  const posted = new LruMap<string, { channel: string; ts: string }>(REMEMBERED_POSTS);
  return async (post: Post) => {
    const channel = post.place.channelId;
    const message = renderMessage(post.reply);
    const web = await clientOf(post.place.serverId);
    try {
      const previous = post.updateKey ? posted.get(post.updateKey) : undefined;
      if (previous) {
        await web.chat.update({ channel: previous.channel, ts: previous.ts, ...message });
      } else if (!post.updateOnly) {
        const sent = await web.chat.postMessage({ channel, ...message });
        if (post.updateKey && sent.ts) posted.set(post.updateKey, { channel: sent.channel ?? channel, ts: sent.ts });
      }
      if (post.reply.image) await uploadImage(web, channel, post.reply.image);
    } catch (err) {
      // Rethrown without the original error, which can carry the request and its token.
      if (!isChannelUnavailable(err)) throw new Error(`Slack post failed: ${errorInfo(err).slackError ?? errorInfo(err).message}`);
      logger.warn({ channel, err: errorInfo(err) }, 'slack: cannot post in this channel (invite the bot, or check the channel id)');
      // Not delivered: the core learns it (a race that cannot be posted does not start).
      throw new Error(`Slack post failed: cannot post in channel ${channel}`);
    }
  };
}
