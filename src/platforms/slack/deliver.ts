import type { RespondArguments, webApi } from '@slack/bolt';
import type { Reply } from '../../core/interaction.js';
import { renderMessage } from './blocks.js';
import { errorInfo } from './errors.js';
import { directChannel, uploadImage } from './files.js';
import type { RequestLog } from './request-log.js';
import { postToResponseUrl } from './response-url.js';

/** Posts to the response_url of a command or an action (or the one a modal stored). */
export type Respond = (message: RespondArguments) => Promise<unknown>;

/** Where the answer to one interaction goes. */
export interface Destination {
  channelId: string;
  userId: string;
  respond?: Respond;
  /** The timestamp of the (non-ephemeral) message an action came from, for chat.update. */
  sourceTs?: string;
}

export function responseUrlPoster(url: string): Respond {
  return (message) => postToResponseUrl(url, message);
}

/** The reply as the body of an acknowledgement or a response_url post. */
export function responseBody(reply: Reply): RespondArguments {
  return { response_type: reply.visibility === 'public' ? 'in_channel' : 'ephemeral', ...renderMessage(reply) };
}

/**
 * Sends a reply: replacing the source message, ephemeral to the user, or public in the channel,
 * via the response_url when there is one (it works in channels the bot has not joined) and the
 * Web API otherwise.
 */
export async function deliverReply(web: webApi.WebClient, log: Pick<RequestLog, 'warn'>, dest: Destination, reply: Reply): Promise<void> {
  const message = renderMessage(reply);
  const viaApi = async () => {
    if (reply.replaceOriginal && dest.sourceTs) {
      await web.chat.update({ channel: dest.channelId, ts: dest.sourceTs, ...message });
    } else if (reply.visibility === 'ephemeral') {
      await web.chat.postEphemeral({ channel: dest.channelId, user: dest.userId, ...message });
    } else {
      await web.chat.postMessage({ channel: dest.channelId, ...message });
    }
  };
  if (dest.respond) {
    try {
      await dest.respond(
        reply.replaceOriginal
          ? { replace_original: true, ...message }
          : { replace_original: false, response_type: reply.visibility === 'public' ? 'in_channel' : 'ephemeral', ...message },
      );
    } catch (err) {
      // An expired response_url (30 minutes, 5 uses) still leaves the Web API.
      log.warn({ err: errorInfo(err) }, 'slack response_url failed; posting with the Web API');
      await viaApi();
    }
  } else {
    await viaApi();
  }
  await deliverImage(web, dest, reply);
}

/** Images of public replies go to the channel; those of personal replies to a direct message. */
export async function deliverImage(web: webApi.WebClient, dest: Destination, reply: Reply): Promise<void> {
  if (!reply.image) return;
  const channel = reply.visibility === 'public' ? dest.channelId : await directChannel(web, dest.userId);
  await uploadImage(web, channel, reply.image);
}
