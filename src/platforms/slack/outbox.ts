import type { webApi } from '@slack/bolt';
import type { Post } from '../../core/interaction.js';
import type { PostSender } from '../../core/services.js';
import type { Logger } from '../../logger.js';
import { renderMessage } from './blocks.js';
import { errorInfo, isChannelUnavailable } from './errors.js';
import { uploadImage } from './files.js';
import { LruMap } from '../../core/util/lru-map.js';

const REMEMBERED_POSTS = 5_000;

/**
 * Sends the messages the core posts by itself (race rounds, daily quizzes, standings) with
 * chat.postMessage; a post with an updateKey that was posted before is edited in place with
 * chat.update. A channel the bot cannot post in is a warning, and the post counts as not sent.
 */
export function slackPostSender(web: webApi.WebClient, logger: Logger): PostSender {
  const posted = new LruMap<string, { channel: string; ts: string }>(REMEMBERED_POSTS);
  return async (post: Post) => {
    const channel = post.place.channelId;
    const message = renderMessage(post.reply);
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
