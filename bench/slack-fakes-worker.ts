import { parentPort } from 'node:worker_threads';
import { buttonsIn } from '../tests/fakes/slack/payloads.js';
import { ResponseUrlReceiver } from '../tests/fakes/slack/response-url.js';
import { FakeSlackWebApi } from '../tests/fakes/slack/web-api.js';

/**
 * The fake Slack of the Slack benchmark (Web API and response_url receiver) in its own thread, so
 * serving the bot's calls never delays the thread that times the acknowledgements.
 */

export interface FakesReady {
  kind: 'ready';
  apiUrl: string;
  token: string;
  hooksBase: string;
}

/** A message the bot posted to a response_url, reduced to its buttons. */
export interface HookPost {
  kind: 'post';
  hook: string;
  buttons: { action_id: string; value?: string }[];
}

const slack = await new FakeSlackWebApi().start();
const hooks = await new ResponseUrlReceiver().start();
const port = parentPort!;
hooks.onPost = (post) =>
  port.postMessage({ kind: 'post', hook: post.hook, buttons: buttonsIn(post.body.blocks).map((b) => ({ action_id: b.action_id, value: b.value })) } satisfies HookPost);
port.on('message', async (message: string) => {
  if (message !== 'stop') return;
  await slack.stop();
  await hooks.stop();
  port.close();
});
port.postMessage({ kind: 'ready', apiUrl: slack.url, token: slack.token, hooksBase: hooks.base } satisfies FakesReady);
