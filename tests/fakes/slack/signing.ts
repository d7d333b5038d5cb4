import { createHmac } from 'node:crypto';

/**
 * Signs a request body the way Slack does: `x-slack-signature` is `v0=` + the hex HMAC-SHA256 of
 * `v0:<timestamp>:<raw body>` keyed with the app's signing secret.
 */
export function signedRequest(body: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): { body: string; headers: Record<string, string> } {
  const signature = 'v0=' + createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex');
  return { body, headers: { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature } };
}
