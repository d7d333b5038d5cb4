import { DiscordAPIError, RESTJSONErrorCodes, Routes, type APIMessage, type REST } from 'discord.js';
import type { Post } from '../../core/interaction.js';
import type { ChannelCheck, PostSender } from '../../core/services.js';
import type { Logger } from '../../logger.js';
import { LruMap } from '../../core/util/lru-map.js';
import { renderReply, type DiscordMessage } from './message.js';

/** A post that Discord refused for good (unknown channel, missing access): the core reports it to admins. */
export class PostRefusedError extends Error {
  override name = 'PostRefusedError';
}

/** A rendered message as a REST body (snake_case, attachments described by index) plus its files. */
export function restMessage(m: DiscordMessage, edit = false) {
  return {
    body: {
      content: m.content,
      embeds: m.embeds,
      components: m.components,
      allowed_mentions: m.allowedMentions,
      ...(m.files.length || edit ? { attachments: m.files.map((f, id) => ({ id, filename: f.name, description: f.description })) } : {}),
    },
    files: m.files.map((f) => ({ name: f.name, data: f.data, contentType: 'image/png' })),
  };
}

function refusal(err: unknown, channelId: string): PostRefusedError | undefined {
  if (!(err instanceof DiscordAPIError) || (err.status !== 403 && err.status !== 404)) return undefined;
  const why =
    err.status === 404
      ? 'the channel does not exist or the bot cannot see it'
      : 'the bot lacks permission there (it needs View Channel, Send Messages, Embed Links and Attach Files)';
  return new PostRefusedError(`Cannot post in Discord channel ${channelId}: ${why} (Discord error ${err.code}: ${err.message}).`);
}

/** A channel id as typed or picked: `123`, `<#123>`. */
const CHANNEL_ID = /^(?:<#)?(\d{1,25})>?$/;

/**
 * Whether a channel is in a server, asked of Discord (GET /channels/{id}): its guild_id must be
 * the server's. A direct-message tenant (`dm-<user>`) owns only DM channels with that user.
 */
export function discordChannelCheck(rest: REST, logger: Logger): ChannelCheck {
  return async (serverId, channel) => {
    const id = CHANNEL_ID.exec(channel.trim())?.[1];
    if (!id) return undefined;
    let found: { guild_id?: string; type?: number; recipients?: { id: string }[] };
    try {
      found = (await rest.get(Routes.channel(id))) as typeof found;
    } catch (err) {
      // Not visible to the bot: nothing can be posted there either, and the admin learns why.
      const refused = refusal(err, id);
      if (!refused) throw err;
      logger.warn({ channel: id, status: (err as DiscordAPIError).status, code: (err as DiscordAPIError).code }, 'discord refused a post');
      throw refused;
    }
    if (serverId.startsWith('dm-')) {
      const user = serverId.slice(3);
      return found.guild_id === undefined && (found.recipients ?? []).some((r) => r.id === user) ? id : undefined;
    }
    return found.guild_id === serverId ? id : undefined;
  };
}

/**
 * The Outbox sender for Discord: posts the core's messages (race rounds, daily quizzes) in their
 * channel, and edits the message already posted under the same update key instead of posting anew.
 */
export function discordPostSender(rest: REST, logger: Logger): PostSender {
  const posted = new LruMap<string, { channelId: string; messageId: string }>(5_000);
  return async (post: Post) => {
    const channelId = post.place.channelId;
    const message = renderReply(post.reply);
    const previous = post.updateKey ? posted.get(post.updateKey) : undefined;
    try {
      if (previous && previous.channelId === channelId) {
        try {
          await rest.patch(Routes.channelMessage(channelId, previous.messageId), restMessage(message, true));
          return;
        } catch (err) {
          // Someone deleted the message: post it again below.
          if (!(err instanceof DiscordAPIError && err.code === RESTJSONErrorCodes.UnknownMessage)) throw err;
        }
      }
      if (post.updateOnly) return;
      const created = (await rest.post(Routes.channelMessages(channelId), restMessage(message))) as APIMessage;
      if (post.updateKey) posted.set(post.updateKey, { channelId, messageId: created.id });
    } catch (err) {
      const refused = refusal(err, channelId);
      if (!refused) throw err;
      logger.warn({ channel: channelId, status: (err as DiscordAPIError).status, code: (err as DiscordAPIError).code }, 'discord refused a post');
      throw refused;
    }
  };
}
