import http from 'node:http';
import https from 'node:https';

/**
 * Posts a message to a response_url (Slack's hooks for answering a command or an action). A plain
 * keep-alive request: this is the hot path of every button press, where a general HTTP client's
 * overhead shows.
 */

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

const TIMEOUT_MS = 10_000;

export function postToResponseUrl(url: string, message: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    if (target.protocol !== 'https:' && target.protocol !== 'http:') return reject(new Error(`response_url has protocol ${target.protocol}`));
    const body = Buffer.from(JSON.stringify(message));
    const request = (target.protocol === 'https:' ? https : http).request(
      target,
      {
        method: 'POST',
        agent: agents[target.protocol],
        headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length },
        timeout: TIMEOUT_MS,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`response_url answered ${status}`));
        });
        res.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error('response_url did not answer in time')));
    request.on('error', reject);
    request.end(body);
  });
}
