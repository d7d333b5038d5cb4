import type { App } from '../../app.js';
import type { Logger } from '../../logger.js';
import type { PlatformHandle } from '../../main.js';

export async function startSlack(_app: App, _logger: Logger): Promise<PlatformHandle> {
  throw new Error('the Slack adapter is not built yet');
}
