import { createServer } from 'node:http';
import { parentPort } from 'node:worker_threads';
import { closeNow, listenOnLoopback } from '../tests/fakes/loopback.js';
import { buttonsIn, textOf } from '../tests/fakes/slack/payloads.js';
import { FakeSlackWebApi } from '../tests/fakes/slack/web-api.js';

/**
 * The fake Slack of the Slack benchmarks (capacity, and acknowledgements under load), in its own
 * thread so serving the bot's calls never delays the thread that times it: the Web API
 * (auth.test, users.info) and a response_url receiver that hands each post to the main thread as
 * it arrives, reduced to its buttons and text, and keeps nothing (a long run posts tens of
 * thousands of answers).
 */

export interface CapacityFakesReady {
  kind: 'ready';
  apiUrl: string;
  token: string;
  hooksBase: string;
}

export interface CapacityHookPost {
  kind: 'post';
  hook: string;
  buttons: { id: string; value?: string }[];
  /** The start of what the user reads (to tell an error message from an answer). */
  text: string;
}

const port = parentPort!;
const slack = await new FakeSlackWebApi().start();
const hooks = createServer((req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (d: Buffer) => parts.push(d));
  req.on('end', () => {
    let body: { text?: string; blocks?: any[] };
    try {
      body = JSON.parse(Buffer.concat(parts).toString('utf8'));
    } catch {
      res.writeHead(400).end('invalid_payload');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    const hook = (req.url ?? '').replace(/^\/hooks\//, '');
    const buttons = buttonsIn(body.blocks).map((b) => ({ id: b.action_id, ...(b.value !== undefined ? { value: b.value } : {}) }));
    port.postMessage({ kind: 'post', hook, buttons, text: `${body.text ?? ''}\n${textOf(body.blocks)}`.slice(0, 300) } satisfies CapacityHookPost);
  });
});
const hooksBase = await listenOnLoopback(hooks);
port.on('message', async (message: string) => {
  if (message !== 'stop') return;
  await slack.stop();
  await closeNow(hooks);
  port.close();
});
port.postMessage({ kind: 'ready', apiUrl: slack.url, token: slack.token, hooksBase } satisfies CapacityFakesReady);
