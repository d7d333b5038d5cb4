import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResponseUrlReceiver } from './response-url.js';
import { FakeSlackWebApi } from './web-api.js';

/** What a Slack test file runs the bot against: its own folder, the fake Web API and a response_url receiver. */
export interface SlackFakes {
  dir: string;
  slack: FakeSlackWebApi;
  hooks: ResponseUrlReceiver;
  /** Stops both fakes and removes the folder (after the bot has stopped). */
  stop(): Promise<void>;
}

export async function startSlackFakes(dirPrefix: string): Promise<SlackFakes> {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const slack = await new FakeSlackWebApi().start();
  const hooks = await new ResponseUrlReceiver().start();
  return {
    dir,
    slack,
    hooks,
    async stop() {
      await slack.stop();
      await hooks.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
