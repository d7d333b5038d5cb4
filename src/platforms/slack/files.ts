import type { webApi } from '@slack/bolt';
import type { ReplyImage } from '../../core/interaction.js';

/**
 * Uploads a PNG into a channel with the files upload API (files.getUploadURLExternal, the upload
 * itself, files.completeUploadExternal).
 */
export async function uploadImage(web: webApi.WebClient, channelId: string, image: ReplyImage): Promise<void> {
  await web.filesUploadV2({
    channel_id: channelId,
    file: image.png,
    filename: image.filename,
    title: image.alt,
    alt_text: image.alt,
  });
}

/** The direct-message channel with a user: images of personal replies go there, never to the channel. */
export async function directChannel(web: webApi.WebClient, userId: string): Promise<string> {
  const opened = await web.conversations.open({ users: userId });
  const id = opened.channel?.id;
  if (!id) throw new Error('conversations.open returned no channel');
  return id;
}

/** A file as Slack describes it (message events, files.info, a modal's file input). */
export interface SlackFile {
  id: string;
  name?: string | null;
  title?: string | null;
  size?: number;
  url_private?: string;
  url_private_download?: string;
}

/** Files larger than this are not read (the core has its own, smaller limits per use). */
export const MAX_DOWNLOAD_BYTES = 10 * 1024 * 1024;

/** A problem with a shared file, worded for the person who shared it. */
export class FileDownloadError extends Error {
  override name = 'FileDownloadError';
}

const megabytes = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/**
 * Downloads a file shared with the bot. The bot token goes only to Slack's file host (or the
 * configured Web API origin), never to a URL elsewhere.
 */
export async function downloadFile(file: SlackFile, token: string, allowedOrigins: ReadonlySet<string>, maxBytes = MAX_DOWNLOAD_BYTES): Promise<{ name: string; content: Buffer }> {
  const name = file.name || file.title || file.id;
  const link = file.url_private_download ?? file.url_private;
  if (!link) throw new FileDownloadError(`Slack gave no download link for ${name}.`);
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new FileDownloadError(`Slack gave an invalid download link for ${name}.`);
  }
  if (!allowedOrigins.has(url.origin)) throw new FileDownloadError(`${name} is not stored on Slack, so it was not downloaded.`);
  if (file.size !== undefined && file.size > maxBytes) throw new FileDownloadError(`${name} is ${megabytes(file.size)}; files up to ${megabytes(maxBytes)} are read.`);
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(20_000) });
  if (!res.ok || !res.body) throw new FileDownloadError(`Slack answered ${res.status} when the bot downloaded ${name}.`);
  // Without the files:read scope Slack answers with its sign-in page instead of the file.
  if ((res.headers.get('content-type') ?? '').startsWith('text/html')) {
    throw new FileDownloadError(`Slack sent a web page instead of ${name}: the app needs the files:read scope.`);
  }
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > maxBytes) throw new FileDownloadError(`${name} is larger than ${megabytes(maxBytes)}; it was not read.`);
    parts.push(Buffer.from(chunk));
  }
  return { name, content: Buffer.concat(parts) };
}
