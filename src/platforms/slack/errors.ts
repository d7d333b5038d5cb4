/**
 * What may be logged of a Slack or HTTP error: its message and Slack's error code. Never the
 * whole object, which can carry the request with its token.
 */
export function errorInfo(err: unknown): { message: string; code?: string; slackError?: string } {
  const e = err as { message?: unknown; code?: unknown; data?: { error?: unknown } };
  return {
    message: typeof e?.message === 'string' ? e.message : String(err),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    ...(typeof e?.data?.error === 'string' ? { slackError: e.data.error } : {}),
  };
}

/** Slack's answer when the bot may not post in a channel: a warning, not a failure. */
export function isChannelUnavailable(err: unknown): boolean {
  const code = (err as { data?: { error?: unknown } })?.data?.error;
  return code === 'channel_not_found' || code === 'not_in_channel' || code === 'is_archived';
}
